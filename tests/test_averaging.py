"""landscape_lib/nets/averaging.py: snapshots, AveragedModel averages, prediction averages, barriers, distances."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from landscape_lib.nets.averaging import (CyclicConfig, SGDAverageConfig, cyclic_snapshots, line_barriers,
                                          prediction_average, sgd_average, snapshot_barriers, snapshots_of, travel,
                                          weight_average)
from landscape_lib.nets.config import TrainConfig, TrainingDiverged, lr_at
from landscape_lib.nets.data import Dataset
from landscape_lib.nets.models import build_model
from landscape_lib.nets.params import FlatModel
from landscape_lib.nets.training import train

DT = torch.float64


def _data(n=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 1, 3, 3, generator=g, dtype=DT)
    y = (X.flatten(1)[:, :3].argmax(1)).long()
    return X, y


@pytest.fixture(scope="module")
def mlp():
    torch.manual_seed(0)
    return FlatModel(build_model("mlp", (1, 3, 3), 3, hidden=(6,)), dtype=DT)


@pytest.fixture(scope="module")
def bn_mlp():
    torch.manual_seed(1)
    return FlatModel(build_model("mlp", (1, 3, 3), 3, hidden=(6, 5), batch_norm=True, dropout=0.2), dtype=DT)


# -- weight average -------------------------------------------------------------------------------
def test_weight_average_is_the_mean_of_the_snapshots(mlp):
    S = mlp.theta0() + torch.randn(5, mlp.D, dtype=DT, generator=torch.Generator().manual_seed(0))
    before = S.clone()
    wa = weight_average(mlp, S)
    assert torch.allclose(wa.theta, S.mean(0), rtol=0, atol=1e-14) and wa.n_averaged == 5
    assert torch.equal(S, before)
    assert torch.allclose(weight_average(mlp, list(S)).theta, wa.theta, atol=0)


def test_weight_average_of_equal_snapshots_is_the_snapshot(mlp):
    s = mlp.theta0() * 1.7
    assert torch.equal(weight_average(mlp, s.expand(4, -1)).theta, s)


def test_weight_average_with_batch_norm_recomputes_the_statistics(bn_mlp):
    X, _ = _data()
    S = bn_mlp.theta0() + 0.1 * torch.randn(3, bn_mlp.D, dtype=DT, generator=torch.Generator().manual_seed(1))
    wa = weight_average(bn_mlp, S, bn_X=X)
    ref = bn_mlp.bn_stats(wa.theta, X)  # one full-batch pass, dropout off: the same statistics
    assert set(wa.buffers) == set(ref)
    for n in ref:
        if ref[n].is_floating_point():
            assert torch.allclose(wa.buffers[n], ref[n], atol=1e-13), n
    batched = weight_average(bn_mlp, S, bn_X=X, bn_batch_size=16)  # per-batch statistics averaged: differ a bit
    assert torch.equal(batched.theta, wa.theta)
    assert not torch.allclose(batched.buffers["net.1.running_var"], ref["net.1.running_var"])
    with pytest.raises(ValueError, match="bn_X"):
        weight_average(bn_mlp, S)


def test_weight_average_bad_input(mlp):
    with pytest.raises(ValueError, match="snapshots must be"):
        weight_average(mlp, torch.zeros(2, mlp.D + 1, dtype=DT))
    with pytest.raises(ValueError, match="snapshots must be"):
        weight_average(mlp, [])
    with pytest.raises(ValueError, match="flat must be"):
        weight_average("model", torch.zeros(2, 3))


# -- prediction average ---------------------------------------------------------------------------
def test_prediction_average_closed_form():
    # two members, one example, two classes: probabilities (0.8, 0.2) and (0.4, 0.6), label 0
    p1, p2 = torch.tensor([0.8, 0.2], dtype=DT), torch.tensor([0.4, 0.6], dtype=DT)
    logits = torch.stack([p1.log(), p2.log()]).unsqueeze(1)  # (K=2, N=1, C=2)
    m = prediction_average(logits, torch.tensor([0]))
    assert m.loss == pytest.approx(-math.log(0.6), rel=1e-14) and m.accuracy == 1.0
    assert torch.allclose(m.member_loss, torch.tensor([-math.log(0.8), -math.log(0.4)], dtype=DT))
    assert torch.equal(m.member_accuracy, torch.tensor([1.0, 0.0], dtype=DT))


def test_prediction_average_of_one_member_is_its_loss(mlp):
    X, y = _data()
    th = mlp.theta0().unsqueeze(0)
    m = prediction_average(mlp.batched_logits(th, X), y)
    assert m.loss == pytest.approx(float(mlp.loss(th[0], X, y)), rel=1e-13)
    assert m.accuracy == pytest.approx(mlp.accuracy(th[0], X, y))
    with pytest.raises(ValueError, match="y must be"):
        prediction_average(mlp.batched_logits(th, X), y[:3])
    with pytest.raises(ValueError, match="logits must be"):
        prediction_average(torch.zeros(3, 2), y)


# -- barriers and distances -----------------------------------------------------------------------
def test_line_barrier_double_well_exact():
    """L = (|x|^2 - 1)^2 from e1 to -e1: L(t) = ((1 - 2t)^2 - 1)^2, endpoints 0, peak 1 at t = 1/2."""
    loss = lambda P: ((P ** 2).sum(-1) - 1) ** 2  # noqa: E731
    e = torch.tensor([1.0, 0.0, 0.0], dtype=DT)
    quad = lambda P: (P ** 2).sum(-1)  # noqa: E731 (convex: no barrier)
    b, = line_barriers(loss, [(e, -e)], n_points=11)
    assert b.barrier == pytest.approx(1.0, abs=1e-15) and b.peak_t == 0.5
    ts = torch.linspace(0, 1, 11, dtype=DT)
    assert torch.allclose(b.losses, ((1 - 2 * ts) ** 2 - 1) ** 2, atol=1e-15)
    c, = line_barriers(quad, [(e, 2 * e)], n_points=5)
    assert c.barrier == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="n_points"):
        line_barriers(loss, [(e, -e)], n_points=1)


def test_snapshot_barriers_and_travel():
    loss = lambda P: ((P ** 2).sum(-1) - 1) ** 2  # noqa: E731
    S = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype=DT)
    avg = S.mean(0)
    sb = snapshot_barriers(loss, S, avg, n_points=3)
    # e1 -> e2: midpoint (1/2, 1/2), L = (1/2 - 1)^2 = 1/4; e1 -> -e1: through 0, L = 1
    assert [b.barrier for b in sb.consecutive] == pytest.approx([0.25, 0.25], abs=1e-15)
    assert len(sb.to_average) == 3 and sb.max_consecutive == pytest.approx(0.25)
    calls = []
    sb2 = snapshot_barriers(None, S, avg, n_points=3, line_loss=lambda a, b: (calls.append(1), loss)[1])
    assert len(calls) == 5 and [b.barrier for b in sb2.to_average] == [b.barrier for b in sb.to_average]
    tr = travel(S, average=avg, start=torch.zeros(2, dtype=DT))
    assert torch.allclose(tr.consecutive, torch.tensor([math.sqrt(2)] * 2, dtype=DT))
    assert torch.allclose(tr.from_start, torch.ones(3, dtype=DT)) and torch.allclose(tr.norms, torch.ones(3, dtype=DT))
    assert torch.allclose(tr.to_average, (S - avg).norm(dim=1))
    assert travel(S).to_average is None
    with pytest.raises(ValueError, match="average must be"):
        travel(S, average=torch.zeros(3))


# -- cyclic snapshots and SGD averaging -----------------------------------------------------------
def test_cyclic_schedule_is_lr_at():
    for shape in ("cosine", "triangular"):
        cfg = CyclicConfig(lr_max=0.3, lr_min=0.01, cycle_steps=7, n_cycles=2, shape=shape)
        tc = TrainConfig(schedule="cyclic", lr=0.3, lr_min=0.01, cycle_steps=7, cycle_shape=shape)
        assert [cfg.lr(t) for t in range(20)] == [lr_at(tc, t) for t in range(20)]


def test_cyclic_snapshots_one_per_cycle_and_no_mutation(mlp):
    X, y = _data()
    start = mlp.theta0()
    keep = start.clone()
    cfg = CyclicConfig(lr_max=0.5, lr_min=0.0, cycle_steps=5, n_cycles=3, batch_size=16, seed=2)
    run = cyclic_snapshots(mlp, start, X, y, cfg)
    assert run.snapshots.shape == (3, mlp.D) and torch.equal(start, keep)
    again = cyclic_snapshots(mlp, start, X, y, cfg)
    assert torch.equal(run.snapshots, again.snapshots)
    assert torch.allclose(run.train_loss, mlp.batched_loss(run.snapshots, X, y), atol=1e-14)
    assert bool((travel(run.snapshots).consecutive > 0).all())
    frozen = cyclic_snapshots(mlp, start, X, y, CyclicConfig(lr_max=0.0, cycle_steps=2, n_cycles=3))
    assert torch.equal(frozen.snapshots, start.expand(3, -1))  # lr = 0: every snapshot is the start
    assert torch.equal(weight_average(mlp, frozen.snapshots).theta, start)


def test_cyclic_divergence_is_an_error_naming_it():
    X, y = _data()
    lin = FlatModel(build_model("softmax", (1, 3, 3), 3), dtype=DT)  # no saturation: the weights overflow
    with pytest.raises(TrainingDiverged, match="cyclic phase diverged: minibatch loss nan at update"):
        cyclic_snapshots(lin, lin.theta0(), X * 1e200, y, CyclicConfig(lr_max=1e300, cycle_steps=4, n_cycles=2))


def test_cyclic_config_bad_input():
    with pytest.raises(ValueError, match="CyclicConfig.lr_min"):
        CyclicConfig(lr_max=0.1, lr_min=0.2)
    with pytest.raises(ValueError, match="CyclicConfig.shape"):
        CyclicConfig(lr_max=0.1, shape="step")
    with pytest.raises(ValueError, match="CyclicConfig.batch_size"):
        CyclicConfig(lr_max=0.1, batch_size=0)
    with pytest.raises(ValueError, match="SGDAverageConfig.average_last"):
        SGDAverageConfig(lr=0.1, average_last=0.0)
    with pytest.raises(ValueError, match="cfg must be a CyclicConfig"):
        cyclic_snapshots(FlatModel(torch.nn.Linear(2, 2)), torch.zeros(6), torch.zeros(3, 2),
                         torch.zeros(3, dtype=torch.long), SGDAverageConfig(lr=0.1))


def test_snapshots_of_a_cyclic_training_run():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(40, 4, generator=g)
    y = (X[:, 0] > 0).long()
    ds = Dataset("blobs", X[:30], y[:30], X[30:], y[30:], 2, (4,))
    opt = train(TrainConfig(model="softmax", dataset="digits", schedule="cyclic", cycle_steps=3, max_steps=9,
                            target_loss=None, lr=0.1), data=ds)
    S = snapshots_of(opt)
    assert S.shape == (3, opt.D) and torch.equal(S[-1], opt.theta)
    with pytest.raises(ValueError, match="no snapshots"):
        snapshots_of(train(TrainConfig(model="softmax", max_steps=2, target_loss=None), data=ds))


def test_sgd_average_is_the_mean_of_the_late_iterates(mlp):
    X, y = _data()
    cfg = SGDAverageConfig(lr=0.2, steps=12, average_last=0.5, every=2, batch_size=8, seed=1)
    res = sgd_average(mlp, mlp.theta0(), X, y, cfg, keep_iterates=True)
    assert cfg.first_averaged == 6 and res.n_averaged == 4 == len(res.iterates)  # updates 6, 8, 10, 12
    assert torch.allclose(res.average.theta, res.iterates.mean(0), atol=1e-14)
    assert torch.equal(res.iterates[-1], res.final)
    assert torch.equal(sgd_average(mlp, mlp.theta0(), X, y, cfg).final, res.final)  # reproducible
    still = sgd_average(mlp, mlp.theta0(), X, y, SGDAverageConfig(lr=0.0, steps=4))
    assert torch.equal(still.average.theta, mlp.theta0()) and torch.equal(still.final, mlp.theta0())


def test_sgd_average_with_batch_norm_and_dropout(bn_mlp):
    X, y = _data()
    model_before = copy.deepcopy(bn_mlp.module.state_dict())
    res = sgd_average(bn_mlp, bn_mlp.theta0(), X, y, SGDAverageConfig(lr=0.1, steps=6, batch_size=12))
    ref = bn_mlp.bn_stats(res.average.theta, X)
    assert torch.allclose(res.average.buffers["net.5.running_mean"], ref["net.5.running_mean"], atol=1e-13)
    after = bn_mlp.module.state_dict()
    assert all(torch.equal(model_before[k], after[k]) for k in model_before)
    loss = F.cross_entropy(bn_mlp.eval_logits(res.average.theta, X, res.average.buffers), y)
    assert torch.isfinite(loss)

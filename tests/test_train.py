"""landscape_lib.nets.config / nets.training: config validation, the batched path against the sequential reference, stopping."""

from __future__ import annotations

import dataclasses
import math
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from landscape_lib.nets.config import (TRAIN_CODE_VERSION, Optimum, TargetNotReached, TrainConfig, TrainingDiverged,
                                       config_hash, lr_at, require_reached)
from landscape_lib.nets.data import Dataset, load_dataset
from landscape_lib.nets.training import train, train_many

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small():
    """200 digits training points: the same code paths as the full set, a fraction of the time."""
    ds = load_dataset("digits")
    return Dataset("digits200", ds.X_train[:200], ds.y_train[:200], ds.X_test[:100], ds.y_test[:100], 10, (1, 8, 8))


def _same(a: Optimum, b: Optimum, atol=1e-8):
    assert a.seed == b.seed and a.steps == b.steps and a.reached_target == b.reached_target
    assert torch.allclose(a.theta_init, b.theta_init, atol=0)
    assert torch.allclose(a.theta, b.theta, atol=atol, rtol=0), (a.theta - b.theta).abs().max()
    assert a.history["step"] == b.history["step"]
    for k in ("train_loss", "radius", "dist_from_init", "radial_share"):
        assert a.history[k] == pytest.approx(b.history[k], abs=1e-8)
    assert len(a.snapshots) == len(b.snapshots)
    for s, t in zip(a.snapshots, b.snapshots):
        assert torch.allclose(s, t, atol=atol, rtol=0)
    assert a.train_loss == pytest.approx(b.train_loss, abs=1e-9)
    assert a.test_acc == b.test_acc


@pytest.mark.parametrize("opts", [
    dict(optimizer="adam", lr=1e-2),
    dict(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=64, l2=1e-3),
    dict(optimizer="adam", lr=1e-2, schedule="cyclic", cycle_steps=40, lr_min=1e-4, batch_norm=True),
    dict(model="simple_cnn", optimizer="sgd", lr=0.05, batch_size=50, schedule="cyclic", cycle_steps=20,
         cycle_shape="triangular"),
    dict(model="softmax", optimizer="adam", lr=1e-2),
    dict(model="softmax", optimizer="sgd", lr=0.1, batch_size=64, l2=1e-3),
], ids=["adam-full", "sgd-minibatch-l2", "adam-cyclic-bn", "cnn-sgd-triangular", "softmax-adam-full",
        "softmax-sgd-minibatch-l2"])
def test_batched_equals_sequential(small, opts):
    steps = 30 if opts.get("model") == "simple_cnn" else 120
    cfg = TrainConfig(dtype="float64", max_steps=steps, target_loss=None, log_every=10, hidden=(16,), **opts)
    seeds = [3, 5, 8]
    batched = train_many(cfg, seeds, data=small)
    looped = train_many(cfg, seeds, data=small, vectorize=False)
    for s, b, c in zip(seeds, batched, looped):
        _same(train(dataclasses.replace(cfg, seed=s), data=small), b)
        _same(b, c)
        assert b.cfg.seed == s and b.steps == steps and not b.reached_target
    assert not torch.allclose(batched[0].theta, batched[1].theta)  # independent members


@pytest.mark.parametrize("opts", [dict(optimizer="adam", lr=1e-2),
                                  dict(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=64, l2=1e-3, activation="relu")],
                         ids=["adam-full", "sgd-minibatch-l2-relu"])
def test_member_plan_trains_exactly_as_vmap(small, opts, monkeypatch):
    """The MLP's per-member gradients without vmap (``FlatModel.member_grads_exact``) give the optima of
    ``vmap(grad(...))`` bit for bit (float32, the suite's dtype)."""
    from landscape_lib.nets.params import FlatModel

    cfg = TrainConfig(max_steps=80, target_loss=None, log_every=10, hidden=(16,), **opts)
    fast = train_many(cfg, [3, 5], data=small)
    monkeypatch.setattr(FlatModel, "member_grads_exact", property(lambda self: False))
    slow = train_many(cfg, [3, 5], data=small)
    for a, b in zip(fast, slow):
        assert torch.equal(a.theta, b.theta) and a.history == b.history


def test_members_freeze_at_target(small):
    """Members reach the target at different steps; each stops exactly where the sequential run stops."""
    cfg = TrainConfig(dtype="float64", max_steps=600, target_loss=0.02, hidden=(16,), lr=1e-2, log_every=25)
    seeds = [0, 1, 2]
    batched = train_many(cfg, seeds, data=small)
    assert len({b.steps for b in batched}) > 1
    for s, b in zip(seeds, batched):
        ref = train(dataclasses.replace(cfg, seed=s), data=small)
        _same(ref, b)
        assert b.reached_target and b.train_loss <= 0.02
        assert b.history["step"][-1] == b.steps and b.history["train_loss"][-1] <= 0.02
        assert all(v > 0.02 for v in b.history["train_loss"][:-1])


def test_stopping_is_at_first_step_below_target(small):
    cfg = TrainConfig(dtype="float64", max_steps=400, target_loss=0.05, hidden=(16,), log_every=1)
    o = train(cfg, data=small)
    full = train(dataclasses.replace(cfg, target_loss=None, max_steps=o.steps + 1), data=small)
    losses = full.history["train_loss"]
    first = next(i for i, v in enumerate(losses) if v <= 0.05)
    assert o.steps == first and o.reached_target
    assert o.history["train_loss"] == pytest.approx(losses[:first + 1], abs=1e-12)


def test_cyclic_checks_target_at_cycle_ends(small):
    cfg = TrainConfig(dtype="float64", max_steps=100, target_loss=1.0, hidden=(16,), batch_size=50,
                      schedule="cyclic", cycle_steps=20, log_every=7)
    o = train(cfg, data=small)
    assert o.reached_target and o.steps % 20 == 0 and o.steps % 7 != 0
    assert len(o.snapshots) == o.steps // 20 and torch.equal(o.snapshots[-1], o.theta)
    assert o.history["step"][-1] == o.steps and o.history["train_loss"][-1] <= 1.0
    _same(o, train_many(cfg, [0], data=small)[0])


def test_optimum_contents(small):
    seen = []
    cfg = TrainConfig(max_steps=50, target_loss=None, hidden=(8,), log_every=20, schedule="cyclic", cycle_steps=20)
    o = train(cfg, data=small, progress=lambda *a: seen.append(a))
    assert [s[0] for s in seen] == [0, 20, 40, 50] and all(s[1] == 50 for s in seen)
    assert o.theta.device.type == "cpu" and o.theta.shape == (64 * 8 + 8 + 8 * 10 + 10,) and o.D == o.theta.numel()
    assert o.history["step"] == [0, 20, 40, 50]
    h = o.history
    assert h["radius"][0] == pytest.approx(o.theta_init.norm().item(), rel=1e-6)
    assert h["dist_from_init"][0] == 0 and h["radial_share"][0] == 0 and h["cos_disp_w"][0] == 0
    assert h["radius"][-1] == pytest.approx(o.theta.norm().item(), rel=1e-5)
    assert h["dist_from_init"][-1] == pytest.approx((o.theta - o.theta_init).norm().item(), rel=1e-5)
    share = (o.theta.norm() - o.theta_init.norm()) / (o.theta - o.theta_init).norm()
    assert h["radial_share"][-1] == pytest.approx(share.item(), abs=1e-5)
    assert all(-1 - 1e-6 <= v <= 1 + 1e-6 for v in h["radial_share"] + h["cos_disp_w"])
    assert len(o.snapshots) == 2 and torch.equal(o.snapshots[-1], o.snapshots[-1])
    assert 0 <= o.train_acc <= 1 and 0 <= o.test_acc <= 1 and math.isfinite(o.test_loss) and o.seconds > 0
    back = pickle.loads(pickle.dumps(o))
    assert torch.equal(back.theta, o.theta) and back.cfg == o.cfg


def test_cyclic_snapshot_is_theta_at_cycle_end(small):
    cfg = TrainConfig(max_steps=40, target_loss=None, hidden=(8,), schedule="cyclic", cycle_steps=20, dtype="float64")
    o = train(cfg, data=small)
    short = train(dataclasses.replace(cfg, max_steps=20), data=small)
    assert len(o.snapshots) == 2 and torch.equal(o.snapshots[1], o.theta)
    assert torch.equal(o.snapshots[0], short.theta)


def test_convex_control_reaches_target():
    ds = load_dataset("gaussians")
    # two 1-D Gaussians overlap: the Bayes error bounds the reachable loss away from 0
    o = train(TrainConfig(model="softmax", dataset="gaussians", lr=0.1, max_steps=300, target_loss=None), data=ds)
    assert 0.25 < o.train_loss < 0.4 and o.train_acc > 0.8


def test_divergence_raises(small):
    cfg = TrainConfig(optimizer="sgd", lr=1e30, momentum=0.0, max_steps=20, target_loss=None, hidden=(8,),
                      activation="relu")
    with pytest.raises(TrainingDiverged, match=r"at step \d+ for seed 0"):
        train(cfg, data=small)
    with pytest.raises(TrainingDiverged, match=r"at step \d+ for seed 4"):
        train_many(dataclasses.replace(cfg, seed=4), [4], data=small)


def test_max_steps_zero_is_rejected_naming_what_is_allowed():
    with pytest.raises(ValueError, match=r"TrainConfig\.max_steps must be a positive integer .*got 0"):
        TrainConfig(max_steps=0)


def test_missed_target_is_returned_but_require_reached_raises_naming_config_seed_steps_loss(small):
    """lr = 1e6 never gets near 1e-3: train/train_many hand back the optimum (reached_target False),
    require_reached turns it into TargetNotReached with configuration, seed, steps and final loss."""
    cfg = TrainConfig(lr=1e6, max_steps=20, target_loss=1e-3, hidden=(8,))
    o = train(cfg, data=small)
    assert not o.reached_target and o.steps == 20 and o.train_loss > 1.0
    with pytest.raises(TargetNotReached, match=r"did not reach the target loss 0\.001") as e:
        require_reached(o)
    msg = str(e.value)
    assert config_hash(cfg) in msg and "lr=1000000.0" in msg and "max_steps = 20" in msg
    assert f"seed 0: final train loss {o.train_loss:.6g} after 20 steps" in msg
    ops = train_many(dataclasses.replace(cfg, seed=3), [3, 5], data=small)
    with pytest.raises(TargetNotReached, match=r"2 of 2 optima") as e:
        require_reached(ops)
    assert "seed 3: final train loss" in str(e.value) and "seed 5: final train loss" in str(e.value)


def test_require_reached_passes_reached_and_budget_runs_through(small):
    ok = train(TrainConfig(dtype="float64", max_steps=400, target_loss=0.5, hidden=(16,)), data=small)
    assert ok.reached_target and require_reached(ok) is ok
    ops = [ok]
    assert require_reached(ops) is ops
    budget = train(TrainConfig(lr=1e6, max_steps=5, target_loss=None, hidden=(8,)), data=small)
    assert not budget.reached_target and require_reached(budget) is budget  # no target: nothing to reach
    with pytest.raises(ValueError, match="optima must be an Optimum or a sequence of Optima"):
        require_reached([ok, "x"])


def test_divergence_in_the_final_loss_raises(small, monkeypatch):
    """A NaN final training loss (checked again when the optimum is assembled) is TrainingDiverged."""
    import landscape_lib.nets.training as T

    real = T.FlatModel.loss
    no_grad_calls = {"n": 0}

    def nan_after_training(self, theta, X, y, *a, **k):
        out = real(self, theta, X, y, *a, **k)
        if torch.is_grad_enabled():
            return out  # the training steps
        no_grad_calls["n"] += 1  # 1: the stopping check after the last update (finite); 2: the final metrics
        return out * float("nan") if no_grad_calls["n"] == 2 else out

    monkeypatch.setattr(T.FlatModel, "loss", nan_after_training)
    with pytest.raises(TrainingDiverged, match=r"loss nan at step \d+ for seed 0"):
        train(TrainConfig(max_steps=3, target_loss=None, hidden=(8,), log_every=100), data=small)
    assert no_grad_calls["n"] == 2


def test_dropout_runs_both_paths(small):
    cfg = TrainConfig(max_steps=30, target_loss=None, hidden=(16,), dropout=0.2, log_every=10)
    a = train(cfg, data=small)
    b = train(cfg, data=small)
    assert torch.equal(a.theta, b.theta)  # seeded masks: reproducible
    m = train_many(cfg, [0, 1], data=small)
    assert m[0].train_loss < a.history["train_loss"][0]


def test_lr_schedules():
    c = TrainConfig(schedule="cyclic", lr=1.0, lr_min=0.1, cycle_steps=4)
    assert [lr_at(c, t) for t in range(4)] == pytest.approx(
        [0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * u)) for u in (0.25, 0.5, 0.75, 1.0)])
    assert lr_at(c, 3) == pytest.approx(0.1) and lr_at(c, 4) == lr_at(c, 0)
    t = dataclasses.replace(c, cycle_shape="triangular")
    assert [lr_at(t, s) for s in range(4)] == pytest.approx([0.55, 1.0, 0.55, 0.1])
    assert lr_at(TrainConfig(lr=0.3), 17) == 0.3


def test_config_hash():
    a = TrainConfig()
    assert config_hash(a) == config_hash(TrainConfig()) and len(config_hash(a)) == 16
    assert config_hash(a) != config_hash(dataclasses.replace(a, lr=0.02))
    assert config_hash(a) != config_hash(dataclasses.replace(a, seed=1))
    assert config_hash(a) == config_hash(dataclasses.replace(a, device="cuda", data_root="/x"))
    assert TrainConfig(hidden=[32]) == a and config_hash(TrainConfig(hidden=[32])) == config_hash(a)
    assert isinstance(TRAIN_CODE_VERSION, str) and TRAIN_CODE_VERSION


@pytest.mark.parametrize("field, value", [
    ("model", "resnet"), ("dataset", "imagenet"), ("hidden", (0,)), ("hidden", 32), ("activation", "gelu"),
    ("width", 0), ("dropout", 1.0), ("batch_norm", "yes"), ("optimizer", "rmsprop"), ("lr", 0), ("lr", float("nan")),
    ("momentum", 1.0), ("betas", (0.9,)), ("eps", 0), ("schedule", "step"), ("lr_min", 1.0), ("cycle_steps", 0),
    ("cycle_shape", "saw"), ("batch_size", 0), ("max_steps", -1), ("max_steps", 0), ("max_steps", 1.5), ("target_loss", 0),
    ("l2", -1), ("seed", -1), ("seed", True), ("data_seed", 0.5), ("dtype", "float16"), ("device", "tpu"),
    ("log_every", 0), ("data_root", 3),
])
def test_config_validation(field, value):
    with pytest.raises(ValueError, match=rf"TrainConfig\.{field} must be"):
        TrainConfig(**{field: value})


def test_bad_calls(small):
    with pytest.raises(ValueError, match="seeds must be a non-empty list"):
        train_many(TrainConfig(), [], data=small)
    with pytest.raises(ValueError, match="seeds must be a non-empty list"):
        train_many(TrainConfig(), [1, -2], data=small)
    with pytest.raises(ValueError, match="cfg must be a TrainConfig"):
        train({"lr": 1})
    with pytest.raises(ValueError, match="progress must be None or a callable"):
        train(TrainConfig(max_steps=1), progress=3, data=small)


def test_bench_quick_runs():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_train.py"), "--quick"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "K=1" in out.stdout and "K=4" in out.stdout and "K=8" in out.stdout and "ratio" in out.stdout


def test_dataset_for_caches_and_casts(small):
    from landscape_lib.nets.training import dataset_for

    cfg = TrainConfig(dataset="gaussians", dtype="float64")
    a, b = dataset_for(cfg), dataset_for(cfg)
    assert a is b and a.X_train.dtype == torch.float64 and a.y_train.dtype == torch.int64
    assert dataset_for(cfg, small).X_train.dtype == torch.float64
    with pytest.raises(ValueError, match="data must be a landscape_lib.nets.data.Dataset"):
        dataset_for(cfg, (1, 2))

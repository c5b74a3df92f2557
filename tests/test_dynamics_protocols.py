"""Helpers of the width, isotropy and SWA protocols (C14, C11 on networks, C16): exact answers at toy sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from landscape_lib import stats
from landscape_lib.protocols import isotropy, swa, width
from landscape_lib.nets.config import TrainConfig
from landscape_lib.verdicts.cases import swa as swa_cases
from landscape_lib.verdicts.cases import width as width_cases


# -- spearman_trend --------------------------------------------------------------------------------
def test_spearman_perfect_separation_with_tied_design():
    # 4 values x 3 seeds, widths strictly increasing across values: rho = sqrt(135/143) (ties in x only)
    W = np.arange(12, dtype=float).reshape(4, 3)
    r = stats.spearman_trend([1, 2, 3, 4], W, sign=1, n_resamples=999)
    assert r["rho"] == pytest.approx(math.sqrt(135 / 143), abs=1e-12)
    assert r["signed"] == r["rho"] and r["n_runs"] == 12
    lo, hi = r["ci"]
    # resampling within values keeps the order between values: every resample is at least as correlated
    assert lo == pytest.approx(r["rho"], abs=1e-12) and r["rho"] <= hi <= 1.0
    neg = stats.spearman_trend([1, 2, 3, 4], W, sign=-1, n_resamples=999)
    assert neg["signed"] == pytest.approx(-r["rho"]) and neg["ci"] == pytest.approx([-hi, -lo])


def test_spearman_interval_matches_unvectorized_reference():
    from scipy.stats import bootstrap, spearmanr

    rng = np.random.default_rng(3)
    x = np.array([0.1, 0.2, 0.4, 0.8])
    W = rng.normal(size=(4, 3)) + 0.5 * np.arange(4)[:, None]
    got = stats.spearman_trend(x, W, sign=-1, n_resamples=499, seed=7)
    xs = np.repeat(x, 3)
    ref = bootstrap(tuple(W), lambda *g: -spearmanr(xs, np.concatenate(g)).statistic, vectorized=False,
                    paired=False, n_resamples=499, method="percentile", random_state=7)
    assert got["signed"] == pytest.approx(-spearmanr(xs, W.ravel()).statistic, abs=1e-12)
    lo, hi = float(ref.confidence_interval.low), float(ref.confidence_interval.high)
    assert got["ci"] == pytest.approx([min(lo, got["signed"]), max(hi, got["signed"])], abs=1e-12)


def test_spearman_constant_within_values_has_a_point_interval():
    W = np.array([[1.0, 1.0], [3.0, 3.0], [2.0, 2.0]])
    r = stats.spearman_trend([1, 2, 3], W)
    assert r["ci"] == [r["signed"], r["signed"]]


@pytest.mark.parametrize("values, widths, sign", [([1, 2], [[1.0], [2.0], [3.0]], 1), ([1], [[1.0]], 1),
                                                  ([1, 2], [[1.0], [math.inf]], 1), ([1, 2], [[1.0], [2.0]], 0)])
def test_spearman_rejects_bad_input(values, widths, sign):
    with pytest.raises(ValueError):
        stats.spearman_trend(values, widths, sign)


# -- sweep_config ----------------------------------------------------------------------------------
def test_sweep_config_budget_is_epochs_and_loss_matched_is_a_target():
    base = TrainConfig(model="mlp", dataset="digits", batch_size=None, target_loss=1e-3, max_steps=5000)
    c = width.sweep_config(base, "batch_size", 256, "budget", n_train=1347)
    assert (c.batch_size, c.max_steps, c.target_loss) == (256, width.C14_EPOCHS * 6, None)
    c = width.sweep_config(base, "lr", 3e-3, "budget", n_train=1347)
    assert (c.batch_size, c.lr, c.max_steps) == (width.C14_BATCH, 3e-3, width.C14_EPOCHS * 22)
    c = width.sweep_config(base, "l2", 1e-4, "loss-matched", n_train=1347)
    assert (c.l2, c.target_loss, c.max_steps) == (1e-4, width.C14_MATCHED_LOSS, width.C14_MATCHED_MAX_STEPS)
    with pytest.raises(ValueError):
        width.sweep_config(base, "momentum", 0.5, "budget", 1347)
    with pytest.raises(ValueError):
        width.sweep_config(base, "lr", 0.1, "converged", 1347)


def test_declared_sweeps_meet_the_issue_minimum():
    for hp, (sign, values, too_strong) in width_cases.C14_SWEEPS.items():
        assert len(values) >= 4 and sign in (1, -1) and hp in width.HYPERPARAMETERS
        assert all(t > max(values) for t in too_strong)
    assert len(width_cases.SEEDS3[0]) >= 3 and swa.C16_SCAN_OPTIMUM not in swa_cases.C16_SEEDS


# -- max_lr_window ---------------------------------------------------------------------------------
def test_max_lr_window_takes_the_contiguous_stable_range():
    scan = [(1.0, 0.5), (0.01, 1.0), (0.1, 0.99), (3.0, None)]
    assert swa.max_lr_window(scan) == (0.01, 0.1)
    # a stable value above an unstable one does not extend the window
    assert swa.max_lr_window([(0.01, 1.0), (0.1, 0.9), (1.0, 1.0)]) == (0.01, 0.01)
    assert swa.max_lr_window([(0.01, 1.0), (0.1, 1 - swa.C16_STABLE_DROP)]) == (0.01, 0.1)
    with pytest.raises(swa.SnapshotsDegraded, match="no stable max learning rate"):
        swa.max_lr_window([(0.01, None), (0.1, 1.0)])
    with pytest.raises(ValueError):
        swa.max_lr_window([])


def test_stability_is_judged_against_the_start_optimum_s_own_accuracy():
    assert swa.stable_accuracy(1.0) == pytest.approx(0.95)  # D11's 0.95 from an optimum at 100%
    floor = swa.stable_accuracy(0.90)
    assert floor == pytest.approx(0.85)
    # a step-budget optimum at 0.90 whose snapshots keep 0.92 is stable; one that falls to 0.80 is not
    assert swa.max_lr_window([(0.01, 0.92), (0.1, 0.86), (1.0, 0.80)], floor) == (0.01, 0.1)
    with pytest.raises(swa.SnapshotsDegraded, match=r"< 0.85 \(the start optimum's training accuracy - 0.05\)"):
        swa.max_lr_window([(0.01, 0.80)], floor)
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="start_acc must be a training accuracy in"):
            swa.stable_accuracy(bad)


# -- quadratic_null --------------------------------------------------------------------------------
def test_quadratic_null_along_top_axes_is_half_the_top_curvatures():
    from landscape_lib.geometry.toy import QuadraticWell

    lam = torch.sort(QuadraticWell(20, seed=0).lam, descending=True).values[:5]
    m = isotropy.quadratic_null(20, 0, off=False, distance=0.1, n_dirs=5, top=True)
    inc = 0.5 * lam
    assert m["cv_null"] == pytest.approx(float(inc.std() / inc.mean()), rel=1e-12)
    assert m["min_increase_null"] == pytest.approx(float(inc.min()), rel=1e-12)
    assert m["a_null"] == 1.0


def test_quadratic_null_is_round_when_the_spectrum_is_flat(monkeypatch):
    from landscape_lib.geometry import toy

    orig = toy.QuadraticWell.__init__

    def flat(self, D, seed=0, lo=1e-2, hi=1.0):
        orig(self, D, seed=seed, lo=0.5, hi=0.5)

    monkeypatch.setattr(toy.QuadraticWell, "__init__", flat)
    m = isotropy.quadratic_null(50, 1, off=False, distance=0.1, n_dirs=64)
    assert m["cv_null"] == pytest.approx(0.0, abs=1e-12)  # 1/2 * 0.5 * |u|^2 = 0.25 for every unit u
    assert m["min_increase_null"] == pytest.approx(0.25, rel=1e-12)


# -- swa_metrics -----------------------------------------------------------------------------------
def _linear_problem():
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([0, 1, 0])

    def logits(T, which="train"):
        z = T @ X.T  # (K, N): logit of class 0; class 1 has logit 0
        return torch.stack([z, torch.zeros_like(z)], dim=-1)

    def loss(T):
        return torch.nn.functional.cross_entropy(logits(T).reshape(-1, 2), y.repeat(len(T)),
                                                 reduction="none").view(len(T), -1).mean(1)

    return loss, logits, y


def test_swa_metrics_on_a_convex_model():
    loss, logits, y = _linear_problem()
    S = torch.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]], dtype=torch.float64)
    avg = S.mean(0)
    m = swa.swa_metrics(loss, lambda T, which: logits(T, which), y, y, S, avg, torch.zeros(2, dtype=torch.float64), 2)
    assert m["barrier"] == 0.0 and m["barrier_max"] == 0.0 and m["barrier_over_chance"] == 0.0  # convex: no wall
    assert m["swa_ratio"] <= 1.0  # Jensen
    assert m["swa_ratio"] == pytest.approx(float(loss(avg[None])[0]) / float(loss(S).mean()), rel=1e-12)
    assert m["travel"] == pytest.approx(5.0) and m["from_start"] == pytest.approx(10.0)
    assert m["travel_angular"] == pytest.approx((5 / 5 + 5 / 10) / 2)
    # the ensemble's test loss is the CE of the mean probability; its advantage over the average's
    p = torch.softmax(logits(S), -1).mean(0)
    assert m["test_ensemble_loss"] == pytest.approx(float(-torch.log(p[torch.arange(3), y]).mean()), rel=1e-12)
    assert m["ensemble_advantage"] == pytest.approx(m["test_swa_loss"] - m["test_ensemble_loss"], rel=1e-12)


def test_swa_metrics_sees_a_wall_between_two_wells():
    # a double well 1 - cos: snapshots at neighbouring minima, their average on the crest
    def loss(T):
        return (1.5 - torch.cos(T)).sum(-1)

    def logits(T, which):
        return torch.zeros(len(T), 1, 2, dtype=T.dtype)

    y = torch.tensor([0])
    S = torch.tensor([[0.0], [2 * math.pi]], dtype=torch.float64)
    m = swa.swa_metrics(loss, logits, y, y, S, S.mean(0), S[0], 2)
    assert m["swa_loss"] == pytest.approx(2.5) and m["swa_ratio"] == pytest.approx(5.0)
    assert m["barrier"] == pytest.approx(2.0, abs=1e-12)  # the crest at t = 1/2, above the ends' 0.5
    assert m["barrier_over_chance"] == pytest.approx(2.0 / math.log(2))


def test_high_arm_steps_down_to_the_sample_s_largest_stable_max_lr(monkeypatch):
    win = {"lr_low": 0.01, "lr_high": 2.0, "scan_lr": [0.01, 0.1, 1.0, 1.5, 2.0, 3.0]}

    def arm(lab, label, i, lr):
        if lr > 1.2:
            raise swa.SnapshotsDegraded(f"degraded at {lr}")
        return {"lr": lr}

    monkeypatch.setattr(swa, "_arm", arm)
    lr, got, degraded = swa.high_arm(None, "mlp-digits", 0, win)
    assert (lr, got, degraded) == (1.0, {"lr": 1.0}, [2.0, 1.5])
    monkeypatch.setattr(swa, "_arm", lambda *a: (_ for _ in ()).throw(swa.SnapshotsDegraded("x")))
    assert swa.high_arm(None, "mlp-digits", 0, win) == (None, None, [2.0, 1.5, 1.0, 0.1])

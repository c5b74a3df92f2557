"""The planted models of the positive controls of C12, C13, C14 and C16: each has exactly the planted property,
checked against closed forms at toy sizes."""

from __future__ import annotations

import math

import pytest
import torch

from landscape_lib.geometry.toy import WedgeLandscape, random_points
from landscape_lib.protocols import radial as rd
from landscape_lib.protocols import swa, width


# -- C12: every update at the planted angle from the init -------------------------------------------------------
def test_planted_direction_is_a_unit_vector_at_the_planted_angle():
    P0 = random_points(200, 1, seed=3)[0]
    for angle in (0.0, 30.0, 45.0, 90.0):
        t = rd.planted_radial_direction(P0, angle, seed=3)
        assert float(t.norm()) == pytest.approx(1.0, abs=1e-12)
        assert float(torch.dot(t, P0) / P0.norm()) == pytest.approx(math.cos(math.radians(angle)), abs=1e-12)


def test_half_radial_run_moves_along_the_planted_direction_only():
    # GD on softplus(-<P, t>) adds multiples of t: the displacement from the init is parallel to t
    P0 = random_points(100, 1, seed=12_000)[0] / 10.0
    t = rd.planted_radial_direction(P0, 45.0, seed=0)
    P, hist = rd._train_margin(P0, lambda P: (torch.dot(P, t), t), lr=1.0)
    disp = P - P0
    assert float(torch.dot(disp, t) / disp.norm()) == pytest.approx(1.0, abs=1e-12)
    assert float(torch.nn.functional.softplus(-torch.dot(P, t))) <= rd.PLANTED_TARGET_LOSS
    assert hist["dist_from_init"][-1] == pytest.approx(float(disp.norm()), rel=1e-12)


def test_radial_share_at_the_start_of_a_half_radial_run_is_cos45():
    # a displacement s t with s << |P0|: norm-change share (|P0 + s t| - |P0|) / s -> cos(45 deg)
    P0 = random_points(200, 1, seed=1)[0]
    t = rd.planted_radial_direction(P0, 45.0, seed=1)
    eps = 1e-6 * float(P0.norm())
    share = (float((P0 + eps * t).norm()) - float(P0.norm())) / eps
    assert share == pytest.approx(math.sqrt(0.5), abs=1e-6)


# -- C13: the cone margin and the cosine metric -------------------------------------------------------------------
def test_cone_margin_matches_autograd_and_is_the_radius_on_a_wedge():
    land = WedgeLandscape(12, 9)
    P = random_points(12, 1, seed=5)[0]
    m, g = rd.cone_margin(land)(P)
    X = P.clone().requires_grad_(True)
    ref = X.norm() - land.loss(X)
    (gref,) = torch.autograd.grad(ref, X)
    assert float(m) == pytest.approx(float(ref.detach()), rel=1e-12)
    assert torch.allclose(g, gref, atol=1e-12)
    W = land.nearest_point(P)
    mw, _ = rd.cone_margin(land)(W)
    assert float(mw) == pytest.approx(float(W.norm()), rel=1e-12)


def test_optima_cosines_of_orthogonal_optima_are_zero():
    E = torch.eye(4, dtype=torch.float64)
    s = rd.optima_cosines([3 * E[0], 2 * E[1], E[2]], [E[0], E[1], E[2]])
    assert s.metrics["max_abs_cos"] == 0.0 and s.metrics["displacement_max_abs_cos"] == 0.0
    assert s.metrics["pairs"] == 3 and s.nulls["max_abs_cos_null_init"] == 0.0
    same = rd.optima_cosines([E[0], 2 * E[0]], [E[1], E[2]])
    assert same.metrics["max_abs_cos"] == pytest.approx(1.0)


# -- C14: the tunnel's width and where GD ends ---------------------------------------------------------------------
def test_widening_tunnel_reaches_the_high_loss_level_at_its_width():
    land = width.WideningTunnel(D=6)
    for phi in (0.0, 0.7):
        w = land.w0 * math.exp(phi)
        P = torch.tensor([math.cos(phi), math.sin(phi), w, 0.0, 0.0, 0.0], dtype=torch.float64)
        assert float(land.width(P)) == pytest.approx(w, rel=1e-12)
        assert float(land.loss(P)) == pytest.approx(land.high_loss, rel=1e-12)


def test_gradient_descent_ends_where_the_tunnel_is_just_stable():
    land = width.WideningTunnel()
    lrs = (1e-3, 1e-2)
    P = land.train(lrs, (0,))
    for lr, p in zip(lrs, P):
        assert float(land.width(p)) == pytest.approx(land.stable_width(lr), rel=0.03)
        assert float(p.norm()) == pytest.approx(1.0, abs=1e-3)
        assert lr * land.h / float(land.width(p)) ** 2 <= 2.0  # stable where it ends


def test_toy_width_sweep_only_sweeps_the_learning_rate():
    with pytest.raises(ValueError):
        width.toy_width_sweep(None, "toy", (0, 1), hyperparameter="batch_size", values=(32, 64))


# -- C16: the planted classifier's losses ----------------------------------------------------------------------------
def test_wedge_classifier_is_at_target_on_a_wedge_and_at_chance_at_the_init():
    m = swa.WedgeClassifier(0, spread=0.0)  # no shifts: every example sees the toy landscape itself
    assert float(m.train_losses(m.start.unsqueeze(0))[0]) == pytest.approx(1e-3, rel=1e-9)
    assert float(m.train_losses(m.P0.unsqueeze(0))[0]) == pytest.approx(math.log(10), rel=1e-9)
    logits = m.logits(m.start.unsqueeze(0), "test")
    assert logits.shape == (1, len(m.y["test"]), 10)
    assert float(m.accuracy(m.start.unsqueeze(0))[0]) == 1.0


def test_wedge_changes_counts_consecutive_snapshots_on_different_wedges():
    m = swa.WedgeClassifier(0, D=4, n=2)
    S = torch.tensor([[1.0, 2.0, 0.0, 0.0], [1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0], [0.0, 2.0, 1.0, 0.0]],
                     dtype=torch.float64)
    assert m.wedge_changes(S) == 2

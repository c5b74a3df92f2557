"""The toy side of the controls and nulls: the generalized landscape (C17), the null landscapes (C8/C10/C11 controls and null),
the squared-loss Adam of the C2 primary, the same-basin pairs, the batched m-connectors, the midpoint tunnel.
Exact answers at toy sizes."""

import itertools

import pytest
import torch

from landscape_lib.geometry import connectors as cn
from landscape_lib.geometry.subspace import MinimizeConfig, minimize, random_basis, toy_exact_minimize
from landscape_lib.geometry.toy import (CosineLandscape, QuadraticWell, SubspaceLandscape, WedgeLandscape,
                                        random_points)
from landscape_lib.protocols import endpoints as ep
from landscape_lib.protocols import isotropy as iso
from landscape_lib.protocols import m_connectors as mc_
from landscape_lib.protocols import short_direction_counts as sd
from landscape_lib.protocols import toy_landscape as tl
from landscape_lib.protocols import tunnels as tn
from landscape_lib.types import Sample
from landscape_lib.verdicts.cases.toy_landscape import C17_CHECKS


def _coordinate_bases(D, n):
    out = []
    for T in itertools.combinations(range(D), n):
        B = torch.zeros(n, D, dtype=torch.float64)
        B[range(n), list(T)] = 1.0
        out.append(B)
    return torch.stack(out)


# -- SubspaceLandscape ----------------------------------------------------------------------------
def test_subspace_distance_equals_brute_force_least_squares():
    land = SubspaceLandscape(10, 6, 8, seed=0)
    P = random_points(10, 50, seed=2) * torch.logspace(-2, 2, 50, dtype=torch.float64).unsqueeze(1)
    assert torch.allclose(land.loss(P), land.brute_force_loss(P), rtol=1e-10, atol=1e-12)
    assert torch.allclose(land.loss(P), (P - land.nearest_point(P)).norm(dim=-1), rtol=1e-10, atol=1e-12)


def test_subspaces_of_all_coordinate_tuples_are_the_wedge_landscape():
    D, n = 6, 3
    land = SubspaceLandscape(D, n, None, bases=_coordinate_bases(D, n))
    P = random_points(D, 40, seed=1)
    assert land.K == 20
    assert torch.allclose(land.loss(P), WedgeLandscape(D, n).loss(P), atol=1e-12)


def test_subspace_frames_are_not_orthogonal_and_normals_are_orthonormal():
    land = SubspaceLandscape(12, 8, 3, seed=4)
    N = land.normals
    assert N.shape == (3, 4, 12)
    assert torch.allclose(N @ N.transpose(1, 2), torch.eye(4, dtype=torch.float64).expand(3, 4, 4), atol=1e-12)
    assert torch.allclose(N @ land.bases.transpose(1, 2), torch.zeros(3, 4, 8, dtype=torch.float64), atol=1e-10)
    # principal angles between two subspaces are neither 0 nor 90 degrees everywhere: not mutually orthogonal
    Q0, Q1 = (torch.linalg.qr(b.T).Q for b in land.bases[:2])
    s = torch.linalg.svdvals(Q0.T @ Q1)
    assert (s < 1 - 1e-6).any() and (s > 1e-6).any()


def test_subspace_descend_and_gradient():
    land = SubspaceLandscape(20, 14, 10, seed=3)
    P = random_points(20, 1, seed=5)[0]
    Q = land.descend(P, 1e-3)
    assert float(land.loss(Q)) == pytest.approx(1e-3 * float(land.loss(P)), rel=1e-9)
    assert int(land.nearest_index(Q)) == int(land.nearest_index(P))
    X = random_points(20, 7, seed=6).requires_grad_(True)
    L, g = land.squared_loss_and_grad(X.detach())
    land.squared_loss(X).sum().backward()
    assert torch.allclose(L, land.squared_loss(X.detach()))
    assert torch.allclose(g, X.grad, atol=1e-12)
    with pytest.raises(ValueError, match="bases must have shape"):
        SubspaceLandscape(5, 2, None, bases=torch.zeros(3, 2, 4))
    with pytest.raises(ValueError, match="K \\(number of subspaces\\)"):
        SubspaceLandscape(5, 2, 0)


def test_subspace_exact_minimize_has_the_threshold_at_D_minus_n():
    land = SubspaceLandscape(30, 22, 16, seed=0)
    P0 = random_points(30, 1, seed=9)[0]
    start = float(land.loss(P0))
    assert land.exact_minimize(P0, random_basis(8, 30, seed=1))[1] <= 1e-10 * start
    assert land.exact_minimize(P0, random_basis(7, 30, seed=1))[1] >= 1e-4 * start


def test_subspace_exact_minimize_agrees_with_the_toy_solver_on_coordinate_subspaces():
    D, n = 8, 5
    sub, wedge = SubspaceLandscape(D, n, None, bases=_coordinate_bases(D, n)), WedgeLandscape(D, n)
    P0 = random_points(D, 1, seed=3)[0]
    for d in (2, 3, 4):
        M = random_basis(d, D, seed=d)
        assert sub.exact_minimize(P0, M)[1] == pytest.approx(toy_exact_minimize(wedge, P0, M)[1], abs=1e-12)


def test_landscape_streams_do_not_share_the_experiments_seed():
    # with the experiment's seed, the first init would lie in subspace 0 / along wave vector 0
    land = SubspaceLandscape(30, 20, 4, seed=0)
    I = random_points(30, 2, seed=0)
    assert float(land.loss(I).min()) > 0.1 * float(I.norm(dim=-1).min())
    cos = CosineLandscape(30, seed=0)
    c = (cos.W @ I[0]).abs().max() / (cos.W.norm(dim=1).max() * I[0].norm())
    assert float(c) < 0.9


# -- null landscapes --------------------------------------------------------------------------------
def test_quadratic_well_flow_reaches_its_target():
    q = QuadraticWell(50, seed=1)
    assert float(q.lam.min()) >= 1e-2 - 1e-12 and float(q.lam.max()) <= 1.0 + 1e-12
    I = random_points(50, 1, seed=0)[0]
    P0 = q.descend(I, 0.1)
    assert float(q.loss(P0)) == pytest.approx(0.1 * float(q.loss(I)), rel=1e-8)
    with pytest.raises(ValueError, match="target must be in"):
        q.descend(I, 0.0)


def test_cosine_hessian_is_exact_and_minima_are_minima():
    land = CosineLandscape(8, seed=2)
    P = random_points(8, 1, seed=0)[0]
    assert torch.allclose(land.hessian(P), torch.func.hessian(land.loss)(P), atol=1e-12)
    I = random_points(8, 2, seed=1).requires_grad_(True)
    land.loss(I).sum().backward()
    X = land.minima(I.detach(), steps=1500).requires_grad_(True)
    land.loss(X).sum().backward()
    assert (X.grad.norm(dim=1) < 0.1 * I.grad.norm(dim=1)).all()
    assert (land.loss(X.detach()) < land.loss(I.detach())).all()


# -- C2 primary: Adam on the squared loss ------------------------------------------------------------
def test_squared_loss_gradient_matches_autograd_aligned_and_rotated():
    for land in (WedgeLandscape(12, 8), WedgeLandscape(12, 8, rotation="random", seed=3)):
        X = random_points(12, 5, seed=1).requires_grad_(True)
        L, g = land.squared_loss_and_grad(X.detach())
        land.squared_loss(X).sum().backward()
        assert torch.allclose(L, land.squared_loss(X.detach()))
        assert torch.allclose(g, X.grad, atol=1e-12)


def test_batched_adam_is_torch_adam_with_the_cosine_schedule():
    land = WedgeLandscape(30, 20)
    P0 = random_points(30, 1, seed=3)[0]
    M = torch.stack([torch.cat([random_basis(d, 30, seed=d), torch.zeros(12 - d, 30, dtype=torch.float64)])
                     for d in (8, 10, 12)])
    cfg = MinimizeConfig(steps=300, lr=3e-2)
    ours = tl.adam_on_hyperplanes(land.squared_loss_and_grad, P0, M, cfg)
    _, ref = minimize(land.squared_loss, P0.expand(3, 30), M, cfg)
    assert torch.allclose(ours, ref, rtol=1e-9, atol=1e-18)


def test_squared_loss_adam_reaches_the_declared_level_exactly_from_D_minus_n():
    land = WedgeLandscape(30, 24)  # s = 6
    r = tl.hyperplane_threshold_adam(land, seed=100).metrics
    assert r["success_level"] == tl.ADAM_SQ_LEVEL == 1e-8
    assert r["worst_sq_ratio_at_D_minus_n"] <= tl.ADAM_SQ_LEVEL
    assert r["best_sq_ratio_below"] > tl.ADAM_SQ_LEVEL
    assert r["d_lim"] == 6 and r["d_lim_minus_D_minus_n"] == 0 and r["window_mismatches"] == 0
    assert tl.threshold_grid(30, 6) == [1, 3, 4, 5, 6, 7, 8, 9, 30]


def test_c2_control_without_wedges_needs_the_full_space():
    r = tl.hyperplane_threshold_adam(WedgeLandscape(30, 0), seed=100, s=6).metrics
    assert r["d_lim"] == 30 and r["d_lim_minus_D_minus_n"] == 24 and r["window_mismatches"] == 4


# -- same-basin pairs, midpoint tunnel, batched connectors -------------------------------------------
def test_same_basin_points_share_the_wedge_and_the_loss():
    land = WedgeLandscape(60, 48)
    O = ep.pair_optima(land, 4, seed=0, pair="same-basin")
    L = land.loss(O)
    assert torch.allclose(L, L[0].expand(4), rtol=1e-9)
    assert all(torch.equal(land.long_axes(O[0]), land.long_axes(o)) for o in O[1:])
    moved = (O[1:] - O[0]).norm(dim=1) / O[0].norm()
    assert float(moved.max()) <= 1.01 * ep.PERTURBATION and float(moved.min()) > 0.1 * ep.PERTURBATION
    with pytest.raises(ValueError, match="pair must be"):
        ep.pair_optima(land, 2, 0, pair="twins")


def test_midpoint_tunnel_has_one_node_and_no_halves():
    s = tn.tunnel_experiment(WedgeLandscape(40, 30), 0, path="midpoint", steps=100)
    assert len(s.arrays["cos"]) == 1
    assert "within_min" not in s.metrics and "across_abs" not in s.metrics
    assert s.metrics["tunnel_ratio"] > 0 and s.metrics["drift"] < 1e-10


def test_batched_connector_middles_are_the_m_connector_algorithm():
    land = CosineLandscape(20, seed=1)  # smooth: the batched and sequential runs agree to round-off
    O = land.minima(random_points(20, 4, seed=2), steps=500)
    mids, losses = mc_.connector_middles(land.loss, O, 3, steps=200)
    for m in (1, 2, 3):
        mc = cn.m_connector(land.loss, O[: m + 1], cn.ConnectorConfig(steps=200, lr=1e-2))
        assert torch.allclose(mids[m - 1], mc.middle, atol=1e-9)
        assert losses[m - 1] == pytest.approx(mc.middle_loss, rel=1e-9)


def test_smooth_controls_report_the_decided_metrics():
    land = CosineLandscape(16, seed=0)
    s = sd.smooth_tunnel_counts(land, 0)
    assert {"mid_excess_over_noise", "count_noise", "threshold"} <= set(s.metrics) and s.metrics["count_noise"] == 0
    assert len(s.arrays["counts"]) == 5


# -- C11 null, C17 comparison -------------------------------------------------------------------------
def test_isotropy_reports_its_null_and_probes_independently_of_the_init():
    s = iso.isotropy(WedgeLandscape(200, 180), seed=0)
    assert s.metrics["cv_minus_null"] == pytest.approx(s.metrics["cv"] - s.nulls["cv_null"])
    assert {"cv_null", "min_increase_null"} <= set(s.nulls)
    from landscape_lib.geometry.probes import random_unit_directions

    I = random_points(200, 1, seed=0)[0]
    V = random_unit_directions(4, 200, seed=iso.PROBE_SEED_OFFSET)
    assert float((V @ I / I.norm()).abs().max()) < 0.5


def test_compare_verdicts_counts_changes():
    ok = {"d_lim_minus_D_minus_n": 0, "window_mismatches": 0, "redraw_spread_below": 1.0, "wall_ratio": 100.0,
          "tunnel_ratio": 1.0, "wall_fraction": 0.01, "within_min": 0.9, "across_abs": 0.01, "cv": 0.05,
          "min_increase": 0.1, "cv_minus_null": -0.5}
    good, bad = Sample(ok), Sample({**ok, "wall_ratio": 1.0})
    names = tl.C17_EXPERIMENTS
    same = tl.compare_verdicts({k: good for k in names}, {k: good for k in names}, C17_CHECKS)
    assert same["verdict_changes"] == 0 and same["compared"] == 5
    diff = tl.compare_verdicts({k: good for k in names}, {k: bad for k in names}, C17_CHECKS)
    assert diff["verdict_changes"] == 1 and diff["verdicts"]["C4"] == "holds / refuted"
    nan = Sample({**ok, "cv": float("nan")})
    assert tl.point_verdict(C17_CHECKS["C11"], nan) == "error"
    assert tl.point_verdict(C17_CHECKS["C11"], Sample(not_measurable="why")) == "inconclusive"
    with pytest.raises(ValueError, match="missing"):
        tl.compare_verdicts({k: good for k in names}, {k: good for k in names}, {})

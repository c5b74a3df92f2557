"""Positive controls of the toy-model claims (C1, C2, C9, C11, C17): the planted constructs have exactly the planted
property, at toy sizes, and each positive case is declared as the claim's primary measurement (same checks, same
statistic, same number of samples)."""

import pytest
import torch

from landscape_lib.geometry.subspace import random_basis
from landscape_lib.geometry.toy import WedgeLandscape, random_points
from landscape_lib.protocols import m_connectors as mc
from landscape_lib.protocols import toy_landscape as tl
from landscape_lib.protocols.endpoints import toy_optima
from landscape_lib.protocols.tunnels import PathConfig
from landscape_lib.types import Role
from landscape_lib.verdicts.cases import isotropy, m_connectors, toy_landscape


@pytest.mark.parametrize("D,n", [(6, 3), (10, 7), (12, 6), (12, 0), (12, 12), (5, 1)])
def test_planted_points_sit_at_their_planted_distance(D, n):
    """The closed-form r is the brute-force distance to the nearest n-wedge, and the planted wedge is the nearest."""
    Q, r = tl.planted_points(D, n, 40, seed=D + n)
    land = WedgeLandscape(D, n)
    scale = Q.norm(dim=-1)
    assert torch.all((land.brute_force_loss(Q) - r).abs() <= 1e-13 * scale)
    assert torch.all((land.loss(Q) - r).abs() <= 1e-13 * scale)
    if n == D:
        assert torch.all(r == 0)
    if n == 0:
        assert torch.allclose(r, scale, rtol=1e-13)
    assert float(scale.max() / scale.min()) > 1e4  # spread over decades of norm, as the primary's points


def test_planted_wedge_distance_holds_and_rotates():
    for rotation in (None, "random"):
        m = tl.wedge_distance(None, "toy", (10, 7, 1), rotation=rotation, planted=True).metrics
        assert max(m.values()) <= 1e-13


@pytest.mark.parametrize("D,n", [(20, 12), (9, 4)])
def test_single_wedge_is_the_distance_to_the_first_n_axes(D, n):
    land = tl.SingleWedge(D, n)
    P = random_points(D, 5, seed=1).requires_grad_(True)
    assert torch.allclose(land.loss(P), P[:, n:].norm(dim=-1))
    sq, g = land.squared_loss_and_grad(P.detach())
    land.squared_loss(P).sum().backward()
    assert torch.allclose(g, P.grad) and torch.allclose(sq, land.squared_loss(P.detach()))
    P0 = random_points(D, 1, seed=2)[0]
    for d in range(1, D + 1):
        _, val = land.exact_minimize(P0, random_basis(d, D, seed=d))
        assert (val <= 1e-10 * float(land.loss(P0))) == (d >= D - n)


def test_single_wedge_threshold_is_exactly_D_minus_n():
    """With the exact (least-squares) solver the measured threshold is D - n on every seed."""
    for seed in range(3):
        m = tl.hyperplane_dimension(None, "toy", seed, 20, 12, solver="exact", landscape="single-wedge").metrics
        assert m["d_lim_minus_D_minus_n"] == 0 and m["window_mismatches"] == 0
    with pytest.raises(ValueError, match="landscape must be one of"):
        tl.hyperplane_dimension(None, "toy", 0, 20, 12, landscape="plane")


def test_connector_metrics_exact_on_a_quadratic():
    """L(X) = |X|^2, optima e_1, e_2, e_3: the centroid (1/3, 1/3, 1/3) has loss 1/3; the connector's points move
    along (1, 1, 1) only, every piece is convex so its highest loss is at the optimum (1): connector_ratio = 1,
    centroid_fraction = 1 / (1/3) = 3, whatever the optimizer reached inside."""
    O = torch.eye(3, dtype=torch.float64)
    meas, con = mc.connector_metrics(lambda X: X.square().sum(-1), O, "budget", PathConfig(steps=200), "star")
    assert meas.nulls["centroid_loss"] == pytest.approx(1 / 3, rel=1e-12)
    assert meas.metrics["connector_ratio"] == pytest.approx(1.0, rel=1e-12)
    assert meas.metrics["centroid_fraction"] == pytest.approx(3.0, rel=1e-12)
    assert con.middle_loss < 1e-3 and meas.metrics["drift"] < 1e-12


def test_intersection_connector_stays_at_the_optima_loss():
    """Pieces from each optimum to a point on every optimum's wedge: L <= max(L(o_i)) along them (convexity)."""
    land = WedgeLandscape(20, 16)
    O = toy_optima(land, 3, seed=4)
    X, worst = mc.intersection_connector(land, O)
    assert float(land.loss(X)) == 0.0
    assert worst <= float(land.loss(O).max()) * (1 + 1e-12)
    s = mc.toy_m_connector(None, "toy", 4, 20, 16, 2)
    assert s.metrics["common_long_axes"] >= 3 * 16 - 2 * 20
    assert s.metrics["planted_connector_ratio"] <= float(land.loss(O).max() / land.loss(O).mean()) + 1e-12


def _by_name(cases, claim):
    return {c.name: c for c in cases if c.claim == claim}


@pytest.mark.parametrize("module,claim,positive,primary", [
    (toy_landscape, "C1", "positive-planted", "aligned"),
    (toy_landscape, "C2", "positive-single-wedge-D100", "adam-squared-D100"),
    (toy_landscape, "C17", "positive-rotation-D100", "subspaces-D100"),
    (m_connectors, "C9", "positive-toy-m2-star", "m2-star"),
    (isotropy, "C11", "positive-D1000", "optimum-gaussian-a0.1"),
])
def test_positive_is_the_primary_measurement(module, claim, positive, primary):
    cases = _by_name(module.CASES, claim)
    pos, prim = cases[positive], cases[primary]
    assert pos.role == Role.POSITIVE and pos.planted
    assert prim.role == Role.PRIMARY
    assert pos.checks is None and pos.rule == prim.rule
    assert pos.decision == prim.decision
    assert len(pos.samples) == len(prim.samples)

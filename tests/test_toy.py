"""Exact answers and bad input for landscape_lib/geometry/: toy.py, subspace.py, connectors.py, probes.py."""

import pytest
import torch

from landscape_lib.geometry import connectors as cn
from landscape_lib.geometry.probes import radial_probe, random_unit_directions
from landscape_lib.geometry.subspace import MinimizeConfig, minimize, random_basis, toy_exact_minimize
from landscape_lib.geometry.toy import WedgeLandscape, random_points, random_rotation


@pytest.mark.parametrize("D,n,match", [(0, 0, "D must"), (-3, 0, "D must"), (5, 6, "n must"), (5, -1, "n must"),
                                       (2.5, 1, "D must")])
def test_bad_dimensions(D, n, match):
    with pytest.raises(ValueError, match=match):
        WedgeLandscape(D, n)


def test_bad_points():
    land = WedgeLandscape(4, 2)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., D=4\)"):
        land.loss(torch.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        land.loss(torch.tensor([1.0, float("nan"), 0.0, 0.0]))
    with pytest.raises(ValueError, match="rotation must"):
        WedgeLandscape(4, 2, rotation="spin")
    with pytest.raises(ValueError, match="orthogonal"):
        WedgeLandscape(2, 1, rotation=torch.ones(2, 2))
    with pytest.raises(ValueError, match="brute_force_loss needs D"):
        WedgeLandscape(20, 2).brute_force_loss(torch.zeros(20))


@pytest.mark.parametrize("d", [0, -1, 11])
def test_bad_hyperplane_dimension(d):
    with pytest.raises(ValueError, match="d must be an integer with 1 <= d <= D = 10"):
        random_basis(d, 10)


def test_exact_values():
    land = WedgeLandscape(4, 2)
    P = torch.tensor([3.0, -4.0, 0.5, -2.0], dtype=torch.float64)
    assert float(land.loss(P)) == pytest.approx((0.25 + 4.0) ** 0.5)
    assert land.long_axes(P).tolist() == [True, True, False, False]
    assert land.nearest_point(P).tolist() == [3.0, -4.0, 0.0, 0.0]
    assert float(WedgeLandscape(4, 0).loss(P)) == pytest.approx(float(P.norm()))
    assert float(WedgeLandscape(4, 4).loss(P)) == 0.0


def test_rotation_is_orthogonal_and_loss_rotates():
    R = random_rotation(8, seed=3)
    assert torch.allclose(R.T @ R, torch.eye(8, dtype=torch.float64), atol=1e-12)
    land = WedgeLandscape(8, 5, rotation=R)
    P = random_points(8, 4, seed=1)
    assert torch.allclose(land.loss(P), WedgeLandscape(8, 5).loss(P @ R), atol=1e-12)


def test_descend_reaches_target_and_keeps_wedge():
    land = WedgeLandscape(50, 40)
    P = random_points(50, 1, seed=0)[0]
    Q = land.descend(P, 1e-3)
    assert float(land.loss(Q)) == pytest.approx(1e-3 * float(land.loss(P)), rel=1e-9)
    assert torch.equal(land.long_axes(Q), land.long_axes(P))
    with pytest.raises(ValueError, match="target must be in"):
        land.descend(P, 2.0)


def test_pinned_and_hessian_counts_at_an_intersection():
    land = WedgeLandscape(10, 6)
    A = torch.tensor([5, 4, 3, 2, 1, 6, 0, 0, 0, 0], dtype=torch.float64)
    B = torch.tensor([5, 4, 3, 0, 0, 0, 0, 2, 1, 6], dtype=torch.float64)
    X = land.intersection_point(A, B)
    assert X.tolist() == [5, 4, 3, 0, 0, 0, 0, 0, 0, 0]
    assert int(land.pinned_count(land.nearest_point(A))) == 4
    assert int(land.pinned_count(X)) == 7  # 2(D - n) - overlap = 8 - 1
    assert land.hessian_count(X) == 4  # the Hessian still sees D - n (one tie-break)


def test_orthonormal_basis():
    M = random_basis(7, 30, seed=2)
    assert torch.allclose(M @ M.T, torch.eye(7, dtype=torch.float64), atol=1e-12)


def test_exact_solver_threshold_is_sharp():
    land = WedgeLandscape(60, 45)
    P0 = random_points(60, 1, seed=0)[0]
    start = float(land.loss(P0))
    assert toy_exact_minimize(land, P0, random_basis(15, 60, seed=1))[1] <= 1e-10 * start
    assert toy_exact_minimize(land, P0, random_basis(14, 60, seed=1))[1] >= 1e-4 * start


def test_minimize_decreases_a_quadratic():
    target = torch.arange(5.0, dtype=torch.float64)
    M = random_basis(5, 5, seed=0)
    theta, best = minimize(lambda P: (P - target).square().sum(-1), torch.zeros(5, dtype=torch.float64), M,
                           MinimizeConfig(steps=2000, lr=0.05))
    assert float(best) < 1e-6


def test_tunnel_stays_on_its_hyperplanes_and_refines():
    land = WedgeLandscape(40, 30)
    A, B = (land.descend(p, 1e-3) for p in random_points(40, 2, seed=0))
    path = cn.tunnel(land.loss, A, B, cn.TunnelConfig(k=4, steps=200, lr=1e-2, refine=2))
    assert path.drift < 1e-10
    assert len(path.nodes) == 7
    assert path.history["max_loss_after_refine"] <= path.history["max_loss_before_refine"] + 1e-12
    with pytest.raises(ValueError, match="k must be"):
        cn.TunnelConfig(k=1)
    with pytest.raises(ValueError, match="A and B must differ"):
        cn.tunnel(land.loss, A, A)
    base = cn.tunnel(land.loss, A, B, cn.TunnelConfig(k=4, steps=200, lr=1e-2))
    again = cn.refine(land.loss, base, A, B, 2, cn.TunnelConfig(k=4, steps=200, lr=1e-2))
    assert torch.equal(again.nodes, path.nodes) and torch.equal(again.loss, path.loss)
    assert again.history == path.history and again.drift == path.drift
    with pytest.raises(ValueError, match="rounds must be"):
        cn.refine(land.loss, base, A, B, -1)


def test_m_connector_stays_orthogonal_to_the_simplex():
    land = WedgeLandscape(40, 30)
    O = torch.stack([land.descend(p, 1e-3) for p in random_points(40, 4, seed=1)])
    mc = cn.m_connector(land.loss, O, cn.ConnectorConfig(steps=200))
    assert mc.m == 3 and mc.drift < 1e-10
    assert mc.middle_loss < mc.centroid_loss
    with pytest.raises(ValueError, match="affinely independent"):
        cn.m_connector(land.loss, torch.stack([O[0], O[0], O[1]]))


def test_halves_alignment_on_a_known_matrix():
    V = torch.tensor([[1.0, 0], [1.0, 0.01], [0, 1.0], [0.01, 1.0]], dtype=torch.float64)
    h = cn.halves_alignment(cn.cosine_matrix(V))
    assert h["within_min"] > 0.99 and h["across_abs"] < 0.02


def test_radial_probe_on_a_sphere_is_isotropic():
    inc = radial_probe(lambda P: P.norm(dim=-1), torch.zeros(20, dtype=torch.float64), a=2.0, n_dirs=50)
    assert torch.allclose(inc, torch.full((50,), 2.0, dtype=torch.float64))
    V = random_unit_directions(10, 5)
    assert torch.allclose(V.norm(dim=1), torch.ones(10, dtype=torch.float64))
    with pytest.raises(ValueError, match="a \\(probe distance\\)"):
        radial_probe(lambda P: P.norm(dim=-1), torch.zeros(3), a=0)

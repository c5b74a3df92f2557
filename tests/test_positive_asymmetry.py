"""The planted asymmetric valley of the A1-A6 positive controls (``protocols.asymmetry.PlantedValley``) has exactly
the planted properties: its bottom is the least-squares minimizer, its training loss is the exact quadratic plus
the wall, its SGD gradient is the wall's, the wall-less model has no asymmetric direction, and the shifted test
wall is lowest on the flat side."""

import math

import torch

from landscape_lib.protocols import asymmetry as av


def _data(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    X = (2.0 * y - 1).double()[:, None] + torch.randn(n, 1, generator=g, dtype=torch.float64)
    return X, y


def _valley(wall=True):
    X, y = _data()
    Xte, yte = _data(seed=1)
    return av.PlantedValley(X, y, Xte, yte, 2, wall=wall)


def test_linex_is_a_valley_exponential_on_one_side_linear_on_the_other():
    t = torch.tensor([-1e-3, 0.0, 1e-3], dtype=torch.float64)
    f = av.linex(t)
    assert float(f[1]) == 0.0
    assert abs(float(f[2] - f[0])) < 1e-9  # phi'(0) = 0
    assert abs(float((f[2] + f[0] - 2 * f[1]) / 1e-6) - 1.0) < 1e-3  # phi''(0) = 1
    big = torch.tensor([-5.0, 5.0], dtype=torch.float64)
    assert float(av.linex(big)[1]) > 20 * float(av.linex(big)[0])  # the +v side is the sharp side


def test_planted_valley_loss_is_the_exact_quadratic_plus_the_wall_with_its_bottom_at_theta_star():
    q = _valley()
    T = q.theta_star + 0.3 * torch.randn(9, q.D, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    assert torch.allclose(q.losses(T), q.surface(T), atol=1e-12)
    th = q.theta_star.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(q.losses(th[None])[0], th)
    assert float(g.norm()) < 1e-10
    assert 0 < q.sigma < 1 and q.a > 0 and q.lr <= av.LR


def test_planted_valley_sgd_gradient_adds_the_walls_gradient():
    q = _valley()
    th = (q.theta_star + 0.02 * q.v).clone().requires_grad_(True)
    (g,) = torch.autograd.grad(q.wall(th[None])[0], th)
    assert torch.allclose(q.extra_grad(th.detach()), g, atol=1e-12)
    assert _valley(wall=False).extra_grad(th.detach()) is None


def test_without_the_wall_no_direction_is_asymmetric_and_with_it_some_are():
    q0, q = _valley(wall=False), _valley()
    assert av.planted_fraction(q0.quadratic_form, q0.theta_star, q0.v, 0.0, 1.0, q0.chance, n=2000) == 0.0
    assert 0.05 < q.fraction < 0.5


def test_shifted_test_wall_is_lowest_on_the_flat_side():
    """(W(s - delta) + W(s + delta)) / 2 with W = a sigma^2 phi(s / sigma) is lowest at s = -sigma ln cosh(delta /
    sigma) < 0: a zero-mean random shift favours the flat side."""
    q = _valley()
    s = torch.linspace(-5 * q.sigma, 5 * q.sigma, 20001, dtype=torch.float64)
    T = q.theta_star + s[:, None] * q.v
    wall = (q.wall(T, q.delta) + q.wall(T, -q.delta)) / 2
    best = float(s[wall.argmin()])
    assert abs(best + q.sigma * math.log(math.cosh(q.delta / q.sigma))) < 1e-3 * q.sigma + float(s[1] - s[0])


def test_sgd_spread_solves_the_discrete_lyapunov_equation_in_one_dimension():
    """In 1-D, S = lr^2 Sigma_B / (1 - (1 - lr h)^2)."""
    G = torch.tensor([[1.0], [-1.0], [2.0], [-2.0]], dtype=torch.float64)
    h, lr, B = 1.5, 0.1, 2
    sigma_b = float((G.T @ G / 4)[0, 0]) * (4 - B) / (3 * B)
    want = math.sqrt(lr ** 2 * sigma_b / (1 - (1 - lr * h) ** 2))
    got = av.sgd_spread(torch.tensor([[h]], dtype=torch.float64), G, lr, B, torch.tensor([1.0], dtype=torch.float64))
    assert abs(got - want) < 1e-12


def test_noise_axis_is_the_top_eigenvector_with_a_positive_largest_component():
    G = torch.tensor([[0.0, -3.0], [0.0, 3.0], [1.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(av.noise_axis(G), torch.tensor([0.0, 1.0], dtype=torch.float64))


def test_planted_cases_are_positive_controls_with_the_primaries_statistic_and_samples():
    from landscape_lib.types import Role
    from landscape_lib.verdicts.cases import asymmetry as cases

    pos = [c for c in cases.CASES if c.role == Role.POSITIVE]
    assert sorted(c.claim for c in pos) == ["A1", "A2", "A3", "A4", "A5", "A6"]
    for c in pos:
        prim = next(p for p in cases.CASES if p.claim == c.claim and p.role == Role.PRIMARY)
        assert c.samples == prim.samples and c.decision == prim.decision and c.checks is None and c.planted

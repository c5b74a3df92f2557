"""Curvature (landscape_lib.geometry: hvp, lanczos, short_directions, spectral) against exact answers at toy sizes, in float64."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

from landscape_lib.geometry.hvp import dense_hessian, hvp, make_batched_hvp, make_hvp
from landscape_lib.geometry.lanczos import LanczosConfig, lanczos_top, top_eigenvalues
from landscape_lib.geometry.short_directions import (CountResult, ShortDirectionThreshold, count_profile,
                                                     count_short_directions)
from landscape_lib.geometry.spectral import hutchinson_trace, slq_density


F64 = torch.float64


def tiny_mlp_loss(seed: int = 0, n: int = 64, d_in: int = 8, hidden: int = 12, classes: int = 3,
                  dtype=F64):
    """A 2-layer tanh MLP (D = 147 by default) on random data, as f(theta) for torch.func."""
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(d_in, hidden), nn.Tanh(), nn.Linear(hidden, classes)).to(dtype)
    X = torch.randn(n, d_in, generator=g, dtype=dtype)
    y = torch.randint(0, classes, (n,), generator=g)
    names = [k for k, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    sizes = [p.numel() for p in model.parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    theta = theta + 0.3 * torch.randn(theta.shape, generator=g, dtype=dtype)

    def f(th):
        params = {k: t.view(s) for k, t, s in zip(names, th.split(sizes), shapes)}
        return F.cross_entropy(functional_call(model, params, (X,)), y)
    return f, theta


def quadratic(eigs: torch.Tensor, seed: int = 0):
    """f(x) = x^T A x / 2 with A = Q diag(eigs) Q^T for a random orthogonal Q: Hessian A."""
    D = eigs.numel()
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(D, D, generator=g, dtype=F64))
    A = (Q * eigs.to(F64)) @ Q.T
    A = (A + A.T) / 2

    def f(x):
        return 0.5 * x @ (A @ x)
    theta = torch.randn(D, generator=g, dtype=F64)
    return f, theta, A


def known_spectrum(D: int = 300, n_big: int = 37, seed: int = 1) -> torch.Tensor:
    """n_big well-separated large eigenvalues in [1, 10], the rest in [-0.05, 0.05]: a clear gap."""
    g = torch.Generator().manual_seed(seed)
    big = 1 + 9 * torch.rand(n_big, generator=g, dtype=F64)
    small = 0.1 * (torch.rand(D - n_big, generator=g, dtype=F64) - 0.5)
    return torch.cat([big, small])


def ref_hessian(f, theta):
    return torch.autograd.functional.hessian(f, theta.clone())


# ---------------------------------------------------------------- products and dense Hessian

def test_hvp_matches_dense_hessian_times_v():
    f, theta = tiny_mlp_loss()
    H = ref_hessian(f, theta)
    assert 100 <= theta.numel() <= 300
    g = torch.Generator().manual_seed(5)
    for _ in range(3):
        v = torch.randn(theta.shape, generator=g, dtype=F64)
        torch.testing.assert_close(hvp(f, theta, v), H @ v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("use_linearize", [True, False])
def test_make_hvp_and_batched_match_dense(use_linearize):
    f, theta = tiny_mlp_loss(seed=2)
    H = ref_hessian(f, theta)
    mv = make_hvp(f, theta, use_linearize=use_linearize)
    V = torch.randn(11, theta.numel(), dtype=F64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(mv(V[0]), H @ V[0], rtol=1e-10, atol=1e-12)
    mm = make_batched_hvp(f, theta, use_linearize=use_linearize, chunk=4)
    torch.testing.assert_close(mm(V), V @ H, rtol=1e-10, atol=1e-12)


def test_dense_hessian_matches_autograd():
    f, theta = tiny_mlp_loss(seed=3)
    H = dense_hessian(f, theta)
    assert H.dtype == F64 and H.shape == (theta.numel(),) * 2
    torch.testing.assert_close(H, ref_hessian(f, theta), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(H, H.T)


def test_float32_products_keep_caller_dtype():
    f, theta = tiny_mlp_loss(dtype=torch.float32)
    mv = make_hvp(f, theta)
    v = torch.randn(theta.numel(), dtype=F64)
    out = mv(v)
    assert out.dtype == F64
    H = dense_hessian(f, theta)
    torch.testing.assert_close(out, H @ v, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- top eigenvalues

@pytest.mark.parametrize("method", ["lanczos", "eigsh"])
@pytest.mark.parametrize("k", [1, 10, 40])
def test_top_eigenvalues_tiny_mlp(method, k):
    f, theta = tiny_mlp_loss()
    exact = torch.linalg.eigvalsh(ref_hessian(f, theta)).flip(0)[:k]
    got = top_eigenvalues(f, theta, k, tol=1e-8, method=method)
    assert got.shape == (k,) and bool((got[:-1] >= got[1:]).all())
    torch.testing.assert_close(got, exact, rtol=1e-6, atol=1e-9 * float(exact[0]))


@pytest.mark.parametrize("k", [5, 20, 60])
def test_top_eigenvalues_quadratic_known_spectrum(k):
    eigs = known_spectrum()
    f, theta, A = quadratic(eigs)
    exact = torch.sort(eigs, descending=True).values[:k]
    vals, vecs = top_eigenvalues(f, theta, k, tol=1e-3, return_eigenvectors=True)
    nb = min(k, 37)
    # The separated eigenvalues match index by index; inside the dense bulk (spacing ~1e-4 of
    # lambda_max) a Ritz value is within tol of *an* eigenvalue and never above its index's one
    # (Cauchy interlacing), but a near-double eigenvalue may not have split yet.
    assert float(((vals[:nb] - exact[:nb]).abs() / exact[:nb].abs()).max()) <= 1e-3
    nearest = (vals[:, None] - eigs[None, :]).abs().min(dim=1).values
    assert float((nearest / vals.abs()).max()) <= 1e-3
    assert bool((vals <= exact + 1e-12).all())
    assert vecs.shape == (theta.numel(), k)
    torch.testing.assert_close(vecs.T @ vecs, torch.eye(k, dtype=F64), atol=1e-8, rtol=0)
    # Residuals of well-separated big eigenpairs are small.
    res = (A @ vecs[:, :nb] - vecs[:, :nb] * vals[:nb]).norm(dim=0)
    assert float((res / vals[:nb]).max()) <= 1e-3


def test_top_eigenvalues_dense_method_and_thick_restart():
    eigs = known_spectrum(D=300, n_big=37)
    f, theta, _ = quadratic(eigs)
    exact = torch.sort(eigs, descending=True).values[:30]
    torch.testing.assert_close(top_eigenvalues(f, theta, 30, method="dense"), exact, rtol=1e-10, atol=1e-12)
    # A small basis forces restarts; the answer must not change.
    r = lanczos_top(make_hvp(f, theta), 300, 30, LanczosConfig(tol=1e-8, max_basis=45, min_basis=35),
                    product_dtype=F64)
    assert r.restarts > 0
    torch.testing.assert_close(r.eigenvalues, exact, rtol=1e-7, atol=1e-10)


def test_top_eigenvalues_bad_input():
    f, theta = tiny_mlp_loss()
    for k in (0, theta.numel() + 1):
        with pytest.raises(ValueError, match="k"):
            top_eigenvalues(f, theta, k)
    with pytest.raises(ValueError, match="method"):
        top_eigenvalues(f, theta, 3, method="power")
    with pytest.raises(ValueError, match="theta"):
        top_eigenvalues(f, theta.reshape(1, -1), 3)


# ---------------------------------------------------------------- counting short directions

def test_count_exact_on_known_spectrum_with_doubling():
    eigs = known_spectrum(D=300, n_big=37)
    f, theta, _ = quadratic(eigs)
    r = count_short_directions(f, theta, threshold=0.5, k0=4)
    assert isinstance(r, CountResult)
    assert r.count == 37 and r.exact and r.threshold == 0.5
    assert r.k == 64 and r.eigenvalues.shape == (64,)
    capped = count_short_directions(f, theta, threshold=0.5, k0=4, k_max=16)
    assert capped.count == 16 and not capped.exact


def test_count_on_tiny_mlp_matches_dense():
    f, theta = tiny_mlp_loss()
    exact = torch.linalg.eigvalsh(ref_hessian(f, theta)).flip(0)
    thr = float(0.05 * exact[0])
    r = count_short_directions(f, theta, thr, k0=2, tol=1e-8)
    assert r.exact and r.count == int((exact > thr).sum())


@pytest.mark.parametrize("D,n", [(50, 40), (200, 150)])
def test_count_toy_wedge_is_D_minus_n(D, n):
    """f(P) = sum of squares of the D - n smallest |P_i|: Hessian 2 diag(1_S), count exactly D - n."""
    def f(P):
        idx = torch.topk(P.detach().abs(), D - n, largest=False).indices
        return P[idx].square().sum()
    g = torch.Generator().manual_seed(D)
    P = torch.randn(D, generator=g, dtype=F64)
    assert torch.unique(P.abs()).numel() == D
    r = count_short_directions(f, P, threshold=1.0)
    assert r.exact and r.count == D - n
    torch.testing.assert_close(r.eigenvalues[: D - n], torch.full((D - n,), 2.0, dtype=F64))


def test_short_direction_threshold_definition():
    t = ShortDirectionThreshold.of([4.0, 6.0])
    assert t.value == pytest.approx(0.5) and t.fraction == 0.1 and t.reference_top == pytest.approx(5.0)
    assert float(ShortDirectionThreshold.of(torch.tensor([2.0]), fraction=0.01)) == pytest.approx(0.02)
    for bad in ([], [1.0, -1.0], [float("nan")]):
        with pytest.raises(ValueError):
            ShortDirectionThreshold.of(bad)
    with pytest.raises(ValueError, match="fraction"):
        ShortDirectionThreshold.of([1.0], fraction=0.0)


def test_count_profile_side_by_side():
    eigs = known_spectrum(D=200, n_big=20)
    pts = []
    for s, scale in enumerate([1.0, 0.5, 1.0]):  # the middle point has half the curvature
        f, theta, _ = quadratic(eigs * scale, seed=s)
        pts.append((f, theta))
    prof = count_profile([p[0] for p in pts], [p[1] for p in pts], fractions=(0.1, 0.05, 0.01), k0=8)
    top = float(eigs.max())
    for j, fr in enumerate((0.1, 0.05, 0.01)):
        thr = fr * top
        assert prof.thresholds[j].value == pytest.approx(thr, rel=1e-6)
        for i, scale in enumerate([1.0, 0.5, 1.0]):
            assert int(prof.counts[i, j]) == int((eigs * scale > thr).sum())
    assert bool(prof.exact.all())
    assert "f=0.1" in prof.table()


# ---------------------------------------------------------------- SLQ and Hutchinson

def test_slq_count_and_trace_on_known_spectrum():
    D = 600
    g = torch.Generator().manual_seed(7)
    eigs = torch.cat([2 + 8 * torch.rand(120, generator=g, dtype=F64),
                      0.2 * torch.rand(D - 120, generator=g, dtype=F64) - 0.1])
    f, theta, _ = quadratic(eigs, seed=3)
    dens = slq_density(f, theta, n_vectors=40, lanczos_steps=40, seed=0)
    assert dens.nodes.shape == (40, 40)
    torch.testing.assert_close(dens.weights.sum(-1), torch.ones(40, dtype=F64))
    est = dens.count_above(1.0)
    assert abs(est - 120) <= 0.05 * 120, est
    assert abs(dens.trace() - float(eigs.sum())) <= 0.05 * float(eigs.sum())
    grid = torch.linspace(-1, 11, 200, dtype=F64)
    mass = float(dens.smoothed(grid, 0.1).sum() * (grid[1] - grid[0]))
    assert mass == pytest.approx(1.0, abs=0.02)


def test_hutchinson_trace_within_tolerance():
    f, theta = tiny_mlp_loss()
    H = ref_hessian(f, theta)
    est = hutchinson_trace(f, theta, 400, seed=1)
    true = float(torch.trace(H))
    # Rademacher variance per probe: 2 (||H||_F^2 - sum H_ii^2).
    sd = math.sqrt(2 * (float((H ** 2).sum()) - float((torch.diagonal(H) ** 2).sum())) / 400)
    assert abs(est.mean - true) <= 4 * sd
    assert est.stderr == pytest.approx(sd, rel=0.3)
    with pytest.raises(ValueError, match="n"):
        hutchinson_trace(f, theta, 0)


def test_slq_bad_input():
    f, theta = tiny_mlp_loss()
    with pytest.raises(ValueError, match="n_vectors"):
        slq_density(f, theta, 0, 10)
    with pytest.raises(ValueError, match="lanczos_steps"):
        slq_density(f, theta, 2, 0)


# ---------------------------------------------------------------- errors, not silence

def _quadratic(D: int = 6):
    w = torch.arange(1, D + 1, dtype=F64)
    return (lambda th: 0.5 * (w * th * th).sum()), torch.ones(D, dtype=F64)


def test_nan_loss_raises_naming_the_point_not_a_linear_algebra_error():
    f, theta = _quadratic()
    nan_f = lambda th: f(th) * float("nan")  # noqa: E731
    for call in (lambda: count_short_directions(nan_f, theta, 0.5, k0=2),
                 lambda: top_eigenvalues(nan_f, theta, 2),
                 lambda: top_eigenvalues(nan_f, theta, 2, method="eigsh"),
                 lambda: make_hvp(nan_f, theta, use_linearize=True),
                 lambda: make_hvp(nan_f, theta, use_linearize=False),
                 lambda: hutchinson_trace(nan_f, theta, 2),
                 lambda: slq_density(nan_f, theta, 2, 3)):
        with pytest.raises(FloatingPointError, match=r"loss is nan at theta \(norm 2\.44949, D = 6\)"):
            call()


def test_non_finite_curvature_at_a_finite_loss_raises_naming_the_product_and_point():
    """sqrt(|x|) has loss 0 but infinite curvature at 0: the products are not finite."""
    f = lambda th: th.abs().sqrt().sum()  # noqa: E731
    theta = torch.zeros(5, dtype=F64)
    with pytest.raises(FloatingPointError, match=r"Hessian-vector product 1 has .*at theta \(norm 0, D = 5\)"):
        top_eigenvalues(f, theta, 2)
    with pytest.raises(FloatingPointError, match=r"at theta \(norm 0, D = 5\)"):
        count_short_directions(f, theta, 0.1, k0=2)
    with pytest.raises(FloatingPointError, match="Hessian-vector product 1 has 5 NaN"):
        lanczos_top(lambda v: torch.full_like(v, float("nan")), 5, 2)


def test_count_profile_names_the_index_of_the_bad_point():
    f, theta = _quadratic()
    nan_f = lambda th: f(th) * float("nan")  # noqa: E731
    with pytest.raises(FloatingPointError, match=r"loss is nan at theta .*index 1 of the 3 points of the profile"):
        count_profile([f, nan_f, f], [theta, theta, theta], endpoint_top=[6.0], k0=2)
    bad = theta.clone()
    bad[2] = float("inf")
    with pytest.raises(ValueError, match=r"theta must be finite: 0 NaN and 1 infinite .*index 2 of the 3 points"):
        count_profile(f, [theta, theta, bad], endpoint_top=[6.0], k0=2)


@pytest.mark.parametrize("theta, match", [
    (torch.tensor([1.0, float("nan"), 2.0], dtype=F64), r"theta must be finite: 1 NaN and 0 infinite entries of 3 "
                                                        r"\(first at index 1\)"),
    (torch.tensor([float("-inf"), 0.0], dtype=F64), r"theta must be finite: 0 NaN and 1 infinite"),
    (torch.tensor([1, 2, 3]), r"theta must be a floating-point tensor \(float32 or float64\), got torch.int64"),
    (torch.tensor([True, False]), r"theta must be a floating-point tensor .*torch.bool"),
])
def test_bad_theta_is_rejected_everywhere_curvature_takes_it(theta, match):
    f = lambda th: (th * th).sum()  # noqa: E731
    v = torch.ones_like(theta, dtype=F64)
    for call in (lambda: hvp(f, theta, v), lambda: make_hvp(f, theta), lambda: make_batched_hvp(f, theta),
                 lambda: dense_hessian(f, theta), lambda: top_eigenvalues(f, theta, 1),
                 lambda: count_short_directions(f, theta, 0.5), lambda: slq_density(f, theta, 1, 2),
                 lambda: hutchinson_trace(f, theta, 1)):
        with pytest.raises(ValueError, match=match):
            call()


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "0.1", None, True])
def test_bad_count_threshold_is_rejected_naming_what_is_allowed(bad):
    f, theta = _quadratic()
    with pytest.raises(ValueError, match=r"threshold must be a finite number >= 0"):
        count_short_directions(f, theta, bad)


@pytest.mark.parametrize("value", [-0.5, 0.0, float("nan"), float("inf")])
def test_bad_threshold_value_is_rejected(value):
    with pytest.raises(ValueError, match=r"threshold value must be a finite number > 0"):
        ShortDirectionThreshold(value=value)


@pytest.mark.parametrize("fraction", [-0.1, 0.0, float("nan"), float("inf")])
def test_bad_threshold_fraction_is_rejected(fraction):
    with pytest.raises(ValueError, match=r"fraction must be a finite number > 0 \(e\.g\. DECLARED_FRACTION = 0\.1\)"):
        ShortDirectionThreshold.of([2.0, 4.0], fraction)
    with pytest.raises(ValueError, match=r"fraction must be a finite number > 0"):
        ShortDirectionThreshold(value=1.0, fraction=fraction)


def test_declared_fraction_is_defined_once_and_used_by_the_measurements():
    from landscape_lib.geometry import short_directions as sd
    from landscape_lib.protocols import short_direction_counts as rx
    from landscape_lib.verdicts.cases import short_direction_counts as cases

    assert sd.DECLARED_FRACTION == 0.1 and sd.TOY_FRACTION * sd.TOY_TOP_EIGENVALUE == 1.0
    assert rx.DECLARED_FRACTION is sd.DECLARED_FRACTION and rx.FRACTIONS[0] is sd.DECLARED_FRACTION
    assert cases.C3_FRACTIONS[0] is sd.DECLARED_FRACTION
    assert ShortDirectionThreshold.of([2.0]).fraction == sd.DECLARED_FRACTION


def test_lanczos_from_a_given_start_vector_finds_the_same_eigenvalues():
    """``start`` replaces the random first vector (eigsh's v0): the same top eigenvalues to the tolerance."""
    torch.manual_seed(0)
    Q, _ = torch.linalg.qr(torch.randn(200, 200, dtype=torch.float64))
    lam = torch.cat([torch.linspace(10, 1, 20), torch.full((180,), 0.01)]).double()
    H = Q @ torch.diag(lam) @ Q.T
    mv = lambda v: H @ v  # noqa: E731
    cold = lanczos_top(mv, 200, 10, LanczosConfig(tol=1e-8), product_dtype=torch.float64)
    warm = lanczos_top(mv, 200, 10, LanczosConfig(tol=1e-8), product_dtype=torch.float64, start=Q[:, :10].sum(1))
    assert torch.allclose(cold.eigenvalues, lam[:10], rtol=1e-7) and torch.allclose(warm.eigenvalues, lam[:10], rtol=1e-7)
    for bad in (torch.zeros(200), torch.ones(3), torch.full((200,), float("nan"))):
        with pytest.raises(ValueError, match="start must be a finite nonzero vector of D = 200 values"):
            lanczos_top(mv, 200, 10, LanczosConfig(), start=bad)

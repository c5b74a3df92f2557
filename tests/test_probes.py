"""landscape_lib/geometry/probes.py: directions, batched losses along them, tunnel width, isotropy — exact answers."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from landscape_lib.geometry.probes import (filter_normalized_directions, isotropy, loss_along, radial_probe,
                                           random_directions, random_unit_directions, tunnel_width)
from landscape_lib.nets.models import build_model
from landscape_lib.nets.params import FlatModel

DT = torch.float64


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    m = build_model("simple_cnn", (1, 4, 4), 3, width=0.25)
    f = FlatModel(m, dtype=DT)
    X = torch.randn(20, 1, 4, 4, dtype=DT)
    y = torch.randint(0, 3, (20,))
    return f, X, y


# -- directions -----------------------------------------------------------------------------------
def test_gaussian_directions_unit_and_reproducible():
    V = random_unit_directions(7, 30, seed=3)
    assert torch.allclose(V.norm(dim=1), torch.ones(7, dtype=DT), atol=1e-15)
    assert torch.equal(V, random_unit_directions(7, 30, seed=3))
    assert not torch.equal(V, random_unit_directions(7, 30, seed=4))
    th = torch.zeros(30, dtype=torch.float32)
    assert torch.equal(random_directions(7, th, seed=3), V.float())


def test_filter_normalized_rows_have_the_weights_norms(tiny):
    f, _, _ = tiny
    th = f.theta0()
    V = filter_normalized_directions(5, th, f, seed=1, unit=False)
    for i in range(5):
        d, w = f.unflatten(V[i]), f.unflatten(th)
        for name, shape in zip(f.names, f.shapes):
            if len(shape) >= 2:  # per output filter: |d_j| = |theta_j|
                assert torch.allclose(d[name].flatten(1).norm(dim=1), w[name].flatten(1).norm(dim=1), rtol=1e-12)
            else:  # biases: zero (Li et al.'s --xignore biasbn)
                assert torch.count_nonzero(d[name]) == 0
    U = filter_normalized_directions(5, th, f.shapes, seed=1)  # a list of shapes works the same
    assert torch.allclose(U.norm(dim=1), torch.ones(5, dtype=DT), atol=1e-14)
    assert torch.allclose(U, V / V.norm(dim=1, keepdim=True), atol=1e-15)
    assert torch.allclose(random_directions(5, th, kind="filter", shapes=f, seed=1), U)


def test_filter_normalized_by_hand_and_one_d_modes():
    th = torch.tensor([3.0, 4.0, 0.0, 2.0, 5.0, -1.0], dtype=DT)  # a (2, 2) weight, then a bias (2,)
    shapes = [(2, 2), (2,)]
    g = torch.Generator().manual_seed(0)
    G = torch.randn(1, 6, generator=g, dtype=DT)[0]
    V = filter_normalized_directions(1, th, shapes, seed=0, one_d="weights", unit=False)[0]
    assert torch.allclose(V[:2], G[:2] / G[:2].norm() * 5.0) and torch.allclose(V[2:4], G[2:4] / G[2:4].norm() * 2.0)
    assert torch.equal(V[4:], th[4:])
    W = filter_normalized_directions(1, th, shapes, seed=0, one_d="filter", unit=False)[0]
    assert torch.allclose(W[4:], G[4:] / G[4:].norm() * th[4:].norm())


def test_filter_normalized_bad_input():
    th = torch.ones(6, dtype=DT)
    with pytest.raises(ValueError, match="shapes must add up"):
        filter_normalized_directions(2, th, [(2, 2)])
    with pytest.raises(ValueError, match="one_d must be"):
        filter_normalized_directions(2, th, [(2, 3)], one_d="keep")
    with pytest.raises(ValueError, match="unit=True needs a nonzero"):
        filter_normalized_directions(2, th, [(6,)])
    with pytest.raises(ValueError, match="n_dirs"):
        filter_normalized_directions(0, th, [(2, 3)])
    with pytest.raises(ValueError, match="shapes is required"):
        random_directions(2, th, kind="filter")
    with pytest.raises(ValueError, match="kind must be"):
        random_directions(2, th, kind="uniform")


# -- loss_along -----------------------------------------------------------------------------------
def test_loss_along_quadratic_exact_and_equal_to_the_loop():
    lam = torch.tensor([1.0, 2.0, 4.0, 8.0], dtype=DT)
    w = torch.tensor([0.5, -1.0, 0.0, 2.0], dtype=DT)
    loss = lambda P: 0.5 * ((P - w) ** 2 * lam).sum(-1)  # noqa: E731
    U = random_unit_directions(9, 4, seed=2)
    a = torch.tensor([0.0, 0.25, 1.0, 3.0], dtype=DT)
    L = loss_along(loss, w, U, a, chunk=5)
    expected = 0.5 * a.view(1, -1) ** 2 * (U ** 2 * lam).sum(1, keepdim=True)  # L(w + a u) = a^2/2 u^T Lambda u
    assert torch.allclose(L, expected, rtol=1e-14, atol=1e-15)
    loop = torch.stack([loss(w + a.unsqueeze(1) * U[i]) for i in range(9)])
    assert torch.equal(L, loop)
    assert torch.equal(L, loss_along(loss, w, U, a, chunk=1000))


def test_loss_along_on_a_network_equals_the_per_point_loop(tiny):
    f, X, y = tiny
    th = f.theta0()
    U = random_directions(6, th, kind="filter", shapes=f, seed=0)
    a = [0.5, 1.0, 2.0]
    L = loss_along(lambda T: f.batched_loss(T, X, y), th, U, a, chunk=7)
    loop = torch.tensor([[float(f.loss(th + ai * U[i], X, y)) for ai in a] for i in range(6)], dtype=DT)
    assert torch.allclose(L, loop, rtol=1e-12, atol=0)


def test_loss_along_bad_input():
    w = torch.zeros(3, dtype=DT)
    loss = lambda P: P.sum(-1)  # noqa: E731
    with pytest.raises(ValueError, match="directions must have shape"):
        loss_along(loss, w, torch.ones(2, 4, dtype=DT), [1.0])
    with pytest.raises(ValueError, match="distances"):
        loss_along(loss, w, torch.ones(2, 3, dtype=DT), [1.0, float("nan")])
    with pytest.raises(ValueError, match="chunk"):
        loss_along(loss, w, torch.ones(2, 3, dtype=DT), [1.0], chunk=0)
    with pytest.raises(ValueError, match=r"loss_fn must map \(K, D\) to \(K,\)"):
        loss_along(lambda P: P, w, torch.ones(2, 3, dtype=DT), [1.0])


def test_radial_probe_unchanged_on_a_cone():
    inc = radial_probe(lambda P: P.norm(dim=-1), torch.zeros(20, dtype=DT), a=2.0, n_dirs=50, chunk=7)
    assert torch.allclose(inc, torch.full((50,), 2.0, dtype=DT), atol=1e-14)


# -- tunnel width ---------------------------------------------------------------------------------
def _cone(lam, w):
    return lambda P: (((P - w) ** 2) * lam).sum(-1).sqrt()


def test_tunnel_width_exact_on_an_anisotropic_cone():
    """L(w + a u) = a * sqrt(sum lam_i u_i^2) is linear in a: interpolation is exact, width = h / sqrt(u^T lam u)."""
    D, n, h = 6, 60, 0.7
    lam = torch.tensor([0.5, 1.0, 2.0, 3.0, 5.0, 8.0], dtype=DT)
    w = torch.full((D,), 2.0, dtype=DT)
    U = random_unit_directions(n, D, seed=5)
    a = torch.linspace(0, 2, 9, dtype=DT)
    tw = tunnel_width(loss_along(_cone(lam, w), w, U, a), a, h, theta_norm=float(w.norm()))
    exact = h / (U ** 2 * lam).sum(1).sqrt()
    assert torch.allclose(tw.width, exact, rtol=1e-12)
    assert torch.allclose(tw.angular, exact / w.norm(), rtol=1e-12)
    e = exact.numpy()
    assert tw.median == pytest.approx(float(np.median(e)), rel=1e-12)
    q25, q75 = np.quantile(e, [0.25, 0.75])
    assert tw.iqr == pytest.approx(q75 - q25, rel=1e-10) and tw.q25 == pytest.approx(q25, rel=1e-12)
    assert tw.angular_median == pytest.approx(float(np.median(e)) / float(w.norm()), rel=1e-12)
    assert tw.n_censored == tw.n_nonfinite == 0 and tw.n_directions == n


def test_tunnel_width_on_a_quadratic_valley_within_the_grid_error():
    """L = a^2 kappa_u / 2: width sqrt(2h / kappa_u); a convex profile's chord crosses early, by < one step."""
    lam = torch.tensor([1.0, 4.0, 9.0], dtype=DT)
    w = torch.zeros(3, dtype=DT)
    U = random_unit_directions(50, 3, seed=1)
    a = torch.linspace(0, 3, 61, dtype=DT)
    L = loss_along(lambda P: 0.5 * (P ** 2 * lam).sum(-1), w, U, a)
    tw = tunnel_width(L, a, 1.0)
    exact = (2.0 / (U ** 2 * lam).sum(1)).sqrt()
    assert bool((tw.width <= exact + 1e-12).all()) and bool((exact - tw.width < 0.05).all())
    assert tw.angular is None and tw.angular_median is None


def test_tunnel_width_censored_nonfinite_and_base_loss():
    a = [0.5, 1.0, 2.0]
    L = torch.tensor([[0.2, 0.4, 0.6],           # never crosses h = 1: inf
                      [0.5, float("nan"), 9.0],  # NaN at 1.0: crossing placed at 1.0
                      [0.5, 3.0, 9.0]], dtype=DT)  # 0.5 + (1 - 0.5)/(3 - 0.5) * 0.5 = 0.6
    tw = tunnel_width(L, a, 1.0, base_loss=0.0, min_directions=1)
    assert math.isinf(tw.width[0]) and tw.width[1] == 1.0 and tw.width[2] == pytest.approx(0.6, rel=1e-14)
    assert tw.n_censored == 1 and tw.n_nonfinite == 1
    assert tw.median == 1.0 and math.isinf(tw.q75) and math.isinf(tw.iqr)
    first = tunnel_width(torch.tensor([[2.0, 3.0, 4.0]], dtype=DT), a, 1.0, base_loss=0.0, min_directions=1)
    assert first.width[0] == pytest.approx(0.25, rel=1e-14)  # from (0, 0) to (0.5, 2)
    with pytest.raises(ValueError, match="non-finite value"):
        tunnel_width(L, a, 1.0, base_loss=0.0, min_directions=1, nonfinite="raise")


def test_tunnel_width_bad_input():
    L = torch.zeros(50, 3, dtype=DT)
    with pytest.raises(ValueError, match="min_directions"):
        tunnel_width(L[:10], [0.0, 1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="strictly increasing"):
        tunnel_width(L, [0.0, 2.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="base_loss is required"):
        tunnel_width(L, [0.5, 1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="one entry per column"):
        tunnel_width(L, [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="above the high-loss level"):
        tunnel_width(L + 2.0, [0.0, 1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="high_loss"):
        tunnel_width(L, [0.0, 1.0, 2.0], float("inf"))
    with pytest.raises(ValueError, match="theta_norm"):
        tunnel_width(L, [0.0, 1.0, 2.0], 1.0, theta_norm=0.0)


# -- isotropy -------------------------------------------------------------------------------------
def test_isotropy_exact():
    iso = isotropy([1.0, 2.0, 3.0])
    assert iso.cv == pytest.approx(0.5, rel=1e-15) and iso.mean == 2.0 and iso.std == 1.0
    assert iso.fraction_increasing == 1.0 and iso.n_directions == 3
    w = torch.zeros(10, dtype=DT)
    U = random_unit_directions(64, 10, seed=0)
    inc = loss_along(lambda P: P.norm(dim=-1), w, U, [1.5])[:, 0]  # a round cone: the same increase everywhere
    assert isotropy(inc).cv == pytest.approx(0.0, abs=1e-14)
    neg = isotropy([-1.0, 0.5])
    assert math.isinf(neg.cv) and neg.fraction_increasing == 0.5
    with pytest.raises(ValueError, match="at least 2"):
        isotropy([1.0])
    with pytest.raises(ValueError, match="finite"):
        isotropy([1.0, float("nan")])


# -- the benchmark runs and its two paths agree (no timing asserted) --------------------------------
def test_bench_probes_quick_batched_equals_loop():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_probes.py"
    spec = importlib.util.spec_from_file_location("bench_probes", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    row = mod.main(["--quick"])
    assert row["max_abs_diff"] < 1e-5 and row["batched_s"] > 0 and row["loop_s"] > 0

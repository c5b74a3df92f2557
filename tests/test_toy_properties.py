"""Property tests of the toy landscape (landscape_lib/geometry/toy.py), fuzzed by Hypothesis."""

import pytest
import torch
from hypothesis import assume, given, strategies as st

from landscape_lib.geometry.toy import WedgeLandscape, random_points

from .strategies import landscape_and_points, landscapes, points, sparse_points

TOL = 1e-9


@given(landscape_and_points())
def test_loss_is_nonnegative(lp):
    land, P = lp
    assert (land.loss(P) >= 0).all()


@given(st.integers(1, 10).flatmap(lambda D: st.tuples(st.just(D), st.integers(0, D))), st.data())
def test_loss_zero_iff_at_most_n_nonzero(Dn, data):
    D, n = Dn
    land = WedgeLandscape(D, n)
    k = data.draw(st.integers(0, D), label="non-zero coordinates")
    P = data.draw(sparse_points(D, k))
    assert (float(land.loss(P)) == 0.0) == (k <= n)


@given(landscape_and_points(rotated=False), st.data())
def test_invariant_under_permutation_and_sign_flips(lp, data):
    land, P = lp
    perm = torch.tensor(data.draw(st.permutations(range(land.D)), label="permutation"))
    signs = torch.tensor(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=land.D, max_size=land.D),
                                   label="signs"), dtype=torch.float64)
    assert torch.allclose(land.loss(P[:, perm] * signs), land.loss(P), rtol=1e-12, atol=1e-12)


@given(landscape_and_points(), st.floats(-100, 100, allow_nan=False))
def test_positive_homogeneity(lp, a):
    land, P = lp
    assert torch.allclose(land.loss(a * P), abs(a) * land.loss(P), rtol=1e-9, atol=1e-9)


@given(landscapes(max_D=10), st.data())
def test_one_lipschitz(land, data):
    P = data.draw(points(land.D, k=3), label="P")
    Q = data.draw(points(land.D, k=3), label="Q")
    assert ((land.loss(P) - land.loss(Q)).abs() <= (P - Q).norm(dim=-1) * (1 + 1e-12) + 1e-9).all()


@given(landscape_and_points(max_D=9))
def test_equals_brute_force(lp):
    land, P = lp
    assert torch.allclose(land.loss(P), land.brute_force_loss(P), rtol=1e-9, atol=1e-9)


@given(landscape_and_points())
def test_nearest_point_lies_on_a_wedge_at_distance_loss(lp):
    land, P = lp
    N = land.nearest_point(P)
    scale = 1 + P.abs().max()
    assert (land.loss(N) <= 1e-9 * scale).all()
    assert torch.allclose((P - N).norm(dim=-1), land.loss(P), rtol=1e-9, atol=1e-9 * float(scale))


@given(landscapes(max_D=10), st.integers(0, 2**16))
def test_gradient_matches_finite_differences(land, seed):
    assume(land.s > 0)
    P = random_points(land.D, 1, seed=seed)[0]
    Q = land.to_frame(P).abs()
    gaps = torch.sort(Q).values.diff()
    assume(len(gaps) == 0 or float(gaps.min()) > 1e-3)  # away from ties
    P = P.clone().requires_grad_(True)
    land.loss(P).backward()
    h = 1e-6
    E = torch.eye(land.D, dtype=torch.float64)
    fd = torch.stack([(land.loss(P.detach() + h * e) - land.loss(P.detach() - h * e)) / (2 * h) for e in E])
    assert torch.allclose(P.grad, fd, atol=1e-5)


@given(landscape_and_points())
def test_batched_equals_looped(lp):
    land, P = lp
    looped = torch.stack([land.loss(p) for p in P])
    assert torch.equal(land.loss(P), looped) or torch.allclose(land.loss(P), looped, rtol=1e-14, atol=0)


@given(landscape_and_points())
def test_topk_equals_full_sort_formula(lp):
    land, P = lp
    assert torch.allclose(land.loss(P), land.full_sort_loss(P), rtol=1e-12, atol=1e-12)


def test_gradient_at_zero_loss_is_zero_not_nan():
    land = WedgeLandscape(5, 3)
    P = torch.tensor([1.0, 2.0, 3.0, 0.0, 0.0], dtype=torch.float64, requires_grad=True)
    land.loss(P).backward()
    assert torch.equal(P.grad, torch.zeros(5, dtype=torch.float64))


def test_squared_loss_hessian_counts_exact_zeros():
    """Squaring the selected coordinates keeps curvature at exact zeros (|x| would give sign(0) = 0)."""
    land = WedgeLandscape(6, 4)
    P = torch.tensor([3.0, 2.0, 1.0, 4.0, 0.0, 0.0], dtype=torch.float64)
    assert land.hessian_count(P, threshold=1.0) == 2

"""landscape_lib/geometry/asymmetry.py and landscape_lib/nets/batchnorm.py: exact answers at toy sizes."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.optim.swa_utils import update_bn

from landscape_lib.geometry.asymmetry import (AsymmetryRule, asymmetric_fraction, asymmetry, extended_line,
                                              loss_profile, loss_profiles, symmetric_grid, valley_position)
from landscape_lib.geometry.probes import random_unit_directions
from landscape_lib.nets.batchnorm import DEFINITIONS, bn_loss_fn, bn_losses, recomputed_buffers
from landscape_lib.nets.models import build_model
from landscape_lib.nets.params import FlatModel

DT = torch.float64
RULE = dict(reason="toy: exact answers")


def exp_valley(P):
    """sum_i (e^x_i - x_i): minimum 0... at 0 (value D), steep for x > 0, gentle for x < 0."""
    return (P.exp() - P).sum(-1)


# -- the rule -------------------------------------------------------------------------------------
def test_rule_validation():
    AsymmetryRule(c=0.1, r=0.2, p=1.0, **RULE)
    with pytest.raises(ValueError, match="AsymmetryRule.c must be a positive"):
        AsymmetryRule(c=0.0, r=0.2, p=1.0, **RULE)
    with pytest.raises(ValueError, match="AsymmetryRule.r"):
        AsymmetryRule(c=0.1, r=0.0, p=1.0, **RULE)
    with pytest.raises(ValueError, match="AsymmetryRule.p"):
        AsymmetryRule(c=0.1, r=0.5, p=0.5, **RULE)
    with pytest.raises(ValueError, match="AsymmetryRule.reason"):
        AsymmetryRule(c=0.1, r=0.2, p=1.0, reason=" ")


# -- 1-D: e^x - x ---------------------------------------------------------------------------------
def test_exp_valley_margin_is_exact_and_sharp_side_follows_u():
    """L(l) - L(-l) = 2 (sinh l - l), increasing in l: the margin on [r, p] is 2 (sinh r - r)."""
    w = torch.zeros(1, dtype=DT)
    prof = loss_profile(exp_valley, w, torch.ones(1, dtype=DT), p=2.0, n_side=20)
    r = float(prof.ls[25])  # 0.5 on the grid
    exact = 2 * (math.sinh(r) - r)
    a = asymmetry(prof.ls, prof.losses, AsymmetryRule(c=exact * 0.999, r=0.5, p=2.0, **RULE))
    assert float(a.margin[0]) == pytest.approx(exact, rel=1e-12)
    assert bool(a.asymmetric[0]) and int(a.sharp_side[0]) == 1 and len(a.ls) == 16
    assert torch.allclose(a.diffs[0], 2 * (torch.sinh(a.ls) - a.ls), rtol=1e-12)
    assert not bool(asymmetry(prof.ls, prof.losses, AsymmetryRule(c=exact * 1.001, r=0.5, p=2.0, **RULE)).asymmetric[0])
    back = loss_profile(exp_valley, w, -torch.ones(1, dtype=DT), p=2.0, n_side=20)
    b = asymmetry(back.ls, back.losses, AsymmetryRule(c=exact * 0.999, r=0.5, p=2.0, **RULE))
    assert int(b.sharp_side[0]) == -1 and float(b.margin[0]) == pytest.approx(exact, rel=1e-12)


def test_symmetric_quadratic_is_never_asymmetric():
    lam = torch.tensor([1.0, 3.0, 10.0], dtype=DT)
    U = random_unit_directions(40, 3, seed=0)
    ls = symmetric_grid(1.0, 10)
    L = loss_profiles(lambda P: (P ** 2 * lam).sum(-1), torch.zeros(3, dtype=DT), U, ls)
    a = asymmetry(ls, L, AsymmetryRule(c=1e-9, r=0.1, p=1.0, **RULE))
    assert torch.equal(a.margin, torch.zeros(40, dtype=DT)) and not bool(a.asymmetric.any())
    assert torch.equal(a.sharp_side, torch.zeros(40, dtype=a.sharp_side.dtype))
    fr = asymmetric_fraction(ls, L, AsymmetryRule(c=1e-9, r=0.1, p=1.0, **RULE))
    assert (fr.count, fr.n, fr.fraction) == (0, 40, 0.0)
    lo, hi = fr.interval(0.95)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 40), rel=1e-9)  # Clopper-Pearson at k = 0


def test_random_directions_on_a_separable_exp_valley_match_the_closed_form():
    """L(l u) - L(-l u) = sum_i 2 (sinh(l u_i) - l u_i), known for every direction and grid distance."""
    D, n = 5, 60
    U = random_unit_directions(n, D, seed=3)
    ls = symmetric_grid(2.0, 10)
    L = loss_profiles(exp_valley, torch.zeros(D, dtype=DT), U, ls, chunk=37)
    rule = AsymmetryRule(c=0.02, r=0.6, p=2.0, **RULE)
    a = asymmetry(ls, L, rule)
    lpos = ls[13:]  # 0.6 .. 2.0
    diff = (2 * (torch.sinh(lpos.view(1, -1, 1) * U.unsqueeze(1)) - lpos.view(1, -1, 1) * U.unsqueeze(1))).sum(2)
    margin = torch.maximum(diff.min(1).values, (-diff).min(1).values)
    assert torch.allclose(a.margin, margin, rtol=1e-10, atol=1e-14)
    fr = asymmetric_fraction(ls, L, rule)
    k = int((margin >= 0.02).sum())
    assert fr.count == k and fr.n == n and 0 < k < n
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(0.9, method="exact")
    assert fr.interval(0.9) == pytest.approx((ci.low, ci.high), rel=1e-9)
    sign = torch.sign((U ** 3).sum(1))  # to leading order diff = l^3/3 sum u_i^3
    assert torch.equal(a.sharp_side[a.asymmetric], sign[a.asymmetric].to(a.sharp_side.dtype))


def test_asymmetry_bad_grids_and_profiles():
    rule = AsymmetryRule(c=0.1, r=0.2, p=1.0, **RULE)
    ls = symmetric_grid(1.0, 5)
    with pytest.raises(ValueError, match="symmetric about 0"):
        asymmetry(torch.linspace(-1, 2, 11), torch.zeros(11), rule)
    with pytest.raises(ValueError, match="short of rule.p"):
        asymmetry(symmetric_grid(0.5, 5), torch.zeros(11), rule)
    with pytest.raises(ValueError, match="NaN"):
        asymmetry(ls, torch.full((11,), float("nan")), rule)
    with pytest.raises(ValueError, match="losses must have shape"):
        asymmetry(ls, torch.zeros(2, 7), rule)
    with pytest.raises(ValueError, match="unit vectors"):
        loss_profiles(exp_valley, torch.zeros(2, dtype=DT), torch.ones(1, 2, dtype=DT), ls)
    with pytest.raises(ValueError, match="rule must be"):
        asymmetry(ls, torch.zeros(11), (0.1, 0.2, 1.0))


# -- position in the valley -----------------------------------------------------------------------
def test_valley_position_on_a_quadratic_is_exact():
    ls = symmetric_grid(1.0, 10)
    vp = valley_position(ls, (ls - 0.37) ** 2, point=0.0)
    assert vp.bottom == pytest.approx(0.37, abs=1e-12) and vp.bottom_loss == pytest.approx(0.0, abs=1e-12)
    assert vp.offset == pytest.approx(-0.37, abs=1e-12) and not vp.at_edge
    assert vp.sharp_side == 0  # symmetric: the mean side difference is 0 to rounding
    edge = valley_position(ls, (ls - 3.0) ** 2)
    assert edge.at_edge and edge.bottom == 1.0


def test_valley_position_sides_of_a_piecewise_quadratic():
    """L = 4 (l - b)^2 for l > b, (l - b)^2 for l < b: sharp for l > b, flat for l < b."""
    ls = symmetric_grid(1.0, 20)
    b = 0.2
    L = torch.where(ls > b, 4 * (ls - b) ** 2, (ls - b) ** 2)
    left = valley_position(ls, L, point=-0.3)
    assert left.sharp_side == 1 and left.on_flat_side and abs(left.bottom - b) <= 0.05
    right = valley_position(ls, L, point=0.6)
    assert right.sharp_side == 1 and not right.on_flat_side
    with pytest.raises(ValueError, match="window"):
        valley_position(ls, L, window=5.0)


# -- the extended SGD -> SWA line -----------------------------------------------------------------
def test_extended_line_exact_on_a_quadratic():
    c = torch.tensor([1.0, 2.0, -1.0], dtype=DT)
    quad = lambda P: ((P - c) ** 2).sum(-1)  # noqa: E731
    w_sgd, w_swa = torch.zeros(3, dtype=DT), torch.tensor([1.0, 0.0, 0.0], dtype=DT)
    el = extended_line({"train": quad, "shifted": lambda P: quad(P) + 1}, w_sgd, w_swa, t_min=-1, t_max=2,
                       n_points=7)
    assert float(el.ts[0]) == -1 and float(el.ts[-1]) == 2 and {0.0, 1.0} <= set(el.ts.tolist())
    exp = ((w_sgd + el.ts.unsqueeze(1) * (w_swa - w_sgd) - c) ** 2).sum(1)
    assert torch.allclose(el.losses["train"], exp, atol=1e-14) and torch.allclose(el.losses["shifted"], exp + 1)
    vp = el.position_of_swa("train")  # bottom of (t - 1)^2 + 5 at t = 1: the SWA point itself
    assert vp.bottom == pytest.approx(1.0, abs=1e-12) and vp.offset == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="t_min"):
        extended_line(quad, w_sgd, w_swa, t_min=0.0)
    with pytest.raises(ValueError, match="must differ"):
        extended_line(quad, w_sgd, w_sgd)


def test_extended_line_swa_on_the_flat_side_of_an_exp_valley():
    """e^x - x with SGD at its minimum 0 and 'SWA' at -0.5 (the gentle side): SWA sits on the flat side."""
    el = extended_line(exp_valley, torch.zeros(1, dtype=DT), torch.full((1,), -0.5, dtype=DT), n_points=61)
    vp = el.position_of_swa()
    assert abs(vp.bottom) < 0.03 and vp.sharp_side == -1 and vp.on_flat_side


# -- batch-norm definitions -----------------------------------------------------------------------
def _data(n=40, shape=(1, 3, 3), classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, *shape, generator=g, dtype=DT)
    return X, torch.randint(0, classes, (n,), generator=g)


def _kw(definition, A, B, X):
    return {"frozen": dict(ref_theta=A, stats_X=X), "recomputed": dict(stats_X=X),
            "interpolated": dict(line=(A, B), stats_X=X), "batch": {}}[definition]


def test_bn_definitions_agree_without_batch_norm():
    torch.manual_seed(0)
    f = FlatModel(build_model("mlp", (1, 3, 3), 3, hidden=(5,)), dtype=DT)
    X, y = _data()
    A = f.theta0()
    B = A + 0.3 * torch.randn(f.D, dtype=DT, generator=torch.Generator().manual_seed(1))
    P = A + torch.tensor([-0.5, 0.0, 0.4, 1.0, 1.5], dtype=DT).unsqueeze(1) * (B - A)
    ref = f.batched_loss(P, X, y)
    for d in DEFINITIONS:
        assert torch.allclose(bn_losses(f, P, X, y, d, chunk=2, **_kw(d, A, B, X)), ref, rtol=1e-13), d


@pytest.fixture(scope="module")
def bn_net():
    torch.manual_seed(2)
    f = FlatModel(build_model("mlp", (1, 3, 3), 3, hidden=(6, 5), batch_norm=True, dropout=0.3), dtype=DT)
    X, y = _data(n=50)
    A = f.theta0()
    B = A + 0.5 * torch.randn(f.D, dtype=DT, generator=torch.Generator().manual_seed(3))
    return f, X, y, A, B


def _eval_loss(f, th, X, y, buffers):
    return F.cross_entropy(f.eval_logits(th, X, buffers), y)


def test_recomputed_equals_update_bn_and_the_per_point_loop(bn_net):
    f, X, y, A, B = bn_net
    Xs, _ = _data(n=30, seed=5)  # statistics from other inputs than the evaluated ones
    P = torch.stack([A, B, 0.5 * (A + B)])
    L = bn_losses(f, P, X, y, "recomputed", stats_X=Xs, chunk=2)
    loop = torch.stack([_eval_loss(f, th, X, y, f.bn_stats(th, Xs)) for th in P])
    assert torch.allclose(L, loop, rtol=1e-13)
    m = f.to_module(B)
    for mod in m.modules():  # update_bn runs the model in train mode: switch dropout off, as bn_losses does
        if isinstance(mod, torch.nn.Dropout):
            mod.p = 0.0
    update_bn([Xs], m)  # torch's own re-estimation, one full batch
    m.eval()
    with torch.no_grad():
        assert float(F.cross_entropy(m(X), y)) == pytest.approx(float(L[1]), rel=1e-13)
    rb = recomputed_buffers(f, P, Xs)
    for k in range(3):
        ref = f.bn_stats(P[k], Xs)
        for n, v in rb.items():
            assert torch.allclose(v[k], ref[n], atol=1e-14), n


def test_recomputed_with_batchnorm2d():
    torch.manual_seed(4)
    f = FlatModel(build_model("simple_cnn", (1, 4, 4), 3, width=0.25, batch_norm=True), dtype=DT)
    X, y = _data(n=12, shape=(1, 4, 4))
    P = f.theta0() + 0.1 * torch.randn(2, f.D, dtype=DT, generator=torch.Generator().manual_seed(0))
    rb = recomputed_buffers(f, P, X)
    for k in range(2):
        ref = f.bn_stats(P[k], X)
        assert all(torch.allclose(v[k], ref[n], atol=1e-13) for n, v in rb.items())
    loop = torch.stack([_eval_loss(f, th, X, y, f.bn_stats(th, X)) for th in P])
    assert torch.allclose(bn_losses(f, P, X, y, "recomputed", stats_X=X), loop, rtol=1e-12)


def test_frozen_interpolated_and_batch(bn_net):
    f, X, y, A, B = bn_net
    sA, sB = f.bn_stats(A, X), f.bn_stats(B, X)
    P = A + torch.tensor([0.0, 0.5, 1.0], dtype=DT).unsqueeze(1) * (B - A)
    frozen = bn_losses(f, P, X, y, "frozen", ref_theta=A, stats_X=X)
    assert torch.allclose(frozen, torch.stack([_eval_loss(f, th, X, y, sA) for th in P]), rtol=1e-13)
    assert torch.allclose(frozen, bn_losses(f, P, X, y, "frozen", buffers=sA), rtol=0, atol=0)
    rec = bn_losses(f, P, X, y, "recomputed", stats_X=X)
    assert frozen[0] == pytest.approx(float(rec[0]), rel=1e-13)  # at the reference point they agree
    interp = bn_losses(f, P, X, y, "interpolated", line=(A, B), stats_X=X)
    assert torch.allclose(interp[[0, 2]], rec[[0, 2]], rtol=1e-13)  # the ends carry their own statistics
    mid = {n: (0.5 * (sA[n] + sB[n]) if sA[n].is_floating_point() else sA[n]) for n in sA}
    assert float(interp[1]) == pytest.approx(float(_eval_loss(f, P[1], X, y, mid)), rel=1e-13)
    assert torch.allclose(bn_losses(f, P, X, y, "interpolated", line=(A, B), line_buffers=(sA, sB)), interp)
    assert torch.allclose(bn_losses(f, P, X, y, "batch"), f.batched_loss(P, X, y), rtol=1e-14)
    assert not torch.allclose(frozen, rec)  # with batch norm the definitions do differ away from the reference
    fn = bn_loss_fn(f, X, y, "frozen", ref_theta=A, stats_X=X)
    assert torch.allclose(fn(P), frozen, rtol=0, atol=0)
    far = bn_losses(f, A + 3.0 * (B - A).unsqueeze(0), X, y, "interpolated", line=(A, B), stats_X=X)
    assert bool(torch.isfinite(far).all())  # extrapolated variances clamped at 0


def test_bn_definitions_feed_the_profiles(bn_net):
    f, X, y, A, B = bn_net
    U = random_unit_directions(3, f.D, seed=0)
    ls = symmetric_grid(0.5, 2)
    L = loss_profiles(bn_loss_fn(f, X, y, "recomputed", stats_X=X), A, U, ls, chunk=4)
    loop = torch.tensor([[float(_eval_loss(f, A + l * U[i], X, y, f.bn_stats(A + l * U[i], X))) for l in ls]
                         for i in range(3)], dtype=DT)
    assert torch.allclose(L, loop, rtol=1e-12)


def test_bn_bad_input(bn_net):
    f, X, y, A, B = bn_net
    P = torch.stack([A, B])
    with pytest.raises(ValueError, match="definition must be one of"):
        bn_losses(f, P, X, y, "running")
    with pytest.raises(ValueError, match="stats_X"):
        bn_losses(f, P, X, y, "recomputed")
    with pytest.raises(ValueError, match="buffers or ref_theta"):
        bn_losses(f, P, X, y, "frozen", stats_X=X)
    with pytest.raises(ValueError, match="must lie on the line"):
        bn_losses(f, P + 1.0, X, y, "interpolated", line=(A, B), stats_X=X)
    with pytest.raises(ValueError, match="line must be"):
        bn_losses(f, P, X, y, "interpolated", stats_X=X)
    with pytest.raises(ValueError, match="thetas must be"):
        bn_losses(f, A, X, y, "batch")
    with pytest.raises(ValueError, match="y must be"):
        bn_losses(f, P, X, y[:3], "batch")

"""The planted landscapes of the short-direction positive controls (C3, C8, C10, C15) have the counts they are
built to have, and the primaries' own count (``count_at``: Lanczos, eigenvalues above a threshold) finds them.

Exact answers at toy sizes:

* ``planted_short_sets``: s short axes per wedge, s - 1 shared, so J wedges intersect in s - 1 + J axes;
* ``PlantedWedges``: Hessian 2 diag(1_S) on one wedge, (2/J) sum_j diag(1_{S_j}) on J at once;
* ``planted_quadratic``: k eigenvalues in [0.5, 1], D - k exactly 0;
* ``PlantedValley``: Hessian diag(0, g(u) lam) at x = 0; gradient descent at lr ends where g max(lam) < 2/lr.
"""

from __future__ import annotations

import math

import pytest
import torch

from landscape_lib.geometry.short_directions import DECLARED_FRACTION
from landscape_lib.protocols import short_direction_counts as sd

D, S = 30, 5


def dense_eigenvalues(loss, P):
    return torch.linalg.eigvalsh(torch.func.hessian(loss)(P.detach().to(torch.float64)))


def test_short_sets_share_all_but_one_axis():
    M = sd.planted_short_sets(D, S, 4, seed=3)
    assert M.shape == (4, D) and torch.all(M.sum(1) == S)
    for J in range(1, 5):
        assert int(M[:J].amax(0).sum()) == S - 1 + J


@pytest.mark.parametrize("seed", [0, 1])
def test_wedges_hessian_on_one_wedge_and_at_intersections(seed):
    land = sd.PlantedWedges(sd.planted_short_sets(D, S, 4, seed))
    prob = sd.PlantedProblem(land.loss, D)
    O = land.optima(seed)
    ev = dense_eigenvalues(land.loss, O[0])
    assert torch.allclose(ev[-S:], torch.full((S,), 2.0, dtype=ev.dtype), atol=1e-8)
    assert ev[:-S].abs().max() < 1e-8
    thr = DECLARED_FRACTION * sd.top_eigenvalue(prob, O[0])
    assert math.isclose(thr, 0.2, rel_tol=1e-6)
    for J in range(1, 5):
        X = land.intersection(O[0], range(J))
        ev = dense_eigenvalues(land.loss, X)
        expected = sorted([2.0 / J] * J + [2.0] * (S - 1))
        assert torch.allclose(ev[-(S - 1 + J):], torch.tensor(expected, dtype=ev.dtype), atol=1e-8)
        assert sd.count_at(prob, X, thr) == S - 1 + J


def test_tunnel_positive_measures_the_planted_excess():
    s = sd.planted_tunnel_counts(None, "toy", 0, D=D, s=S)
    assert s.arrays["counts"]["0.1 x top"] == [S, S, S + 1, S, S]
    assert s.metrics["mid_excess_over_noise"] == 1 and s.metrics["count_noise"] == 0


def test_connector_positive_measures_the_planted_growth():
    s = sd.planted_connector_counts(None, "toy", 1, D=D, s=S, m_max=3)
    assert s.arrays["counts"] == [S + 1, S + 2, S + 3]
    assert s.metrics["spearman"] == 1.0 and s.metrics["growth_over_noise"] == 2


def test_quadratic_spectrum_count_and_accuracy():
    k = 6
    prob, P0, opt = sd.planted_quadratic(D, k, seed=2)
    ev = dense_eigenvalues(prob.loss, opt)
    assert torch.all(ev[-k:] >= 0.5 - 1e-12) and torch.all(ev[-k:] <= 1 + 1e-12)
    assert ev[:-k].abs().max() < 1e-12
    assert sd.count_at(prob, opt, DECLARED_FRACTION * sd.top_eigenvalue(prob, opt)) == k
    assert prob.accuracy(P0) == 0.0 and prob.accuracy(opt) == 1.0


def test_quadratic_d90_near_the_planted_count():
    """d90 cannot fall below 0.9 k by much: a d-dim subspace removes at most the loss of d stiff directions."""
    k = 8
    prob, P0, opt = sd.planted_quadratic(D, k, seed=0)
    d = sd.d90_sweep(prob, P0, 1.0, d_grid=(4, 8, 16, 30))
    assert k / 2 <= d["d90"] <= 2 * k


def test_valley_hessian_and_stability_at_the_two_learning_rates():
    lim = 2 / sd.LR_HIGH
    land = sd.PlantedValley(D, math.sqrt(2) * lim, lim / math.sqrt(2), seed=0)
    P = land.start(0)
    P[1:] = 0
    ev = dense_eigenvalues(land.loss, P)
    expected = torch.sort(torch.cat([torch.zeros(1, dtype=torch.float64), land.g(P[0]) * land.lam])).values
    assert torch.allclose(ev, expected, atol=1e-9)
    low, high = land.descend(land.start(0), sd.LR_LOW), land.descend(land.start(0), sd.LR_HIGH)
    g_low, g_high = float(land.g(low[0])), float(land.g(high[0]))
    assert g_low > 0.98 * land.S_sharp and g_low * float(land.lam.max()) < 2 / sd.LR_LOW
    assert g_high * float(land.lam.max()) < 2 / sd.LR_HIGH


def test_lr_positive_drop_is_the_spectral_window():
    """With one shared threshold T = 0.1 (top_low + top_high) / 2, the drop is the number of eigenvalues above T at
    the low-lr optimum minus those above it at the high-lr one, from the dense Hessians."""
    lim = 2 / sd.LR_HIGH
    land = sd.PlantedValley(D, math.sqrt(2) * lim, lim / math.sqrt(2), seed=1)
    prob = sd.PlantedProblem(land.loss, D)
    low, high = land.descend(land.start(1), sd.LR_LOW), land.descend(land.start(1), sd.LR_HIGH)
    el, eh = dense_eigenvalues(land.loss, low), dense_eigenvalues(land.loss, high)
    T = DECLARED_FRACTION * 0.5 * float(el[-1] + eh[-1])
    m = sd.lr_counts(prob, low, high, "shared")
    assert m["count_drop"] == int((el > T).sum()) - int((eh > T).sum()) > 0

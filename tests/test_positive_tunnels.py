"""The positive controls of C4-C7: the planted constructs have exactly the planted property, at toy sizes, and
each positive control is decided as its claim's primary is (same checks, statistic and number of samples)."""

import pytest
import torch

from landscape_lib.geometry import connectors as cn
from landscape_lib.geometry.toy import WedgeLandscape, random_points
from landscape_lib.nets.data import Dataset
from landscape_lib.protocols import tunnels as tn
from landscape_lib.types import Role
from landscape_lib.verdicts.cases import tunnels as cases


def _on_wedges(land, seed):
    """Two points exactly on their nearest wedges (zero loss), on different wedges."""
    P = random_points(land.D, 2, seed=seed)
    A, B = land.nearest_point(P[0]), land.nearest_point(P[1])
    assert not torch.equal(land.long_axes(A), land.long_axes(B))
    return A, B


# -- C6: the tunnel that follows A's wedge, then B's -------------------------------------------------
@pytest.mark.parametrize("rotation", [None, "random"])
def test_wedge_node_is_the_nearest_point_of_the_wedge_in_the_hyperplane(rotation):
    """x = E_L (x0 + beta u) lies on the wedge and on x0's hyperplane, and is the minimum-norm move there: the
    least-squares solution of [E_S; u^T] v = [-x0_S; 0] with the smallest |v| (pseudo-inverse)."""
    land = WedgeLandscape(10, 6, rotation=rotation, seed=1)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(3, 10, generator=g, dtype=torch.float64)
    u = torch.randn(10, generator=g, dtype=torch.float64)
    u = u / u.norm()
    long = land.long_axes(random_points(10, 3, seed=5))
    x = tn.wedge_nodes(land, x0, u, long)
    for i in range(3):
        S = ~long[i]
        R = torch.eye(10, dtype=torch.float64) if land.R is None else land.R
        M = torch.cat([R[:, S].T, u.unsqueeze(0)])  # rows: the short frame axes in P's coordinates, then u
        rhs = torch.cat([-(x0[i] @ R)[S], torch.zeros(1, dtype=torch.float64)])
        v = torch.linalg.pinv(M) @ rhs
        assert torch.allclose(x[i], x0[i] + v, atol=1e-12)
        assert float(((x[i] - x0[i]) @ u).abs()) < 1e-12
        assert float((land.to_frame(x[i])[S]).abs().max()) < 1e-12


def test_wedge_path_halves_are_aligned_and_meet_at_the_closed_form_cosine():
    """With A and B exactly on their wedges: every node has zero loss, so does every piece (the middle node lies
    on both wedges); deviations within a half are parallel (cosine 1) and the cosine across halves is
    sqrt(p q / ((1 - p)(1 - q))), p, q the shares of |B - A|^2 on B's and on A's own axes."""
    land = WedgeLandscape(12, 8)
    for seed in (3, 4):
        A, B = _on_wedges(land, seed)
        path = tn.wedge_path(land, A, B)
        assert len(path.nodes) == 11 and float(path.loss.abs().max()) == 0.0 and path.drift < 1e-12
        h = cn.halves_alignment(cn.cosine_matrix(cn.deviations(path, A, B)))
        la, lb = land.long_axes(A), land.long_axes(B)
        n2 = (B - A).square().sum()
        p, q = B[lb & ~la].square().sum() / n2, A[la & ~lb].square().sum() / n2
        assert h["within_first"] == pytest.approx(1.0, abs=1e-12)
        assert h["within_second"] == pytest.approx(1.0, abs=1e-12)
        assert h["across"] == pytest.approx(float((p * q / ((1 - p) * (1 - q))).sqrt()), abs=1e-12)


def test_wedge_path_on_toy_optima_reports_the_c6_metrics():
    s = tn.tunnel_experiment(WedgeLandscape(40, 30), 0, path="wedges")
    assert s.metrics["different_wedges"] and s.metrics["drift"] < 1e-10
    assert s.metrics["within_min"] > 0.99 and s.metrics["across_abs"] < 0.2
    assert 0 < s.metrics["deviation_size"] < 1 and s.metrics["tunnel_ratio"] < 5
    with pytest.raises(ValueError, match="'wedges'"):
        tn.tunnel_experiment(WedgeLandscape(40, 30), 0, path="curved")


# -- C7: two linear classifiers and a path planted to switch between them ---------------------------
def _labels(X, thetas):
    """The planted classifiers on inputs X, and the labels of each row of ``thetas`` on them."""
    y = torch.zeros(len(X), dtype=torch.int64)
    clf = tn.LinearClassifiers(Dataset("x", X, y, X, y, 2, (X.shape[1],)))
    return clf, clf.logits(torch.stack(thetas) if isinstance(thetas, list) else thetas, X).argmax(-1)


def test_planted_switch_disagrees_on_exactly_the_planted_inputs_and_m_computes_b():
    X = torch.randn(300, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for n in (10, 20, 57):
        A, M, B, path = tn.planted_switch(X, seed=n, disagreements=n)
        _, (la, lm, lb) = _labels(X, [A, M, B])
        assert int((la != lb).sum()) == n and torch.equal(lm, lb) and not torch.equal(M, B)
        assert (M - B).norm() == pytest.approx(float((B - A).norm()), rel=1e-12)
        assert path.node_t.tolist() == pytest.approx([i / 10 for i in range(11)])
        assert torch.allclose(path.nodes[5], M) and torch.equal(path.nodes[0], A) and torch.equal(path.nodes[-1], B)
    with pytest.raises(ValueError, match="disagreements"):
        tn.planted_switch(X, 0, disagreements=300)


def test_planted_path_switches_on_its_first_half_as_the_line_does_on_the_whole():
    """agree_B on the tunnel at t <= 1/2 is the straight line's at 2t, exactly (the margin along A -> M is the
    line's: M differs from B by a shift of both logits); after t = 1/2 it is 1."""
    X = torch.randn(300, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    _, _, _, path = tn.planted_switch(X, seed=2, disagreements=40)
    clf, _ = _labels(X, path.nodes)
    s = tn.label_switch(clf, path, "test")
    b, lb = s.arrays["b"], s.arrays["lb"]
    assert s.metrics["disagreements"] == 40 and len(b) == len(lb) == 41
    assert b[:21] == pytest.approx(lb[::2]) and b[20:] == pytest.approx([1.0] * 21)


def test_planted_shape_is_the_claimed_one_with_many_disagreements():
    """With 1000 disagreeing Gaussian inputs the line's switch points are near-uniform: the tunnel is within
    0.03 of min(2t, 1) and the line about 0.25 from it (mean |t - min(2t, 1)| = 1/4)."""
    X = torch.randn(5000, 16, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    _, _, _, path = tn.planted_switch(X, seed=0, disagreements=1000)
    clf, _ = _labels(X, path.nodes)
    s = tn.label_switch(clf, path, "test")
    assert s.metrics["shape_error"] < 0.03
    assert s.nulls["shape_error_null"] == pytest.approx(0.25, abs=0.03)
    assert s.metrics["shape_gain_over_null"] > 0.2


# -- the declarations ------------------------------------------------------------------------------
@pytest.mark.parametrize("claim", ["C4", "C5", "C6", "C7"])
def test_each_claim_has_a_positive_control_decided_as_its_primary(claim):
    mine = [c for c in cases.CASES if c.claim == claim]
    primary = next(c for c in mine if c.role == Role.PRIMARY)
    positives = [c for c in mine if c.role == Role.POSITIVE]
    assert positives
    for p in positives:
        assert p.checks is None and p.rule == primary.rule and p.decision == primary.decision
        assert len(p.samples) == len(primary.samples) == 6 and len(set(p.samples)) == 6
        assert p.planted.strip()

"""Short (high-curvature) directions: at an optimum against its intrinsic dimension (C3), along a tunnel
(C8), at the middles of m-connectors (C10), and after training at a low and a high learning rate (C15),
on the toy model and on trained networks.

Protocols: ``net_d90_vs_count`` (C3), ``toy_tunnel_counts`` and ``net_tunnel_counts`` (C8),
``toy_connector_counts`` and ``net_connector_counts`` (C10), ``net_lr_counts`` (C15).

The threshold is defined once, in ``geometry.short_directions``: on networks ``DECLARED_FRACTION`` x the
mean top Hessian eigenvalue at the endpoint optima, the same absolute value all along a path; on the toy
model ``TOY_FRACTION`` x the top eigenvalue of the squared loss at an optimum (1.0). A count's noise on a
network (Lanczos start vector, same-basin neighbour: ``count_noise``) is measured per configuration and
subtracted from the sign rules ("by more than the count's noise"); toy counts are exact.
"""

from __future__ import annotations

import dataclasses

import torch

from ..geometry import connectors as cn
from ..geometry.lanczos import top_eigenvalues
from ..geometry.short_directions import (DECLARED_FRACTION, TOY_FRACTION, TOY_TOP_EIGENVALUE,
                                         ShortDirectionThreshold, count_profile, count_short_directions)
from ..geometry.toy import CosineLandscape, WedgeLandscape, random_points
from ..nets.problem import Problem
from ..stats import spearman
from ..types import Sample
from .endpoints import pair_optima, toy_optima
from .m_connectors import connector_middles, connector_points, m_connector_metrics
from .tunnels import _tunnel_for


# C8's profiles count at the declared fraction only: the 0.05 and 0.01 counts decided nothing and cost 10x the
# Lanczos work (claims/RULES.md #35); C3's threshold variants count at their own fractions.
FRACTIONS = (DECLARED_FRACTION,)


def count_at(problem: Problem, theta: torch.Tensor, threshold: float, k_max: int = 600) -> int:
    """The number of Hessian eigenvalues of the training loss at theta above ``threshold``."""
    return count_short_directions(problem.train_loss, problem.theta(theta), threshold, k_max=k_max).count


def top_eigenvalue(problem: Problem, theta: torch.Tensor) -> float:
    """The largest Hessian eigenvalue of the training loss at theta."""
    return float(top_eigenvalues(problem.train_loss, problem.theta(theta), 1)[0])


def count_noise(problem: Problem, theta: torch.Tensor, neighbour_theta: torch.Tensor, threshold: float,
                k_max: int = 600) -> dict:
    """The noise of the short-direction count at an optimum: the count with two Lanczos start vectors
    (seeds 0 and 1) and at a same-basin neighbour. noise = the largest difference among the three."""
    th = problem.theta(theta)
    c0 = count_short_directions(problem.train_loss, th, threshold, k_max=k_max, seed=0).count
    c1 = count_short_directions(problem.train_loss, th, threshold, k_max=k_max, seed=1).count
    cn_ = count_short_directions(problem.train_loss, problem.theta(neighbour_theta), threshold, k_max=k_max).count
    vals = [c0, c1, cn_]
    return {"count_seed0": c0, "count_seed1": c1, "count_neighbour": cn_, "count_noise": max(vals) - min(vals)}


def d90_sweep(problem: Problem, theta_init: torch.Tensor, full_acc: float,
              d_grid=(10, 20, 40, 80, 160, 320, 640, 1280), steps: int = 500, lr: float = 1e-2) -> dict:
    """C3: d90 (Li et al. 2018): the smallest d at which training in a random d-dim subspace through the
    init reaches 90% of the optimum's test accuracy (Adam, ``steps``; bisection at resolution 4)."""
    from ..geometry import intrinsic

    grid = [d for d in d_grid if d <= problem.D]
    r = intrinsic.d90(problem.train_loss, lambda P: problem.accuracy(P), problem.theta(theta_init), full_acc,
                      d_grid=grid, steps=steps, lr=lr, resolution=4)
    return {"d90": r.d90 if r.d90 is not None else problem.D, "target_acc": r.target,
            "d_grid": list(r.accuracies), "acc_grid": [r.mean_acc(x) for x in r.accuracies]}


def net_d90_vs_count(lab, label, sample, fraction) -> Sample:
    """C3: d90 (subspace training from the init to 90% of the optimum's test accuracy; cached once per
    optimum and shared by every threshold) against the count of Hessian eigenvalues above ``fraction`` x
    the top one at the optimum."""
    opt = lab.optima(label)[sample]
    prob = lab.problem(label)
    key = (lab.config_key(label), lab.spec.k, sample)
    d = lab.cached("d90", key, lambda: d90_sweep(prob, opt.theta_init, opt.test_acc), f"d90 of optimum {sample}")
    top = lab.cached("top_eigenvalue", key, lambda: top_eigenvalue(prob, opt.theta))
    count = count_at(prob, opt.theta, fraction * top, k_max=min(1200, prob.D))
    return Sample(metrics={"ratio": max(d["d90"], count) / max(1, min(d["d90"], count)), "count": count,
                           "fraction": fraction, "top_eigenvalue": top, "d90": d["d90"], "target_acc": d["target_acc"]},
                  arrays={"d": d["d_grid"], "acc": d["acc_grid"]})


def _count(land: WedgeLandscape, P: torch.Tensor, count: str) -> int:
    if count == "hessian":
        return land.hessian_count(P, threshold=TOY_FRACTION * TOY_TOP_EIGENVALUE)
    if count == "pinned":
        return int(land.pinned_count(P))
    raise ValueError(f"count must be 'hessian' or 'pinned', got {count!r}")


def tunnel_count_profile(land: WedgeLandscape, seed: int, path: str, count: str, same_wedge: bool = False,
                         points: int = 5, pair: str = "independent", path_points=None) -> Sample:
    """Short-direction counts at ``points`` evenly spaced points of a path between two toy optima.

    The Hessian threshold is ``TOY_FRACTION`` x the top eigenvalue of the squared loss at an optimum
    (which is exactly 2), i.e. 1.0, the same all along the path. ``pair="same-basin"``: B is A's
    re-descent after a 1% move (the same-basin control). ``path_points``: (A, B, points, t) of
    ``tunnel_points`` computed before (shared by the hessian and pinned counts).
    """
    A, B, pts, ts = path_points or tunnel_points(land, seed, path, same_wedge=same_wedge, points=points, pair=pair)
    return _profile(land, A, B, pts, ts, count)


def tunnel_points(land: WedgeLandscape, seed: int, path: str, same_wedge: bool = False, points: int = 5,
                  pair: str = "independent"):
    """(A, B, the path's ``points`` evenly spaced nodes, their t) for the C8 count profile."""
    A, B = toy_optima(land, 2, seed, same_wedge=True) if same_wedge else pair_optima(land, 2, seed, pair)
    if path == "paper":
        conn = cn.tunnel(land.loss, A, B, cn.TunnelConfig(k=points - 1, steps=1000, lr=1e-2))
        pts, ts = conn.nodes, conn.node_t.tolist()
    elif path == "intersection":
        X = land.intersection_point(A, B)
        h = points // 2
        s = torch.linspace(0, 1, h + 1, dtype=A.dtype)
        pts = torch.cat([cn.linear_path(A, X, s), cn.linear_path(X, B, s[1:])])
        ts = [0.5 * float(v) for v in s] + [0.5 + 0.5 * float(v) for v in s[1:]]
    else:
        raise ValueError(f"path must be 'paper' or 'intersection', got {path!r}")
    return A, B, pts, ts


def _profile(land, A, B, pts, ts, count: str) -> Sample:
    counts = [_count(land, p, count) for p in pts]
    mid = counts[len(counts) // 2]
    ends = 0.5 * (counts[0] + counts[-1])
    common = int((land.long_axes(A) & land.long_axes(B)).sum())
    return Sample(metrics={"mid_count": mid, "endpoint_count": ends, "mid_excess": mid - ends,
                           "count_noise": 0, "mid_excess_over_noise": mid - ends,  # exact counts: no count noise
                           "expected_optimum": land.s, "expected_intersection": land.D - common},
                  arrays={"t": ts, "counts": counts})


def _top_half(land: CosineLandscape, optima: torch.Tensor) -> float:
    """The declared threshold: ``TOY_FRACTION`` x the optima's mean top Hessian eigenvalue (as the toy's 1.0 is
    half the top eigenvalue 2 of its squared loss at an optimum), the same all along the path."""
    return TOY_FRACTION * float(torch.stack([land.eigenvalues(o)[-1] for o in optima]).mean())


def smooth_tunnel_counts(land: CosineLandscape, seed: int, points: int = 5) -> Sample:
    """C8's measurement without wedges: Hessian counts at the nodes of the §4.2 tunnel (k = points - 1,
    as the toy's) between two local minima (Adam from two N(0, 1) inits) of a smooth cosine landscape."""
    A, B = land.minima(random_points(land.D, 2, seed=seed))
    conn = cn.tunnel(land.loss, A, B, cn.TunnelConfig(k=points - 1, steps=1000, lr=1e-2))
    thr = _top_half(land, torch.stack([A, B]))
    counts = [int((land.eigenvalues(p) > thr).sum()) for p in conn.nodes]
    mid, ends = counts[len(counts) // 2], 0.5 * (counts[0] + counts[-1])
    return Sample(metrics={"mid_count": mid, "endpoint_count": ends, "mid_excess": mid - ends, "count_noise": 0,
                           "mid_excess_over_noise": mid - ends, "threshold": thr,
                           "endpoint_losses": land.loss(torch.stack([A, B])).tolist()},
                  arrays={"t": conn.node_t.tolist(), "counts": counts})


def toy_tunnel_counts(lab, label, sample, D, n, path, count, same_wedge=False, pair="independent",
                      landscape="wedges") -> Sample:
    """C8 on the toy: short-direction counts at 5 points of a path (count = hessian: eigenvalues of the
    squared loss's Hessian above 1.0 = half its top eigenvalue 2; pinned: coordinates pinned at 0).
    ``pair="same-basin"``: an optimum and its re-descent after a 1% move; ``landscape="cosine"``: the same
    tunnel between two minima of a smooth landscape without wedges, exact Hessian counts (the controls).
    The path is cached apart from the count, so the hessian and pinned cases share it."""
    if landscape == "cosine":
        if (path, count) != ("paper", "hessian"):
            raise ValueError(f"landscape='cosine' takes path='paper', count='hessian', got {path!r}, {count!r}")
        return smooth_tunnel_counts(CosineLandscape(D, seed=sample), sample)
    land = WedgeLandscape(D, n)
    pts = lab.cached("toy_path", ("tunnel_points", D, n, sample, path, pair, same_wedge),
                     lambda: tunnel_points(land, sample, path, same_wedge=same_wedge, pair=pair),
                     f"toy tunnel points D={D} n={n} seed={sample} {path} {pair}")
    return tunnel_count_profile(land, sample, path, count, path_points=pts)


def short_direction_profile(problem: Problem, path: cn.Path, points: int = 5, k_max: int = 600) -> Sample:
    """C8: short-direction counts at ``points`` nodes spread along the tunnel, for FRACTIONS of the
    endpoints' mean top eigenvalue (the same absolute threshold along the path)."""
    idx = torch.linspace(0, len(path.nodes) - 1, points).round().long().unique()
    thetas = [path.nodes[i] for i in idx]
    prof = count_profile(problem.train_loss, thetas, fractions=FRACTIONS, k_max=k_max)
    counts = prof.counts.double()
    mid = len(thetas) // 2
    j = FRACTIONS.index(DECLARED_FRACTION)
    excess = {fr: float(counts[mid, i] - 0.5 * (counts[0, i] + counts[-1, i])) for i, fr in enumerate(FRACTIONS)}
    return Sample(metrics={"mid_excess": excess[DECLARED_FRACTION], "mid_count": int(counts[mid, j]),
                           "endpoint_count": float(0.5 * (counts[0, j] + counts[-1, j])),
                           "threshold": prof.thresholds[j].value, "top_endpoints": prof.thresholds[j].reference_top,
                           **{f"mid_excess_f{fr:g}": v for fr, v in excess.items()}},
                  arrays={"t": [float(path.node_t[i]) for i in idx],
                          "counts": {f"{fr:g} x top": counts[:, i].tolist() for i, fr in enumerate(FRACTIONS)}})


def net_tunnel_counts(lab, label, sample, nodes="budget") -> Sample:
    """C8: short-direction counts at 5 nodes of the tunnel (``DECLARED_FRACTION`` x the endpoints' mean top
    eigenvalue, one absolute threshold along the path), each node's training loss, and the excess over
    the count noise (Lanczos start vector, same-basin neighbour) measured for this configuration."""
    path = _tunnel_for(lab, label, tuple(sample), nodes)
    prob = lab.problem(label)
    s = short_direction_profile(prob, path)
    idx = torch.linspace(0, len(path.nodes) - 1, 5).round().long().unique()
    losses = prob.train_losses(path.nodes[idx]).tolist()
    noise = lab.count_noise(label)["count_noise"]
    s.metrics.update({"mid_loss": losses[len(losses) // 2], "endpoint_loss": 0.5 * (losses[0] + losses[-1]),
                      "count_noise": noise, "mid_excess_over_noise": s.metrics["mid_excess"] - noise})
    return s


def m_connector_counts(land: WedgeLandscape, seed: int, construction: str, count: str, m_max: int = 4,
                       same_wedge: bool = False, pair: str = "independent", points=None) -> Sample:
    """Count at the middle of m-connectors for m = 1..m_max between m + 1 toy optima.

    ``construction="paper"``: the centroid optimized in the (D - m)-dim subspace orthogonal to the
    simplex (§4.3); ``"intersection"``: the first optimum's coordinates on the long axes common to all.
    ``pair="same-basin"``: one optimum and m_max re-descents of 1% moves from it (the same-basin control).
    ``points``: the output of ``connector_points`` computed before (shared by the two counts).
    """
    _, mids, losses = points or connector_points(land, seed, construction, m_max, same_wedge, pair)
    ms = list(range(1, m_max + 1))
    counts = [_count(land, mid, count) for mid in mids]
    return Sample(metrics={"spearman": spearman(ms, counts), "growth": counts[-1] - counts[0],
                           "count_noise": 0, "growth_over_noise": counts[-1] - counts[0],  # exact counts: no noise
                           "middle_losses": losses},
                  arrays={"m": ms, "counts": counts})


def smooth_connector_counts(land: CosineLandscape, seed: int, m_max: int = 4) -> Sample:
    """C10's measurement without wedges: Hessian counts at the middles of the m-connectors (the toy's
    construction) between m + 1 local minima of a smooth cosine landscape."""
    optima = land.minima(random_points(land.D, m_max + 1, seed=seed))
    mids, losses = connector_middles(land.loss, optima, m_max)
    thr = _top_half(land, optima)
    ms = list(range(1, m_max + 1))
    counts = [int((land.eigenvalues(p) > thr).sum()) for p in mids]
    return Sample(metrics={"spearman": spearman(ms, counts), "growth": counts[-1] - counts[0],
                           "count_noise": 0, "growth_over_noise": counts[-1] - counts[0], "threshold": thr,
                           "middle_losses": losses},
                  arrays={"m": ms, "counts": counts})


def toy_connector_counts(lab, label, sample, D, n, construction, count, same_wedge=False, pair="independent",
                         landscape="wedges") -> Sample:
    """C10 on the toy: the count at the middle of m-connectors, m = 1..4 (``pair``, ``landscape`` as for
    ``toy_tunnel_counts``; the connectors are cached apart from the count)."""
    if landscape == "cosine":
        if (construction, count) != ("paper", "hessian"):
            raise ValueError("landscape='cosine' takes construction='paper', count='hessian', "
                             f"got {construction!r}, {count!r}")
        return smooth_connector_counts(CosineLandscape(D, seed=sample), sample)
    land = WedgeLandscape(D, n)
    pts = lab.cached("toy_connectors", ("connector_points", D, n, sample, construction, pair, same_wedge),
                     lambda: connector_points(land, sample, construction, 4, same_wedge, pair),
                     f"toy m-connectors D={D} n={n} seed={sample} {construction} {pair}")
    return m_connector_counts(land, sample, construction, count, m_max=4, points=pts)


def connector_counts(problem: Problem, optima: torch.Tensor, order: list[int], m_max: int = 4,
                     fraction: float = DECLARED_FRACTION, nodes: str = "budget") -> Sample:
    """C10: counts at the middle of m-connectors over the optima ``order[:m + 1]``, m = 1..m_max,
    with one threshold: fraction x the mean top eigenvalue over all the optima used."""
    used = [order[i] for i in range(m_max + 1)]
    thr = ShortDirectionThreshold.of([top_eigenvalue(problem, optima[i]) for i in used], fraction)
    ms, counts, losses = [], [], []
    for m in range(1, m_max + 1):
        _, mc = m_connector_metrics(problem, optima[used[: m + 1]], nodes)
        ms.append(m)
        counts.append(count_at(problem, mc.middle, thr.value))
        losses.append(mc.middle_loss)
    ends = float(problem.train_losses(problem.theta(optima[used])).mean())
    return Sample(metrics={"spearman": spearman(ms, counts), "growth": counts[-1] - counts[0], "threshold": thr.value,
                           "counts": str(counts), "optima_loss": ends,
                           "middle_losses": str([f"{x:.2e}" for x in losses])},
                  arrays={"m": ms, "counts": counts})


def net_connector_counts(lab, label, sample, nodes="loss-matched", same_basin=False) -> Sample:
    """C10: counts at the middle of m-connectors over the first m + 1 optima of ``sample``, m = 1..len-1,
    middles loss-matched to the optima (equal-loss comparison); growth beyond the count noise.
    ``same_basin``: an optimum and same-basin neighbours of it instead of independent optima."""
    ops, prob = lab.optima(label), lab.problem(label)
    if same_basin:
        i = sample[0]
        pts = torch.stack([ops[i].theta] + [lab.neighbour(label, i, seed=s) for s in range(1, len(sample))])
        order = list(range(len(sample)))
    else:
        pts = torch.stack([o.theta for o in ops])
        order = list(sample)
    s = connector_counts(prob, pts, order, m_max=len(order) - 1, nodes=nodes)
    noise = lab.count_noise(label)["count_noise"]
    s.metrics.update({"count_noise": noise, "growth_over_noise": s.metrics["growth"] - noise})
    return s


LR_LOW, LR_HIGH = 3e-3, 3e-2


def lr_counts(problem: Problem, theta_low: torch.Tensor, theta_high: torch.Tensor, threshold: str,
              fraction: float = DECLARED_FRACTION) -> dict:
    """C15: short directions at an optimum trained with a low vs a high learning rate.
    threshold="shared": fraction x the mean top eigenvalue of the two optima (one absolute threshold);
    "own": fraction x each optimum's own top eigenvalue."""
    tl, th = top_eigenvalue(problem, theta_low), top_eigenvalue(problem, theta_high)
    if threshold == "shared":
        t_low = t_high = fraction * 0.5 * (tl + th)
    elif threshold == "own":
        t_low, t_high = fraction * tl, fraction * th
    else:
        raise ValueError(f"threshold must be 'shared' or 'own', got {threshold!r}")
    cl, ch = count_at(problem, theta_low, t_low), count_at(problem, theta_high, t_high)
    return {"count_drop": cl - ch, "count_low_lr": cl, "count_high_lr": ch, "top_low_lr": tl, "top_high_lr": th}


def net_lr_counts(lab, label, sample, threshold="shared") -> Sample:
    """C15: short directions at optima trained with lr 3e-3 vs 3e-2 (same seed, both to the same target
    loss: an equal-loss comparison), one shared threshold or each optimum's own; the drop beyond the count
    noise of this configuration."""
    base = lab.config(label)
    low = lab.optima(dataclasses.replace(base, lr=LR_LOW), k=4)[sample]
    high = lab.optima(dataclasses.replace(base, lr=LR_HIGH), k=4)[sample]
    m = lr_counts(lab.problem(label), low.theta, high.theta, threshold)
    noise = lab.count_noise(label)["count_noise"]
    return Sample(metrics={**m, "loss_low_lr": low.train_loss, "loss_high_lr": high.train_loss, "count_noise": noise,
                           "count_drop_over_noise": m["count_drop"] - noise})

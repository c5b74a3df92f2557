"""Short (high-curvature) directions: at an optimum against its intrinsic dimension (C3), along a tunnel
(C8), at the middles of m-connectors (C10), and after training at a low and a high learning rate (C15),
on the toy model and on trained networks.

Protocols: ``net_d90_vs_count`` (C3), ``toy_tunnel_counts`` and ``net_tunnel_counts`` (C8),
``toy_connector_counts`` and ``net_connector_counts`` (C10), ``net_lr_counts`` (C15); their positive
controls ``planted_d90_vs_count``, ``planted_tunnel_counts``, ``planted_connector_counts`` and
``planted_lr_counts``: the network primaries' own functions on a ``PlantedProblem`` whose count is known
by construction (a quadratic, smooth wedges through a planted intersection, a valley that a higher
learning rate must leave for its flatter end). The C8 and C10 controls take the path either by hand through
the planted intersections or from the primary's own builder (``build_tunnel``; ``m_connector_metrics`` inside
``connector_counts``), the second testing the primary's measurement end to end.

The threshold is defined once, in ``geometry.short_directions``: on networks ``DECLARED_FRACTION`` x the
mean top Hessian eigenvalue at the endpoint optima, the same absolute value all along a path; on the toy
model ``TOY_FRACTION`` x the top eigenvalue of the squared loss at an optimum (1.0). A count's noise on a
network (Lanczos start vector, same-basin neighbour: ``count_noise``) is measured per configuration and
subtracted from the sign rules ("by more than the count's noise"); toy counts are exact.
"""

from __future__ import annotations

import dataclasses
import math

import torch

from ..geometry import connectors as cn
from ..geometry.lanczos import top_eigenvalues
from ..geometry.short_directions import (DECLARED_FRACTION, TOY_FRACTION, TOY_TOP_EIGENVALUE,
                                         ShortDirectionThreshold, count_profile, count_short_directions)
from ..geometry.toy import CosineLandscape, WedgeLandscape, random_points, random_rotation
from ..nets.problem import Problem
from ..stats import spearman
from ..types import Sample
from .endpoints import NEIGHBOUR_SCALE, pair_optima, toy_optima
from .m_connectors import connector_middles, connector_points, m_connector_metrics
from .tunnels import PathConfig, _tunnel_for, build_tunnel


# C8's profiles count at the declared fraction only: the 0.05 and 0.01 counts decided nothing and cost 10x the
# Lanczos work (claims/RULES.md #35); C3's threshold variants count at their own fractions.
FRACTIONS = (DECLARED_FRACTION,)


def count_at(problem: Problem, theta: torch.Tensor, threshold: float, k_max: int = 600) -> int:
    """The number of Hessian eigenvalues of the training loss at theta above ``threshold``."""
    return count_short_directions(problem.curvature_loss, problem.theta(theta), threshold, k_max=k_max).count


def top_eigenvalue(problem: Problem, theta: torch.Tensor) -> float:
    """The largest Hessian eigenvalue of the training loss at theta."""
    return float(top_eigenvalues(problem.curvature_loss, problem.theta(theta), 1)[0])


def count_noise(problem: Problem, theta: torch.Tensor, neighbour_theta: torch.Tensor, threshold: float,
                k_max: int = 600) -> dict:
    """The noise of the short-direction count at an optimum: the count with two Lanczos start vectors
    (seeds 0 and 1) and at a same-basin neighbour. noise = the largest difference among the three."""
    th = problem.theta(theta)
    c0 = count_short_directions(problem.curvature_loss, th, threshold, k_max=k_max, seed=0).count
    c1 = count_short_directions(problem.curvature_loss, th, threshold, k_max=k_max, seed=1).count
    cn_ = count_short_directions(problem.curvature_loss, problem.theta(neighbour_theta), threshold, k_max=k_max).count
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
    return d90_count_sample(prob, opt.theta, fraction, d, top)


def d90_count_sample(problem, theta, fraction: float, d: dict, top: float) -> Sample:
    """C3's sample: the count of Hessian eigenvalues above ``fraction`` x ``top`` at the optimum theta, against
    the d90 of ``d90_sweep``; ratio = max(d90, count) / max(1, min(d90, count))."""
    count = count_at(problem, theta, fraction * top, k_max=min(1200, problem.D))
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
    prof = count_profile(problem.curvature_loss, thetas, fractions=FRACTIONS, k_max=k_max)
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
    return tunnel_sample(lab.problem(label), path, lab.count_noise(label)["count_noise"])


def tunnel_sample(prob, path: cn.Path, noise: int) -> Sample:
    """C8's sample on a path: ``short_direction_profile`` at 5 nodes, each node's training loss, and the
    middle's excess over the count ``noise``."""
    s = short_direction_profile(prob, path)
    idx = torch.linspace(0, len(path.nodes) - 1, 5).round().long().unique()
    losses = prob.train_losses(path.nodes[idx]).tolist()
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
                     fraction: float = DECLARED_FRACTION, nodes: str = "budget",
                     middles: torch.Tensor | None = None) -> Sample:
    """C10: counts at the middle of m-connectors over the optima ``order[:m + 1]``, m = 1..m_max,
    with one threshold: fraction x the mean top eigenvalue over all the optima used. ``middles``: the
    middles given (row m - 1 for m; a planted landscape's wedge intersections) instead of optimized."""
    used = [order[i] for i in range(m_max + 1)]
    thr = ShortDirectionThreshold.of([top_eigenvalue(problem, optima[i]) for i in used], fraction)
    ms, counts, losses = [], [], []
    for m in range(1, m_max + 1):
        if middles is None:
            _, mc = m_connector_metrics(problem, optima[used[: m + 1]], nodes)
            middle, middle_loss = mc.middle, mc.middle_loss
        else:
            middle = middles[m - 1]
            middle_loss = float(problem.train_loss(problem.theta(middle)))
        ms.append(m)
        counts.append(count_at(problem, middle, thr.value))
        losses.append(middle_loss)
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


# -- positive controls: the primaries' own counts on landscapes whose counts are planted ------------------------

PLANTED_D, PLANTED_S = 100, 20  # the toy's D100 shape: D = 100, n = 80 long and s = D - n = 20 short directions
PLANTED_EPS = 1e-3  # a planted wedge's width: another wedge's term weighs exp(-(coordinate / eps)^2) at a point
PLANTED_TARGET = 1e-3  # the loss the C15 valley is trained to at both learning rates (TrainConfig.target_loss)
_PLANTED_STREAM = 9_000_011  # planted landscapes draw from their own stream, apart from the points' seeds


class PlantedProblem:
    """A planted landscape in the role of a network's ``Problem``, so that the primaries' own functions
    (``count_at``, ``short_direction_profile``, ``connector_counts``, ``lr_counts``, ``d90_sweep``,
    ``count_noise``) measure it unchanged: ``loss`` maps (..., D) -> (...) in float64; ``train_loss`` a
    single point, ``train_losses`` a batch. ``accuracy`` (for C3's d90) is the share of the initial loss
    removed, 1 - L(P) / L(P0), clipped to [0, 1]: 1 at the minimum, the loss-based reading of "training in
    the subspace works" of the paper's own toy experiment (§3.3). ``data.num_classes`` (default 2) only sets
    the chance-level loss ln C that ``m_connector_metrics`` reports beside a connector (C9's absolute twin),
    which C10's count does not use."""

    def __init__(self, loss, D: int, P0: torch.Tensor | None = None, num_classes: int = 2):
        self.loss, self.D, self.P0 = loss, D, P0
        self.data = _PlantedData(num_classes)

    def theta(self, t: torch.Tensor) -> torch.Tensor:
        return t.to(torch.float64)

    def train_loss(self, theta: torch.Tensor) -> torch.Tensor:
        return self.loss(self.theta(theta))

    def train_losses(self, thetas: torch.Tensor, chunk: int = 16) -> torch.Tensor:
        return self.loss(self.theta(thetas))

    curvature_loss = train_loss

    def accuracy(self, theta: torch.Tensor, test: bool = True) -> float:
        if self.P0 is None:
            raise ValueError("PlantedProblem.accuracy needs the initial point P0")
        return min(1.0, max(0.0, 1.0 - float(self.loss(self.theta(theta)) / self.loss(self.P0))))


@dataclasses.dataclass(frozen=True)
class _PlantedData:
    num_classes: int


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(_PLANTED_STREAM + seed)


def planted_quadratic(D: int, k: int, seed: int) -> tuple[PlantedProblem, torch.Tensor, torch.Tensor]:
    """C3's planted landscape: f(P) = 1/2 sum_i lam_i (P R)_i^2, R a Haar rotation, with k stiff eigenvalues
    log-uniform on [0.5, 1] (the toy wedge's s short directions, all of curvature 2 on the squared toy loss,
    spread within a factor 2 so no eigenvalue repeats) and D - k exactly flat (the wedge's long directions).
    Its Hessian count above any fraction < 0.5 of the top eigenvalue is k, and training in a random d-dim
    affine subspace can remove the loss only in the k stiff directions (all of it once d >= k), so d90 ~ k.
    Returns (problem, the init P0 ~ N(0, I) with accuracy 0, the minimum 0)."""
    if not 1 <= k <= D:
        raise ValueError(f"need 1 <= k <= D, got k={k!r}, D={D!r}")
    g = _generator(seed)
    lam = torch.zeros(D, dtype=torch.float64)
    lam[:k] = torch.exp(math.log(0.5) * torch.rand(k, generator=g, dtype=torch.float64))
    R = random_rotation(D, _PLANTED_STREAM + seed)
    P0 = random_points(D, 1, seed=seed)[0]

    def loss(P):
        return 0.5 * ((P @ R) ** 2 * lam).sum(-1)

    return PlantedProblem(loss, D, P0), P0, torch.zeros(D, dtype=torch.float64)


def planted_d90_vs_count(lab, label, sample, fraction, D=PLANTED_D, k=PLANTED_S) -> Sample:
    """C3's positive control: ``d90_sweep`` (the primary's, from the init P0 with full-space accuracy 1) and
    ``d90_count_sample`` (the primary's count at ``fraction`` x the top eigenvalue) at the minimum of
    ``planted_quadratic``, whose count is k by construction and whose d90 is ~k."""
    prob, P0, opt = planted_quadratic(D, k, sample)
    d = d90_sweep(prob, P0, 1.0)
    s = d90_count_sample(prob, opt, fraction, d, top_eigenvalue(prob, opt))
    s.metrics["planted_count"] = k
    return s


def planted_short_sets(D: int, s: int, K: int, seed: int) -> torch.Tensor:
    """The short axes of K planted wedges, as a (K, D) 0/1 mask: s - 1 axes common to all, and one axis of each
    wedge's own, so the intersection of any J of them has s - 1 + J short axes -- the smallest codimension step
    the paper's toy produces (two of its wedges that differ in one axis)."""
    if not (1 <= s and s - 1 + K <= D):
        raise ValueError(f"need s >= 1 and s - 1 + K <= D, got D={D!r}, s={s!r}, K={K!r}")
    axes = torch.randperm(D, generator=_generator(seed))
    masks = torch.zeros(K, D, dtype=torch.float64)
    masks[:, axes[: s - 1]] = 1.0
    masks[torch.arange(K), axes[s - 1: s - 1 + K]] = 1.0
    return masks


class PlantedWedges:
    """K axis-aligned wedges of R^D (short axes ``masks[k]``) joined by a soft minimum of width eps:

        L(P) = -eps^2 log( 1/K sum_k exp(-|P_{S_k}|^2 / eps^2) ).

    On one wedge, far (>> eps) from the others, L = eps^2 log K and the Hessian is 2 diag(1_{S_k}): s
    eigenvalues of 2, the rest 0. At a point on J wedges at once (their |P_{S_j}| = 0, the others far),
    the gradients vanish and the Hessian is (2/J) sum_j diag(1_{S_j}): every axis of the union of their
    short axes has an eigenvalue >= 2/J, above 0.1 x 2 for J < 10, so the primary's count there is the
    intersection's codimension |union S_j|. The paper's hard-min toy (eps -> 0) has no Hessian there."""

    def __init__(self, masks: torch.Tensor, eps: float = PLANTED_EPS):
        self.masks, self.tau = masks.to(torch.float64), float(eps) ** 2
        self.K, self.D = masks.shape

    def loss(self, P: torch.Tensor) -> torch.Tensor:
        d = P.square() @ self.masks.T
        return -self.tau * (torch.logsumexp(-d / self.tau, -1) - math.log(self.K)) + 0.0  # + 0.0: no -0.0 at L = 0

    def optima(self, seed: int) -> torch.Tensor:
        """One optimum per wedge: a N(0, I) point with its wedge's short coordinates zeroed (where gradient
        flow on its own wedge ends), (K, D)."""
        return random_points(self.D, self.K, seed=seed) * (1 - self.masks)

    def intersection(self, P: torch.Tensor, wedges) -> torch.Tensor:
        """P with the short coordinates of every wedge in ``wedges`` zeroed: a point on all of them."""
        return P * (1 - self.masks[list(wedges)].amax(0))

    def neighbour(self, P: torch.Tensor, k: int, seed: int = 0) -> torch.Tensor:
        """A same-basin neighbour of optimum P on wedge k: P moved by ``NEIGHBOUR_SCALE`` of its norm in a
        random direction (the stream of ``endpoints.neighbour``), re-descended by exact gradient flow onto
        wedge k (its short coordinates zeroed)."""
        g = torch.Generator().manual_seed(10_000 + seed)
        u = torch.randn(P.shape, generator=g, dtype=torch.float64)
        return (P + NEIGHBOUR_SCALE * P.norm() * u / u.norm()) * (1 - self.masks[k])


def _planted_noise(prob, theta: torch.Tensor, neighbour: torch.Tensor) -> int:
    """``count_noise`` at a planted optimum, at ``DECLARED_FRACTION`` x its top eigenvalue (as ``Lab.count_noise``)."""
    return count_noise(prob, theta, neighbour, DECLARED_FRACTION * top_eigenvalue(prob, theta))["count_noise"]


PLANTED_PATHS = ("intersection", "primary")


def planted_tunnel_counts(lab, label, sample, D=PLANTED_D, s=PLANTED_S, eps=PLANTED_EPS, path="intersection",
                          nodes="budget") -> Sample:
    """C8's positive control: ``tunnel_sample`` (the primary's count profile, losses and noise) on a path
    between the optima A, B of two ``PlantedWedges`` that share s - 1 short axes (s short directions at each,
    s + 1 at their intersection, by construction).

    ``path="intersection"``: A -> X -> B through their intersection X (A's coordinates with both wedges' short
    axes zeroed), so s at A, B and the quarter points and s + 1 at the middle X. ``path="primary"``: the path
    ``net_tunnel_counts`` counts on, ``build_tunnel(problem, A, B, nodes, PathConfig())`` (the §4.2 tunnel that
    ``Lab.tunnel`` builds, ``nodes`` as the primary's), wherever its nodes land. ``mid_at_intersection``: the
    middle node's distance to the wedges' intersection, |P_{S_A u S_B}|."""
    if path not in PLANTED_PATHS:
        raise ValueError(f"path must be one of {PLANTED_PATHS}, got {path!r}")
    land = PlantedWedges(planted_short_sets(D, s, 2, sample), eps)
    prob = PlantedProblem(land.loss, D)
    A, B = land.optima(sample)
    if path == "intersection":
        X = land.intersection(A, (0, 1))
        pts = torch.stack([A, 0.5 * (A + X), X, 0.5 * (X + B), B])
        t = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=torch.float64)
        built = cn.Path(nodes=pts, node_t=t, t=t, loss=prob.train_losses(pts))
    else:
        built = build_tunnel(prob, A, B, nodes, PathConfig())
    out = tunnel_sample(prob, built, _planted_noise(prob, A, land.neighbour(A, 0)))
    mid = built.nodes[(len(built.nodes) - 1) // 2]
    out.metrics.update({"planted_excess": 1,
                        "mid_at_intersection": float((mid * land.masks.amax(0)).norm())})
    return out


def planted_connector_counts(lab, label, sample, D=PLANTED_D, s=PLANTED_S, m_max=3, eps=PLANTED_EPS,
                             middles="intersection", nodes="loss-matched") -> Sample:
    """C10's positive control: ``connector_counts`` (the primary's counts and threshold) at the middles of the
    m-connectors, m = 1..m_max, between the optima of m_max + 1 ``PlantedWedges`` (s - 1 short axes shared,
    one of each wedge's own; the intersection of wedges 0..m has s + m short directions by construction);
    growth beyond the count noise at the first optimum, as the primary's.

    ``middles="intersection"``: each middle is the intersection of wedges 0..m (the first optimum's coordinates
    with their short axes zeroed). ``middles="primary"``: the middles ``net_connector_counts`` counts at, the
    centroids optimized by ``m_connector_metrics`` with ``nodes`` as the primary's, wherever they land."""
    if middles not in PLANTED_PATHS:
        raise ValueError(f"middles must be one of {PLANTED_PATHS}, got {middles!r}")
    land = PlantedWedges(planted_short_sets(D, s, m_max + 1, sample), eps)
    prob = PlantedProblem(land.loss, D)
    O = land.optima(sample)
    order = list(range(m_max + 1))
    if middles == "intersection":
        mids = torch.stack([land.intersection(O[0], range(m + 1)) for m in range(1, m_max + 1)])
        out = connector_counts(prob, O, order, m_max=m_max, middles=mids)
    else:
        out = connector_counts(prob, O, order, m_max=m_max, nodes=nodes)
    noise = _planted_noise(prob, O[0], land.neighbour(O[0], 0))
    out.metrics.update({"count_noise": noise, "growth_over_noise": out.metrics["growth"] - noise,
                        "planted_growth": m_max - 1})
    return out


class PlantedValley:
    """C15's planted landscape: a valley whose curvature falls along one long direction u,

        L(u, x) = 1/2 g(u) sum_i lam_i x_i^2,   g(u) = S_flat + (S_sharp - S_flat) sigmoid(-u / w),

    P = (u, x), x in R^(D-1), lam log-uniform on [1e-2, 1] (``QuadraticWell``'s spectrum). Its minima are
    x = 0 at any u, with Hessian diag(0, g(u) lam). Gradient descent at lr eta converges only to a minimum
    with top curvature g(u) max(lam) < 2 / eta (linear stability; at a sharper one x oscillates and grows,
    and the u-gradient 1/2 g'(u) sum lam x^2 carries it towards the flat end)."""

    def __init__(self, D: int, S_sharp: float, S_flat: float, seed: int, w: float = 1.0):
        if not 0 < S_flat < S_sharp:
            raise ValueError(f"need 0 < S_flat < S_sharp, got {S_flat!r}, {S_sharp!r}")
        self.D, self.S_sharp, self.S_flat, self.w = D, float(S_sharp), float(S_flat), float(w)
        u = torch.rand(D - 1, generator=_generator(seed), dtype=torch.float64)
        self.lam = torch.exp(math.log(1e-2) * (1 - u))

    def g(self, u: torch.Tensor) -> torch.Tensor:
        return self.S_flat + (self.S_sharp - self.S_flat) * torch.sigmoid(-u / self.w)

    def loss(self, P: torch.Tensor) -> torch.Tensor:
        return 0.5 * self.g(P[..., 0]) * (self.lam * P[..., 1:].square()).sum(-1)

    def start(self, seed: int) -> torch.Tensor:
        """The init: u = -5 w (the sharp end, where g is within 1% of S_sharp), x ~ N(0, I)."""
        P = random_points(self.D, 1, seed=seed)[0]
        P[0] = -5 * self.w
        return P

    def descend(self, P: torch.Tensor, lr: float, target: float = PLANTED_TARGET, max_steps: int = 100_000):
        """Full-batch gradient descent at ``lr`` from P until L <= target (the optimum at that lr)."""
        from ..nets.config import TargetNotReached

        P = P.detach().clone()
        for _ in range(max_steps):
            P.requires_grad_(True)
            L = self.loss(P)
            if not math.isfinite(float(L.detach())):
                raise TargetNotReached(f"planted valley: GD at lr {lr} diverged")
            if float(L.detach()) <= target:
                return P.detach()
            (gr,) = torch.autograd.grad(L, P)
            P = (P - lr * gr).detach()
        raise TargetNotReached(f"planted valley: loss {float(self.loss(P)):.3g} > {target} after {max_steps} "
                               f"steps at lr {lr}")


def planted_lr_counts(lab, label, sample, threshold="shared", D=PLANTED_D) -> Sample:
    """C15's positive control: ``lr_counts`` (the primary's counts at the shared or own threshold) at the optima
    of ``PlantedValley`` reached by gradient descent at the primary's LR_LOW and LR_HIGH from one init, both to
    ``PLANTED_TARGET``; the count noise at the low-lr optimum (its neighbour: a 5% move re-descended at
    LR_LOW). The valley's curvature scale runs from S_sharp = sqrt(2) x 2 / LR_HIGH to S_flat = 2 / LR_HIGH /
    sqrt(2): LR_HIGH is unstable at the sharp end and stable at the flat one, by sqrt(2) each, and LR_LOW is
    stable everywhere (2 / LR_LOW = 7 S_sharp); so the high-lr optimum is up to 2x flatter, by construction."""
    lim = 2 / LR_HIGH
    land = PlantedValley(D, math.sqrt(2) * lim, lim / math.sqrt(2), sample)
    prob = PlantedProblem(land.loss, D)
    P0 = land.start(sample)
    low, high = land.descend(P0, LR_LOW), land.descend(P0, LR_HIGH)
    m = lr_counts(prob, low, high, threshold)
    g = torch.Generator().manual_seed(10_000)
    u = torch.randn(D, generator=g, dtype=torch.float64)
    nb = land.descend(low + NEIGHBOUR_SCALE * low.norm() * u / u.norm(), LR_LOW)
    noise = _planted_noise(prob, low, nb)
    return Sample(metrics={**m, "loss_low_lr": float(land.loss(low)), "loss_high_lr": float(land.loss(high)),
                           "count_noise": noise, "count_drop_over_noise": m["count_drop"] - noise,
                           "g_low_lr": float(land.g(low[0])), "g_high_lr": float(land.g(high[0]))})

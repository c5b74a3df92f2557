"""The toy n-wedge landscape itself (§3.2-§3.3): its loss is the distance to the nearest n-wedge (C1), random
d-hyperplanes reach zero loss iff d >= D - n (C2), and its conclusions do not depend on the wedges' frame
(C17).

Protocols: ``wedge_distance`` (C1), ``hyperplane_dimension`` (C2), ``frames`` (C17).

C2's primary is the paper's gradient optimization ("We used TensorFlow to optimize the within-hyperplane
coordinates") on the *squared* toy loss, which is smooth where the nearest wedge is unique, so a
first-order method can converge (``hyperplane_threshold_adam``, claims/RULES.md T3); the exact solver
(alternating least squares, ``hyperplane_threshold``) measures the threshold without optimizer noise.
C17 re-decides the toy claims C2 (exact), C4, C5, C6 and C11 by their declared checks, which its case passes
in as plain (metric, op, threshold) triples, on the axis-aligned wedges and on another frame.
"""

from __future__ import annotations

import math

import torch

from ..geometry.subspace import MinimizeConfig, minimize, random_basis, toy_exact_minimize
from ..geometry.toy import SubspaceLandscape, WedgeLandscape, random_points
from ..types import Check, Sample, Verdict, combine, compare
from . import isotropy, tunnels


def _c1_errors(land: WedgeLandscape, P: torch.Tensor, reference) -> dict:
    """max |loss - reference| and max |loss - |P - nearest_point(P)|| over the points, relative to |P|."""
    scale = P.norm(dim=-1).clamp_min(1e-300)
    L = land.loss(P)
    return {"max_rel_err_brute": float(((L - reference(P)).abs() / scale).max()),
            "max_rel_err_nearest": float(((L - (P - land.nearest_point(P)).norm(dim=-1)).abs() / scale).max())}


PLANTED_RHO = (1e-3, 0.9)  # C1 planted points: distance / smallest long coordinate, log-spread over this range


def planted_points(D: int, n: int, k: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """k points (wedge frame) at a known distance r from a known wedge, and r (the C1 positive control).

    Point j: a random n-subset T_j of the axes carries long coordinates sign * U[1, 2]; the other D - n
    coordinates are r_j u_j (u_j a random unit vector of that complement) with r_j = rho_j * min|long|,
    rho_j log-spaced over ``PLANTED_RHO``. Every short |coordinate| <= r_j < every long one, so the D - n
    smallest |coordinates| are exactly the complement of T_j and the distance to the nearest n-wedge is, in
    closed form, r_j (n = 0: r_j = |P_j|, the distance to the origin; n = D: r_j = 0). The whole point is
    then scaled by 10^-3 .. 10^3 (as the primary's points), r_j with it."""
    g = torch.Generator().manual_seed(seed)
    Q = torch.zeros(k, D, dtype=torch.float64)
    r = torch.zeros(k, dtype=torch.float64)
    rho = torch.logspace(math.log10(PLANTED_RHO[0]), math.log10(PLANTED_RHO[1]), k, dtype=torch.float64)
    for j in range(k):
        perm = torch.randperm(D, generator=g)
        long, short = perm[:n], perm[n:]
        sign = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0).to(torch.float64)
        Q[j, long] = sign * (1 + torch.rand(n, generator=g, dtype=torch.float64))
        if D - n:
            u = torch.randn(D - n, generator=g, dtype=torch.float64)
            r[j] = rho[j] * (float(Q[j, long].abs().min()) if n else 1.0)
            Q[j, short] = r[j] * u / u.norm()
    scale = torch.logspace(-3, 3, k, dtype=torch.float64)[torch.randperm(k, generator=g)]
    return Q * scale.unsqueeze(1), r * scale


def wedge_distance(lab, label, sample, rotation=None, reference="brute-force", points=200, planted=False) -> Sample:
    """C1: the toy loss against the brute-force distance over all n-subsets and against |P - nearest|,
    at 200 points spread over 6 decades of norm; ``reference="single-wedge"`` compares with the distance
    to one fixed wedge (the first n axes) instead. ``planted=True`` (the positive control): the same two
    comparisons at points planted at a known distance r from a known wedge (``planted_points``), with
    max_rel_err_planted = max |loss - r| / |P| beside them."""
    D, n, seed = sample
    land = WedgeLandscape(D, n, rotation=rotation, seed=seed)
    if planted:
        Q, r = planted_points(D, n, points, seed)
        P = land.from_frame(Q)
    else:
        P = random_points(D, points, seed=seed) * torch.logspace(-3, 3, points, dtype=torch.float64).unsqueeze(1)
    ref = land.brute_force_loss if reference == "brute-force" else (lambda X: X[..., n:].norm(dim=-1))
    metrics = _c1_errors(land, P, ref)
    if planted:
        metrics["max_rel_err_planted"] = float(((land.loss(P) - r).abs() / P.norm(dim=-1).clamp_min(1e-300)).max())
    return Sample(metrics=metrics)


SUCCESS = 1e-6  # C2 exact solver: "reaches" = loss <= 1e-6 x its start


def reached_ratio(land: WedgeLandscape, P0: torch.Tensor, d: int, seed: int, solver: str) -> float:
    """Loss reached on a random d-hyperplane through P0, divided by the loss at P0."""
    M = random_basis(d, land.D, seed=seed)
    start = float(land.loss(P0))
    if solver == "exact":
        _, val = land.exact_minimize(P0, M) if hasattr(land, "exact_minimize") else toy_exact_minimize(land, P0, M)
    elif solver == "adam":
        _, best = minimize(land.loss, P0, M, MinimizeConfig(steps=3000, lr=1e-2))
        val = float(best)
    else:
        raise ValueError(f"solver must be 'exact' or 'adam', got {solver!r}")
    return val / start


def hyperplane_threshold(land: WedgeLandscape, seed: int, solver: str = "exact", draws: int = 3,
                         window: int = 3, predicted: int | None = None) -> Sample:
    """d_lim by bisection over d in [1, D] (success = every draw reaches <= 1e-6 x start), the verdict
    on every d in predicted +/- window, and the spread of the reached loss over draws at predicted - 5.

    ``predicted`` is the claimed threshold, D - n by default; a negative control passes a wrong one.
    """
    P0 = random_points(land.D, 1, seed=seed)[0]
    cache: dict[int, list[float]] = {}

    def ratios(d):
        if d not in cache:
            cache[d] = [reached_ratio(land, P0, d, seed * 1000 + r, solver) for r in range(draws)]
        return cache[d]

    def ok(d):
        return all(r <= SUCCESS for r in ratios(d))

    lo, hi = 0, land.D  # invariant: fails at lo (d = 0 cannot move), succeeds at D
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    s = land.s if predicted is None else predicted
    window_ds = [d for d in range(s - window, s + window + 1) if 1 <= d <= land.D]
    mismatches = sum(ok(d) != (d >= s) for d in window_ds)
    below = ratios(max(1, s - 5)) if s - 5 >= 1 else [float("nan")]
    spread = max(below) / min(below) if min(below) > 0 else float("inf")
    ds = sorted(cache)
    return Sample(metrics={"d_lim": hi, "D_minus_n": land.s, "predicted": s, "d_lim_minus_D_minus_n": hi - s,
                           "window_mismatches": mismatches, "redraw_spread_below": spread,
                           "worst_ratio_at_D_minus_n": max(ratios(s)) if s >= 1 else 0.0,
                           "best_ratio_below": min(ratios(s - 1)) if s >= 2 else float("nan")},
                  arrays={"d": ds, "ratio": [max(cache[d]) for d in ds], "D_minus_n": land.s})


ADAM_SQ_LEVEL = 1e-8  # success: reached L^2 <= 1e-8 x L(P0)^2, i.e. distance <= 1e-4 x start
ADAM_SQ = MinimizeConfig(steps=10000, lr=3e-2)  # Adam, lr 3e-2 cosine-decayed to 3e-4


def threshold_grid(D: int, s: int, window: int = 3) -> list[int]:
    """The hyperplane dimensions of the C2 gradient protocol: s - 5, s - window .. s + window, and D."""
    ds = {s - 5, D, *range(s - window, s + window + 1)}
    return sorted(d for d in ds if 1 <= d <= D)


def adam_on_hyperplanes(loss_and_grad, P0: torch.Tensor, M: torch.Tensor, cfg: MinimizeConfig) -> torch.Tensor:
    """Best loss of Adam on theta (K, d) minimizing loss(theta_k M_k + P0) for M of shape (K, d, D).

    The same algorithm as ``subspace.minimize`` (``torch.optim.Adam``'s update with betas 0.9 / 0.999,
    eps 1e-8; lr cosine-decayed to lr/100 over ``cfg.steps``; the loss recorded before each step), but
    with the landscape's closed-form gradient ``loss_and_grad(P) -> (L, dL/dP)`` and no autograd, which
    is about 5x faster. A zero-padded row of M gets no gradient, so its coordinate stays 0.
    """
    K, d, D = M.shape
    P0 = P0.expand(K, D)
    MT = M.transpose(1, 2)
    theta = torch.zeros(K, d, dtype=P0.dtype)
    m1, m2 = torch.zeros_like(theta), torch.zeros_like(theta)
    best = torch.full((K,), float("inf"), dtype=P0.dtype)
    b1, b2, eps, lr, lr_min = 0.9, 0.999, 1e-8, cfg.lr, cfg.lr / 100
    for t in range(cfg.steps):
        P = torch.baddbmm(P0.unsqueeze(1), theta.unsqueeze(1), M).squeeze(1)
        L, gP = loss_and_grad(P)
        torch.minimum(best, L, out=best)
        g = torch.bmm(gP.unsqueeze(1), MT).squeeze(1)
        m1.mul_(b1).add_(g, alpha=1 - b1)
        m2.mul_(b2).addcmul_(g, g, value=1 - b2)
        step_lr = lr_min + 0.5 * (lr - lr_min) * (1 + math.cos(math.pi * t / cfg.steps))
        denom = (m2.sqrt() / math.sqrt(1 - b2 ** (t + 1))).add_(eps)
        theta.addcdiv_(m1, denom, value=-step_lr / (1 - b1 ** (t + 1)))
    return best


def _batched_hyperplane_min(land, P0: torch.Tensor, specs: list[tuple[int, int]], cfg: MinimizeConfig):
    """Best squared loss of Adam on theta M + P0 for each (d, basis seed) in ``specs``: one batched run per
    group (d <= D/2, d > D/2), M zero-padded to the group's largest d."""
    D = P0.shape[-1]
    out = [0.0] * len(specs)
    groups: dict[int, list[int]] = {}
    for i, (d, _) in enumerate(specs):
        groups.setdefault(0 if d <= D // 2 else 1, []).append(i)
    for idx in groups.values():
        pad = max(specs[i][0] for i in idx)
        M = torch.zeros(len(idx), pad, D, dtype=P0.dtype)
        for j, i in enumerate(idx):
            d, seed = specs[i]
            M[j, :d] = random_basis(d, D, seed=seed)
        best = adam_on_hyperplanes(land.squared_loss_and_grad, P0, M, cfg)
        for j, i in enumerate(idx):
            out[i] = float(best[j])
    return out


def hyperplane_threshold_adam(land, seed: int, s: int | None = None, draws: int = 3, window: int = 3,
                              cfg: MinimizeConfig = ADAM_SQ, level: float = ADAM_SQ_LEVEL) -> Sample:
    """C2 by gradient optimization: Adam on ``land.squared_loss`` on random d-hyperplanes through one
    random P0, for every d of ``threshold_grid`` and ``draws`` draws of M each (batched).

    A (d, draw) succeeds when its best squared loss is <= ``level`` x L(P0)^2. d_lim = the smallest grid
    d from which every grid d' >= d succeeds on every draw (D + 1 if d = D fails). ``s`` is the claimed
    threshold (D - n of the wedge landscape; given explicitly so that a landscape without wedges is
    measured against the same prediction). Reached losses are reported as distance ratios
    sqrt(L^2 / L(P0)^2), so ``redraw_spread_below`` (at d = s - 5) means what it does for the exact solver.
    """
    D = land.D
    s = land.s if s is None else s
    P0 = random_points(D, 1, seed=seed)[0]
    grid = threshold_grid(D, s, window)
    specs = [(d, seed * 1000 + r) for d in grid for r in range(draws)]
    start = float(land.squared_loss(P0))
    best = _batched_hyperplane_min(land, P0, specs, cfg)
    by_d: dict[int, list[float]] = {}
    for (d, _), v in zip(specs, best):
        by_d.setdefault(d, []).append(v / start)
    ok = {d: all(v <= level for v in vs) for d, vs in by_d.items()}
    d_lim = D + 1
    for d in reversed(grid):
        if not ok[d]:
            break
        d_lim = d
    window_ds = [d for d in grid if s - window <= d <= s + window]
    dist = {d: [max(v, 0.0) ** 0.5 for v in vs] for d, vs in by_d.items()}
    below = dist.get(s - 5, [float("nan")])
    spread = max(below) / min(below) if min(below) > 0 else float("inf")
    return Sample(metrics={"d_lim": d_lim, "D_minus_n": s, "predicted": s, "d_lim_minus_D_minus_n": d_lim - s,
                           "window_mismatches": sum(ok[d] != (d >= s) for d in window_ds),
                           "redraw_spread_below": spread,
                           "worst_sq_ratio_at_D_minus_n": max(by_d[s]) if s in by_d else float("nan"),
                           "best_sq_ratio_below": min(by_d[s - 1]) if s - 1 in by_d else float("nan"),
                           "success_level": level},
                  arrays={"d": grid, "ratio": [max(dist[d]) for d in grid], "D_minus_n": s})


class SingleWedge:
    """The distance to one n-wedge, the span of the first n axes: L(P) = |P_{n:}| (the C2 positive control).

    A random d-plane theta M + P0 through a generic P0 meets this one n-subspace iff d >= D - n (general
    position), so d_lim = D - n exactly. On the plane L^2 = |theta M_{:, n:} + P0_{n:}|^2 is a convex quadratic:
    ``exact_minimize`` solves it by least squares (the global minimum); ``squared_loss_and_grad`` gives
    (L^2, 2 P with the first n coordinates zeroed) for the batched Adam of the primary."""

    def __init__(self, D: int, n: int):
        WedgeLandscape(D, n)
        self.D, self.n = D, n

    @property
    def s(self) -> int:
        return self.D - self.n

    def __repr__(self) -> str:
        return f"SingleWedge(D={self.D}, n={self.n})"

    def squared_loss(self, P: torch.Tensor) -> torch.Tensor:
        return P[..., self.n:].square().sum(-1)

    def squared_loss_and_grad(self, P: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        short = P * (torch.arange(self.D, device=P.device) >= self.n).to(P.dtype)
        return short.square().sum(-1), 2 * short

    def loss(self, P: torch.Tensor) -> torch.Tensor:
        return self.squared_loss(P).sqrt()

    def exact_minimize(self, P0: torch.Tensor, M: torch.Tensor) -> tuple[torch.Tensor, float]:
        theta = torch.linalg.lstsq(M[:, self.n:].T, -P0[self.n:].unsqueeze(-1), driver="gelsd").solution.squeeze(-1)
        P = theta @ M + P0
        return P, float(self.loss(P))


LANDSCAPES = ("wedges", "point", "single-wedge")


def hyperplane_dimension(lab, label, sample, D, n, solver="exact", predicted_offset=0,
                         landscape="wedges") -> Sample:
    """C2: d_lim, the window D-n +/- 3, and the re-draw spread at D-n-5. ``solver="adam-squared"`` (the
    primary): Adam on the squared loss over a grid of d, 3 draws each; ``exact`` / ``adam``: bisection.
    ``landscape="point"``: the same measurement on the distance to one point (no wedges), against D - n;
    ``landscape="single-wedge"``: on the distance to one n-wedge (``SingleWedge``: d_lim = D - n by
    construction, the positive control)."""
    if landscape not in LANDSCAPES:
        raise ValueError(f"landscape must be one of {LANDSCAPES}, got {landscape!r}")
    land = SingleWedge(D, n) if landscape == "single-wedge" else WedgeLandscape(D, n if landscape == "wedges" else 0)
    if solver == "adam-squared":
        return hyperplane_threshold_adam(land, sample, s=D - n)
    predicted = None if not predicted_offset else D - n + predicted_offset
    return hyperplane_threshold(land, sample, solver=solver, draws=3 if solver == "exact" else 1,
                                predicted=predicted)


# The toy claims C17 compares, each by its primary protocol except C2 (the exact solver: the threshold
# without optimizer noise; Adam at 10^4 steps on K subspaces is too slow for the quick tier). C8 and C10
# are left out: their Hessian count is D - n at every point of both landscapes by construction, and the
# pinned count is defined in the axis frame only.
C17_EXPERIMENTS = {
    "C2": (hyperplane_dimension, {"solver": "exact"}),
    "C4": (tunnels.toy_tunnel, {"path": "straight"}),
    "C5": (tunnels.toy_tunnel, {"path": "midpoint"}),
    "C6": (tunnels.toy_tunnel, {"path": "paper"}),
    "C11": (isotropy.toy_isotropy, {}),
}


def run_experiment(land, name: str, seed: int) -> Sample:
    """One C17 experiment on any landscape with the toy's interface (loss, squared_loss, descend, s)."""
    _, kw = C17_EXPERIMENTS[name]
    if name == "C2":
        return hyperplane_threshold(land, seed, solver="exact")
    if name == "C11":
        return isotropy.isotropy(land, seed)
    return tunnels.tunnel_experiment(land, seed, path=kw["path"])


def point_verdict(checks, sample: Sample) -> Verdict:
    """The verdict of one sample on ``checks`` = [(metric, op, threshold), ...]: each value compared as a point
    (``types.compare``), the statuses combined (``types.combine``); a missing or non-finite value is an error,
    a sample that is not measurable inconclusive."""
    if sample.not_measurable:
        return Verdict.INCONCLUSIVE
    statuses = []
    for metric, op, threshold in checks:
        Check(metric, op, threshold, "")
        try:
            x = float(sample.value(metric))
        except (TypeError, ValueError):
            x = math.nan
        statuses.append(compare(op, x, x, float(threshold)) if math.isfinite(x) else Verdict.ERROR)
    return combine(statuses)


def compare_verdicts(base: dict, other: dict, checks: dict) -> dict:
    """Decide each experiment's claim on both landscapes (``point_verdict`` with that claim's declared
    ``checks[name]``) and count the changes."""
    missing = [name for name in C17_EXPERIMENTS if name not in checks]
    if missing:
        raise ValueError(f"checks must give the declared checks of {list(C17_EXPERIMENTS)}; missing {missing}")
    rows, changes = {}, 0
    for name in C17_EXPERIMENTS:
        a = point_verdict(checks[name], base[name])
        b = point_verdict(checks[name], other[name])
        rows[name] = (a, b)
        changes += a != b
    return {"verdict_changes": changes, "compared": len(rows),
            "verdicts": {k: f"{a} / {b}" for k, (a, b) in rows.items()}}


def frames(lab, label, sample, D, n, checks, other="rotation") -> Sample:
    """C17: the toy verdicts (C2 exact, C4, C5, C6, C11; ``C17_EXPERIMENTS``, each decided by its claim's
    ``checks``) on the axis-aligned wedges and on ``other``: ``subspaces`` (sample = (seed, K): K random
    n-subspaces in mutually non-orthogonal frames), ``rotation`` (one global Haar rotation) or ``n0`` (no
    wedges). The axis-aligned samples are those the C2-C11 cases measure (``Lab.sample``: cached once)."""
    seed, K = (sample, None) if isinstance(sample, int) else tuple(sample)
    if other == "subspaces":
        land = SubspaceLandscape(D, n, K, seed=seed)
    elif other == "rotation":
        land = WedgeLandscape(D, n, rotation="random", seed=1000 + seed)
    elif other == "n0":
        land = WedgeLandscape(D, 0)
    else:
        raise ValueError(f"other must be 'subspaces', 'rotation' or 'n0', got {other!r}")
    base = {name: lab.sample(proto, "toy", seed, {"D": D, "n": n, **kw})
            for name, (proto, kw) in C17_EXPERIMENTS.items()}
    m = compare_verdicts(base, {name: run_experiment(land, name, seed) for name in C17_EXPERIMENTS}, checks)
    return Sample(metrics={**m, "K": K or 0, "verdicts": "; ".join(f"{k}: {v}" for k, v in m["verdicts"].items())})

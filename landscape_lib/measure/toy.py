"""The paper's toy-model experiments (§3.3), each returning the numbers a claim is decided on.

Every function takes a landscape and a seed and returns a plain dict of measurements (plus arrays for
plots under keys starting with "_"), so the same code runs on the axis-aligned ``WedgeLandscape``, a rotated
one, and ``SubspaceLandscape`` (C17). The issue-9 controls and nulls live here too: same-basin pairs
(``same_basin``), the smooth ``CosineLandscape`` (C8, C10) and ``QuadraticWell`` (C11's null).
Toy "optima" are random N(0, 1) initializations followed by exact gradient flow down to 1e-3 of
their starting loss (``WedgeLandscape.descend``), the toy analogue of training to a target loss.
"""

from __future__ import annotations


import torch

from ..geometry import connectors as cn
from ..geometry.probes import radial_probe, random_unit_directions
from ..geometry.subspace import MinimizeConfig, minimize, random_basis, toy_exact_minimize
from ..geometry.toy import CosineLandscape, QuadraticWell, WedgeLandscape, random_points

OPTIMUM_LEVEL = 1e-3  # toy optima: loss = 1e-3 x their starting loss
SUCCESS = 1e-6  # C2 exact solver: "reaches" = loss <= 1e-6 x its start
PERTURBATION = 1e-2  # same-basin controls: a move of 1% of |A| (as the real networks' same-basin control)


def toy_optima(land: WedgeLandscape, k: int, seed: int, same_wedge: bool = False) -> torch.Tensor:
    """k toy optima; with ``same_wedge`` all share the first one's long axes (a negative control)."""
    I = random_points(land.D, k, seed=seed)
    if same_wedge:
        Q = land.to_frame(I)
        long = land.long_axes(I[0])
        # long coordinates pushed above 1 and the first point's short ones shared: one nearest wedge
        Q = torch.where(long, torch.sign(Q) * (1 + Q.abs()), Q[0].expand_as(Q))
        I = land.from_frame(Q)
    return torch.stack([land.descend(p, OPTIMUM_LEVEL) for p in I])


def same_basin(land, A: torch.Tensor, k: int, seed: int, eps: float = PERTURBATION) -> torch.Tensor:
    """k points of A's basin (issue 9 controls): A + delta with |delta| = eps |A| in a random direction,
    each re-descended by gradient flow to A's own loss (so all points sit at one loss level). A move that
    crossed into another wedge would end on that wedge: nothing here forces one wedge."""
    V = random_unit_directions(k, land.D, seed=10_000 + seed, dtype=A.dtype)
    LA = float(land.loss(A))
    out = []
    for v in V:
        X = A + eps * A.norm() * v
        LX = float(land.loss(X))
        out.append(land.descend(X, min(1.0, LA / LX)) if LX > 0 else X)
    return torch.stack(out)


def pair_optima(land, k: int, seed: int, pair: str = "independent") -> torch.Tensor:
    """k toy optima: ``independent`` (k random inits, each descended) or ``same-basin`` (the first
    optimum and k - 1 re-descents of 1% moves from it)."""
    if pair == "independent":
        return toy_optima(land, k, seed)
    if pair == "same-basin":
        A = toy_optima(land, 1, seed)[0]
        return torch.cat([A.unsqueeze(0), same_basin(land, A, k - 1, seed)])
    raise ValueError(f"pair must be 'independent' or 'same-basin', got {pair!r}")


def _different_wedges(land, A: torch.Tensor, B: torch.Tensor) -> bool:
    if hasattr(land, "wedge_id"):
        return bool(land.wedge_id(A) != land.wedge_id(B))
    return bool((land.long_axes(A) != land.long_axes(B)).any())


# -- C2 -------------------------------------------------------------------------------------------
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
                         window: int = 3, predicted: int | None = None) -> dict:
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
    return {"d_lim": hi, "D_minus_n": land.s, "predicted": s, "d_lim_minus_D_minus_n": hi - s, "window_mismatches": mismatches,
            "redraw_spread_below": spread, "worst_ratio_at_D_minus_n": max(ratios(s)) if s >= 1 else 0.0,
            "best_ratio_below": min(ratios(s - 1)) if s >= 2 else float("nan"),
            "_d": ds, "_ratio": [max(cache[d]) for d in ds]}


def hyperplane_at(land: WedgeLandscape, seed: int, d: int, solver: str = "exact", draws: int = 3) -> dict:
    """Reached-loss ratios for every draw at one d (the negative control uses d = D - n - 5)."""
    P0 = random_points(land.D, 1, seed=seed)[0]
    r = [reached_ratio(land, P0, d, seed * 1000 + i, solver) for i in range(draws)]
    return {"d": d, "ratios": r, "worst": max(r), "best": min(r)}


# C2 primary (issue 9): the paper's gradient optimization ("We used TensorFlow to optimize the
# within-hyperplane coordinates") on the *squared* toy loss, which is smooth where the nearest wedge
# is unique, so a first-order method can converge. Declared before measuring (claims/RULES.md T3):
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
    import math

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
                              cfg: MinimizeConfig = ADAM_SQ, level: float = ADAM_SQ_LEVEL) -> dict:
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
    return {"d_lim": d_lim, "D_minus_n": s, "predicted": s, "d_lim_minus_D_minus_n": d_lim - s,
            "window_mismatches": sum(ok[d] != (d >= s) for d in window_ds), "redraw_spread_below": spread,
            "worst_sq_ratio_at_D_minus_n": max(by_d[s]) if s in by_d else float("nan"),
            "best_sq_ratio_below": min(by_d[s - 1]) if s - 1 in by_d else float("nan"),
            "success_level": level, "_d": grid, "_ratio": [max(dist[d]) for d in grid]}


# -- C4, C5, C6 -----------------------------------------------------------------------------------
def tunnel_experiment(land: WedgeLandscape, seed: int, path: str = "paper", same_wedge: bool = False,
                      k: int = 10, steps: int = 1000, pair: str = "independent") -> dict:
    """Two toy optima, the straight line between them, and a connector:
    ``path="midpoint"``: §3.3's toy tunnel ("We then chose the midpoint between the two points, put up a
    tangent hyperplane there and optimized"): one node at t = 1/2 (k = 2 pieces), no refinement;
    ``path="paper"``: the §4.2 hyperplane tunnel with k = 10 pieces, no refinement; ``path="intersection"``:
    A -> X -> B with X on both wedges; ``path="straight"``: the un-optimized line.
    ``pair="same-basin"``: B is A's re-descent after a 1% move (the issue-9 control), not an independent
    optimum. The halves statistics (C6) are reported only where there are >= 2 deviations."""
    if same_wedge:
        A, B = toy_optima(land, 2, seed, same_wedge=True)
    else:
        A, B = pair_optima(land, 2, seed, pair)
    ends = land.loss(torch.stack([A, B]))
    end_mean = float(ends.mean())
    line = cn.straight(land.loss, A, B, k=k)
    if path in ("paper", "midpoint"):
        conn = cn.tunnel(land.loss, A, B, cn.TunnelConfig(k=k if path == "paper" else 2, steps=steps, lr=1e-2))
        C = cn.cosine_matrix(cn.deviations(conn, A, B))
    elif path == "intersection":
        X = land.intersection_point(A, B)
        conn = cn.through(land.loss, [A, X, B], per_piece=k)
        pts = torch.cat([cn.linear_path(A, X, torch.linspace(0, 1, k // 2 + 1, dtype=A.dtype)[1:]),
                         cn.linear_path(X, B, torch.linspace(0, 1, k // 2 + 1, dtype=A.dtype)[1:-1])])
        t_of = ((pts - A) @ (B - A)) / (B - A).square().sum()
        C = cn.cosine_matrix(pts - cn.linear_path(A, B, t_of))
    elif path == "straight":
        conn = line
        C = torch.eye(k - 1, dtype=A.dtype)
    else:
        raise ValueError(f"path must be 'midpoint', 'paper', 'intersection' or 'straight', got {path!r}")
    halves = cn.halves_alignment(C) if C.shape[0] >= 2 else {}
    return {
        "different_wedges": _different_wedges(land, A, B),
        "endpoint_loss": end_mean, "line_max": line.max_loss, "path_max": conn.max_loss,
        "wall_ratio": line.max_loss / end_mean, "tunnel_ratio": conn.max_loss / end_mean,
        "wall_fraction": conn.max_loss / line.max_loss, "drift": conn.drift,
        **({"within_min": halves["within_min"], "across_abs": halves["across_abs"]} if halves else {}),
        "_line": (line.t.tolist(), line.loss.tolist()), "_path": (conn.t.tolist(), conn.loss.tolist()),
        "_cos": C.tolist(),
    }


# -- C8, C10 --------------------------------------------------------------------------------------
def _count(land: WedgeLandscape, P: torch.Tensor, count: str) -> int:
    if count == "hessian":
        return land.hessian_count(P, threshold=1.0)
    if count == "pinned":
        return int(land.pinned_count(P))
    raise ValueError(f"count must be 'hessian' or 'pinned', got {count!r}")


def tunnel_count_profile(land: WedgeLandscape, seed: int, path: str, count: str, same_wedge: bool = False,
                         points: int = 5, pair: str = "independent", path_points=None) -> dict:
    """Short-direction counts at ``points`` evenly spaced points of a path between two toy optima.

    The Hessian threshold is declared once: half the top eigenvalue of the squared loss at an
    optimum (which is exactly 2), i.e. 1.0, the same all along the path. ``pair="same-basin"``: B is
    A's re-descent after a 1% move (issue-9 control). ``path_points``: (A, B, points, t) of
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


def _profile(land, A, B, pts, ts, count: str) -> dict:
    counts = [_count(land, p, count) for p in pts]
    mid = counts[len(counts) // 2]
    ends = 0.5 * (counts[0] + counts[-1])
    common = int((land.long_axes(A) & land.long_axes(B)).sum())
    return {"mid_count": mid, "endpoint_count": ends, "mid_excess": mid - ends,
            "count_noise": 0, "mid_excess_over_noise": mid - ends,  # exact counts on the toy: no count noise
            "expected_optimum": land.s, "expected_intersection": land.D - common,
            "_t": ts, "_counts": counts}


def connector_middles(loss_fn, optima: torch.Tensor, m_max: int, steps: int = 1000, lr: float = 1e-2):
    """The optimized centroids of the m-connectors m = 1..m_max between optima[: m + 1], all in one batched
    run: the algorithm of ``connectors.m_connector(points="centroid")`` (Adam from the centroid, gradient
    projected off the simplex's span and the position re-projected after every step, the best point
    kept), with each row's own simplex basis zero-padded to m_max rows. Returns (middles, their losses)."""
    D = optima.shape[1]
    U = torch.zeros(m_max, m_max, D, dtype=optima.dtype)
    for m in range(1, m_max + 1):
        U[m - 1, :m] = cn.simplex_basis(optima[: m + 1])
    X0 = torch.stack([optima[: m + 1].mean(0) for m in range(1, m_max + 1)])
    X = cn.optimize_constrained(loss_fn, X0, U, steps, lr)
    with torch.no_grad():
        return X, loss_fn(X).tolist()


def connector_points(land: WedgeLandscape, seed: int, construction: str, m_max: int = 4, same_wedge: bool = False,
                     pair: str = "independent"):
    """(optima, the middles of the m-connectors m = 1..m_max, their losses) for C10."""
    if same_wedge:
        optima = toy_optima(land, m_max + 1, seed, same_wedge=True)
    else:
        optima = pair_optima(land, m_max + 1, seed, pair)
    if construction == "paper":
        mids, losses = connector_middles(land.loss, optima, m_max)
    elif construction == "intersection":
        mids = []
        for m in range(1, m_max + 1):
            common = land.long_axes(optima[: m + 1]).all(0)
            mids.append(land.from_frame(land.to_frame(optima[0]) * common.to(optima.dtype)))
        mids = torch.stack(mids)
        losses = land.loss(mids).tolist()
    else:
        raise ValueError(f"construction must be 'paper' or 'intersection', got {construction!r}")
    return optima, mids, losses


def m_connector_counts(land: WedgeLandscape, seed: int, construction: str, count: str, m_max: int = 4,
                       same_wedge: bool = False, pair: str = "independent", points=None) -> dict:
    """Count at the middle of m-connectors for m = 1..m_max between m + 1 toy optima.

    ``construction="paper"``: the centroid optimized in the (D - m)-dim subspace orthogonal to the
    simplex (§4.3); ``"intersection"``: the first optimum's coordinates on the long axes common to all.
    ``pair="same-basin"``: one optimum and m_max re-descents of 1% moves from it (issue-9 control).
    ``points``: the output of ``connector_points`` computed before (shared by the two counts).
    """
    _, mids, losses = points or connector_points(land, seed, construction, m_max, same_wedge, pair)
    ms = list(range(1, m_max + 1))
    counts = [_count(land, mid, count) for mid in mids]
    return {"spearman": spearman(ms, counts), "growth": counts[-1] - counts[0], "_m": ms, "_counts": counts,
            "count_noise": 0, "growth_over_noise": counts[-1] - counts[0],  # exact counts: no count noise
            "middle_losses": losses}


# -- C8, C10 on a smooth landscape without wedges (issue-9 controls) ---------------------------------
def _top_half(land: CosineLandscape, optima: torch.Tensor) -> float:
    """The declared threshold: half the optima's mean top Hessian eigenvalue (as the toy's 1.0 is half the
    top eigenvalue 2 of its squared loss at an optimum), the same all along the path."""
    return 0.5 * float(torch.stack([land.eigenvalues(o)[-1] for o in optima]).mean())


def smooth_tunnel_counts(land: CosineLandscape, seed: int, points: int = 5) -> dict:
    """C8's measurement without wedges: Hessian counts at the nodes of the §4.2 tunnel (k = points - 1,
    as the toy's) between two local minima (Adam from two N(0, 1) inits) of a smooth cosine landscape."""
    A, B = land.minima(random_points(land.D, 2, seed=seed))
    conn = cn.tunnel(land.loss, A, B, cn.TunnelConfig(k=points - 1, steps=1000, lr=1e-2))
    thr = _top_half(land, torch.stack([A, B]))
    counts = [int((land.eigenvalues(p) > thr).sum()) for p in conn.nodes]
    mid, ends = counts[len(counts) // 2], 0.5 * (counts[0] + counts[-1])
    return {"mid_count": mid, "endpoint_count": ends, "mid_excess": mid - ends, "count_noise": 0,
            "mid_excess_over_noise": mid - ends, "threshold": thr,
            "endpoint_losses": land.loss(torch.stack([A, B])).tolist(),
            "_t": conn.node_t.tolist(), "_counts": counts}


def smooth_connector_counts(land: CosineLandscape, seed: int, m_max: int = 4) -> dict:
    """C10's measurement without wedges: Hessian counts at the middles of the m-connectors (the toy's
    construction) between m + 1 local minima of a smooth cosine landscape."""
    optima = land.minima(random_points(land.D, m_max + 1, seed=seed))
    mids, losses = connector_middles(land.loss, optima, m_max)
    thr = _top_half(land, optima)
    ms = list(range(1, m_max + 1))
    counts = [int((land.eigenvalues(p) > thr).sum()) for p in mids]
    return {"spearman": spearman(ms, counts), "growth": counts[-1] - counts[0], "_m": ms, "_counts": counts,
            "count_noise": 0, "growth_over_noise": counts[-1] - counts[0], "threshold": thr,
            "middle_losses": losses}


def spearman(x, y) -> float:
    """Spearman rank correlation (``scipy.stats.spearmanr``, average ranks for ties), not rounded
    (claims/RULES.md #5); 0 when either side is constant (no trend to rank)."""
    from scipy.stats import spearmanr

    if len(set(x)) < 2 or len(set(y)) < 2:
        return 0.0
    return float(spearmanr(x, y).statistic)


# -- C11 ------------------------------------------------------------------------------------------
PROBE_SEED_OFFSET = 1_000_003  # probe directions from their own stream: with the init's seed, v_1 = I/|I|


def _probe(land, seed: int, near: float, a: float, n_dirs: int) -> tuple[torch.Tensor, float]:
    I = random_points(land.D, 1, seed=seed)[0]
    P0 = land.descend(I, near)
    inc = radial_probe(land.loss, P0, a=a, n_dirs=n_dirs, seed=PROBE_SEED_OFFSET + seed)
    return inc, float(land.loss(P0))


def _cv(inc: torch.Tensor) -> float:
    mean = float(inc.mean())
    return float(inc.std() / mean) if mean != 0 else float("inf")


def isotropy(land: WedgeLandscape, seed: int, near: float = 0.1, a: float = 1.0, n_dirs: int = 256,
             null: bool = True) -> dict:
    """Probe L(P0 + a v) - L(P0) along random unit v from a point P0 near a wedge (not on it:
    gradient flow stopped at ``near`` x its starting loss).

    The null (issue 9): the same start recipe and the same probes on ``QuadraticWell(D, seed)``, a smooth
    landscape of the same D without wedges (one quadratic minimum, Hessian spectrum log-uniform over
    two decades): ``cv_null`` and ``cv_minus_null`` = cv - cv_null (the rule asks the wedges to look at
    least as isotropic as the null; concentration of measure alone makes any smooth high-D function
    look isotropic to random probes)."""
    inc, L0 = _probe(land, seed, near, a, n_dirs)
    out = {"cv": _cv(inc), "min_increase": float(inc.min()), "mean_increase": float(inc.mean()), "L0": L0,
           "_inc": inc.tolist()}
    if null:
        inc0, _ = _probe(QuadraticWell(land.D, seed=seed), seed, near, a, n_dirs)
        out.update({"cv_null": _cv(inc0), "min_increase_null": float(inc0.min()),
                    "cv_minus_null": out["cv"] - _cv(inc0)})
    return out


# -- C17 ------------------------------------------------------------------------------------------
# The toy claims C17 compares, each by its primary protocol except C2 (the exact solver: the threshold
# without optimizer noise; Adam at 10^4 steps on K subspaces is too slow for the quick tier). C8 and C10
# are left out: their Hessian count is D - n at every point of both landscapes by construction, and the
# pinned count is defined in the axis frame only.
C17_EXPERIMENTS = {
    "C2": ("toy.hyperplane_threshold", {"solver": "exact"}),
    "C4": ("toy.tunnel", {"path": "straight"}),
    "C5": ("toy.tunnel", {"path": "midpoint"}),
    "C6": ("toy.tunnel", {"path": "paper"}),
    "C11": ("toy.isotropy", {}),
}


def run_experiment(land, name: str, seed: int) -> dict:
    """One C17 experiment on any landscape with the toy's interface (loss, squared_loss, descend, s)."""
    _, kw = C17_EXPERIMENTS[name]
    if name == "C2":
        return hyperplane_threshold(land, seed, solver="exact")
    if name == "C11":
        return isotropy(land, seed)
    return tunnel_experiment(land, seed, path=kw["path"])


def compare_verdicts(base: dict, other: dict) -> dict:
    """Decide each experiment's claim (its declared checks in verdicts.claims, one sample) on both
    landscapes; count changes."""
    from ..verdicts.claims import get
    from ..verdicts.decide import decide

    rows, changes = {}, 0
    for name in C17_EXPERIMENTS:
        checks = get(name).checks
        a = decide(checks, [base[name]]).verdict
        b = decide(checks, [other[name]]).verdict
        rows[name] = (a, b)
        changes += a != b
    return {"verdict_changes": changes, "compared": len(rows),
            "verdicts": {k: f"{a} / {b}" for k, (a, b) in rows.items()}}


def rotation_verdicts(D: int, n: int, seed: int, other=None) -> dict:
    """Decide the toy claims on the axis-aligned landscape and on ``other`` (default: the same D, n
    randomly rotated) and count the verdicts that differ. Each sub-claim uses its declared rule (verdicts.claims)."""
    base = WedgeLandscape(D, n)
    other = other or WedgeLandscape(D, n, rotation="random", seed=1000 + seed)
    return compare_verdicts({k: run_experiment(base, k, seed) for k in C17_EXPERIMENTS},
                            {k: run_experiment(other, k, seed) for k in C17_EXPERIMENTS})

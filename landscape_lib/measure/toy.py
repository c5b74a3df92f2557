"""The paper's toy-model experiments (§3.3), each returning the numbers a claim is decided on.

Every function takes a ``WedgeLandscape`` and a seed and returns a plain dict of measurements (plus
arrays for plots under keys starting with "_"), so the same code is run axis-aligned and rotated (C17).
Toy "optima" are random N(0, 1) initializations followed by exact gradient flow down to 1e-3 of
their starting loss (``WedgeLandscape.descend``), the toy analogue of training to a target loss.
"""

from __future__ import annotations

import math

import torch

from ..geometry import connectors as cn
from ..geometry.probes import radial_probe
from ..geometry.subspace import MinimizeConfig, minimize, random_basis, toy_exact_minimize
from ..geometry.toy import WedgeLandscape, random_points

OPTIMUM_LEVEL = 1e-3  # toy optima: loss = 1e-3 x their starting loss
SUCCESS = 1e-6  # C2: "reaches" = loss <= 1e-6 x its start


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


# -- C2 -------------------------------------------------------------------------------------------
def reached_ratio(land: WedgeLandscape, P0: torch.Tensor, d: int, seed: int, solver: str) -> float:
    """Loss reached on a random d-hyperplane through P0, divided by the loss at P0."""
    M = random_basis(d, land.D, seed=seed)
    start = float(land.loss(P0))
    if solver == "exact":
        _, val = toy_exact_minimize(land, P0, M)
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


# -- C4, C5, C6 -----------------------------------------------------------------------------------
def tunnel_experiment(land: WedgeLandscape, seed: int, path: str = "paper", same_wedge: bool = False,
                      k: int = 10, steps: int = 1000) -> dict:
    """Two toy optima, the straight line between them, and a connector:
    ``path="paper"``: the §4.2 hyperplane tunnel; ``path="intersection"``: A -> X -> B with X on both
    wedges; ``path="straight"``: the un-optimized line (the control)."""
    A, B = toy_optima(land, 2, seed, same_wedge=same_wedge)
    ends = land.loss(torch.stack([A, B]))
    end_mean = float(ends.mean())
    line = cn.straight(land.loss, A, B, k=k)
    if path == "paper":
        conn = cn.tunnel(land.loss, A, B, cn.TunnelConfig(k=k, steps=steps, lr=1e-2))
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
        raise ValueError(f"path must be 'paper', 'intersection' or 'straight', got {path!r}")
    halves = cn.halves_alignment(C)
    return {
        "different_wedges": bool((land.long_axes(A) != land.long_axes(B)).any()),
        "endpoint_loss": end_mean, "line_max": line.max_loss, "path_max": conn.max_loss,
        "wall_ratio": line.max_loss / end_mean, "tunnel_ratio": conn.max_loss / end_mean,
        "wall_fraction": conn.max_loss / line.max_loss, "drift": conn.drift,
        "within_min": halves["within_min"], "across_abs": halves["across_abs"],
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
                         points: int = 5) -> dict:
    """Short-direction counts at ``points`` evenly spaced points of a path between two toy optima.

    The Hessian threshold is declared once: half the top eigenvalue of the squared loss at an
    optimum (which is exactly 2), i.e. 1.0, the same all along the path.
    """
    A, B = toy_optima(land, 2, seed, same_wedge=same_wedge)
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
    counts = [_count(land, p, count) for p in pts]
    mid = counts[len(counts) // 2]
    ends = 0.5 * (counts[0] + counts[-1])
    common = int((land.long_axes(A) & land.long_axes(B)).sum())
    return {"mid_count": mid, "endpoint_count": ends, "mid_excess": mid - ends,
            "expected_optimum": land.s, "expected_intersection": land.D - common,
            "_t": ts, "_counts": counts}


def m_connector_counts(land: WedgeLandscape, seed: int, construction: str, count: str, m_max: int = 4,
                       same_wedge: bool = False) -> dict:
    """Count at the middle of m-connectors for m = 1..m_max between m + 1 toy optima.

    ``construction="paper"``: the centroid optimized in the (D - m)-dim subspace orthogonal to the
    simplex (§4.3); ``"intersection"``: the first optimum's coordinates on the long axes common to all.
    """
    optima = toy_optima(land, m_max + 1, seed, same_wedge=same_wedge)
    ms, counts, losses = [], [], []
    for m in range(1, m_max + 1):
        O = optima[: m + 1]
        if construction == "paper":
            mc = cn.m_connector(land.loss, O, cn.ConnectorConfig(steps=1000, lr=1e-2))
            mid, loss = mc.middle, mc.middle_loss
        elif construction == "intersection":
            common = land.long_axes(O).all(0)
            mid = land.from_frame(land.to_frame(O[0]) * common.to(O.dtype))
            loss = float(land.loss(mid))
        else:
            raise ValueError(f"construction must be 'paper' or 'intersection', got {construction!r}")
        ms.append(m)
        counts.append(_count(land, mid, count))
        losses.append(loss)
    return {"spearman": spearman(ms, counts), "growth": counts[-1] - counts[0], "_m": ms, "_counts": counts,
            "middle_losses": losses}


def spearman(x, y) -> float:
    """Spearman rank correlation (average ranks for ties); 0 when either side is constant. Rounded
    to 12 digits so that exact values (0.8 for one swap among 4) are not decided by round-off."""
    def ranks(v):
        v = list(v)
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return round(cov / (vx * vy), 12) if vx > 0 and vy > 0 else 0.0


# -- C11 ------------------------------------------------------------------------------------------
def isotropy(land: WedgeLandscape, seed: int, near: float = 0.1, a: float = 1.0, n_dirs: int = 256) -> dict:
    """Probe L(P0 + a v) - L(P0) along random unit v from a point P0 near a wedge (not on it:
    gradient flow stopped at ``near`` x its starting loss)."""
    I = random_points(land.D, 1, seed=seed)[0]
    P0 = land.descend(I, near)
    inc = radial_probe(land.loss, P0, a=a, n_dirs=n_dirs, seed=seed)
    mean = float(inc.mean())
    return {"cv": float(inc.std() / mean) if mean != 0 else float("inf"), "min_increase": float(inc.min()),
            "mean_increase": mean, "L0": float(land.loss(P0)), "_inc": inc.tolist()}


# -- C17 ------------------------------------------------------------------------------------------
def rotation_verdicts(D: int, n: int, seed: int, other: WedgeLandscape | None = None) -> dict:
    """Decide the toy claims on the axis-aligned landscape and on ``other`` (default: the same D, n
    randomly rotated) and count the verdicts that differ. Each sub-claim uses its registry rule."""
    from .. import registry

    base = WedgeLandscape(D, n)
    other = other or WedgeLandscape(D, n, rotation="random", seed=1000 + seed)
    experiments = {
        "C2": lambda L: hyperplane_threshold(L, seed),
        "C4": lambda L: tunnel_experiment(L, seed, path="straight"),
        "C5-paper": lambda L: tunnel_experiment(L, seed, path="paper"),
        "C5-intersection": lambda L: tunnel_experiment(L, seed, path="intersection"),
        "C6-paper": lambda L: tunnel_experiment(L, seed, path="paper"),
        "C8-intersection-pinned": lambda L: tunnel_count_profile(L, seed, "intersection", "pinned"),
        "C8-intersection-hessian": lambda L: tunnel_count_profile(L, seed, "intersection", "hessian"),
        "C10-intersection-pinned": lambda L: m_connector_counts(L, seed, "intersection", "pinned"),
        "C11": lambda L: isotropy(L, seed),
    }
    rows, changes = {}, 0
    for name, run in experiments.items():
        claim = registry.get(name.split("-")[0])
        a, _ = claim.evaluate(run(base))
        b, _ = claim.evaluate(run(other))
        rows[name] = ("holds" if a else "refuted", "holds" if b else "refuted")
        changes += a != b
    return {"verdict_changes": changes, "compared": len(rows),
            "verdicts": {k: f"{a} / {b}" for k, (a, b) in rows.items()}}

"""The paper's experiments on trained networks (§4.2-§4.4), each returning the numbers a claim is
decided on (plus arrays for plots under keys starting with "_").

Every function takes a ``Problem`` (model + data as functions of theta) and flat optima. Definitions
that a verdict hinges on are parameters, measured side by side by the claim tests:

* tunnel nodes: ``nodes="budget"`` (the paper's "minimize the training loss": a fixed Adam budget) or
  ``"loss-matched"`` (each node stops at the endpoints' loss level, like the optima themselves);
* the short-direction threshold: ``fraction`` x the mean top Hessian eigenvalue at the endpoint
  optima (``geometry.short_directions.ShortDirectionThreshold``; declared fraction
  ``short_directions.DECLARED_FRACTION``), the same all along a path (C8's profiles: the declared
  fraction only);
* label switching: on test inputs, noised test inputs or Gaussian inputs where the optima disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..geometry import connectors as cn
from ..geometry.lanczos import top_eigenvalues
from ..geometry.short_directions import (DECLARED_FRACTION, ShortDirectionThreshold, count_profile,
                                         count_short_directions)
from ..nets.problem import Problem
from ..verdicts.decide import NOT_MEASURABLE
from .toy import spearman

NODE_DEFINITIONS = ("budget", "loss-matched")
# C8's profiles count at the declared fraction only: the 0.05 and 0.01 counts decided nothing and cost 10x the
# Lanczos work (claims/RULES.md #35); C3's threshold variants count at their own fractions.
FRACTIONS = (DECLARED_FRACTION,)
MIN_DISAGREEMENTS = 10


@dataclass(frozen=True)
class PathConfig:
    """How tunnels and connectors are built on real networks (Adam on the training loss, §4.2).

    Not a duplicate of ``connectors.TunnelConfig``: the defaults differ (1000 steps, no refinement -- §4.2 has none;
    ``refine=2`` is the C5 variant --
    rounds, 4 points per piece on networks), the per-node stopping loss is not a field but follows
    from ``nodes`` ("loss-matched": the endpoints' loss), and the same settings drive the m-connectors
    (``connectors.ConnectorConfig``). Cache keys hash it (fixtures/plugin.py ``tunnel``).
    """

    k: int = 10
    steps: int = 1000
    lr: float = 1e-2
    refine: int = 0
    per_piece: int = 4

    def tunnel(self, target: float | None = None) -> cn.TunnelConfig:
        """The ``connectors.TunnelConfig`` for these settings, nodes stopping at ``target`` (None: full budget)."""
        return cn.TunnelConfig(k=self.k, steps=self.steps, lr=self.lr, refine=self.refine,
                               per_piece=self.per_piece, target=target)

    def connector(self, target: float | None = None) -> cn.ConnectorConfig:
        """The ``connectors.ConnectorConfig`` for these settings (k and refine do not apply)."""
        return cn.ConnectorConfig(steps=self.steps, lr=self.lr, per_piece=self.per_piece, target=target)


def build_tunnel(problem: Problem, A: torch.Tensor, B: torch.Tensor, nodes: str = "budget",
                 cfg: PathConfig = PathConfig(), base: cn.Path | None = None) -> cn.Path:
    """The §4.2 tunnel between optima A and B on the full-batch training loss, with ``cfg.refine``
    rounds of refinement; ``base``: the same tunnel without refinement, already built (it is refined,
    not rebuilt)."""
    if nodes not in NODE_DEFINITIONS:
        raise ValueError(f"nodes must be one of {NODE_DEFINITIONS}, got {nodes!r}")
    A, B = problem.theta(A), problem.theta(B)
    target = None
    if nodes == "loss-matched":
        target = float(problem.train_losses(torch.stack([A, B])).mean())
    if base is not None:
        return cn.refine(problem.train_losses, base, A, B, cfg.refine, cfg.tunnel(target))
    return cn.tunnel(problem.train_losses, A, B, cfg.tunnel(target))


def tunnel_metrics(problem: Problem, A: torch.Tensor, B: torch.Tensor, path: cn.Path) -> dict:
    """C5 and C6 numbers: loss along the tunnel vs the straight line, and the deviations' halves."""
    A, B = problem.theta(A), problem.theta(B)
    line = cn.straight(problem.train_losses, A, B, k=len(path.nodes) - 1, per_piece=4)
    ends = 0.5 * float(path.loss[0] + path.loss[-1])
    C = cn.cosine_matrix(cn.deviations(path, A, B))
    halves = cn.halves_alignment(C)
    return {"tunnel_ratio": path.max_loss / ends, "wall_fraction": path.max_loss / line.max_loss,
            "endpoint_loss": ends, "tunnel_max": path.max_loss, "line_max": line.max_loss,
            "max_before_refine": path.history.get("max_loss_before_refine"),
            "max_after_refine": path.history.get("max_loss_after_refine"), "drift": path.drift,
            "nodes": len(path.nodes), **halves,
            "_line": (line.t.tolist(), line.loss.tolist()), "_path": (path.t.tolist(), path.loss.tolist()),
            "_cos": C.tolist()}


def path_points(path: cn.Path, per_piece: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Points along the pieces of a path (per_piece per piece, plus the last node) and their t."""
    s = torch.linspace(0, 1, per_piece + 1, dtype=path.nodes.dtype, device=path.nodes.device)[:-1]
    pts, ts = [], []
    for i in range(len(path.nodes) - 1):
        pts.append(path.nodes[i] + s.unsqueeze(1) * (path.nodes[i + 1] - path.nodes[i]))
        ts.append(path.node_t[i] + s * (path.node_t[i + 1] - path.node_t[i]))
    return torch.cat(pts + [path.nodes[-1:]]), torch.cat(ts + [path.node_t[-1:]])


def probe_inputs(problem: Problem, kind: str, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """Inputs on which to compare predictions: "test", "noised" (test + N(0, 1) per standardized
    feature) or "gaussian" (N(0, 1) images of the input shape)."""
    X = problem.data.X_test
    g = torch.Generator().manual_seed(seed)
    if kind == "test":
        return X
    if kind == "noised":
        reps = -(-n // len(X))
        Xr = X.repeat((reps,) + (1,) * (X.ndim - 1))[:n]
        return Xr + torch.randn(Xr.shape, generator=g).to(Xr)
    if kind == "gaussian":
        return torch.randn((n,) + tuple(X.shape[1:]), generator=g).to(X)
    raise ValueError(f"inputs must be 'test', 'noised' or 'gaussian', got {kind!r}")


def _switch(preds: torch.Tensor, ts: torch.Tensor, mask: torch.Tensor) -> tuple[float, list, list]:
    pa, pb = preds[0][mask], preds[-1][mask]
    agree_a = (preds[:, mask] == pa).double().mean(1)
    agree_b = (preds[:, mask] == pb).double().mean(1)
    cross = ts[int(torch.nonzero(agree_b >= agree_a)[0])]
    return float(cross), agree_a.tolist(), agree_b.tolist()


def label_switch(problem: Problem, path: cn.Path, inputs: str, seed: int = 0) -> dict:
    """C7: where along the tunnel the predictions switch from A's to B's, on inputs where A and B
    disagree; also along the straight line. crossing_t_dev = |t_cross - 1/2| (1/2 when fewer than
    MIN_DISAGREEMENTS inputs disagree: nothing to switch)."""
    X = probe_inputs(problem, inputs, seed=seed)
    pts, ts = path_points(path)
    preds = cn.labels_along(lambda P: problem.logits(P, X), pts)
    mask = preds[0] != preds[-1]
    n = int(mask.sum())
    out = {"disagreements": n, "inputs": len(X)}
    if n < MIN_DISAGREEMENTS:
        return {**out, NOT_MEASURABLE: f"only {n} of {len(X)} {inputs} inputs disagree between A and B (fewer than "
                                        f"{MIN_DISAGREEMENTS}): nothing to switch", "_t": ts.tolist(), "_a": [], "_b": []}
    cross, a, b = _switch(preds, ts, mask)
    lt = torch.linspace(0, 1, len(ts), dtype=path.nodes.dtype)
    line = cn.linear_path(path.nodes[0], path.nodes[-1], lt)
    lpreds = cn.labels_along(lambda P: problem.logits(P, X), line)
    lcross, la, lb = _switch(lpreds, lt, mask)
    jump = float((torch.tensor(b).diff().abs()).max())
    return {**out, "crossing_t": cross, "crossing_t_dev": abs(cross - 0.5), "line_crossing_t": lcross,
            "max_jump_tunnel": jump, "max_jump_line": float(torch.tensor(lb).diff().abs().max()),
            "_t": ts.tolist(), "_a": a, "_b": b, "_lt": lt.tolist(), "_la": la, "_lb": lb}


def short_direction_profile(problem: Problem, path: cn.Path, points: int = 5, k_max: int = 600) -> dict:
    """C8: short-direction counts at ``points`` nodes spread along the tunnel, for FRACTIONS of the
    endpoints' mean top eigenvalue (the same absolute threshold along the path)."""
    idx = torch.linspace(0, len(path.nodes) - 1, points).round().long().unique()
    thetas = [path.nodes[i] for i in idx]
    prof = count_profile(problem.train_loss, thetas, fractions=FRACTIONS, k_max=k_max)
    counts = prof.counts.double()
    mid = len(thetas) // 2
    j = FRACTIONS.index(DECLARED_FRACTION)
    excess = {fr: float(counts[mid, i] - 0.5 * (counts[0, i] + counts[-1, i])) for i, fr in enumerate(FRACTIONS)}
    return {"mid_excess": excess[DECLARED_FRACTION], "mid_count": int(counts[mid, j]),
            "endpoint_count": float(0.5 * (counts[0, j] + counts[-1, j])),
            "threshold": prof.thresholds[j].value, "top_endpoints": prof.thresholds[j].reference_top,
            **{f"mid_excess_f{fr:g}": v for fr, v in excess.items()},
            "_t": [float(path.node_t[i]) for i in idx],
            "_counts": {f"{fr:g} x top": counts[:, i].tolist() for i, fr in enumerate(FRACTIONS)}}


def m_connector_metrics(problem: Problem, optima: torch.Tensor, nodes: str = "budget",
                        cfg: PathConfig = PathConfig(), points: str = "centroid") -> tuple[dict, cn.MConnector]:
    """C9: the optimized middle of the m-connector between the rows of ``optima`` (m + 1 of them).

    connector_ratio = the highest loss on the whole connector (the optimized middle and the straight pieces
    from it to each optimum) / the optima's mean loss, as C5 decides a tunnel (claims/RULES.md #2); centroid_fraction = the highest loss on the straight pieces from the middle to each optimum /
    the un-optimized centroid's loss ("far below the centroid")."""
    if nodes not in NODE_DEFINITIONS:
        raise ValueError(f"nodes must be one of {NODE_DEFINITIONS}, got {nodes!r}")
    O = problem.theta(optima)
    ends = float(problem.train_losses(O).mean())
    mc = cn.m_connector(problem.train_losses, O, cfg.connector(ends if nodes == "loss-matched" else None),
                        points=points)
    worst = max(mc.middle_loss, mc.max_piece_loss)
    return ({"connector_ratio": worst / ends, "centroid_fraction": mc.max_piece_loss / mc.centroid_loss,
             "m": mc.m,
             "endpoint_loss": ends, "middle_loss": mc.middle_loss, "max_piece_loss": mc.max_piece_loss,
             "centroid_loss": mc.centroid_loss, "drift": mc.drift}, mc)


def count_at(problem: Problem, theta: torch.Tensor, threshold: float, k_max: int = 600) -> int:
    return count_short_directions(problem.train_loss, problem.theta(theta), threshold, k_max=k_max).count


def top_eigenvalue(problem: Problem, theta: torch.Tensor) -> float:
    return float(top_eigenvalues(problem.train_loss, problem.theta(theta), 1)[0])


def connector_counts(problem: Problem, optima: torch.Tensor, order: list[int], m_max: int = 4,
                     fraction: float = DECLARED_FRACTION, nodes: str = "budget") -> dict:
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
    return {"spearman": spearman(ms, counts), "growth": counts[-1] - counts[0], "threshold": thr.value,
            "counts": str(counts), "_m": ms, "_counts": counts, "optima_loss": ends,
            "middle_losses": str([f"{x:.2e}" for x in losses])}


def d90_sweep(problem: Problem, theta_init: torch.Tensor, full_acc: float,
              d_grid=(10, 20, 40, 80, 160, 320, 640, 1280), steps: int = 500, lr: float = 1e-2) -> dict:
    """C3: d90 (Li et al. 2018): the smallest d at which training in a random d-dim subspace through the
    init reaches 90% of the optimum's test accuracy (Adam, ``steps``; bisection at resolution 4)."""
    from ..geometry import intrinsic

    grid = [d for d in d_grid if d <= problem.D]
    r = intrinsic.d90(problem.train_loss, lambda P: problem.accuracy(P), problem.theta(theta_init), full_acc,
                      d_grid=grid, steps=steps, lr=lr, resolution=4)
    return {"d90": r.d90 if r.d90 is not None else problem.D, "target_acc": r.target,
            "_d": list(r.accuracies), "_acc": [r.mean_acc(x) for x in r.accuracies]}


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


# -- same-basin neighbours, count noise, nulls (issue 9) ----------------------------------------------
def redescend(problem: Problem, theta: torch.Tensor, target: float, lr: float = 1e-2, max_steps: int = 5000
              ) -> tuple[torch.Tensor, float, int]:
    """Full-batch Adam on the training loss from ``theta`` until the loss is <= ``target``.
    Raises TargetNotReached (naming steps and final loss) when max_steps pass first."""
    from ..nets.config import TargetNotReached

    th = problem.theta(theta).detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([th], lr=lr)
    loss = float("inf")
    for step in range(max_steps + 1):
        L = problem.train_loss(th)
        loss = float(L.detach())
        if loss <= target:
            return th.detach(), loss, step
        if step == max_steps:
            break
        opt.zero_grad()
        L.backward()
        opt.step()
    raise TargetNotReached(f"redescend: loss {loss:.3g} > target {target:.3g} after {max_steps} steps (lr {lr})")


NEIGHBOUR_SCALE = 0.05  # a same-basin neighbour: the optimum moved by 5% of its norm, then re-descended


def neighbour(problem: Problem, theta: torch.Tensor, target: float, lr: float, seed: int = 0,
              scale: float = NEIGHBOUR_SCALE) -> torch.Tensor:
    """A same-basin neighbour of an optimum: theta + scale |theta| u (u a random unit vector, ``seed``),
    re-descended with Adam to the optimum's own target loss. If the move crossed into another basin,
    the measurements on the pair would show it (a wall, a tunnel's structure): controls built on it could hold."""
    th = problem.theta(theta)
    g = torch.Generator().manual_seed(10_000 + seed)
    u = torch.randn(th.shape, generator=g, dtype=torch.float64).to(th)
    start = th + scale * th.norm() * u / u.norm()
    out, _, _ = redescend(problem, start, target, lr)
    return out


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


def shape_error(t, agree_b) -> float:
    """Mean |agree_B(t) - min(2t, 1)|: the distance from the claimed shape ("change linearly up to the
    middle, and stay constant from then on")."""
    t = torch.as_tensor(t, dtype=torch.float64)
    a = torch.as_tensor(agree_b, dtype=torch.float64)
    return float((a - torch.clamp(2 * t, max=1.0)).abs().mean())


def radial_at(theta_init: torch.Tensor, theta: torch.Tensor, history: dict, fraction: float, definition: str,
              seed: int = 0) -> dict:
    """C12 at a fraction of training ("at first": 0.1; the end: 1.0) from the logged radius r(t) and
    distance from the init d(t), with the null beside it: the same share for a random displacement of
    the same length d(t) from the same init (one random direction, ``seed``).

    norm-change share = (r - r0) / d;  cos-to-w share = (r^2 - w0.w) / (d r) with w0.w = (r^2 + r0^2 - d^2) / 2.
    """
    from ..geometry.radial import radial_motion

    steps = list(history["step"])
    last = steps[-1]
    i = next(k for k, s in enumerate(steps) if s >= fraction * last)
    r0 = float(theta_init.double().norm())
    r, d = float(history["radius"][i]), float(history["dist_from_init"][i])
    if definition == "norm-change":
        share = (r - r0) / d
    elif definition == "cos-to-w":
        share = (r * r - 0.5 * (r * r + r0 * r0 - d * d)) / (d * r)
    else:
        raise ValueError(f"definition must be 'norm-change' or 'cos-to-w', got {definition!r}")
    w0 = theta_init.double()
    g = torch.Generator().manual_seed(20_000 + seed)
    u = torch.randn(w0.shape, generator=g, dtype=torch.float64)
    null = radial_motion(w0, w0 + d * u / u.norm(), definition)["radial_share"]
    return {"radius_growth": r / r0, "radial_share": share, "radial_share_null": null,
            "radial_share_excess": share - null, "step": steps[i], "of_steps": last, "distance": d}

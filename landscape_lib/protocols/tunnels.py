"""Paths between optima: the straight line's wall (C4), the §4.2 low-loss tunnel (C5), its deviations'
two halves (C6) and the labels along it (C7), on the toy model and on trained networks.

Protocols (what a declared case points at), each ``f(lab, label, sample, **params) -> Sample``:
``toy_tunnel`` (C4-C6 on the toy; ``path="wedges"`` is C6's positive control), ``random_halves`` (C6's null:
independent Gaussian vectors), ``net_line`` (C4), ``net_tunnel`` (C5, C6), ``net_label_switch`` (C7),
``planted_label_switch`` (C7's positive control: two linear classifiers and a path planted to switch between them).

Tunnel nodes on networks are optimized two ways, side by side: ``nodes="budget"`` (the paper's "minimize
the training loss": a fixed Adam budget) or ``"loss-matched"`` (each node stops at the endpoints' loss
level, like the optima themselves). Label switching is measured on test inputs, noised test inputs or
Gaussian inputs where the two optima disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..geometry import connectors as cn
from ..geometry.toy import WedgeLandscape
from ..nets.data import Dataset
from ..nets.problem import Problem
from ..types import Sample
from .endpoints import different_wedges, pair_optima, pair_points, toy_optima


NODE_DEFINITIONS = ("budget", "loss-matched")


MIN_DISAGREEMENTS = 10


def tunnel_experiment(land: WedgeLandscape, seed: int, path: str = "paper", same_wedge: bool = False,
                      k: int = 10, steps: int = 1000, pair: str = "independent") -> Sample:
    """Two toy optima, the straight line between them, and a connector:
    ``path="midpoint"``: §3.3's toy tunnel ("We then chose the midpoint between the two points, put up a
    tangent hyperplane there and optimized"): one node at t = 1/2 (k = 2 pieces), no refinement;
    ``path="paper"``: the §4.2 hyperplane tunnel with k = 10 pieces, no refinement; ``path="intersection"``:
    A -> X -> B with X on both wedges; ``path="wedges"``: the k = 10 tunnel whose nodes follow A's wedge up to
    the middle and B's after it (``wedge_path``, C6's positive control; ``deviation_size`` = the largest
    deviation / |B - A|); ``path="straight"``: the un-optimized line.
    ``pair="same-basin"``: B is A's re-descent after a 1% move (the same-basin control), not an independent
    optimum. The halves statistics (C6) are reported only where there are >= 2 deviations."""
    if same_wedge:
        A, B = toy_optima(land, 2, seed, same_wedge=True)
    else:
        A, B = pair_optima(land, 2, seed, pair)
    ends = land.loss(torch.stack([A, B]))
    end_mean = float(ends.mean())
    line = cn.straight(land.loss, A, B, k=k)
    extra = {}
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
    elif path == "wedges":
        conn = wedge_path(land, A, B, k=k)
        dev = cn.deviations(conn, A, B)
        C = cn.cosine_matrix(dev)
        extra = {"deviation_size": float(dev.norm(dim=1).max() / (B - A).norm())}
    elif path == "straight":
        conn = line
        C = torch.eye(k - 1, dtype=A.dtype)
    else:
        raise ValueError(f"path must be 'midpoint', 'paper', 'intersection', 'wedges' or 'straight', got {path!r}")
    halves = cn.halves_alignment(C) if C.shape[0] >= 2 else {}
    return Sample(
        metrics={"different_wedges": different_wedges(land, A, B),
                 "endpoint_loss": end_mean, "line_max": line.max_loss, "path_max": conn.max_loss,
                 "wall_ratio": line.max_loss / end_mean, "tunnel_ratio": conn.max_loss / end_mean,
                 "wall_fraction": conn.max_loss / line.max_loss, "drift": conn.drift,
                 **({"within_min": halves["within_min"], "across_abs": halves["across_abs"]} if halves else {}),
                 **extra},
        arrays={"line": (line.t.tolist(), line.loss.tolist()), "path": (conn.t.tolist(), conn.loss.tolist()),
                "cos": C.tolist()})


def wedge_nodes(land: WedgeLandscape, X0: torch.Tensor, u: torch.Tensor, long: torch.Tensor) -> torch.Tensor:
    """Each row x0 of X0 (K, D) moved to the nearest point of its wedge W = {x: x_S = 0} (S: the axes not in
    ``long`` (K, D), in the landscape's frame) inside the hyperplane through x0 normal to the unit vector u:

        x = E_L (x0 + beta u),   beta = (u_S . x0_S) / |u_L|^2,

    E_L zeroing the short axes S. It satisfies x_S = 0 and u . (x - x0) = 0, and x - x0 is orthogonal to every
    direction of W within the hyperplane, so it is the closest such point: where the §4.2 node optimization
    (gradient flow of the squared distance to W, projected onto the hyperplane) converges when W is the wedge
    the node descends into."""
    Q0, uq = land.to_frame(X0), land.to_frame(u)
    L = long.to(Q0.dtype)
    beta = (uq * (1 - L) * Q0).sum(-1) / (uq * L).square().sum(-1)
    return land.from_frame(L * (Q0 + beta.unsqueeze(-1) * uq))


def wedge_path(land: WedgeLandscape, A: torch.Tensor, B: torch.Tensor, k: int = 10) -> cn.Path:
    """The tunnel that follows A's wedge, then B's (§3.1: "the deviations from the linear path to the low loss path
    should be approximately aligned until we reach the wedge intersection, and change orientation after that"):
    the §4.2 layout (k pieces, node i on the hyperplane normal to B - A at t_i = i/k), each node converged
    (``wedge_nodes``) onto A's nearest wedge for t_i < 1/2, onto the intersection of A's and B's wedges at
    t_i = 1/2, onto B's wedge for t_i > 1/2. With A and B exactly on their wedges (long axes L_A, L_B), a
    first-half deviation is t (-B_{L_B - L_A} + c_A E_{L_A} u): one direction for the whole half; a second-half one
    is (1 - t)(-A_{L_A - L_B} + c_B E_{L_B} u); the two share only their u terms, so the cosine across halves is
    sqrt(p q / ((1 - p)(1 - q))), p = |B_{L_B - L_A}|^2 / |B - A|^2, q = |A_{L_A - L_B}|^2 / |B - A|^2."""
    u = (B - A) / (B - A).norm()
    t = torch.linspace(0, 1, k + 1, dtype=A.dtype, device=A.device)
    la, lb = land.long_axes(A), land.long_axes(B)
    ti = t[1:-1].unsqueeze(1)
    mid = (ti - 0.5).abs() <= 1e-12
    long = torch.where(mid, la & lb, torch.where(ti < 0.5, la, lb))
    X = wedge_nodes(land, cn.linear_path(A, B, t[1:-1]), u, long)
    nodes = torch.cat([A.unsqueeze(0), X, B.unsqueeze(0)])
    T, L = cn.evaluate_path(land.loss, nodes, t, cn.TunnelConfig().per_piece)
    drift = float(((nodes - cn.linear_path(A, B, t)) @ u).abs().max())
    return cn.Path(nodes, t, T, L, drift)


def toy_tunnel(lab, label, sample, D, n, path="paper", same_wedge=False, pair="independent") -> Sample:
    """C4-C6 on the toy: two toy optima, the straight line, and a connector (``path``: midpoint = §3.3's
    single hyperplane at the midpoint, paper = the §4.2 hyperplane tunnel with k = 10 nodes, intersection =
    A -> a point on both wedges -> B, wedges = the k = 10 tunnel following A's wedge then B's, straight = the
    line itself); ``pair="same-basin"``: an optimum and its re-descent after a 1% move (the controls)."""
    return tunnel_experiment(WedgeLandscape(D, n), sample, path=path, same_wedge=same_wedge, pair=pair)


def random_halves(lab, label, sample, vectors=9, D=1000) -> Sample:
    """The C6 halves statistic on independent Gaussian vectors (a null: no tunnel at all)."""
    g = torch.Generator().manual_seed(sample)
    V = torch.randn(vectors, D, generator=g, dtype=torch.float64)
    return Sample(metrics=cn.halves_alignment(cn.cosine_matrix(V)))


@dataclass(frozen=True)
class PathConfig:
    """How tunnels and connectors are built on real networks (Adam on the training loss, §4.2).

    Not a duplicate of ``connectors.TunnelConfig``: the defaults differ (1000 steps, no refinement -- §4.2 has
    none; ``refine=2`` is the C5 variant --, 4 points per piece on networks), the per-node stopping loss is not a
    field but follows from ``nodes`` ("loss-matched": the endpoints' loss), and the same settings drive the
    m-connectors (``connectors.ConnectorConfig``). Cache keys hash it (``Lab.tunnel``).
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


RADIAL = ("in", "out")


def tunnel_metrics(problem: Problem, A: torch.Tensor, B: torch.Tensor, path: cn.Path, radial: str = "in") -> Sample:
    """C5 and C6 numbers: loss along the tunnel vs the straight line (also as a fraction of the chance-level
    loss ln C: ``tunnel_max_over_chance``), and the deviations' halves, with their radial component
    (``radial="in"``, the paper's deviations) or without it (``"out"``: ``connectors.radial_parts``);
    ``deviation_radial_share`` = the mean share of a deviation's squared length that is radial."""
    import math

    if radial not in RADIAL:
        raise ValueError(f"radial must be one of {RADIAL}, got {radial!r}")
    A, B = problem.theta(A), problem.theta(B)
    line = cn.straight(problem.train_losses, A, B, k=len(path.nodes) - 1, per_piece=4)
    ends = 0.5 * float(path.loss[0] + path.loss[-1])
    tangential, share = cn.radial_parts(path, A, B)
    C = cn.cosine_matrix(cn.deviations(path, A, B) if radial == "in" else tangential)
    halves = cn.halves_alignment(C)
    return Sample(
        metrics={"tunnel_ratio": path.max_loss / ends, "wall_fraction": path.max_loss / line.max_loss,
                 "tunnel_max_over_chance": path.max_loss / math.log(problem.data.num_classes),
                 "deviation_radial_share": float(share.mean()),
                 "endpoint_loss": ends, "tunnel_max": path.max_loss, "line_max": line.max_loss,
                 "max_before_refine": path.history.get("max_loss_before_refine"),
                 "max_after_refine": path.history.get("max_loss_after_refine"), "drift": path.drift,
                 "nodes": len(path.nodes), **halves},
        arrays={"line": (line.t.tolist(), line.loss.tolist()), "path": (path.t.tolist(), path.loss.tolist()),
                "cos": C.tolist()})


def path_points(path: cn.Path, per_piece: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Points along the pieces of a path (per_piece per piece, plus the last node) and their t."""
    s = torch.linspace(0, 1, per_piece + 1, dtype=path.nodes.dtype, device=path.nodes.device)[:-1]
    pts, ts = [], []
    for i in range(len(path.nodes) - 1):
        pts.append(path.nodes[i] + s.unsqueeze(1) * (path.nodes[i + 1] - path.nodes[i]))
        ts.append(path.node_t[i] + s * (path.node_t[i + 1] - path.node_t[i]))
    return torch.cat(pts + [path.nodes[-1:]]), torch.cat(ts + [path.node_t[-1:]])


def net_line(lab, label, sample) -> Sample:
    """C4: the training loss on the straight line between two optima (41 points); the wall also in
    nats above the ends and as a fraction of the chance-level loss ln(classes)."""
    prob = lab.problem(label)
    A, B = pair_points(lab, label, tuple(sample))
    line = cn.straight(prob.train_losses, A, B, k=20, per_piece=2)
    ends = 0.5 * float(line.loss[0] + line.loss[-1])
    chance = math.log(prob.data.num_classes)
    return Sample(metrics={"wall_ratio": line.max_loss / ends, "wall_height": line.max_loss - ends,
                           "wall_over_chance": (line.max_loss - ends) / chance, "line_max": line.max_loss,
                           "endpoint_loss": ends, "chance_loss": chance},
                  arrays={"line": (line.t.tolist(), line.loss.tolist())})


def _tunnel_for(lab, label, pair, nodes, refine=0):
    if pair[0] == "neighbour":
        return lab.neighbour_tunnel(label, pair[1], nodes)
    return lab.tunnel(label, pair[0], pair[1], nodes, refine)


def net_tunnel(lab, label, sample, nodes="budget", refined=False, radial="in") -> Sample:
    """C5, C6: the §4.2 tunnel between two optima against the straight line; deviations' halves (``radial``: with
    or without their radial component). ``refined=False`` is the paper's algorithm; ``refined=True`` adds 2 rounds
    of adaptive refinement (a node at the worst piece's midpoint), the variant."""
    A, B = pair_points(lab, label, tuple(sample))
    path = _tunnel_for(lab, label, tuple(sample), nodes, refine=2 if refined else 0)
    return tunnel_metrics(lab.problem(label), A, B, path, radial)


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


def label_switch(problem: Problem, path: cn.Path, inputs: str, seed: int = 0) -> Sample:
    """C7: where along the tunnel the predictions switch from A's to B's, on inputs where A and B
    disagree; also along the straight line (the null). crossing_t_dev = |t_cross - 1/2|; with fewer than
    MIN_DISAGREEMENTS disagreeing inputs the sample is not measurable (nothing to switch).

    shape_error = mean |agree_B(t) - min(2t, 1)| along the tunnel (the claimed shape); shape_error_null the
    same along the straight line; shape_gain_over_null = shape_error_null - shape_error."""
    X = probe_inputs(problem, inputs, seed=seed)
    pts, ts = path_points(path)
    preds = cn.labels_along(lambda P: problem.logits(P, X), pts)
    mask = preds[0] != preds[-1]
    n = int(mask.sum())
    out = {"disagreements": n, "inputs": len(X)}
    if n < MIN_DISAGREEMENTS:
        return Sample(metrics=out, arrays={"t": ts.tolist(), "a": [], "b": []},
                      not_measurable=f"only {n} of {len(X)} {inputs} inputs disagree between A and B (fewer than "
                                     f"{MIN_DISAGREEMENTS}): nothing to switch")
    cross, a, b = _switch(preds, ts, mask)
    lt = torch.linspace(0, 1, len(ts), dtype=path.nodes.dtype)
    line = cn.linear_path(path.nodes[0], path.nodes[-1], lt)
    lpreds = cn.labels_along(lambda P: problem.logits(P, X), line)
    lcross, la, lb = _switch(lpreds, lt, mask)
    jump = float((torch.tensor(b).diff().abs()).max())
    err, err_null = shape_error(ts.tolist(), b), shape_error(lt.tolist(), lb)
    return Sample(metrics={**out, "crossing_t": cross, "crossing_t_dev": abs(cross - 0.5), "line_crossing_t": lcross,
                           "max_jump_tunnel": jump, "max_jump_line": float(torch.tensor(lb).diff().abs().max()),
                           "shape_error": err, "shape_gain_over_null": err_null - err},
                  nulls={"shape_error_null": err_null},
                  arrays={"t": ts.tolist(), "a": a, "b": b, "lt": lt.tolist(), "la": la, "lb": lb})


def shape_error(t, agree_b) -> float:
    """Mean |agree_B(t) - min(2t, 1)|: the distance from the claimed shape ("change linearly up to the
    middle, and stay constant from then on")."""
    t = torch.as_tensor(t, dtype=torch.float64)
    a = torch.as_tensor(agree_b, dtype=torch.float64)
    return float((a - torch.clamp(2 * t, max=1.0)).abs().mean())


def net_label_switch(lab, label, sample, inputs, nodes="budget") -> Sample:
    """C7: predicted labels along the tunnel on inputs where A and B disagree: the distance of the
    fraction agreeing with B from the claimed shape min(2t, 1), against the straight line's (the null)."""
    return label_switch(lab.problem(label), _tunnel_for(lab, label, tuple(sample), nodes), inputs)



PLANTED_DISAGREEMENTS = 20  # inputs on which the planted A and B disagree: twice MIN_DISAGREEMENTS


@dataclass(frozen=True)
class LinearClassifiers:
    """Two-class linear classifiers on a dataset's inputs (flattened): theta is W (d x 2) flattened, logits = x W.
    The labels depend on the margin vector w_1 - w_0 alone, so adding one vector to both columns of W changes no
    label: a long direction of the set of parameters computing one function."""

    data: Dataset

    def logits(self, thetas: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        """Logits (K, N, 2) of K parameter vectors (K, 2d) on inputs X (N, ...)."""
        W = thetas.reshape(len(thetas), -1, 2)
        return torch.einsum("nd,kdc->knc", X.reshape(len(X), -1).to(W), W)


def planted_switch(X: torch.Tensor, seed: int, disagreements: int = PLANTED_DISAGREEMENTS, k: int = 10
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, cn.Path]:
    """Two linear classifiers A, B on inputs X (N, ...) and a path between them planted with the C7 shape
    (Fig 3 right: labels "change linearly up to the middle, and stay constant from them on").

    A: W_A ~ N(0, 1) (d x 2), margin vector a = w_1 - w_0. B: W_A with its margin rotated to b = |a| (cos phi e +
    sin phi v), e = a / |a|, v a random unit vector orthogonal to e, phi the angle at which exactly
    ``disagreements`` inputs change the sign of their margin (midway between the ``disagreements``-th and next
    input's own switching angles). M = W_B + c (1, 1), |c (1, 1)| = |W_B - W_A|, c random: a point computing B's
    function, away from B. The path A -> M -> B, M at t = 1/2, in k pieces (the §4.2 tunnel's layout): on the
    first half an input's margin x.((1 - 2t) a + 2t b) changes sign where the straight line's does at 2t, at
    s = x.a / x.(a - b), near-uniform in s within a thin wedge of angle phi, so the share agreeing with B
    follows min(2t, 1); on the second half every margin is x.b. Returns (A, M, B, path); the path carries no
    loss (C7 reads its labels)."""
    X = X.reshape(len(X), -1).to(torch.float64)
    N, d = X.shape
    if not 0 < disagreements < N:
        raise ValueError(f"disagreements must be in 1..{N - 1} (the inputs), got {disagreements!r}")
    g = torch.Generator().manual_seed(seed)
    WA = torch.randn(d, 2, generator=g, dtype=torch.float64)
    a = WA[:, 1] - WA[:, 0]
    e = a / a.norm()
    v = torch.randn(d, generator=g, dtype=torch.float64)
    v = v - (v @ e) * e
    v = v / v.norm()
    theta = torch.atan2(X @ v, X @ e)
    switch = torch.remainder(theta - math.pi / 2, math.pi)
    angles = torch.sort(switch).values
    phi = float(0.5 * (angles[disagreements - 1] + angles[disagreements]))
    b = a.norm() * (math.cos(phi) * e + math.sin(phi) * v)
    WB = WA + 0.5 * torch.outer(b - a, torch.tensor([-1.0, 1.0], dtype=torch.float64))
    shift = torch.outer(torch.randn(d, generator=g, dtype=torch.float64), torch.ones(2, dtype=torch.float64))
    WM = WB + shift * (WB - WA).norm() / shift.norm()
    A, M, B = WA.flatten(), WM.flatten(), WB.flatten()
    t = torch.linspace(0, 1, k + 1, dtype=torch.float64)
    s = (2 * t).clamp(max=1.0).unsqueeze(1)
    r = (2 * t - 1).clamp(min=0.0).unsqueeze(1)
    nodes = torch.where(t.unsqueeze(1) <= 0.5, A + s * (M - A), M + r * (B - M))
    nodes[0], nodes[-1] = A, B
    return A, M, B, cn.Path(nodes, t, t.clone(), torch.full_like(t, float("nan")))


def planted_label_switch(lab, label, sample, inputs="test", disagreements=PLANTED_DISAGREEMENTS) -> Sample:
    """C7's positive control: ``label_switch`` (the primary's metric, on the same probe inputs of the
    configuration) on ``planted_switch``'s two linear classifiers and their planted path; the classifiers are
    planted to disagree on ``disagreements`` of the configuration's test inputs."""
    data = lab.problem(label).data
    _, _, _, path = planted_switch(data.X_test, sample, disagreements)
    return label_switch(LinearClassifiers(data), path, inputs)

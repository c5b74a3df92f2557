"""Paths between optima: straight lines, the paper's hyperplane tunnel, m-connectors (§4.2, §4.3).

Every function takes a *batched* loss ``loss_fn: Tensor[K, D] -> Tensor[K]`` (the toy landscape's
``loss`` is batched already; for a network use ``FlatModel.batched_loss``), so all nodes of a
tunnel are optimized in one batched run rather than one after another.

Tunnel (§4.2): split the line A -> B at t_1..t_{k-1}; at each t_i put up the hyperplane normal to
u = (B - A)/|B - A| through A + t_i (B - A); minimize the loss from that point with the gradient
projected onto the hyperplane, g <- g - (g.u) u, and the position re-projected after every step
(Adam's per-coordinate scaling would otherwise leave the plane); join the optimized nodes by straight
pieces. The path's loss is evaluated on the pieces, not only at the nodes. ``refine`` rounds insert a
node in the piece with the highest loss (started at the midpoint of its two neighbours, which lies on
its own normal hyperplane) and optimize it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

LossFn = Callable[[torch.Tensor], torch.Tensor]


def _check_pair(A: torch.Tensor, B: torch.Tensor) -> None:
    if A.ndim != 1 or A.shape != B.shape:
        raise ValueError(f"A and B must be flat vectors of the same shape, got {tuple(A.shape)} and {tuple(B.shape)}")
    if torch.equal(A, B):
        raise ValueError("A and B must differ: the line between them is not defined")


def linear_path(A: torch.Tensor, B: torch.Tensor, ts) -> torch.Tensor:
    """Points A + t (B - A) for each t in ``ts``: shape (len(ts), D)."""
    ts = torch.as_tensor(ts, dtype=A.dtype, device=A.device)
    return A.unsqueeze(0) + ts.unsqueeze(1) * (B - A).unsqueeze(0)


def evaluate_path(loss_fn: LossFn, nodes: torch.Tensor, node_t: torch.Tensor, per_piece: int = 8,
                  chunk: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss along the piecewise-linear path through ``nodes`` (at parameters ``node_t``), ``per_piece``
    points per straight piece; returns (t, loss) including every node."""
    ts, pts = [], []
    s = torch.linspace(0, 1, per_piece + 1, dtype=nodes.dtype, device=nodes.device)[:-1]
    for i in range(len(nodes) - 1):
        pts.append(nodes[i] + s.unsqueeze(1) * (nodes[i + 1] - nodes[i]))
        ts.append(node_t[i] + s * (node_t[i + 1] - node_t[i]))
    pts.append(nodes[-1:])
    ts.append(node_t[-1:])
    P, T = torch.cat(pts), torch.cat(ts)
    with torch.no_grad():
        L = torch.cat([loss_fn(P[i:i + chunk]) for i in range(0, len(P), chunk)])
    return T, L


def barrier(path_loss: torch.Tensor, endpoint_losses) -> float:
    """max loss on the path minus the endpoints' mean loss."""
    return float(path_loss.max() - torch.as_tensor(endpoint_losses, dtype=path_loss.dtype).mean())


@dataclass(frozen=True)
class TunnelConfig:
    """k segments (k - 1 optimized interior nodes), Adam steps per node, refinement rounds, and an
    optional per-node stopping loss (``target``; None = the full step budget)."""

    k: int = 10
    steps: int = 500
    lr: float = 1e-2
    refine: int = 0
    per_piece: int = 8
    target: float | None = None

    def __post_init__(self) -> None:
        if self.k < 2:
            raise ValueError(f"k must be >= 2 segments, got {self.k!r}")
        if self.steps < 0:
            raise ValueError(f"steps must be >= 0, got {self.steps!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if self.refine < 0:
            raise ValueError(f"refine must be >= 0, got {self.refine!r}")


@dataclass
class Path:
    """A piecewise-linear path: nodes (including both ends) at parameters node_t, densely evaluated."""

    nodes: torch.Tensor
    node_t: torch.Tensor
    t: torch.Tensor
    loss: torch.Tensor
    drift: float = 0.0  # max |(x - start).u| over optimized nodes: how far they left their hyperplanes
    history: dict = field(default_factory=dict)

    @property
    def max_loss(self) -> float:
        return float(self.loss.max())


def optimize_constrained(loss_fn: LossFn, X0: torch.Tensor, U: torch.Tensor, steps: int, lr: float,
                         target: float | None = None) -> torch.Tensor:
    """Minimize ``loss_fn`` from each row of X0 (K, D) keeping X - X0 orthogonal to the rows of U (m, D).

    U must have orthonormal rows; or U of shape (K, m, D) gives each row its own subspace (zero rows
    pad a smaller one). The gradient is projected, g <- g - U^T (U g), and the position is re-projected
    after every Adam step, so the drift out of the affine subspace stays at round-off.
    With ``target`` a row stops (is frozen) at the first point whose loss is <= target: nodes are
    then loss-matched to the optima rather than optimized for a fixed budget.
    Returns, per row, the frozen point or else the point with the lowest loss seen.
    """
    X0 = X0.detach()
    X = X0.clone().requires_grad_(True)
    opt = torch.optim.Adam([X], lr=lr)

    def proj(v):
        if U.ndim == 3:
            return v - torch.einsum("kmd,km->kd", U, torch.einsum("kmd,kd->km", U, v))
        return v - (v @ U.T) @ U

    best = torch.full((X0.shape[0],), float("inf"), dtype=X0.dtype, device=X0.device)
    best_X = X0.clone()
    done = torch.zeros(X0.shape[0], dtype=torch.bool, device=X0.device)
    for _ in range(steps + 1):
        loss = loss_fn(X)
        with torch.no_grad():
            better = (loss.detach() < best) & ~done
            best = torch.where(better, loss.detach(), best)
            best_X[better] = X.detach()[better]
            if target is not None:
                done |= best <= target
                if bool(done.all()):
                    break
        if _ == steps:
            break
        opt.zero_grad()
        loss.sum().backward()
        with torch.no_grad():
            X.grad.copy_(proj(X.grad))
        opt.step()
        with torch.no_grad():
            X.copy_(X0 + proj(X - X0))
            X[done] = best_X[done]
    return best_X


def tunnel(loss_fn: LossFn, A: torch.Tensor, B: torch.Tensor, cfg: TunnelConfig = TunnelConfig()) -> Path:
    """The paper's hyperplane tunnel between A and B (see module docstring); ``cfg.refine`` rounds of
    refinement on top (``refine``)."""
    _check_pair(A, B)
    u = (B - A) / (B - A).norm()
    t = torch.linspace(0, 1, cfg.k + 1, dtype=A.dtype, device=A.device)
    X = optimize_constrained(loss_fn, linear_path(A, B, t[1:-1]), u.unsqueeze(0), cfg.steps, cfg.lr, cfg.target)
    nodes = torch.cat([A.unsqueeze(0), X, B.unsqueeze(0)])
    T, L = evaluate_path(loss_fn, nodes, t, cfg.per_piece)
    history = {"max_loss_before_refine": float(L.max()), "max_loss_after_refine": float(L.max())}
    path = Path(nodes.detach(), t, T, L, _drift(nodes, t, A, B, u), history)
    return refine(loss_fn, path, A, B, cfg.refine, cfg) if cfg.refine else path


def refine(loss_fn: LossFn, path: Path, A: torch.Tensor, B: torch.Tensor, rounds: int,
           cfg: TunnelConfig = TunnelConfig()) -> Path:
    """``rounds`` of adaptive refinement of a tunnel A -> B: each inserts a node in the piece with the
    highest loss, started at the midpoint of its two neighbours (on its own normal hyperplane), and
    optimizes it as the tunnel's nodes were (``cfg``: steps, lr, target, per_piece). Refining the
    cached §4.2 tunnel gives exactly ``tunnel(..., refine=rounds)`` without re-optimizing its nodes."""
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds!r}")
    u = (B - A) / (B - A).norm()
    U = u.unsqueeze(0)
    nodes, node_t, T, L = path.nodes, path.node_t, path.t, path.loss
    for _ in range(rounds):
        piece = int(torch.bucketize(T[int(L.argmax())], node_t, right=True).clamp(1, len(node_t) - 1)) - 1
        mid = 0.5 * (nodes[piece] + nodes[piece + 1])
        new = optimize_constrained(loss_fn, mid.unsqueeze(0), U, cfg.steps, cfg.lr, cfg.target)
        nodes = torch.cat([nodes[: piece + 1], new, nodes[piece + 1:]])
        node_t = torch.cat([node_t[: piece + 1], 0.5 * (node_t[piece:piece + 1] + node_t[piece + 1:piece + 2]),
                            node_t[piece + 1:]])
        T, L = evaluate_path(loss_fn, nodes, node_t, cfg.per_piece)
    history = {**path.history, "max_loss_after_refine": float(L.max())}
    return Path(nodes.detach(), node_t, T, L, _drift(nodes, node_t, A, B, u), history)


def _drift(nodes, node_t, A, B, u) -> float:
    return float(((nodes - linear_path(A, B, node_t)) @ u).abs().max())


def straight(loss_fn: LossFn, A: torch.Tensor, B: torch.Tensor, k: int = 10, per_piece: int = 8) -> Path:
    """The straight line A -> B as a Path (the un-optimized control of a tunnel)."""
    _check_pair(A, B)
    node_t = torch.linspace(0, 1, k + 1, dtype=A.dtype, device=A.device)
    nodes = linear_path(A, B, node_t)
    T, L = evaluate_path(loss_fn, nodes, node_t, per_piece)
    return Path(nodes, node_t, T, L)


def through(loss_fn: LossFn, points: list[torch.Tensor], per_piece: int = 32) -> Path:
    """A piecewise-linear path through given points (e.g. A -> wedge intersection -> B)."""
    nodes = torch.stack(points)
    seg = (nodes[1:] - nodes[:-1]).norm(dim=1)
    node_t = torch.cat([torch.zeros(1, dtype=nodes.dtype), torch.cumsum(seg, 0) / seg.sum()])
    T, L = evaluate_path(loss_fn, nodes, node_t, per_piece)
    return Path(nodes, node_t, T, L)


def deviations(path: Path, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Interior nodes minus their foot on the straight line: x_i - (A + t_i (B - A)), shape (K, D)."""
    return path.nodes[1:-1] - linear_path(A, B, path.node_t[1:-1])


def radial_parts(path: Path, A: torch.Tensor, B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split each deviation d_i (``deviations``) into its radial part along r_i = f_i / |f_i|, the direction of its
    foot f_i = A + t_i (B - A) from the origin, and the rest: returns (d_i - (d_i . r_i) r_i, (d_i . r_i)^2 / |d_i|^2).
    A tunnel that bulges outward in radius shares one radial bulge across all its nodes; the rest is what lies
    in the directions off the line proper."""
    feet = linear_path(A, B, path.node_t[1:-1])
    d = path.nodes[1:-1] - feet
    r = feet / feet.norm(dim=1, keepdim=True).clamp_min(torch.finfo(feet.dtype).tiny)
    along = (d * r).sum(1, keepdim=True)
    share = (along.squeeze(1) ** 2) / d.square().sum(1).clamp_min(torch.finfo(d.dtype).tiny)
    return d - along * r, share


def cosine_matrix(V: torch.Tensor) -> torch.Tensor:
    """Pairwise cosines of the rows of V."""
    Vn = V / V.norm(dim=1, keepdim=True).clamp_min(torch.finfo(V.dtype).tiny)
    return Vn @ Vn.T


def halves_alignment(C: torch.Tensor) -> dict:
    """Mean cosine within the first half, within the second, and across halves (diagonal excluded).

    With an odd number of nodes the middle one is left out (it belongs to neither half).
    """
    K = C.shape[0]
    h = K // 2
    first, second = list(range(h)), list(range(K - h, K))

    def mean_block(I, J, same):
        vals = [float(C[i, j]) for i in I for j in J if not (same and i == j)]
        return sum(vals) / len(vals) if vals else float("nan")

    w1, w2 = mean_block(first, first, True), mean_block(second, second, True)
    across = mean_block(first, second, False)
    return {"within_first": w1, "within_second": w2, "within_min": min(w1, w2), "across": across,
            "across_abs": abs(across)}


def labels_along(logits_fn: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """Predicted labels at each point: argmax of ``logits_fn(points)`` -> (P, N)."""
    with torch.no_grad():
        return logits_fn(points).argmax(-1)


@dataclass(frozen=True)
class ConnectorConfig:
    steps: int = 500
    lr: float = 1e-2
    per_piece: int = 8
    target: float | None = None


@dataclass
class MConnector:
    """The optimized middle of an m-connector and the straight pieces from it to each optimum."""

    m: int
    centroid: torch.Tensor
    middle: torch.Tensor
    centroid_loss: float
    middle_loss: float
    max_piece_loss: float
    drift: float


def simplex_basis(optima: torch.Tensor) -> torch.Tensor:
    """Orthonormal rows spanning {o_i - o_0}: the m directions of the simplex (QR)."""
    V = (optima[1:] - optima[0]).T
    Q, R = torch.linalg.qr(V)
    if (torch.diagonal(R).abs() <= 1e-12 * R.abs().max()).any():
        raise ValueError("optima must be affinely independent (their simplex is degenerate)")
    return Q.T.contiguous()


M_CONNECTOR_POINTS = ("centroid", "star")


def m_connector(loss_fn: LossFn, optima: torch.Tensor, cfg: ConnectorConfig = ConnectorConfig(),
                points: str = "centroid") -> MConnector:
    """An m-connector between m + 1 optima (rows): points of their convex hull, each optimized within
    the (D - m)-dim affine subspace through it orthogonal to the simplex's span (§4.3: "In a convex hull
    defined by the optima we choose points where we put up (D - m) dimensional hyperplanes and optimize
    as before"), joined by straight pieces.

    ``points="centroid"``: the centroid c only, joined to every optimum (o_i -> c*).
    ``points="star"``: c and the midpoints (c + o_i) / 2, all optimized in one batched run, joined as
    o_i -> m_i* -> c* (m + 2 optimized points). ``max_piece_loss`` is the highest loss on any piece."""
    if optima.ndim != 2 or optima.shape[0] < 2:
        raise ValueError(f"optima must have shape (m + 1, D) with m >= 1, got {tuple(optima.shape)}")
    if points not in M_CONNECTOR_POINTS:
        raise ValueError(f"points must be one of {M_CONNECTOR_POINTS}, got {points!r}")
    m = optima.shape[0] - 1
    U = simplex_basis(optima)
    c = optima.mean(0)
    X0 = c.unsqueeze(0) if points == "centroid" else torch.cat([c.unsqueeze(0), 0.5 * (c + optima)])
    X = optimize_constrained(loss_fn, X0, U, cfg.steps, cfg.lr, cfg.target)
    mid = X[0]
    chains = [[o, mid] for o in optima] if points == "centroid" else [[o, X[1 + i], mid] for i, o in enumerate(optima)]
    with torch.no_grad():
        cl, ml = float(loss_fn(c.unsqueeze(0))[0]), float(loss_fn(mid.unsqueeze(0))[0])
        pieces = []
        for chain in chains:
            nodes = torch.stack(chain)
            _, L = evaluate_path(loss_fn, nodes, torch.linspace(0, 1, len(chain), dtype=nodes.dtype,
                                                                device=nodes.device), cfg.per_piece)
            pieces.append(float(L.max()))
    drift = float(((X - X0) @ U.T).abs().max())
    return MConnector(m, c, mid.detach(), cl, ml, max(pieces), drift)

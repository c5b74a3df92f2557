"""The points a measurement starts from: toy optima, same-basin neighbours (toy and network), re-descent.

Toy "optima" are random N(0, 1) initializations followed by exact gradient flow down to ``OPTIMUM_LEVEL``
of their starting loss (``WedgeLandscape.descend``), the toy analogue of training to a target loss. A
*same-basin* neighbour is an optimum moved by a small fraction of its norm in a random direction and
re-descended to the optimum's own loss: the controls measure pairs and sets of them, where the paper's
mechanism (two optima on different wedges) is absent unless the move crossed into another wedge.
"""

from __future__ import annotations

import torch

from ..geometry.probes import random_unit_directions
from ..geometry.toy import WedgeLandscape, random_points
from ..nets.problem import Problem


OPTIMUM_LEVEL = 1e-3  # toy optima: loss = 1e-3 x their starting loss
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
    """k points of A's basin (the same-basin controls): A + delta with |delta| = eps |A| in a random direction,
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


def different_wedges(land, A: torch.Tensor, B: torch.Tensor) -> bool:
    """Whether two toy points lie nearest to different wedges."""
    if hasattr(land, "wedge_id"):
        return bool(land.wedge_id(A) != land.wedge_id(B))
    return bool((land.long_axes(A) != land.long_axes(B)).any())


def redescend(problem: Problem, theta: torch.Tensor, target: float, lr: float = 1e-2, max_steps: int = 5000
              ) -> tuple[torch.Tensor, float, int]:
    """Full-batch Adam on the training loss from ``theta`` until the loss is <= ``target``.
    Raises TargetNotReached (naming steps and final loss) when max_steps pass first.

    Its own small loop, not ``training.train``: that one starts from a seed's initialization and checks its
    target on another schedule; re-descending from a given point with it would change every neighbour."""
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


def pair_points(lab, label, pair):
    """The two endpoints of a sample: optima (i, j), or ("neighbour", i): optimum i and its same-basin
    neighbour (moved by 5% of its norm and re-descended to the same loss)."""
    ops, prob = lab.optima(label), lab.problem(label)
    if pair[0] == "neighbour":
        i = pair[1]
        return prob.theta(ops[i].theta), prob.theta(lab.neighbour(label, i))
    return prob.theta(ops[pair[0]].theta), prob.theta(ops[pair[1]].theta)

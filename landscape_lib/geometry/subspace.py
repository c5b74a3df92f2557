"""Optimization on random d-dimensional hyperplanes: P = theta M + P0 (§3.3; Li et al. 2018).

M is d x D with orthonormal rows by default (or i.i.d. Gaussian rows scaled by 1/sqrt(D)), P0 the
start. ``minimize`` optimizes theta on any batched loss function of P, so the same code serves the
toy landscape and real networks (``intrinsic.py``). ``toy_exact_minimize`` is the converged solver
for the toy: alternating least squares on the active (short) coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch


def random_basis(d: int, D: int, seed: int = 0, orthonormal: bool = True, dtype=torch.float64,
                 device=None) -> torch.Tensor:
    """A random d x D matrix M; orthonormal rows when ``orthonormal`` (M M^T = I_d)."""
    if not isinstance(D, int) or D <= 0:
        raise ValueError(f"D must be a positive integer, got {D!r}")
    if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= D:
        raise ValueError(f"d must be an integer with 1 <= d <= D = {D}, got {d!r}")
    g = torch.Generator().manual_seed(seed)
    G = torch.randn(D, d, generator=g, dtype=torch.float64)
    if orthonormal:
        Qm, Rr = torch.linalg.qr(G)
        M = (Qm * torch.sign(torch.diagonal(Rr)).unsqueeze(0)).T
    else:
        M = G.T / D**0.5
    return M.to(dtype=dtype, device=device).contiguous()


@dataclass(frozen=True)
class MinimizeConfig:
    """Adam on theta: ``steps`` steps from theta = 0 at learning rate ``lr`` (cosine-decayed to lr/100)."""

    steps: int = 3000
    lr: float = 1e-2

    def __post_init__(self) -> None:
        if self.steps <= 0:
            raise ValueError(f"steps must be a positive integer, got {self.steps!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")


def minimize(loss_fn: Callable[[torch.Tensor], torch.Tensor], P0: torch.Tensor, M: torch.Tensor,
             cfg: MinimizeConfig = MinimizeConfig()) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimize ``loss_fn(theta M + P0)`` over theta with Adam; returns (theta, best loss).

    ``loss_fn`` maps (..., D) to (...); P0 may be batched (K, D) with M (d, D) shared or (K, d, D).
    """
    if M.shape[-1] != P0.shape[-1]:
        raise ValueError(f"M must have last dimension D = {P0.shape[-1]}, got {tuple(M.shape)}")
    theta = torch.zeros(P0.shape[:-1] + (M.shape[-2],), dtype=P0.dtype, device=P0.device, requires_grad=True)
    opt = torch.optim.Adam([theta], lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps, eta_min=cfg.lr / 100)
    best = torch.full(P0.shape[:-1], float("inf"), dtype=P0.dtype, device=P0.device)
    best_theta = theta.detach().clone()
    for _ in range(cfg.steps):
        step = torch.einsum("...d,...dD->...D", theta, M) if M.ndim == 3 else theta @ M
        loss = loss_fn(step + P0)
        with torch.no_grad():
            better = loss < best
            best = torch.where(better, loss.detach(), best)
            best_theta = torch.where(better.unsqueeze(-1), theta.detach(), best_theta)
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        sched.step()
    return best_theta, best


def toy_exact_minimize(landscape, P0: torch.Tensor, M: torch.Tensor, iters: int = 50) -> tuple[torch.Tensor, float]:
    """Converged minimization of the toy loss on the hyperplane theta M + P0.

    Alternating active set: with S the D - n smallest coordinates of the current point (in the wedge
    frame), theta <- argmin ||(theta M R + P0 R)_S|| by least squares; repeat until S stops changing.
    When d >= D - n the first solve already reaches zero (round-off); otherwise it reaches a local
    minimum of the distance to the wedges reachable from the hyperplane.
    Returns (P, L(P)).
    """
    P0 = landscape._check(P0, "P0")
    if P0.ndim != 1:
        raise ValueError(f"P0 must be a single point of shape (D,), got {tuple(P0.shape)}")
    MR = landscape.to_frame(M)
    Q0 = landscape.to_frame(P0)
    P, best = P0, float(landscape.loss(P0))
    S = None
    for _ in range(iters):
        S_new = landscape.short_index(P)
        S_new = torch.sort(S_new).values
        if S is not None and torch.equal(S, S_new):
            break
        S = S_new
        A = MR[:, S].T
        theta = torch.linalg.lstsq(A, -Q0[S].unsqueeze(-1), driver="gelsd").solution.squeeze(-1)
        cand = theta @ M + P0
        val = float(landscape.loss(cand))
        if val >= best and P is not P0:
            break
        P, best = cand, min(best, val)
    return P, best

"""Intrinsic dimension (Li et al. 2018): train only inside a random d-dimensional affine subspace

    P = theta M + P0,   theta in R^d,   M in R^{d x D},   P0 the (random) initialization,

and find d90, the smallest d at which the subspace-trained network reaches 90% of the test accuracy
of the network trained in all D dimensions. Fort & Jastrzebski (§4.2, claim C3) compare d90 with the
number of short (high-curvature) directions at an optimum (``short_directions.count_short_directions``).

M is either dense with orthonormal rows (QR of a Gaussian, ``subspace.random_basis``; M M^T = I_d,
so |theta| is the distance travelled) or a very sparse random projection (Li, Hastie & Church 2006):
entries +-1/sqrt(density x D) with probability density/2 each, 0 otherwise, density = 1/sqrt(D),
so rows have expected unit norm and are nearly orthogonal; it is stored and applied with
torch.sparse (memory and time O(d sqrt(D)) instead of O(d D)), for large D.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from .subspace import random_basis

LossFn = Callable[[torch.Tensor], torch.Tensor]
AccFn = Callable[[torch.Tensor], float | torch.Tensor]

__all__ = ["sparse_projection", "subspace_map", "SubspaceResult", "train_in_subspace", "D90Result", "d90"]


def _check_d(d, D: int, name: str = "d") -> int:
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= D:
        raise ValueError(f"{name} must be an integer with 1 <= {name} <= D = {D}, got {d!r}")
    return d


def _check_P0(P0: torch.Tensor) -> torch.Tensor:
    if not isinstance(P0, torch.Tensor) or P0.ndim != 1 or P0.numel() == 0 or not P0.is_floating_point():
        raise ValueError("P0 must be a non-empty flat floating-point tensor of shape (D,)")
    return P0.detach()


def sparse_projection(d: int, D: int, seed: int = 0, density: float | None = None, dtype=torch.float32,
                      device=None) -> torch.Tensor:
    """A sparse random (D, d) matrix M^T (COO): entries +-1/sqrt(density D) w.p. density/2 each.

    density defaults to 1/sqrt(D) (Li, Hastie & Church's "very sparse" projection). E|row of M|^2 = 1
    and distinct rows are orthogonal in expectation. Each column (row of M) gets at least one entry.
    """
    _check_d(d, D)
    density = 1.0 / math.sqrt(D) if density is None else float(density)
    if not 0 < density <= 1:
        raise ValueError(f"density must be in (0, 1], got {density!r}")
    g = torch.Generator().manual_seed(seed)
    nnz_per_row = torch.binomial(torch.full((d,), float(D)), torch.full((d,), density), generator=g).long().clamp(min=1)
    rows, cols = [], []
    for i in range(d):
        c = torch.randperm(D, generator=g)[: int(nnz_per_row[i])]
        cols.append(c)
        rows.append(torch.full_like(c, i))
    r = torch.cat(rows)
    c = torch.cat(cols)
    signs = torch.randint(0, 2, (r.numel(),), generator=g).to(torch.float64) * 2 - 1
    vals = signs / math.sqrt(density * D)
    Mt = torch.sparse_coo_tensor(torch.stack([c, r]), vals, (D, d), check_invariants=True).coalesce()
    return Mt.to(dtype=dtype, device=device)


def subspace_map(P0: torch.Tensor, d: int, *, seed: int = 0, sparse: bool = False) -> Callable[[torch.Tensor], torch.Tensor]:
    """theta (d,) -> theta M + P0 (D,), differentiable in theta; M drawn from ``seed``."""
    P0 = _check_P0(P0)
    D = P0.numel()
    _check_d(d, D)
    if sparse:
        Mt = sparse_projection(d, D, seed, dtype=P0.dtype, device=P0.device)

        def to_P(theta: torch.Tensor) -> torch.Tensor:
            return torch.sparse.mm(Mt, theta.unsqueeze(-1)).squeeze(-1) + P0
    else:
        M = random_basis(d, D, seed=seed, orthonormal=True, dtype=P0.dtype, device=P0.device)

        def to_P(theta: torch.Tensor) -> torch.Tensor:
            return theta @ M + P0
    return to_P


@dataclass(frozen=True)
class SubspaceResult:
    """One subspace training run: final full-batch training loss and test accuracy at theta M + P0."""

    d: int
    train_loss: float
    test_acc: float
    seed: int
    sparse: bool
    steps: int
    theta_norm: float
    P: torch.Tensor | None = field(default=None, repr=False, compare=False)


def train_in_subspace(loss_fn: LossFn, acc_fn: AccFn, P0: torch.Tensor, d: int, *, steps: int = 500,
                      lr: float = 1e-2, seed: int = 0, sparse: bool = False, keep_point: bool = False) -> SubspaceResult:
    """Train theta in P = theta M + P0 with full-batch Adam from theta = 0 (Li et al. 2018).

    ``loss_fn(P)`` is the training loss of flat parameters P (D,), ``acc_fn(P)`` the test accuracy
    in [0, 1]. M has orthonormal rows (or is the sparse projection) drawn from ``seed``, so
    re-running with another seed re-draws the subspace. Returns the loss and accuracy at the end.
    """
    P0 = _check_P0(P0)
    D = P0.numel()
    _check_d(d, D)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    to_P = subspace_map(P0, d, seed=seed, sparse=sparse)
    theta = torch.zeros(d, dtype=P0.dtype, device=P0.device, requires_grad=True)
    opt = torch.optim.Adam([theta], lr=lr)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(to_P(theta))
        loss.backward()
        opt.step()
    with torch.no_grad():
        P = to_P(theta)
        train_loss = float(loss_fn(P))
        acc = float(acc_fn(P))
    return SubspaceResult(d, train_loss, acc, seed, sparse, steps, float(theta.detach().norm()),
                          P.detach() if keep_point else None)


@dataclass(frozen=True)
class D90Result:
    """The intrinsic dimension d90 and everything measured on the way.

    d90: smallest d (on the integers, to ``resolution``) whose mean test accuracy over the seeds is
    >= target = fraction x full_acc; None when no d tried reached it. accuracies[d]: test accuracy
    per seed (re-drawn M); spread[d] = max - min over seeds. bracket: (last failing d, first passing
    d) that bisection ended with (0 stands for "none failing").
    """

    d90: int | None
    target: float
    full_acc: float
    fraction: float
    accuracies: dict[int, tuple[float, ...]]
    spread: dict[int, float]
    bracket: tuple[int, int | None]
    seeds: tuple[int, ...]
    sparse: bool

    def mean_acc(self, d: int) -> float:
        a = self.accuracies[d]
        return sum(a) / len(a)

    @property
    def max_spread(self) -> float:
        return max(self.spread.values()) if self.spread else float("nan")


def d90(loss_fn: LossFn, acc_fn: AccFn, P0: torch.Tensor, full_acc: float, *, d_grid: Sequence[int],
        seeds: Sequence[int] = (0,), steps: int = 500, lr: float = 1e-2, sparse: bool = False,
        fraction: float = 0.9, bisect: bool = True, resolution: int = 1) -> D90Result:
    """The smallest d at which subspace training reaches ``fraction`` (90%) of ``full_acc``.

    A coarse sweep over the sorted ``d_grid`` (stopping at the first passing d), then bisection on
    the integers between the last failing and the first passing d until they are ``resolution``
    apart. A d passes when the mean test accuracy over ``seeds`` (one random M each) is >= target;
    bisection assumes accuracy grows with d (true up to seed noise, reported as ``spread``).
    """
    P0 = _check_P0(P0)
    D = P0.numel()
    grid = sorted(set(int(_check_d(g, D, "d")) for g in d_grid)) if d_grid is not None else []
    if not grid:
        raise ValueError("d_grid must hold at least one d")
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if not 0 < float(full_acc) <= 1:
        raise ValueError(f"full_acc must be an accuracy in (0, 1], got {full_acc!r}")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
        raise ValueError(f"resolution must be a positive integer, got {resolution!r}")
    target = fraction * float(full_acc)
    accs: dict[int, tuple[float, ...]] = {}

    def passes(d: int) -> bool:
        if d not in accs:
            accs[d] = tuple(train_in_subspace(loss_fn, acc_fn, P0, d, steps=steps, lr=lr, seed=s,
                                              sparse=sparse).test_acc for s in seeds)
        return sum(accs[d]) / len(accs[d]) >= target

    lo, hi = 0, None
    for d in grid:
        if passes(d):
            hi = d
            break
        lo = d
    if hi is not None and bisect:
        while hi - lo > resolution:
            mid = (lo + hi) // 2
            if passes(mid):
                hi = mid
            else:
                lo = mid
    spread = {d: (max(a) - min(a)) for d, a in accs.items()}
    return D90Result(hi, target, float(full_acc), float(fraction), dict(sorted(accs.items())),
                     dict(sorted(spread.items())), (lo, hi), seeds, sparse)

"""Random-direction probes of a loss around a point (§3.3 "living on a wedge, probing randomly").

``radial_probe`` returns L(P0 + a v) - L(P0) for ``n_dirs`` random unit directions v: an isotropic
well shows the same increase in every direction (small coefficient of variation).
"""

from __future__ import annotations

from typing import Callable

import torch


def random_unit_directions(n: int, D: int, seed: int = 0, dtype=torch.float64, device=None) -> torch.Tensor:
    """n directions drawn uniformly on the unit sphere S^{D-1} (normalized Gaussians)."""
    if n <= 0:
        raise ValueError(f"n_dirs must be a positive integer, got {n!r}")
    g = torch.Generator().manual_seed(seed)
    V = torch.randn(n, D, generator=g, dtype=torch.float64)
    return (V / V.norm(dim=1, keepdim=True)).to(dtype=dtype, device=device)


def radial_probe(loss_fn: Callable[[torch.Tensor], torch.Tensor], P0: torch.Tensor, a: float, n_dirs: int = 256,
                 seed: int = 0, chunk: int = 64) -> torch.Tensor:
    """Loss increase L(P0 + a v) - L(P0) along ``n_dirs`` random unit v; ``loss_fn`` is batched (K, D) -> (K,)."""
    if not a > 0:
        raise ValueError(f"a (probe distance) must be > 0, got {a!r}")
    V = random_unit_directions(n_dirs, P0.shape[-1], seed, P0.dtype, P0.device)
    with torch.no_grad():
        base = loss_fn(P0.unsqueeze(0))[0]
        out = torch.cat([loss_fn(P0 + a * V[i:i + chunk]) for i in range(0, n_dirs, chunk)])
    return out - base

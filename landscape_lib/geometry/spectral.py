"""Spectral density and trace of the Hessian from Hessian-vector products alone.

* Stochastic Lanczos quadrature (Ubaru, Chen & Saad 2017; Ghorbani et al. 2019), ``slq_density``: for
  Rademacher probes v (|v| = 1), m Lanczos steps give T = Q diag(t) Q^T and
  v^T g(H) v ~ sum_i Q[0, i]^2 g(t_i) (Gauss quadrature, exact for polynomials of degree < 2m), so
  tr g(H) = D E[v^T g(H) v]; with g = 1[t > threshold] this estimates eigenvalue counts.
* Hutchinson's estimator, ``hutchinson_trace``: tr H = E[v^T H v] for Rademacher v (entries +-1),
  unbiased, variance 2 (||H||_F^2 - sum_i H_ii^2) / n for n probes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .hvp import LossFn, MatVec, _as_f64_matvec, _check_theta, make_hvp
from .lanczos import _orthogonalize

__all__ = ["SpectralDensity", "slq_density", "TraceEstimate", "hutchinson_trace"]


@dataclass(frozen=True)
class SpectralDensity:
    """An SLQ estimate of the Hessian eigenvalue density: for probe vector j, Gauss quadrature
    nodes[j] (Ritz values of its Lanczos tridiagonal) with weights[j] (squared first components of
    the Ritz vectors, summing to 1). The density is  phi(t) ~ (1/n) sum_j sum_i weights[j, i]
    delta(t - nodes[j, i]), normalized to 1; multiply by D for eigenvalue counts."""

    nodes: torch.Tensor
    weights: torch.Tensor
    dim: int

    def count_above(self, threshold: float) -> float:
        """Estimated number of eigenvalues > threshold: D x mean_j sum_{i: node > t} weight."""
        mass = (self.weights * (self.nodes > threshold)).sum(-1).mean()
        return float(self.dim * mass)

    def count_above_stderr(self, threshold: float) -> float:
        """Standard error of ``count_above`` across the probe vectors."""
        per = self.dim * (self.weights * (self.nodes > threshold)).sum(-1)
        n = per.numel()
        return float(per.std(unbiased=True) / math.sqrt(n)) if n > 1 else float("nan")

    def trace(self) -> float:
        """Estimated trace: D x mean_j sum_i weight x node."""
        return float(self.dim * (self.weights * self.nodes).sum(-1).mean())

    def smoothed(self, grid: torch.Tensor, sigma: float) -> torch.Tensor:
        """The density convolved with a Gaussian of width sigma, evaluated on ``grid``."""
        g = grid.to(torch.float64).reshape(-1, 1, 1)
        k = torch.exp(-0.5 * ((g - self.nodes) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
        return (k * self.weights).sum(-1).mean(-1)


def slq_density(f: LossFn, theta: torch.Tensor, n_vectors: int, lanczos_steps: int, *, seed: int = 0,
                hvp_fn: MatVec | None = None) -> SpectralDensity:
    """Stochastic Lanczos quadrature (Ubaru, Chen & Saad 2017; Ghorbani et al. 2019).

    For each of ``n_vectors`` Rademacher probes v (|v| = 1) run ``lanczos_steps`` Lanczos steps
    (full re-orthogonalization) to get the tridiagonal T = Q diag(t) Q^T; then
    v^T g(H) v ~ sum_i Q[0, i]^2 g(t_i) (Gauss quadrature, exact for polynomials of degree
    < 2 x steps), and tr g(H) = D E[v^T g(H) v]. With g = 1[t > threshold] this estimates counts.
    """
    theta = _check_theta(theta)
    D = theta.numel()
    if not isinstance(n_vectors, int) or n_vectors < 1:
        raise ValueError(f"n_vectors must be a positive integer, got {n_vectors!r}")
    if not isinstance(lanczos_steps, int) or lanczos_steps < 1:
        raise ValueError(f"lanczos_steps must be a positive integer, got {lanczos_steps!r}")
    m = min(lanczos_steps, D)
    mv = _as_f64_matvec(hvp_fn or make_hvp(f, theta))
    gen = torch.Generator().manual_seed(seed)
    nodes, weights = [], []
    for _ in range(n_vectors):
        v = (torch.randint(0, 2, (D,), generator=gen, dtype=torch.float64) * 2 - 1) / math.sqrt(D)
        v = v.to(theta.device)
        V = torch.empty(m, D, dtype=torch.float64, device=theta.device)
        V[0] = v
        alpha = torch.zeros(m, dtype=torch.float64)
        betas = torch.zeros(max(m - 1, 0), dtype=torch.float64)
        steps = m
        for j in range(m):
            w = mv(V[j])
            alpha[j] = torch.dot(w, V[j]).cpu()
            w, _ = _orthogonalize(w, V[:j + 1])
            if j == m - 1:
                break
            b = float(w.norm())
            if b <= 1e-10 * max(float(alpha[:j + 1].abs().max()), 1e-300):
                steps = j + 1  # invariant subspace: quadrature is exact with j + 1 nodes
                break
            betas[j] = b
            V[j + 1] = w / b
        Tm = torch.diag(alpha[:steps]) + torch.diag(betas[:steps - 1], 1) + torch.diag(betas[:steps - 1], -1)
        t, Q = torch.linalg.eigh(Tm)
        wts = Q[0] ** 2
        nodes.append(torch.nn.functional.pad(t, (0, m - steps)))
        weights.append(torch.nn.functional.pad(wts, (0, m - steps)))
    return SpectralDensity(torch.stack(nodes), torch.stack(weights), D)


@dataclass(frozen=True)
class TraceEstimate:
    """Hutchinson estimate of tr H: mean of v^T H v over n Rademacher probes, with its std error."""

    mean: float
    stderr: float
    n: int

    def __float__(self) -> float:
        return self.mean


def hutchinson_trace(f: LossFn, theta: torch.Tensor, n: int, *, seed: int = 0,
                     hvp_fn: MatVec | None = None) -> TraceEstimate:
    """Hutchinson's estimator tr H = E[v^T H v] for Rademacher v (entries +-1), n probes.

    Unbiased; its variance is 2 (||H||_F^2 - sum_i H_ii^2) / n, reported as ``stderr``.
    """
    theta = _check_theta(theta)
    D = theta.numel()
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    mv = _as_f64_matvec(hvp_fn or make_hvp(f, theta))
    gen = torch.Generator().manual_seed(seed)
    vals = torch.empty(n, dtype=torch.float64)
    for i in range(n):
        v = (torch.randint(0, 2, (D,), generator=gen, dtype=torch.float64) * 2 - 1).to(theta.device)
        vals[i] = torch.dot(v, mv(v)).cpu()
    stderr = float(vals.std(unbiased=True) / math.sqrt(n)) if n > 1 else float("nan")
    return TraceEstimate(float(vals.mean()), stderr, n)

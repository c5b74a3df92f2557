"""Counting short (high-curvature) directions: Hessian eigenvalues above a threshold.

A "short direction" at theta is a Hessian eigen-direction whose eigenvalue exceeds

    threshold = fraction x mean(top Hessian eigenvalue at each endpoint optimum),

with the declared fraction ``DECLARED_FRACTION = 0.1`` on networks. On the toy model the Hessian of the
squared toy loss has eigenvalues 0 and exactly 2 at an optimum, and the declared fraction there is
``TOY_FRACTION = 0.5`` (threshold 1.0: half the top eigenvalue; the smooth toy control uses the same fraction
of its optima's top eigenvalue). This is the one place both are defined; the claims and the measurements
import them. The same absolute threshold is used at every point along a path (a tunnel, a
connector), so counts at different points are comparable. ``count_short_directions`` computes the top
k eigenvalues (``lanczos.top_eigenvalues``; k doubling from k0) until the k-th falls below the
threshold; ``count_profile`` counts along a path for several fractions at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import torch

from .hvp import LossFn, MatVec, _check_theta, make_hvp
from .lanczos import top_eigenvalues

__all__ = ["DECLARED_FRACTION", "TOY_FRACTION", "TOY_TOP_EIGENVALUE", "CountResult", "ShortDirectionThreshold", "CountProfile",
           "count_short_directions", "count_profile"]

DECLARED_FRACTION = 0.1  # threshold = DECLARED_FRACTION x the endpoints' mean top eigenvalue
TOY_FRACTION = 0.5  # the toy model's: half the top eigenvalue of the squared loss at an optimum
TOY_TOP_EIGENVALUE = 2.0  # the squared toy loss's Hessian at an optimum: 2 on the short axes, 0 on the long


def _is_real(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


@dataclass(frozen=True)
class CountResult:
    """The number of Hessian eigenvalues above ``threshold``.

    eigenvalues: the top eigenvalues computed (descending); exact: True when the smallest computed
    eigenvalue fell below the threshold (or all D were computed), so ``count`` is the count;
    False when k_max was reached first, so ``count`` is a lower bound. k: eigenvalues computed.
    """

    count: int
    eigenvalues: torch.Tensor
    threshold: float
    exact: bool
    k: int = 0


@dataclass(frozen=True)
class ShortDirectionThreshold:
    """The short-direction threshold, defined once for a whole path:

        threshold = fraction x mean(top Hessian eigenvalue at each endpoint optimum)

    (fraction default ``DECLARED_FRACTION``). The same absolute threshold is used at every point along a path (a
    tunnel, a connector), so counts at different points are comparable. Build with ``.of``.
    """

    value: float
    fraction: float = DECLARED_FRACTION
    reference_top: float = float("nan")

    def __post_init__(self) -> None:
        if not (_is_real(self.value) and math.isfinite(self.value) and self.value > 0):
            raise ValueError(f"threshold value must be a finite number > 0 (an eigenvalue level), got {self.value!r}")
        if not (_is_real(self.fraction) and math.isfinite(self.fraction) and self.fraction > 0):
            raise ValueError(f"fraction must be a finite number > 0 (e.g. DECLARED_FRACTION = {DECLARED_FRACTION}), "
                             f"got {self.fraction!r}")

    @classmethod
    def of(cls, top_eigs: Sequence[float] | torch.Tensor, fraction: float = DECLARED_FRACTION) -> "ShortDirectionThreshold":
        """From the top eigenvalue at each endpoint optimum: fraction x their mean."""
        vals = torch.as_tensor(top_eigs, dtype=torch.float64).reshape(-1)
        if vals.numel() == 0:
            raise ValueError("top_eigs must hold at least one endpoint's top eigenvalue")
        if not bool(torch.isfinite(vals).all()) or not bool((vals > 0).all()):
            raise ValueError(f"top_eigs must be finite and positive (optima have positive top curvature), got "
                             f"{vals.tolist()}")
        if not (_is_real(fraction) and math.isfinite(fraction) and fraction > 0):
            raise ValueError(f"fraction must be a finite number > 0 (e.g. DECLARED_FRACTION = {DECLARED_FRACTION}), "
                             f"got {fraction!r}")
        ref = float(vals.mean())
        return cls(value=fraction * ref, fraction=float(fraction), reference_top=ref)

    def __float__(self) -> float:
        return float(self.value)


def count_short_directions(f: LossFn, theta: torch.Tensor, threshold: float | ShortDirectionThreshold,
                           k0: int = 32, k_max: int | None = None, *, tol: float = 1e-3,
                           hvp_fn: MatVec | None = None, seed: int = 0) -> CountResult:
    """How many Hessian eigenvalues of f at theta exceed ``threshold`` (the short directions).

    Computes the top k eigenvalues (k = k0, doubling, capped at k_max, default D) until the k-th
    falls below the threshold; the linearized HVP is built once and reused across the doublings.
    ``exact`` is False if k_max was reached with all k eigenvalues still above the threshold.
    """
    theta = _check_theta(theta)
    D = theta.numel()
    try:
        if isinstance(threshold, (bool, str)):
            raise TypeError
        thr = float(threshold)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"threshold must be a finite number >= 0 or a ShortDirectionThreshold, "
                         f"got {threshold!r}") from None
    if not (math.isfinite(thr) and thr >= 0):
        raise ValueError(f"threshold must be a finite number >= 0 (an eigenvalue level, e.g. a "
                         f"ShortDirectionThreshold), got {threshold!r}")
    if not isinstance(k0, int) or k0 < 1:
        raise ValueError(f"k0 must be a positive integer, got {k0!r}")
    k_max = D if k_max is None else min(int(k_max), D)
    if k_max < 1:
        raise ValueError(f"k_max must be >= 1, got {k_max!r}")
    mv = hvp_fn or make_hvp(f, theta)
    k = min(k0, k_max)
    while True:
        ev = top_eigenvalues(f, theta, k, tol, hvp_fn=mv, seed=seed)
        count = int((ev > thr).sum())
        if count < k or k == D:
            return CountResult(count, ev, thr, True, k)
        if k >= k_max:
            return CountResult(count, ev, thr, False, k)
        k = min(2 * k, k_max)


@dataclass(frozen=True)
class CountProfile:
    """Short-direction counts at points along a path for several threshold fractions.

    counts[i, j] / exact[i, j]: point i, threshold thresholds[j] (fractions[j] x reference top).
    """

    fractions: tuple[float, ...]
    thresholds: tuple[ShortDirectionThreshold, ...]
    counts: torch.Tensor
    exact: torch.Tensor
    top: torch.Tensor
    results: tuple[CountResult, ...] = field(repr=False, default=())

    def table(self) -> str:
        """A plain-text table: one row per point, one column per fraction (a * marks lower bounds)."""
        head = "point  lambda_max  " + "  ".join(f"f={fr:g} (>{t.value:.3g})" for fr, t in zip(self.fractions, self.thresholds))
        rows = [head]
        for i in range(self.counts.shape[0]):
            cells = "  ".join(f"{int(c)}{'' if bool(e) else '*'}".rjust(len(f"f={fr:g} (>{t.value:.3g})"))
                              for c, e, fr, t in zip(self.counts[i], self.exact[i], self.fractions, self.thresholds))
            rows.append(f"{i:5d}  {float(self.top[i]):10.4g}  {cells}")
        return "\n".join(rows)


def count_profile(fs: LossFn | Sequence[LossFn], thetas: Sequence[torch.Tensor] | torch.Tensor,
                  fractions: Sequence[float] = (DECLARED_FRACTION, 0.05, 0.01), *, endpoint_top: Sequence[float] | None = None,
                  k0: int = 32, k_max: int | None = None, tol: float = 1e-3, seed: int = 0) -> CountProfile:
    """Short-direction counts along a path, side by side for several threshold fractions.

    The thresholds are ``ShortDirectionThreshold.of(endpoint_top, fraction)``, with endpoint_top
    defaulting to the top eigenvalue at the first and last point (the endpoint optima). One count
    per point at the smallest threshold yields every eigenvalue above it; the larger thresholds are
    counted from the same eigenvalues. ``fs`` is one loss for all points or one per point.
    """
    thetas = list(thetas)
    if not thetas:
        raise ValueError("thetas must hold at least one point")
    fs = list(fs) if isinstance(fs, (list, tuple)) else [fs] * len(thetas)
    if len(fs) != len(thetas):
        raise ValueError(f"fs must be one loss or one per point: got {len(fs)} losses for {len(thetas)} points")
    fractions = tuple(float(x) for x in fractions)
    if not fractions or any(not x > 0 for x in fractions):
        raise ValueError(f"fractions must be a non-empty sequence of positive numbers, got {fractions!r}")
    n = len(thetas)

    def at_point(i: int, fn):
        # name the point of the path in any error about it (a NaN loss, a non-finite theta)
        try:
            return fn()
        except (ValueError, FloatingPointError) as e:
            raise type(e)(f"{e} (index {i} of the {n} points of the profile)") from e

    hvps = [at_point(i, lambda f=f, th=th: make_hvp(f, th)) for i, (f, th) in enumerate(zip(fs, thetas))]
    tops: list[float | None] = [None] * len(thetas)

    def top_at(i: int) -> float:
        if tops[i] is None:
            tops[i] = at_point(i, lambda: float(top_eigenvalues(fs[i], thetas[i], 1, tol, hvp_fn=hvps[i], seed=seed)[0]))
        return tops[i]

    if endpoint_top is None:
        endpoint_top = [top_at(0), top_at(len(thetas) - 1)] if len(thetas) > 1 else [top_at(0)]
    thresholds = tuple(ShortDirectionThreshold.of(endpoint_top, fr) for fr in fractions)
    lowest = min(t.value for t in thresholds)
    counts = torch.zeros(len(thetas), len(fractions), dtype=torch.long)
    exact = torch.zeros(len(thetas), len(fractions), dtype=torch.bool)
    top = torch.zeros(len(thetas), dtype=torch.float64)
    results = []
    for i, (f, th) in enumerate(zip(fs, thetas)):
        r = at_point(i, lambda: count_short_directions(f, th, lowest, k0, k_max, tol=tol, hvp_fn=hvps[i], seed=seed))
        results.append(r)
        top[i] = float(r.eigenvalues[0])
        for j, t in enumerate(thresholds):
            c = int((r.eigenvalues > t.value).sum())
            counts[i, j] = c
            exact[i, j] = r.exact or c < r.k
    return CountProfile(fractions, thresholds, counts, exact, top, tuple(results))


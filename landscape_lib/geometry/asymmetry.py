"""Asymmetric valleys (He, Huang & Yuan 2019): loss profiles along a direction, which side is sharp, and where
a point sits in its valley.

Definition (the paper's). At a point w and a unit direction u, u is *asymmetric* with margin c on
[r, p] when
    L(w + l u) - L(w - l u) >= c   for every l in [r, p];
the +u side is then the sharp side and -u the flat side. A direction *line* is asymmetric when u or -u
is; its margin is
    m(u) = max( min_{l in [r,p]} [L(w + l u) - L(w - l u)],  min_{l in [r,p]} [L(w - l u) - L(w + l u)] ),
the largest c for which the rule holds (<= 0 for a symmetric valley, so c > 0 is required: a rule with
c = 0 passes a perfectly symmetric valley). On a grid the rule is checked at the grid's points in
[r, p] (r and p should be grid points).

- ``loss_profiles``: L(w + l u_i) for l on a grid symmetric about 0, every direction, one batched call.
- ``asymmetry``: per direction the margin, whether it is asymmetric under an ``AsymmetryRule``, the sharp
  side (+1: rises faster toward +u, -1: toward -u, 0: not asymmetric).
- ``asymmetric_fraction``: the count and share of asymmetric directions with a Clopper-Pearson interval.
- ``valley_position``: the bottom l* of a profile (grid argmin refined by the parabola through it and
  its two neighbours), the offset of a point from it, which side of the bottom is sharp (sign of the
  mean of L(l* + d) - L(l* - d) over the window the grid allows, on a cubic-spline interpolant), and
  whether the point is on the flat side.
- ``extended_line``: the line w_SGD + t (w_SWA - w_SGD) for t beyond [0, 1] on both ends (the authors'
  plot), t = 0 the SGD solution, t = 1 the SWA solution, with one or several losses (train, test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from .probes import loss_along

LossFn = Callable[[torch.Tensor], torch.Tensor]


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class AsymmetryRule:
    """The declared rule: u is asymmetric when L(w + l u) - L(w - l u) >= c for l in [r, p].

    c > 0 (the margin), 0 < r < p (the distance range), and ``reason``: why these values, written down
    before measuring (e.g. "c = 0.05: 10x the minibatch noise of the loss at this point")."""

    c: float
    r: float
    p: float
    reason: str

    def __post_init__(self):
        if not _num(self.c) or self.c <= 0:
            raise ValueError(f"AsymmetryRule.c must be a positive number (c = 0 passes a symmetric valley), "
                             f"got {self.c!r}")
        if not _num(self.r) or self.r <= 0:
            raise ValueError(f"AsymmetryRule.r must be a positive number (at l = 0 both sides are equal), "
                             f"got {self.r!r}")
        if not _num(self.p) or self.p <= self.r:
            raise ValueError(f"AsymmetryRule.p must be a number > r = {self.r}, got {self.p!r}")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ValueError("AsymmetryRule.reason must be a non-empty string: why c, r and p have these values")


def symmetric_grid(p: float, n_side: int, dtype=torch.float64) -> torch.Tensor:
    """The 2 n_side + 1 evenly spaced distances -p, ..., 0, ..., p (the profile grid)."""
    if not _num(p) or p <= 0:
        raise ValueError(f"p must be a positive number, got {p!r}")
    if not isinstance(n_side, int) or isinstance(n_side, bool) or n_side < 1:
        raise ValueError(f"n_side must be a positive integer, got {n_side!r}")
    return torch.linspace(-p, p, 2 * n_side + 1, dtype=dtype)


def _check_grid(ls):
    ls = torch.as_tensor(ls, dtype=torch.float64).reshape(-1)
    if ls.numel() < 3 or not bool(torch.isfinite(ls).all()) or bool((ls[1:] <= ls[:-1]).any()):
        raise ValueError(f"ls must be >= 3 finite, strictly increasing distances, got {ls.tolist()}")
    return ls


def loss_profiles(loss_fn: LossFn, w: torch.Tensor, directions: torch.Tensor, ls, chunk: int = 256,
                  unit_tol: float = 1e-6) -> torch.Tensor:
    """L(w + l u_i) for every unit direction u_i (rows of ``directions``) and l in ``ls``: (n_dirs, len(ls)).

    All points go through the batched ``loss_fn`` (K, D) -> (K,) as one flat batch (``probes.loss_along``).
    Directions must have unit norm within ``unit_tol`` (distances are then Euclidean).
    """
    if not isinstance(directions, torch.Tensor):
        raise ValueError(f"directions must be a tensor (n_dirs, D), got {type(directions).__name__}")
    U = directions.unsqueeze(0) if directions.ndim == 1 else directions
    norms = U.double().norm(dim=-1)
    if bool(((norms - 1).abs() > unit_tol).any()):
        raise ValueError(f"directions must be unit vectors (|u| = 1 within {unit_tol}); norms range "
                         f"{float(norms.min()):.6g}..{float(norms.max()):.6g}")
    return loss_along(loss_fn, w, U, _check_grid(ls), chunk=chunk)


@dataclass(frozen=True)
class Profile:
    """One loss profile: distances ls and losses L(w + l u)."""

    ls: torch.Tensor
    losses: torch.Tensor


def loss_profile(loss_fn: LossFn, w: torch.Tensor, u: torch.Tensor, p: float, n_side: int = 20) -> Profile:
    """L(w + l u) for l on ``symmetric_grid(p, n_side)``, one batched call; u a unit (D,) vector."""
    ls = symmetric_grid(p, n_side)
    return Profile(ls=ls, losses=loss_profiles(loss_fn, w, u, ls)[0].double().cpu())


@dataclass(frozen=True)
class Asymmetry:
    """Per direction (n_dirs,): margin m(u) (module docstring), asymmetric (m >= c), sharp_side (+1 / -1 /
    0 when not asymmetric); diffs (n_dirs, n_l) = L(w + l u) - L(w - l u) at the grid distances l in [r, p]."""

    margin: torch.Tensor
    asymmetric: torch.Tensor
    sharp_side: torch.Tensor
    diffs: torch.Tensor
    ls: torch.Tensor
    rule: AsymmetryRule


def asymmetry(ls, losses: torch.Tensor, rule: AsymmetryRule, atol: float = 1e-9) -> Asymmetry:
    """Apply the paper's rule to profiles ``losses`` (n_dirs, len(ls)) or (len(ls),) on a grid ``ls``
    symmetric about 0 (each l has -l on the grid within ``atol``) that covers [r, p]. NaN losses raise."""
    if not isinstance(rule, AsymmetryRule):
        raise ValueError(f"rule must be an AsymmetryRule, got {type(rule).__name__}")
    ls = _check_grid(ls)
    if not bool(torch.allclose(ls, -ls.flip(0), rtol=0, atol=atol)):
        raise ValueError("ls must be symmetric about 0 (each l with its -l), e.g. symmetric_grid(p, n_side)")
    L = torch.as_tensor(losses).double().cpu()
    L = L.unsqueeze(0) if L.ndim == 1 else L
    if L.ndim != 2 or L.shape[1] != ls.numel():
        raise ValueError(f"losses must have shape (n_dirs, {ls.numel()}), got {tuple(L.shape)}")
    if bool(torch.isnan(L).any()):
        raise ValueError("losses contains NaN: the asymmetry of a profile with undefined losses is undefined")
    if float(ls[-1]) < rule.p - atol:
        raise ValueError(f"the grid ends at {float(ls[-1])}, short of rule.p = {rule.p}: it must cover [r, p]")
    pos = (ls >= rule.r - atol) & (ls <= rule.p + atol)
    if not bool(pos.any()):
        raise ValueError(f"no grid distance lies in [r, p] = [{rule.r}, {rule.p}]")
    ip = pos.nonzero().view(-1)
    im = len(ls) - 1 - ip  # the index of -l
    diffs = L[:, ip] - L[:, im]
    plus, minus = diffs.min(dim=1).values, (-diffs).min(dim=1).values
    margin = torch.maximum(plus, minus)
    asym = margin >= rule.c
    side = torch.where(asym, torch.where(plus >= minus, 1, -1), 0)
    return Asymmetry(margin=margin, asymmetric=asym, sharp_side=side, diffs=diffs, ls=ls[ip], rule=rule)


@dataclass(frozen=True)
class AsymmetricFraction:
    """count of asymmetric directions among n, fraction = count / n; ``interval`` is Clopper-Pearson."""

    count: int
    n: int
    fraction: float

    def interval(self, level: float = 0.95) -> tuple:
        """Exact (Clopper-Pearson) binomial confidence interval for the fraction at ``level``."""
        if not _num(level) or not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level!r}")
        from ..stats import clopper_pearson

        return clopper_pearson(self.count, self.n, level)


def asymmetric_fraction(ls, losses: torch.Tensor, rule: AsymmetryRule) -> AsymmetricFraction:
    """The number and share of asymmetric directions among the profiles ``losses`` (n_dirs, len(ls))."""
    a = asymmetry(ls, losses, rule)
    n, k = int(a.asymmetric.numel()), int(a.asymmetric.sum())
    return AsymmetricFraction(count=k, n=n, fraction=k / n)


@dataclass(frozen=True)
class ValleyPosition:
    """bottom l* and its loss; point and offset = point - l*; sharp_side of the bottom (+1: the loss rises
    faster for l > l*, -1: for l < l*, 0: symmetric); on_flat_side: the point lies off the bottom on the
    flat side; at_edge: the grid minimum is at an end (the bottom may lie beyond the grid); window: the
    half-width over which the sides were compared."""

    bottom: float
    bottom_loss: float
    point: float
    offset: float
    sharp_side: int
    on_flat_side: bool
    at_edge: bool
    window: float


def valley_position(ls, losses, point: float = 0.0, window: float | None = None, rtol: float = 1e-6) -> ValleyPosition:
    """Where ``point`` (a distance along the profile) sits relative to the bottom of the valley.

    Bottom: the grid argmin k, refined by the vertex of the parabola through (l_{k-1}, l_k, l_{k+1})
    (exact for a quadratic profile; at a grid end, the end itself, at_edge=True). Sides: with
    diff(d) = L(l* + d) - L(l* - d), L interpolated by a cubic spline through the grid (not-a-knot:
    exact for polynomials up to degree 3, so a shifted quadratic shows no spurious side), on 64 evenly
    spaced d in (0, window] (window default: the largest that stays on the grid):
    sharp_side = sign(mean diff), 0 when |mean diff| <= rtol * mean rise, the rise being
    (L(l* + d) + L(l* - d)) / 2 - L(l*).
    """
    ls = _check_grid(ls)
    L = torch.as_tensor(losses, dtype=torch.float64).reshape(-1)
    if L.numel() != ls.numel() or not bool(torch.isfinite(L).all()):
        raise ValueError(f"losses must be {ls.numel()} finite values (one per distance in ls)")
    if not _num(point):
        raise ValueError(f"point must be a finite number, got {point!r}")
    if not _num(rtol) or rtol < 0:
        raise ValueError(f"rtol must be a non-negative number, got {rtol!r}")
    x, f = ls.numpy(), L.numpy()
    k = int(f.argmin())
    at_edge = k == 0 or k == len(f) - 1
    b, fb = float(x[k]), float(f[k])
    if not at_edge:
        x0, x1, x2, f0, f1, f2 = (float(v) for v in (x[k - 1], x[k], x[k + 1], f[k - 1], f[k], f[k + 1]))
        # the parabola q(l) = f0 + s01 (l - x0) + A (l - x0)(l - x1) through the three points (Newton form)
        s01, s12 = (f1 - f0) / (x1 - x0), (f2 - f1) / (x2 - x1)
        A = (s12 - s01) / (x2 - x0)
        if A > 0:
            b = min(max(0.5 * (x0 + x1) - s01 / (2 * A), x0), x2)
            fb = f0 + s01 * (b - x0) + A * (b - x0) * (b - x1)
    wmax = min(b - float(x[0]), float(x[-1]) - b)
    if window is None:
        window = wmax
    elif not _num(window) or window <= 0 or window > wmax + 1e-12:
        raise ValueError(f"window must be a positive number <= {wmax:.6g} (the grid around the bottom), got {window!r}")
    if window <= 0:
        side = 0
    else:
        from scipy.interpolate import CubicSpline

        q = CubicSpline(x, f)
        d = np.linspace(window / 64, window, 64)
        up, down = q(b + d), q(b - d)
        m = float((up - down).mean())
        rise = float(((up + down) / 2 - q(b)).mean())
        side = 0 if abs(m) <= rtol * abs(rise) else (1 if m > 0 else -1)
    offset = float(point) - b
    on_flat = side != 0 and offset != 0 and (offset > 0) == (side < 0)
    return ValleyPosition(bottom=b, bottom_loss=fb, point=float(point), offset=offset, sharp_side=side,
                          on_flat_side=bool(on_flat), at_edge=at_edge, window=float(max(window, 0.0)))


@dataclass(frozen=True)
class ExtendedLine:
    """The line w_sgd + t (w_swa - w_sgd): ts, distances l = t |w_swa - w_sgd| from the SGD point, length
    |w_swa - w_sgd|, and {name: losses (len(ts),)}. t = 0 is the SGD solution, t = 1 the SWA solution."""

    ts: torch.Tensor
    distances: torch.Tensor
    length: float
    losses: dict

    def position_of_swa(self, name: str = "train") -> ValleyPosition:
        """Where the SWA point (t = 1) sits relative to the bottom of the ``name`` loss along the line."""
        if name not in self.losses:
            raise ValueError(f"name must be one of {sorted(self.losses)}, got {name!r}")
        return valley_position(self.distances, self.losses[name], point=self.length)


def extended_line(loss_fns, w_sgd: torch.Tensor, w_swa: torch.Tensor, t_min: float = -1.0, t_max: float = 2.0,
                  n_points: int = 31, chunk: int = 256) -> ExtendedLine:
    """Losses on the line from the SGD solution through the SWA solution, extended beyond both ends.

    loss_fns: a batched loss (K, D) -> (K,) (named "train") or a dict {name: batched loss}. ts: n_points
    evenly spaced in [t_min, t_max] (t_min < 0 and t_max > 1: beyond both ends) with 0 and 1 added when
    missing. Each loss evaluates all points in one batched call.
    """
    if callable(loss_fns):
        loss_fns = {"train": loss_fns}
    if not isinstance(loss_fns, dict) or not loss_fns or not all(callable(f) for f in loss_fns.values()):
        raise ValueError("loss_fns must be a batched loss or a non-empty dict {name: batched loss}")
    if not (isinstance(w_sgd, torch.Tensor) and isinstance(w_swa, torch.Tensor) and w_sgd.ndim == 1
            and w_sgd.shape == w_swa.shape):
        raise ValueError("w_sgd and w_swa must be flat tensors of the same shape (D,)")
    delta = (w_swa - w_sgd.to(w_swa))
    length = float(delta.double().norm())
    if length == 0:
        raise ValueError("w_sgd and w_swa must differ: the line through them is not defined")
    if not _num(t_min) or t_min >= 0:
        raise ValueError(f"t_min must be a negative number (beyond the SGD end), got {t_min!r}")
    if not _num(t_max) or t_max <= 1:
        raise ValueError(f"t_max must be a number > 1 (beyond the SWA end), got {t_max!r}")
    if not isinstance(n_points, int) or isinstance(n_points, bool) or n_points < 3:
        raise ValueError(f"n_points must be an integer >= 3, got {n_points!r}")
    ts = torch.linspace(t_min, t_max, n_points, dtype=torch.float64)
    ts = torch.unique(torch.cat([ts, torch.tensor([0.0, 1.0], dtype=torch.float64)]))  # sorted
    u = delta / length
    dist = ts * length
    losses = {name: loss_along(f, w_sgd.to(w_swa), u, dist.to(w_swa.dtype), chunk=chunk)[0].double().cpu()
              for name, f in loss_fns.items()}
    return ExtendedLine(ts=ts, distances=dist, length=length, losses=losses)

"""Random-direction probes of a loss around a point (§3.3 "living on a wedge, probing randomly"; §4.4 tunnel width).

Directions.
- ``random_unit_directions``: u = g / |g|, g ~ N(0, I_D): uniform on the unit sphere S^{D-1}.
- ``filter_normalized_directions`` (Li et al. 2018, "Visualizing the loss landscape of neural nets"):
  draw g ~ N(0, I_D), cut it into the network's parameter tensors, and rescale every *filter* (the
  slice of one output unit: a row of a Linear weight, an output channel of a convolution)
      d_{i,j} <- g_{i,j} / |g_{i,j}| * |theta_{i,j}|,
  so a step of length a along d moves each filter by a fraction a of its own norm (scale invariance of
  ReLU/BN networks no longer distorts distances). One-dimensional tensors (biases, batch-norm scales)
  are set to zero (Li et al.'s ``--xignore biasbn``), or copied from theta (their code's default), or
  rescaled as one filter. With ``unit=True`` (default) the whole vector is then rescaled to |d| = 1, so
  that distances stay Euclidean and comparable with the Gaussian directions.

Losses along directions.
- ``loss_along(loss_fn, theta, U, a)``: L(theta + a_j u_i) for every direction i and distance j, as one
  flat batch of n_dirs x n_dist points fed to a *batched* loss (K, D) -> (K,) (e.g.
  ``Problem.train_losses`` or ``FlatModel.batched_loss``, which vmap over parameter vectors), in chunks
  of ``chunk`` points to bound memory: no Python loop over directions.
- ``tunnel_width``: per direction, the distance at which the loss first exceeds a declared high-loss
  level h (§4.4: "the distance to which one can move from an optimum until a high loss is hit"), linearly
  interpolated between grid points, its angular form width / |theta|, and the median and interquartile
  range over directions.
- ``isotropy``: coefficient of variation std / mean of the loss increase L(theta + a u) - L(theta) at one
  distance a across directions (§3.3: an isotropic well looks the same in every direction).
- ``radial_probe``: the increases L(P0 + a v) - L(P0) along ``n_dirs`` random unit v (the toy's C11).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

LossFn = Callable[[torch.Tensor], torch.Tensor]
ONE_D_MODES = ("zero", "weights", "filter")


def _gaussian(n: int, D: int, seed: int) -> torch.Tensor:
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"n_dirs must be a positive integer, got {n!r}")
    if not isinstance(D, int) or isinstance(D, bool) or D <= 0:
        raise ValueError(f"D must be a positive integer, got {D!r}")
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, D, generator=g, dtype=torch.float64)


def random_unit_directions(n: int, D: int, seed: int = 0, dtype=torch.float64, device=None) -> torch.Tensor:
    """n directions drawn uniformly on the unit sphere S^{D-1}: u = g / |g|, g ~ N(0, I_D); shape (n, D)."""
    V = _gaussian(n, D, seed)
    return (V / V.norm(dim=1, keepdim=True)).to(dtype=dtype, device=device)


def _shapes_of(shapes) -> list:
    if hasattr(shapes, "shapes") and hasattr(shapes, "unflatten"):  # a FlatModel
        shapes = shapes.shapes
    try:
        out = [tuple(int(s) for s in sh) for sh in shapes]
    except TypeError:
        raise ValueError(f"shapes must be a list of parameter shapes or a FlatModel, got {shapes!r}") from None
    if not out or any(any(s <= 0 for s in sh) for sh in out):
        raise ValueError(f"shapes must be a non-empty list of shapes with positive sizes, got {out!r}")
    return out


def filter_normalized_directions(n: int, theta: torch.Tensor, shapes, seed: int = 0, one_d: str = "zero",
                                 unit: bool = True) -> torch.Tensor:
    """n filter-normalized random directions at theta (Li et al. 2018), shape (n, D), theta's dtype/device.

    shapes: the parameter shapes in theta's flat order (a list of tuples), or a ``FlatModel``.
    For each tensor with >= 2 dims, each filter (index along dim 0) of the Gaussian draw is scaled to the
    norm of the same filter of theta: d_{i,j} = g_{i,j} / |g_{i,j}| * |theta_{i,j}|. 1-D tensors:
    one_d="zero" (d = 0), "weights" (d = theta's values) or "filter" (the tensor as one filter).
    unit=True rescales each direction to |d| = 1 (raises ValueError if it is 0); unit=False keeps Li et
    al.'s scale (|d| = |theta| over the filter-normalized tensors). The Gaussian draw is the one
    ``random_unit_directions`` makes for the same seed.
    """
    if not isinstance(theta, torch.Tensor) or theta.ndim != 1:
        raise ValueError(f"theta must be a flat (D,) tensor, got {getattr(theta, 'shape', theta)!r}")
    shp = _shapes_of(shapes)
    sizes = [math.prod(s) for s in shp]
    if sum(sizes) != theta.shape[0]:
        raise ValueError(f"shapes must add up to theta's length {theta.shape[0]}, they add up to {sum(sizes)}")
    if one_d not in ONE_D_MODES:
        raise ValueError(f"one_d must be one of {ONE_D_MODES}, got {one_d!r}")
    if not isinstance(unit, bool):
        raise ValueError(f"unit must be True or False, got {unit!r}")
    G = _gaussian(n, theta.shape[0], seed)
    th = theta.detach().to(device="cpu", dtype=torch.float64)
    parts, i = [], 0
    for s, k in zip(shp, sizes):
        g, w = G[:, i:i + k], th[i:i + k]
        i += k
        if len(s) <= 1 and one_d == "zero":
            parts.append(torch.zeros_like(g))
        elif len(s) <= 1 and one_d == "weights":
            parts.append(w.expand_as(g).clone())
        else:
            rows = s[0] if len(s) >= 2 else 1
            gf, wf = g.reshape(n, rows, -1), w.reshape(1, rows, -1)
            parts.append((gf / gf.norm(dim=2, keepdim=True) * wf.norm(dim=2, keepdim=True)).reshape(n, k))
    V = torch.cat(parts, dim=1)
    if unit:
        norms = V.norm(dim=1, keepdim=True)
        if bool((norms == 0).any()):
            raise ValueError("unit=True needs a nonzero direction: every filter of theta is zero or every tensor "
                             "is 1-D with one_d='zero'")
        V = V / norms
    return V.to(dtype=theta.dtype, device=theta.device)


def random_directions(n: int, theta: torch.Tensor, kind: str = "gaussian", shapes=None, seed: int = 0,
                      one_d: str = "zero") -> torch.Tensor:
    """n random unit directions at theta: kind="gaussian" (uniform on the sphere) or "filter"
    (filter-normalized, then unit length; needs ``shapes``). Shape (n, D), theta's dtype and device."""
    if not isinstance(theta, torch.Tensor) or theta.ndim != 1:
        raise ValueError(f"theta must be a flat (D,) tensor, got {getattr(theta, 'shape', theta)!r}")
    if kind == "gaussian":
        return random_unit_directions(n, theta.shape[-1], seed, theta.dtype, theta.device)
    if kind == "filter":
        if shapes is None:
            raise ValueError("shapes is required for kind='filter' (a list of parameter shapes or a FlatModel)")
        return filter_normalized_directions(n, theta, shapes, seed=seed, one_d=one_d, unit=True)
    raise ValueError(f"kind must be 'gaussian' or 'filter', got {kind!r}")


def _positive_int(x, name):
    if not isinstance(x, int) or isinstance(x, bool) or x <= 0:
        raise ValueError(f"{name} must be a positive integer, got {x!r}")


def loss_along(loss_fn: LossFn, theta: torch.Tensor, directions: torch.Tensor, distances,
               chunk: int = 256) -> torch.Tensor:
    """L(theta + a_j u_i) for every direction u_i (rows of ``directions``) and distance a_j: shape (n_dirs, n_dist).

    All n_dirs * n_dist points form one flat batch, handed to the batched ``loss_fn`` (K, D) -> (K,) in
    chunks of ``chunk`` points (row-major: direction-major, distance-minor), so the work is batched
    whatever the number of directions. Distances may be negative (the -u side) and need no order.
    Runs under torch.no_grad().
    """
    if not isinstance(theta, torch.Tensor) or theta.ndim != 1:
        raise ValueError(f"theta must be a flat (D,) tensor, got {getattr(theta, 'shape', theta)!r}")
    if not isinstance(directions, torch.Tensor):
        raise ValueError(f"directions must be a tensor (n_dirs, D), got {type(directions).__name__}")
    U = directions.unsqueeze(0) if directions.ndim == 1 else directions
    if U.ndim != 2 or U.shape[1] != theta.shape[0] or U.shape[0] == 0:
        raise ValueError(f"directions must have shape (n_dirs, D) with D = {theta.shape[0]}, "
                         f"got {tuple(directions.shape)}")
    a = torch.as_tensor(distances, dtype=theta.dtype, device=theta.device).reshape(-1)
    if a.numel() == 0 or not bool(torch.isfinite(a).all()):
        raise ValueError(f"distances must be a non-empty sequence of finite numbers, got {distances!r}")
    _positive_int(chunk, "chunk")
    U = U.to(dtype=theta.dtype, device=theta.device)
    n, m = U.shape[0], a.numel()
    total, out = n * m, []
    with torch.no_grad():
        for s in range(0, total, chunk):
            idx = torch.arange(s, min(s + chunk, total), device=theta.device)
            P = theta.unsqueeze(0) + a[idx % m].unsqueeze(1) * U[idx // m]
            L = loss_fn(P)
            if not isinstance(L, torch.Tensor) or L.shape != (len(idx),):
                raise ValueError(f"loss_fn must map (K, D) to (K,), got {getattr(L, 'shape', type(L).__name__)} "
                                 f"for K = {len(idx)}")
            out.append(L.detach())
    return torch.cat(out).view(n, m)


def _quantile(x: torch.Tensor, q: float) -> float:
    """Linear-interpolation quantile that allows +inf: inf wherever an inf value takes part."""
    xs = torch.sort(x.double()).values
    pos = q * (len(xs) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    frac = pos - lo
    a, b = float(xs[lo]), float(xs[hi])
    if math.isinf(b):
        return b if (frac > 0 or math.isinf(a)) else a
    return a + frac * (b - a)


@dataclass(frozen=True)
class TunnelWidth:
    """Per-direction tunnel widths and their summary (see ``tunnel_width``).

    width: (n_dirs,) distance of the first crossing of high_loss; +inf where the grid never crosses
    (censored: wider than the largest distance). angular: width / |theta| (None without theta_norm).
    median, q25, q75, iqr = q75 - q25 over directions (inf when infinite widths reach them).
    n_censored: directions that never crossed; n_nonfinite: crossings located at a NaN/inf loss.
    """

    width: torch.Tensor
    angular: torch.Tensor | None
    high_loss: float
    median: float
    q25: float
    q75: float
    iqr: float
    angular_median: float | None
    angular_iqr: float | None
    n_directions: int
    n_censored: int
    n_nonfinite: int


def tunnel_width(losses: torch.Tensor, distances, high_loss: float, base_loss=None, theta_norm: float | None = None,
                 min_directions: int = 50, nonfinite: str = "high") -> TunnelWidth:
    """Distance along each direction at which the loss first exceeds ``high_loss`` (§4.4's tunnel width).

    losses: (n_dirs, n_dist) from ``loss_along`` at ``distances`` (strictly increasing, >= 0). The loss at
    distance 0 is losses[:, 0] when distances[0] == 0, else ``base_loss`` (a number or (n_dirs,)), which
    is then required. With j the first grid index where L_j > h, the width is interpolated linearly,
        w = a_{j-1} + (h - L_{j-1}) / (L_j - L_{j-1}) * (a_j - a_{j-1}),
    exact when the loss is linear in a between grid points. A direction that never exceeds h gets
    w = +inf (censored). Non-finite losses (NaN/inf, e.g. overflow far out): nonfinite="high" counts
    them as above h, located at a_j (no value to interpolate with: the crossing lies in (a_{j-1}, a_j]);
    nonfinite="raise" raises ValueError. The point itself above h (or non-finite) raises ValueError.
    theta_norm: |theta|, for the angular width w / |theta| (the paper's "angular width").
    min_directions: fewest directions a median/IQR is reported over (default 50, as the issue asks).
    """
    if not isinstance(losses, torch.Tensor) or losses.ndim != 2:
        raise ValueError(f"losses must be a (n_dirs, n_dist) tensor, got {getattr(losses, 'shape', losses)!r}")
    L = losses.detach().double().cpu()
    n, m = L.shape
    _positive_int(min_directions, "min_directions")
    if n < min_directions:
        raise ValueError(f"losses must have at least min_directions = {min_directions} rows (directions), got {n}")
    a = torch.as_tensor(distances, dtype=torch.float64).reshape(-1)
    if a.numel() != m:
        raise ValueError(f"distances must have one entry per column of losses ({m}), got {a.numel()}")
    if not bool(torch.isfinite(a).all()) or bool((a < 0).any()) or bool((a[1:] <= a[:-1]).any()):
        raise ValueError(f"distances must be finite, >= 0 and strictly increasing, got {a.tolist()}")
    if not (isinstance(high_loss, (int, float)) and not isinstance(high_loss, bool) and math.isfinite(high_loss)):
        raise ValueError(f"high_loss must be a finite number, got {high_loss!r}")
    if nonfinite not in ("high", "raise"):
        raise ValueError(f"nonfinite must be 'high' or 'raise', got {nonfinite!r}")
    if theta_norm is not None and not (isinstance(theta_norm, (int, float)) and theta_norm > 0
                                       and math.isfinite(theta_norm)):
        raise ValueError(f"theta_norm must be None or a positive finite number, got {theta_norm!r}")
    if float(a[0]) > 0:
        if base_loss is None:
            raise ValueError("base_loss is required when distances[0] > 0 (the loss at distance 0 is not on the grid)")
        b = torch.as_tensor(base_loss, dtype=torch.float64).reshape(-1).expand(n).reshape(n, 1)
        L, a = torch.cat([b, L], dim=1), torch.cat([a.new_zeros(1), a])
    if L.shape[1] < 2:
        raise ValueError("distances must include at least one distance > 0")
    bad = ~torch.isfinite(L)
    if bool(bad.any()) and nonfinite == "raise":
        i, j = (int(x) for x in bad.nonzero()[0])
        raise ValueError(f"losses has a non-finite value {float(L[i, j])} at direction {i}, distance {float(a[j])} "
                         "(pass nonfinite='high' to count it as above high_loss)")
    if bool(bad[:, 0].any()) or bool((L[:, 0] > high_loss).any()):
        raise ValueError(f"the loss at distance 0 ({float(L[:, 0].max())}) must be finite and <= high_loss = "
                         f"{high_loss}: the tunnel width of a point above the high-loss level is undefined")
    over = bad | (L > high_loss)
    crossed = over.any(dim=1)
    j = torch.where(crossed, over.double().argmax(dim=1), torch.ones(n, dtype=torch.long))  # first index over
    jm = j - 1
    r = torch.arange(n)
    L0, L1, a0, a1 = L[r, jm], L[r, j], a[jm], a[j]
    at_bad = bad[r, j]
    frac = (high_loss - L0) / torch.where(at_bad, torch.ones_like(L1), L1 - L0)
    w = torch.where(at_bad, a1, a0 + frac * (a1 - a0))
    w = torch.where(crossed, w, torch.full_like(w, math.inf))
    q25, q50, q75 = (_quantile(w, q) for q in (0.25, 0.5, 0.75))
    ang = ang_med = ang_iqr = None
    if theta_norm is not None:
        ang = w / theta_norm
        ang_med = q50 / theta_norm
        ang_iqr = (q75 - q25) / theta_norm if math.isfinite(q75) else math.inf
    return TunnelWidth(width=w, angular=ang, high_loss=float(high_loss), median=q50, q25=q25, q75=q75,
                       iqr=(q75 - q25) if math.isfinite(q75) else math.inf, angular_median=ang_med,
                       angular_iqr=ang_iqr, n_directions=n, n_censored=int((~crossed).sum()),
                       n_nonfinite=int((crossed & at_bad).sum()))


@dataclass(frozen=True)
class Isotropy:
    """Spread of the loss increase across directions at one distance (see ``isotropy``)."""

    cv: float
    mean: float
    std: float
    min: float
    max: float
    fraction_increasing: float
    n_directions: int


def isotropy(increases) -> Isotropy:
    """Coefficient of variation of the loss increases d_i = L(theta + a u_i) - L(theta) across directions:

        cv = std(d) / mean(d),  std with Bessel's correction (n - 1),

    0 for a perfectly round well. When mean(d) <= 0 the point is not at the bottom of a well and cv is
    reported as +inf (so a rule "cv <= x" fails rather than passing on a negative ratio).
    fraction_increasing: share of directions with d_i > 0. Needs >= 2 finite increases (ValueError).
    """
    d = torch.as_tensor(increases, dtype=torch.float64).reshape(-1)
    if d.numel() < 2:
        raise ValueError(f"increases must hold at least 2 values (one per direction), got {d.numel()}")
    if not bool(torch.isfinite(d).all()):
        raise ValueError("increases must all be finite (a NaN/inf loss increase has no spread)")
    mean, std = float(d.mean()), float(d.std())
    cv = std / mean if mean > 0 else math.inf
    return Isotropy(cv=cv, mean=mean, std=std, min=float(d.min()), max=float(d.max()),
                    fraction_increasing=float((d > 0).double().mean()), n_directions=int(d.numel()))


def radial_probe(loss_fn: LossFn, P0: torch.Tensor, a: float, n_dirs: int = 256, seed: int = 0,
                 chunk: int = 64) -> torch.Tensor:
    """Loss increase L(P0 + a v) - L(P0) along ``n_dirs`` random unit v; ``loss_fn`` is batched (K, D) -> (K,)."""
    if not a > 0:
        raise ValueError(f"a (probe distance) must be > 0, got {a!r}")
    V = random_unit_directions(n_dirs, P0.shape[-1], seed, P0.dtype, P0.device)
    with torch.no_grad():
        base = loss_fn(P0.unsqueeze(0))[0]
    return loss_along(loss_fn, P0, V, [a], chunk=chunk)[:, 0] - base

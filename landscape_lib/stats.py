"""Statistics the protocols and the decision share, each defined once (scipy underneath).

- ``spearman``: Spearman's rank correlation, 0 when either side is constant (C9, C10 on the toy and on networks);
- ``spearman_trend``: a signed Spearman trend over a fixed design with a stratified bootstrap interval (C14);
- ``clopper_pearson``: the exact binomial interval of a proportion (A1's fractions; ``decide``'s proportions).
"""

from __future__ import annotations

import math

import numpy as np

BOOTSTRAP_RESAMPLES = 9999


def spearman(x, y) -> float:
    """Spearman rank correlation (``scipy.stats.spearmanr``, average ranks for ties), not rounded
    (claims/RULES.md #5); 0 when either side is constant (no trend to rank)."""
    from scipy.stats import spearmanr

    if len(set(x)) < 2 or len(set(y)) < 2:
        return 0.0
    return float(spearmanr(x, y).statistic)


def spearman_trend(values, widths, sign: int = 1, level: float = 0.95, n_resamples: int = BOOTSTRAP_RESAMPLES,
                   seed: int = 0) -> dict:
    """The signed Spearman correlation of ``widths`` with ``values`` over all runs, and its interval.

    values: (V,) the hyperparameter's values (the design); widths: (V, S) one width per value and seed.
    rho = spearmanr(repeat(values, S), widths.ravel()) (average ranks for ties), signed = sign x rho.
    Interval: scipy.stats.bootstrap (percentile, ``level``, fixed seed) with one sample per value, so each
    resample redraws the S runs *within* every value (the values are fixed by design; the seeds are the
    randomness). A resample whose widths are all equal has no ranks to correlate: it counts as rho = 0.
    ``p_positive`` = (#replicates with signed rho > 0 + 1) / (replicates + 1): the one-sided bootstrap p-value of
    "the trend is in the claimed direction" (small: evidence against it).
    Returns {"rho", "signed", "ci": [lo, hi] of the signed value, "p_positive", "n_runs"}.
    """
    from scipy.stats import bootstrap, rankdata, spearmanr

    x = np.asarray(values, dtype=float).reshape(-1)
    W = np.asarray(widths, dtype=float)
    if W.ndim != 2 or W.shape[0] != x.size or W.shape[0] < 2 or W.shape[1] < 1:
        raise ValueError(f"widths must be (len(values) >= 2, seeds >= 1), got {W.shape} for {x.size} values")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"widths must be finite, got {W.tolist()}")
    if sign not in (1, -1):
        raise ValueError(f"sign must be +1 or -1, got {sign!r}")
    S = W.shape[1]
    xs = np.repeat(x, S)
    rho = float(spearmanr(xs, W.ravel()).statistic)
    if not math.isfinite(rho):
        rho = 0.0
    rx = rankdata(xs)
    rx = (rx - rx.mean()) / np.linalg.norm(rx - rx.mean())

    def stat(*groups, axis=-1):
        y = np.concatenate([np.moveaxis(np.asarray(g), axis, -1) for g in groups], axis=-1)
        ry = rankdata(y, axis=-1)
        ry = ry - ry.mean(axis=-1, keepdims=True)
        nrm = np.linalg.norm(ry, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (ry @ rx) / nrm
        return sign * np.where(nrm > 0, r, 0.0)

    if S < 2 or np.all(W == W[:, :1]):  # nothing to resample within a value
        lo = hi = sign * rho
        p = 1.0 if sign * rho > 0 else 0.0
    else:
        res = bootstrap(tuple(W), stat, vectorized=True, paired=False, n_resamples=n_resamples,
                        confidence_level=level, method="percentile", random_state=seed)
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        lo, hi = min(lo, sign * rho), max(hi, sign * rho)
        dist = np.asarray(res.bootstrap_distribution)
        p = float((np.sum(dist > 0) + 1) / (dist.size + 1))
    return {"rho": rho, "signed": sign * rho, "ci": [lo, hi], "p_positive": p, "n_runs": int(W.size)}


def clopper_pearson(count: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a proportion count/n at ``level``:
    [B(a/2; k, n-k+1), B(1-a/2; k+1, n-k)] with B the beta quantile and a = 1 - level (0 and 1 at the ends)."""
    if not isinstance(n, int) or n < 1 or not isinstance(count, int) or not 0 <= count <= n:
        raise ValueError(f"count and n must be integers with 0 <= count <= n, n >= 1, got {count!r}, {n!r}")
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    from scipy.stats import beta

    a = 1 - level
    lo = 0.0 if count == 0 else float(beta.ppf(a / 2, count, n - count + 1))
    hi = 1.0 if count == n else float(beta.ppf(1 - a / 2, count + 1, n - count))
    return lo, hi

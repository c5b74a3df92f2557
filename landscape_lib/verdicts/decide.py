"""decide: a pure function from measured samples to a case's verdict.

A claim's rule is a list of checks ``statistic(metric over samples) <op> threshold`` (``types.Check``). With one sample
(or the ``point`` statistic) the value is compared directly. With several independent samples the
statistic gets an interval at a declared level, and the verdict of each check is three-valued:

    interval entirely on the claimed side of the threshold  -> holds
    interval entirely on the other side                      -> refuted
    interval straddling the threshold                        -> inconclusive

A case holds when every check holds, is refuted when any check is refuted, and is inconclusive
otherwise (``types.compare``, ``types.combine``). A NaN or inf in a decided value, or a missing metric, is an
*error*, never a verdict.

Intervals come from libraries, not hand-written resamplers: ``scipy.stats.bootstrap`` (percentile
method, fixed seed, 9,999 resamples) for a mean or median, and the exact Clopper-Pearson interval
(``stats.clopper_pearson``) for a proportion of successes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from ..stats import BOOTSTRAP_RESAMPLES, clopper_pearson
from ..types import CASE_VERDICTS, Check, Sample, Verdict, combine, compare

VERDICTS = tuple(str(v) for v in CASE_VERDICTS)
STATISTICS = ("point", "range", "mean", "median", "proportion", "given")
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class Statistic:
    """How samples become one value with an interval.

    ``point``: one sample, compared as is (an exact or deterministic measurement);
    ``mean`` / ``median``: bootstrap interval at ``level`` over the samples;
    ``range``: every sample decides; the interval is [min, max] over samples, so the case holds when every
    sample passes, is refuted when every sample fails, and is inconclusive when the samples split;
    ``proportion``: the fraction of samples whose metric is true (1) with the exact binomial interval;
    ``given``: one sample that carries its own interval in ``Sample.intervals[metric]`` (a statistic over
    runs computed by the protocol, e.g. a Spearman correlation with its bootstrap interval).
    """

    name: str = "point"
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.name not in STATISTICS:
            raise ValueError(f"Statistic.name must be one of {STATISTICS}, got {self.name!r}")
        if not 0.5 <= self.level < 1:
            raise ValueError(f"Statistic.level must be in [0.5, 1), got {self.level!r}")

    def describe(self) -> str:
        if self.name == "given":
            return f"statistic and {self.level:.0%} interval computed by the protocol"
        if self.name in ("mean", "median"):
            return f"{self.name} over samples, bootstrap {self.level:.0%} interval"
        if self.name == "proportion":
            return f"proportion over samples, exact (Clopper-Pearson) {self.level:.0%} interval"
        if self.name == "range":
            return "every sample ([min, max] over samples)"
        return "point value"


POINT = Statistic("point")
RANGE = Statistic("range")
MEAN95 = Statistic("mean", 0.95)


@dataclass(frozen=True)
class CheckResult:
    check: Check
    value: float
    ci: tuple[float, float] | None
    n: int
    status: Verdict
    values: tuple[float, ...] = ()
    error: str = ""

    def as_dict(self) -> dict:
        c = self.check
        return {"metric": c.metric, "op": c.op, "threshold": c.threshold, "why": c.why, "value": self.value,
                "ci": list(self.ci) if self.ci else None, "n": self.n, "status": self.status,
                "values": list(self.values), **({"error": self.error} if self.error else {})}


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    checks: tuple[CheckResult, ...]
    statistic: Statistic = POINT
    reason: str = ""

    @property
    def n(self) -> int:
        return max((c.n for c in self.checks), default=0)

    @property
    def ci(self) -> tuple[float, float] | None:
        return next((c.ci for c in self.checks if c.ci is not None), None)


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def interval(values: Sequence[float], statistic: Statistic) -> tuple[float, tuple[float, float] | None]:
    """The statistic of ``values`` and its interval (None where the statistic has none)."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    name = statistic.name
    if name == "point":
        if len(v) != 1:
            raise ValueError(f"the point statistic takes one sample, got {len(v)}")
        return float(v[0]), None
    if name == "range":
        return float(np.median(v)), (float(v.min()), float(v.max()))
    if name == "proportion":
        k = int(np.sum(v != 0))
        return k / len(v), clopper_pearson(k, len(v), statistic.level)
    fn = np.mean if name == "mean" else np.median
    value = float(fn(v))
    if len(v) < 2 or np.all(v == v[0]):
        return value, (value, value) if len(v) >= 2 else None
    from scipy.stats import bootstrap

    res = bootstrap((v,), fn, confidence_level=statistic.level, n_resamples=BOOTSTRAP_RESAMPLES,
                    method="percentile", random_state=BOOTSTRAP_SEED, vectorized=True, axis=-1)
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return value, (min(lo, value), max(hi, value))


def decide(checks: Sequence[Check], samples: Sequence[Sample], statistic: Statistic = POINT) -> Decision:
    """The verdict of ``checks`` on ``samples`` (one ``types.Sample`` per independent sample).

    Pure: no I/O, no randomness beyond the fixed bootstrap seed. ``statistic`` applies to every check.
    A sample that is not measurable (with its reason, e.g. "only 7 inputs disagree: nothing to switch") is
    left out; when no sample is left the case is *inconclusive* with that reason, never refuted.
    """
    if not samples:
        return Decision(Verdict.ERROR, (), statistic, "no samples were measured")
    skipped = [s.not_measurable for s in samples if s.not_measurable]
    samples = [s for s in samples if not s.not_measurable]
    if not samples:
        return Decision(Verdict.INCONCLUSIVE, (), statistic, "not measurable: " + "; ".join(map(str, skipped[:3])))
    results = []
    for c in checks:
        raw = [s.value(c.metric) for s in samples]
        if any(x is None for x in raw):
            results.append(CheckResult(c, math.nan, None, len(raw), Verdict.ERROR, (),
                                       f"metric {c.metric!r} missing from {sum(x is None for x in raw)} sample(s)"))
            continue
        if not all(_finite(x) for x in raw):
            bad = [x for x in raw if not _finite(x)]
            results.append(CheckResult(c, math.nan, None, len(raw), Verdict.ERROR, tuple(map(_float, raw)),
                                       f"metric {c.metric!r} is not finite: {bad[:3]}"))
            continue
        vals = tuple(float(x) for x in raw)
        stat = RANGE if statistic.name == "point" and len(vals) > 1 else statistic
        if stat.name == "given":
            given = samples[0].intervals.get(c.metric) if len(samples) == 1 else None
            if not given or len(given) != 2 or not all(_finite(x) for x in given):
                results.append(CheckResult(c, vals[0], None, len(vals), Verdict.ERROR, vals,
                                           f"statistic 'given' needs one sample with a finite interval of {c.metric}"))
                continue
            value, ci = vals[0], (float(given[0]), float(given[1]))
        else:
            value, ci = interval(vals, stat)
        lo, hi = ci if ci is not None else (value, value)
        results.append(CheckResult(c, value, ci, len(vals), compare(c.op, lo, hi, c.threshold), vals))
    verdict = combine(r.status for r in results)
    if verdict == Verdict.ERROR:
        reason = "; ".join(r.error for r in results if r.error)
    elif verdict == Verdict.REFUTED:
        reason = "refuted: " + ", ".join(r.check.describe() for r in results if r.status == Verdict.REFUTED)
    elif verdict == Verdict.INCONCLUSIVE:
        reason = "interval straddles: " + ", ".join(r.check.describe() for r in results
                                                   if r.status == Verdict.INCONCLUSIVE)
    else:
        reason = ""
    if skipped:
        reason = (reason + "; " if reason else "") + f"{len(skipped)} sample(s) not measurable: {skipped[0]}"
    return Decision(verdict, tuple(results), statistic, reason)


def _float(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def error(reason: str, statistic: Statistic = POINT) -> Decision:
    """The decision of a case whose measurement raised or did not reach its target."""
    return Decision(Verdict.ERROR, (), statistic, reason)

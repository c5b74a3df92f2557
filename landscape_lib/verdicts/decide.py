"""decide: a pure function from measured samples to a case's verdict.

A claim's rule is a list of checks ``statistic(metric over samples) <op> threshold`` (``types.Check``). Each
check's statistic gets an interval at a declared level (95%), never narrower than the check's noise floor, and
the verdict of each check is three-valued (``types.compare``):

    interval entirely on the claimed side of the threshold  -> holds
    interval entirely on the other side                      -> refuted
    interval straddling the threshold                        -> inconclusive

Statistics (``Statistic``):

* ``mean``: Student's t interval of the mean, m +/- max(t_{(1+level)/2, n-1} s / sqrt(n), floor), s the sample
  standard deviation; its coverage is nominal for normal data at any n >= 2 (tests/test_intervals.py);
* ``range``: "every sample": [min, max] over the n samples, widened by the floor; as an interval of the median
  it covers with probability 1 - 2^(1-n) whatever the distribution, so it decides only from
  n = ``range_min_samples(level)`` (6 at 95%);
* ``proportion``: the fraction of samples whose metric is true, exact (Clopper-Pearson) interval;
* ``given``: one sample that carries its own interval (``Sample.intervals``), e.g. a Spearman correlation over
  runs with its bootstrap interval;
* ``exact``: exact measurements (a deterministic identity checked on fixed inputs, no sampling noise): [min, max]
  over them widened by the floor, at any n (one is enough).

Fewer usable samples than the statistic needs decide nothing (*inconclusive*, "too few samples"); a sample that
is not measurable is left out with its reason. A NaN or inf in a decided value, or a missing metric, is an
*error*, never a verdict. Premise checks (``Check.kind == "premise"``) are decided first, on every sample that
carries the premise's metric (a sample not measurable for the claim still says whether its premise held): a
premise that is refuted makes the case *not applicable* (inconclusive, "premise not met", with the premise's value
and what the protocol tried to reach it, ``Check.tried``), one that is uncertain makes it inconclusive; the claim
checks decide only when every premise holds.

Each claim check also gets ``p_refute``: the one-sided p-value of "the claimed side is true" (t-test for a mean,
the sign test 0.5^n for "every sample fails", the protocol's own for ``given``, 0 for an exact point that fails),
which ``verdicts.headline`` corrects by Holm over all of a claim's primary checks.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

from ..stats import clopper_pearson
from ..types import CASE_VERDICTS, DEFAULT_FLOOR, PREMISE, Check, Sample, Verdict, combine, compare

VERDICTS = tuple(str(v) for v in CASE_VERDICTS)
STATISTICS = ("exact", "range", "mean", "proportion", "given")
TOO_FEW = "too few samples"
PREMISE_NOT_MET = "premise not met"


@dataclass(frozen=True)
class Statistic:
    """How samples become one value with an interval (see the module docstring)."""

    name: str = "exact"
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.name not in STATISTICS:
            raise ValueError(f"Statistic.name must be one of {STATISTICS}, got {self.name!r}")
        if not 0.5 <= self.level < 1:
            raise ValueError(f"Statistic.level must be in [0.5, 1), got {self.level!r}")

    @property
    def min_samples(self) -> int:
        """The fewest usable samples this statistic decides on."""
        return {"mean": 2, "range": range_min_samples(self.level)}.get(self.name, 1)

    def describe(self) -> str:
        if self.name == "given":
            return f"statistic and {self.level:.0%} interval computed by the protocol"
        if self.name == "mean":
            return f"mean over samples, Student-t {self.level:.0%} interval"
        if self.name == "proportion":
            return f"proportion over samples, exact (Clopper-Pearson) {self.level:.0%} interval"
        if self.name == "range":
            return (f"every sample ([min, max] over samples: the median's {self.level:.0%} interval from "
                    f"{self.min_samples} samples)")
        return "exact values ([min, max] over them)"


def range_min_samples(level: float) -> int:
    """The fewest samples whose [min, max] covers the median with probability >= level: 1 - 2^(1-n) >= level."""
    n = 2
    while 1 - 2.0 ** (1 - n) < level:
        n += 1
    return n


EXACT = Statistic("exact")
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
    p_refute: float | None = None
    note: str = ""
    statistic: str = ""

    def as_dict(self) -> dict:
        c = self.check
        return {"metric": c.metric, "op": c.op, "threshold": c.threshold, "null": c.null_value, "why": c.why,
                "kind": c.kind, "statistic": self.statistic,
                "floor": c.noise_floor, "value": self.value, "ci": list(self.ci) if self.ci else None, "n": self.n,
                "status": self.status, "values": list(self.values), "p_refute": self.p_refute,
                **({"error": self.error} if self.error else {}), **({"note": self.note} if self.note else {})}


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    checks: tuple[CheckResult, ...]
    statistic: Statistic = EXACT
    reason: str = ""

    @property
    def n(self) -> int:
        return max((c.n for c in self.checks), default=0)

    @property
    def ci(self) -> tuple[float, float] | None:
        return next((c.ci for c in self.checks if c.ci is not None and c.check.kind != PREMISE), None)

    @property
    def premise_unmet(self) -> bool:
        return self.reason.startswith(PREMISE_NOT_MET)


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _t(level: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, df))


def interval(values: Sequence[float], statistic: Statistic, floor: float | None = None
             ) -> tuple[float, tuple[float, float] | None]:
    """The statistic of ``values`` and its interval (None for a point), never narrower than ``floor``
    (default ``types.DEFAULT_FLOOR``) on either side."""
    import numpy as np

    f = DEFAULT_FLOOR if floor is None else float(floor)
    v = np.asarray(values, dtype=float)
    name = statistic.name
    if name in ("range", "exact"):
        return float(np.median(v)), (float(v.min()) - f, float(v.max()) + f)
    if name == "proportion":
        k = int(np.sum(v != 0))
        return k / len(v), clopper_pearson(k, len(v), statistic.level)
    if name == "mean":
        if len(v) < 2:
            raise ValueError(f"the mean's interval needs at least 2 samples, got {len(v)}")
        m = float(v.mean())
        half = max(_t(statistic.level, len(v) - 1) * float(v.std(ddof=1)) / math.sqrt(len(v)), f)
        return m, (m - half, m + half)
    raise ValueError(f"interval: statistic {name!r} carries its own interval")


POWER = 0.8


def detectable_effect(sd: float, n: int, floor: float, level: float = 0.95, power: float = POWER) -> float:
    """The smallest true distance of a mean from its threshold that the mean's t interval (``interval``) excludes
    with probability >= ``power``, for n samples of standard deviation ``sd``:

        delta(n) = max(t_{(1+level)/2, n-1} sd / sqrt(n), floor) + t_{power, n-1} sd / sqrt(n)

    (the interval's half-width, never below the floor, plus the sampling spread of the mean at the power's quantile)."""
    from scipy.stats import t

    if n < 2:
        return math.inf
    se = sd / math.sqrt(n)
    return max(_t(level, n - 1) * se, floor) + float(t.ppf(power, n - 1)) * se


def samples_needed(effect: float, sd: float, floor: float, level: float = 0.95, power: float = POWER,
                   n_max: int = 1000) -> int | None:
    """The fewest samples whose ``detectable_effect`` is at most ``effect`` (None: not within ``n_max``, or the
    effect is not larger than the noise floor)."""
    if not effect > floor:
        return None
    for n in range(2, n_max + 1):
        if detectable_effect(sd, n, floor, level, power) <= effect:
            return n
    return None


def p_refute(check: Check, value: float, ci, values, statistic: Statistic, given_p=None) -> float | None:
    """The one-sided p-value of "the claimed side is true" for a claim check (small: evidence of refutation)."""
    op, thr = check.op, check.threshold
    name = statistic.name
    if name == "given":
        return given_p
    if name == "mean":
        from scipy.stats import t

        n = len(values)
        tc = _t(statistic.level, n - 1)
        se = (ci[1] - ci[0]) / 2 / tc
        z = (value - thr) / se
        if op == "==":
            return float(2 * t.sf(abs(z), n - 1))
        return float(t.cdf(z, n - 1) if op in (">", ">=") else t.sf(z, n - 1))
    if name == "range":
        lo, hi = ci
        fails = hi < thr if op in (">", ">=") else lo > thr if op in ("<", "<=") else not (lo <= thr <= hi)
        return 0.5 ** len(values) if fails else 1.0
    if name == "exact":
        return 0.0 if compare(op, ci[0], ci[1], thr, check.noise_floor) == Verdict.REFUTED else 1.0
    return None


def _decide_check(c: Check, samples: Sequence[Sample], stat: Statistic) -> CheckResult:
    return dataclasses.replace(_decide_one(c, samples, stat), statistic=stat.name)


def _decide_one(c: Check, samples: Sequence[Sample], stat: Statistic) -> CheckResult:
    raw = [s.value(c.metric) for s in samples]
    if any(x is None for x in raw):
        return CheckResult(c, math.nan, None, len(raw), Verdict.ERROR, (),
                           f"metric {c.metric!r} missing from {sum(x is None for x in raw)} sample(s)")
    if not all(_finite(x) for x in raw):
        bad = [x for x in raw if not _finite(x)]
        return CheckResult(c, math.nan, None, len(raw), Verdict.ERROR, tuple(map(_float, raw)),
                           f"metric {c.metric!r} is not finite: {bad[:3]}")
    vals = tuple(float(x) for x in raw)
    if len(vals) < stat.min_samples:
        return CheckResult(c, vals[0] if len(vals) == 1 else math.nan, None, len(vals), Verdict.INCONCLUSIVE, vals,
                           note=f"{TOO_FEW}: {'one usable sample' if len(vals) == 1 else f'{len(vals)} usable samples'}"
                                f", the {stat.name} needs {stat.min_samples}")
    given_p = None
    if stat.name == "given":
        given = samples[0].intervals.get(c.metric) if len(samples) == 1 else None
        if not given or len(given) != 2 or not all(_finite(x) for x in given):
            return CheckResult(c, vals[0], None, len(vals), Verdict.ERROR, vals,
                               f"statistic 'given' needs one sample with a finite interval of {c.metric}")
        value, ci = vals[0], (float(given[0]), float(given[1]))
        given_p = samples[0].pvalues.get(c.metric)
    else:
        value, ci = interval(vals, stat, c.noise_floor)
    status = compare(c.op, ci[0], ci[1], c.threshold, c.noise_floor)
    p = p_refute(c, value, ci, vals, stat, given_p) if c.kind != PREMISE else None
    return CheckResult(c, value, ci, len(vals), status, vals, p_refute=p)


def decide(checks: Sequence[Check], samples: Sequence[Sample], statistic: Statistic = EXACT) -> Decision:
    """The verdict of ``checks`` on ``samples`` (one ``types.Sample`` per independent sample).

    Pure: no I/O, no randomness. ``statistic`` applies to every check. Premises first; then the claim checks
    (module docstring).
    """
    if not samples:
        return Decision(Verdict.ERROR, (), statistic, "no samples were measured")
    premises = [_decide_check(c, _carrying(c, samples), statistic) for c in checks if c.kind == PREMISE]
    skipped = [s.not_measurable for s in samples if s.not_measurable]
    measurable = [s for s in samples if not s.not_measurable]
    if not measurable:
        if any(r.status == Verdict.REFUTED for r in premises):
            return Decision(Verdict.INCONCLUSIVE, tuple(premises), statistic,
                            _unmet(premises, samples) + "; " + _not_measurable(skipped))
        return Decision(Verdict.INCONCLUSIVE, (), statistic, _not_measurable(skipped))
    claims = [_decide_check(c, measurable, statistic) for c in checks if c.kind != PREMISE]
    results = premises + claims
    if any(r.status == Verdict.ERROR for r in results):
        verdict, reason = Verdict.ERROR, "; ".join(r.error for r in results if r.error)
    elif any(r.status == Verdict.REFUTED for r in premises):
        verdict, reason = Verdict.INCONCLUSIVE, _unmet(premises, samples)
    elif any(r.status == Verdict.INCONCLUSIVE for r in premises):
        verdict = Verdict.INCONCLUSIVE
        reason = "premise uncertain: " + ", ".join(r.note or f"interval straddles {r.check.describe()}"
                                                   for r in premises if r.status == Verdict.INCONCLUSIVE)
    else:
        verdict = combine(r.status for r in claims)
        if verdict == Verdict.REFUTED:
            reason = "refuted: " + ", ".join(f"{r.check.describe()} is false ({r.check.metric} = {_shown(r)})"
                                             for r in claims if r.status == Verdict.REFUTED)
        elif verdict == Verdict.INCONCLUSIVE:
            notes = [r.note for r in claims if r.status == Verdict.INCONCLUSIVE and r.note]
            reason = notes[0] if notes else "interval straddles: " + ", ".join(
                r.check.describe() for r in claims if r.status == Verdict.INCONCLUSIVE)
        else:
            reason = ""
    if skipped:
        reason = (reason + "; " if reason else "") + f"{len(skipped)} sample(s) not measurable: {skipped[0]}"
    return Decision(verdict, tuple(results), statistic, reason)


def _shown(r: CheckResult) -> str:
    """A decided value with its interval, as the reasons show it."""
    return f"{r.value:.3g}" + (f" [{r.ci[0]:.3g}, {r.ci[1]:.3g}]" if r.ci else "")


def _not_measurable(reasons: Sequence[str]) -> str:
    """'not measurable (k samples): <reason>; <reason> ...', each distinct reason once (three at most)."""
    distinct = list(dict.fromkeys(map(str, reasons)))
    return f"not measurable ({len(reasons)} sample{'s' if len(reasons) != 1 else ''}): " + "; ".join(distinct[:3])


def _carrying(c: Check, samples: Sequence[Sample]) -> list[Sample]:
    """The samples a premise is decided on: the measurable ones, and those not measurable for the claim that
    still carry the premise's metric."""
    return [s for s in samples if not s.not_measurable or s.value(c.metric) is not None]


def _unmet(premises: Sequence[CheckResult], samples: Sequence[Sample]) -> str:
    """'premise not met: <check> is false (<metric> = v; tried: ...)' for every refuted premise."""
    parts = []
    for r in premises:
        if r.status != Verdict.REFUTED:
            continue
        tried = next((s.value(r.check.tried) for s in samples if r.check.tried and s.value(r.check.tried)), None)
        parts.append(f"{r.check.describe()} is false ({r.check.metric} = {r.value:.3g}"
                     + (f"; tried: {tried}" if tried else "") + ")")
    return f"{PREMISE_NOT_MET}: " + ", ".join(parts)


def _float(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def error(reason: str, statistic: Statistic = EXACT) -> Decision:
    """The decision of a case whose measurement raised or did not reach its target."""
    return Decision(Verdict.ERROR, (), statistic, reason)

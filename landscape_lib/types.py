"""The plain types every layer shares: verdicts and roles, a measured sample, a check, tiers, case ids.

This module imports nothing of the library: every other module may import it.

- ``Verdict``: holds / refuted / inconclusive / error for a case; a claim with no case measured at a tier
  is ``not-measured`` (the headline's value, never a case's).
- ``Role``: what a case is to its claim: the paper's protocol in the claim's own scope (``primary``), the same
  claim replicated in the other setting (``replication``: the paper's toy model for a claim about networks), a
  sensitivity analysis (``variant``), or a negative ``control`` (the same measurement where the paper's mechanism
  is absent).
- ``Sample``: what a protocol returns for one independent sample: metrics, nulls beside them, a
  protocol's own interval of a metric, arrays for figures, and why the sample is not measurable.
- ``Check``, ``compare`` and ``combine``: one rule ``metric <op> threshold``, its three-valued comparison
  with an interval, and how the statuses of several checks combine (the definitions ``verdicts.decide`` and
  the C17 protocol, which re-decides toy claims, share).
- ``Tier``: a named budget of cases and configurations, registered as Hypothesis registers profiles
  (``register_tier``, ``get_tier``); quick, full and paper are built in.
- ``case_id``: the one spelling of a case on a configuration, ``<claim>/<configuration>/<case>``, used by
  the terminal, the ledger, Allure, the baselines and pytest's ``-k``.
"""

from __future__ import annotations

import enum
import math
import operator
from dataclasses import dataclass, field
from typing import Any


class _Text(str, enum.Enum):
    """A str-valued enum that prints and formats as its value (JSON writes it as a string)."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        return str.__format__(str(self), spec)

    __hash__ = str.__hash__  # equal to its value, so it hashes as its value (sets and dicts mix the two)


class Verdict(_Text):
    HOLDS = "holds"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    NOT_MEASURED = "not-measured"


CASE_VERDICTS = (Verdict.HOLDS, Verdict.REFUTED, Verdict.INCONCLUSIVE, Verdict.ERROR)


class Role(_Text):
    PRIMARY = "primary"
    REPLICATION = "replication"
    VARIANT = "variant"
    CONTROL = "control"
    POSITIVE = "positive"


class Scope(_Text):
    """What a claim is about: trained networks, or the paper's toy model itself."""

    NETWORKS = "networks"
    TOY = "toy"


def case_id(claim: str, configuration: str, name: str) -> str:
    """``<claim>/<configuration>/<case>``, e.g. ``C8/mlp-digits/budget``."""
    return f"{claim}/{configuration}/{name}"


@dataclass
class Sample:
    """One independent sample of a case, as its protocol measured it.

    metrics: the numbers (and short texts) the sample reports, the decided ones among them;
    nulls: the same kind of quantity where the mechanism is absent (a random displacement, a smooth
        quadratic, the straight line), reported beside the metrics;
    intervals: a protocol's own interval for a metric that is a statistic over runs (decided by the
        ``given`` statistic), metric -> (lo, hi);
    pvalues: with such an interval, the protocol's own one-sided p-value of "the claimed side is true"
        (e.g. the share of bootstrap replicates on the other side), metric -> p;
    arrays: what the case's figure draws (never decided);
    not_measurable: why this sample cannot be measured ("" when it can); such a sample is left out of
        the decision, with its reason.
    """

    metrics: dict[str, Any] = field(default_factory=dict)
    nulls: dict[str, Any] = field(default_factory=dict)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    pvalues: dict[str, float] = field(default_factory=dict)
    arrays: dict[str, Any] = field(default_factory=dict)
    not_measurable: str = ""

    def __post_init__(self) -> None:
        both = set(self.metrics) & set(self.nulls)
        if both:
            raise ValueError(f"Sample: names {sorted(both)} are both metrics and nulls")

    def value(self, name: str):
        """The metric or null called ``name`` (None when the sample has neither)."""
        if name in self.metrics:
            return self.metrics[name]
        return self.nulls.get(name)

    def scalars(self) -> dict[str, Any]:
        """Metrics and nulls in one mapping (the ledger's ``measured``)."""
        return {**self.metrics, **self.nulls}


OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}


CLAIM, PREMISE = "claim", "premise"


@dataclass(frozen=True)
class Check:
    """One comparison ``statistic(metric over samples) <op> threshold`` and why the threshold is what it is.

    ``floor``: the measurement's noise floor, the half-width an interval of this metric never goes below
    (None: ``DEFAULT_FLOOR``, float32 round-off; a count: 0.5, half a count; a fraction of 50 directions: 0.01).
    ``kind``: ``claim`` (what the paper claims) or ``premise`` (what must be true for the claim to apply: an
    unmet premise makes the case *not applicable*, never refuted). ``tried``: for a premise the protocol works to
    reach (a declared loop with a cap), the metric whose value says what it tried; shown when the premise is unmet.
    ``null``: the metric's value where the mechanism is absent, when that is not the threshold (a rank correlation's
    0 against a threshold of 0.8); a primary and a control that both sit at the null show no departure to share.
    """

    metric: str
    op: str
    threshold: float
    why: str
    floor: float | None = None
    kind: str = CLAIM
    tried: str = ""
    null: float | None = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"Check.op must be one of {sorted(OPS)}, got {self.op!r}")
        if not isinstance(self.threshold, (int, float)) or not math.isfinite(self.threshold):
            raise ValueError(f"Check.threshold must be a finite number, got {self.threshold!r}")
        if self.floor is not None and (not isinstance(self.floor, (int, float)) or not self.floor >= 0
                                       or not math.isfinite(self.floor)):
            raise ValueError(f"Check.floor must be None or a finite number >= 0, got {self.floor!r}")
        if self.kind not in (CLAIM, PREMISE):
            raise ValueError(f"Check.kind must be {CLAIM!r} or {PREMISE!r}, got {self.kind!r}")
        if self.null is not None and (not isinstance(self.null, (int, float)) or not math.isfinite(self.null)):
            raise ValueError(f"Check.null must be None or a finite number, got {self.null!r}")
        if self.tried and self.kind != PREMISE:
            raise ValueError(f"Check.tried names what a premise's loop tried; {self.metric!r} is a {self.kind!r} check")

    def describe(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"

    @property
    def null_value(self) -> float:
        """The metric's value without the mechanism (``null``, else the threshold)."""
        return float(self.threshold if self.null is None else self.null)

    @property
    def noise_floor(self) -> float:
        return DEFAULT_FLOOR if self.floor is None else float(self.floor)


DEFAULT_FLOOR = 1e-6  # float32 round-off: a decided value is never known better than this


def compare(op: str, lo: float, hi: float, threshold: float, tol: float = 0.0) -> Verdict:
    """Three-valued comparison of an interval [lo, hi] (lo == hi for a point) with a threshold:
    entirely on the claimed side -> holds, entirely on the other -> refuted, straddling -> inconclusive.
    For ``==``: holds when the interval lies within ``tol`` (the metric's noise floor) of the threshold, is
    refuted when it excludes the threshold, inconclusive otherwise."""
    if op == "==":
        if threshold - tol <= lo <= hi <= threshold + tol:
            return Verdict.HOLDS
        return Verdict.REFUTED if not (lo <= threshold <= hi) else Verdict.INCONCLUSIVE
    f = OPS[op]
    if f(lo, threshold) and f(hi, threshold):
        return Verdict.HOLDS
    if not f(lo, threshold) and not f(hi, threshold):
        return Verdict.REFUTED
    return Verdict.INCONCLUSIVE


def combine(statuses) -> Verdict:
    """The verdict of several checks: error if any errs, else refuted if any is refuted, else inconclusive if
    any is, else holds (holds also for no checks)."""
    vs = set(statuses)
    for v in (Verdict.ERROR, Verdict.REFUTED, Verdict.INCONCLUSIVE):
        if v in vs:
            return v
    return Verdict.HOLDS


@dataclass(frozen=True)
class Tier:
    """A named budget: which cases run (``Case.tiers``) and which configurations the lab trains."""

    name: str
    description: str


_TIERS: dict[str, Tier] = {}


def register_tier(tier: Tier) -> Tier:
    """Add (or replace) a tier; cases opt in by name (``Case.tiers``)."""
    if not isinstance(tier, Tier) or not tier.name or not tier.name.isidentifier():
        raise ValueError(f"register_tier takes a Tier with a name made of letters, digits and '_', got {tier!r}")
    _TIERS[tier.name] = tier
    return tier


def get_tier(name: str) -> Tier:
    """The registered tier ``name``; a ValueError lists the registered ones."""
    try:
        return _TIERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"tier must be one of {list(_TIERS)}, got {name!r}") from None


def tier_names() -> tuple[str, ...]:
    return tuple(_TIERS)


register_tier(Tier("quick", "CPU minutes on bundled data: the tanh MLP on digits, the toy model"))
register_tier(Tier("full", "by hand: also the §4 SimpleCNN on 6,000 Fashion-MNIST images (cnn-fashion), within a "
                           "declared budget per case, and the larger toy cases"))
register_tier(Tier("paper", "the paper's datasets from --data-root (meant for a GPU)"))

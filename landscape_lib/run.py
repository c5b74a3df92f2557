"""A claims run as plain code: cases -> protocols -> samples -> decide -> rows -> headline.

    selected(tier, configurations, ...)          which declared cases run where (and why not)
    measure(lab, case, label) -> [Sample]        each sample through ``Lab.sample`` (cached), busy-last
    run_case(lab, case, label) -> CaseRun        measure, ``verdicts.decide``, the ``Row``; an exception is an
                                                 *error* row, returned with it, never a verdict
    sensitivity(lab, case, label, samples)       the verdict across each declared sweep of a constant the paper
                                                 never fixed (re-decided, or re-measured through the cache)
    expect(row, baseline_dir, tier)              the baseline's expectation and any regression, on the row
    check_claims(tier=..., model=..., ...)       all of it, sequentially: a ``Ledger`` (rows and headline)

``check_claims`` works from a notebook without pytest; the pytest plugin runs the same ``run_case`` and
``expect`` per test (so xdist can spread cases over workers) and only adapts them to pytest's outcomes.
Figures are drawn by the report layer from the samples' arrays.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .cache import CacheBusy
from .protocols.lab import Lab
from .types import Sample, Verdict
from .verdicts import baselines
from .verdicts import decide as dc
from .verdicts.case import Case, Sweep
from .verdicts.cases import CASES
from .verdicts.headline import ClaimOutcome, decide_claims, summary_line
from .verdicts.row import Row


def _sample_id(s):
    return list(s) if isinstance(s, tuple) else s


def measure(lab: Lab, case: Case, label: str) -> list[Sample]:
    """Every sample of ``case`` on configuration ``label`` (cached per sample), in declared order.

    Samples are measured busy-last: a sample whose entry (or any entry it needs: an optimum, a tunnel)
    another xdist worker is building right now is put off and the next one measured, and only when
    every remaining sample is busy does this wait for one. Two workers on claims that share the six
    tunnels thus build different tunnels side by side instead of queueing behind one lock."""
    kw = case.kwargs()
    out: dict[int, Sample] = {}
    pending = list(enumerate(case.samples))
    while pending:
        busy = []
        for i, s in pending:
            try:
                with lab.without_waiting():
                    out[i] = lab.sample(case.protocol, label, s, kw)
            except CacheBusy:
                busy.append((i, s))
        if busy and len(busy) == len(pending):
            i, s = busy.pop(0)
            out[i] = lab.sample(case.protocol, label, s, kw)
        pending = busy
    return [out[i] for i in range(len(case.samples))]


def _per_sample(samples: list[Sample], part: str) -> dict:
    """One mapping over samples: each name of the first sample -> its value (one sample) or the list of
    per-sample values (None where a sample lacks it)."""
    names = list(getattr(samples[0], part)) if samples else []
    out = {}
    for k in names:
        vals = [getattr(s, part).get(k) for s in samples]
        vals = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in vals]
        vals = [list(v) if isinstance(v, tuple) else v for v in vals]
        out[k] = vals[0] if len(vals) == 1 else vals
    return out


def _declared_value(case: Case, sweep: Sweep):
    """The value the case itself uses for the swept constant."""
    if sweep.metric is not None:
        return next(c.threshold for c in case.rule if c.metric == sweep.metric)
    kw = case.kwargs()
    if sweep.param in kw:
        return kw[sweep.param]
    p = inspect.signature(case.protocol).parameters.get(sweep.param)
    if p is None or p.default is inspect.Parameter.empty:
        raise ValueError(f"case {case.claim}/{case.name}: sweep {sweep.constant!r} names parameter {sweep.param!r}, "
                         f"which its protocol {case.protocol_name} does not take with a default")
    return p.default


def flip_point(values, verdicts) -> str:
    """Where the verdict changes along a sweep ("" when it never does), e.g. "refuted at 2, holds from 5"."""
    pairs = list(zip(values, verdicts))
    flips = [(a, b) for a, b in zip(pairs, pairs[1:]) if a[1] != b[1]]
    if not flips:
        return ""
    return "; ".join(f"{va[1]} at {va[0]:g}, {vb[1]} at {vb[0]:g}" if isinstance(va[0], (int, float))
                     else f"{va[1]} at {va[0]}, {vb[1]} at {vb[0]}" for va, vb in flips)


def sensitivity(lab: Lab, case: Case, label: str, samples: list[Sample], decision: dc.Decision) -> list[dict]:
    """For each declared sweep of ``case``: the verdict at every value of the constant, one constant at a time
    with the others at their declared values -- a check's threshold re-decided on ``samples``, or a protocol
    parameter re-measured through the cache (the declared value reuses ``decision``)."""
    out = []
    for sw in case.sweeps:
        declared = _declared_value(case, sw)
        verdicts, values = [], []
        for v in sw.values:
            if v == declared:
                d = decision
            elif sw.metric is not None:
                rule = tuple(dataclasses.replace(c, threshold=float(v)) if c.metric == sw.metric else c
                             for c in case.rule)
                d = dc.decide(rule, samples, case.decision)
            else:
                kw = {**case.kwargs(), sw.param: v}
                d = dc.decide(case.rule, [lab.sample(case.protocol, label, s, kw) for s in case.samples],
                              case.decision)
            verdicts.append(str(d.verdict))
            values.append(next((c.value for c in d.checks if c.check.kind != "premise"), None))
        out.append({"constant": sw.constant, "by": sw.param or sw.metric, "values": list(sw.values),
                    "declared": declared, "verdicts": verdicts, "decided_values": values, "why": sw.why,
                    "flip": flip_point(sw.values, verdicts)})
    return out


@dataclass
class CaseRun:
    """A case measured and decided on one configuration: its row, its samples (for figures), and the
    exception that made it an error (None otherwise)."""

    row: Row
    samples: list[Sample]
    exc: Exception | None = None


def run_case(lab: Lab, case: Case, label: str, *, tier: str = "", repro: str = "") -> CaseRun:
    """Measure and decide ``case`` on ``label``. An exception is caught into an *error* row (and returned,
    for the caller to re-raise): it is never a verdict."""
    t0 = time.perf_counter()
    case = case.on_configuration(None if label == "toy" else lab.config(label), CASES)
    samples: list[Sample] = []
    exc = None
    measured: dict = {}
    nulls: dict = {}
    intervals: dict = {}
    sens: list[dict] = []
    try:
        samples = measure(lab, case, label)
        decision = dc.decide(case.rule, samples, case.decision)
        measured, nulls, intervals = (_per_sample(samples, p) for p in ("metrics", "nulls", "intervals"))
        sens = sensitivity(lab, case, label, samples, decision)
    except Exception as e:  # noqa: BLE001 - recorded as an error row, then re-raised by the caller
        exc = e
        decision = dc.error(f"{type(e).__name__}: {e}", case.decision)
        measured = {"traceback": traceback.format_exc(limit=6)[-1500:]}
    row = Row(claim=case.claim, case=case.name, configuration=label, role=case.role, verdict=decision.verdict,
              reason=decision.reason, decided=[c.as_dict() for c in decision.checks],
              statistic=case.decision.describe(), samples=len(case.samples),
              ci=list(decision.ci) if decision.ci else None, measured=measured, nulls=nulls, intervals=intervals,
              rule=" and ".join(c.describe() for c in case.rule), params=dict(case.params),
              definition=dict(case.definition), sample_ids=[_sample_id(s) for s in case.samples],
              holds_if=case.holds_if, protocol=case.protocol_name, tier=tier, repro=repro,
              controls=list(case.controls), positives=list(case.positives), planted=case.planted,
              sensitivity=sens, note=case.note,
              error=decision.reason if decision.verdict == Verdict.ERROR else "",
              seconds=round(time.perf_counter() - t0, 3))
    return CaseRun(row, samples, exc)


def expect(row: Row, baseline_dir, tier: str, *, update: bool = False, accept_verdict_changes: bool = False) -> Row:
    """Fill ``row.expected``, ``row.baseline`` and ``row.regression`` from the baseline of its tier and
    configuration. ``update``: a baseline about to be rewritten expects no band of a measured row -- but a changed
    verdict stays a regression unless ``accept_verdict_changes``."""
    from .verdicts.claims import CLAIMS

    source = str(baselines.path_for(baseline_dir, tier, row.configuration))
    exp = baselines.expectation(baselines.load(baseline_dir, tier, row.configuration), row.id, row.role, source)
    row.expected, row.baseline = exp.verdict, exp.source
    regression = baselines.regressions(exp, row.verdict, row.decided, row.as_dict(), CLAIMS[row.claim].diagnostics)
    if update and row.verdict != Verdict.ERROR:
        changed = not exp.source.startswith("default") and row.verdict != exp.verdict
        regression = [r for r in regression if r.startswith("verdict ")] if changed and not accept_verdict_changes \
            else []
    row.regression = regression
    return row


def matches(select: str | None, cid: str) -> bool:
    """Whether case id ``cid`` (``<claim>/<configuration>/<case>``) is selected by ``select``: None = every case; else
    a ``-k``-style expression (``and``, ``or``, ``not``, parentheses) whose words match a claim id exactly
    (``C1`` is C1, not C10), a configuration label exactly, or a substring of the case name or the whole id."""
    if not select:
        return True
    from _pytest.mark.expression import Expression

    claim, label, name = cid.split("/", 2)

    def word(w: str) -> bool:
        if w[:1] in "CA" and w[1:].isdigit():
            return w == claim
        return w == label or w in name or w in cid

    return Expression.compile(select).evaluate(word)


def selected(tier: str, configurations, cases=CASES, lab: Lab | None = None) -> list[tuple[Case, str, str]]:
    """(case, configuration label, why it does not run here or "") for every declared case on every
    configuration it names, given the tier's network configurations; with ``lab``, a case whose estimated
    need exceeds the tier's budget for its configuration is "not run at this tier" (``protocols.cost``), and one
    that needs what the configuration lacks (A6's batch-norm twin of a user's model) says so. A case declared on one
    of the repository's configurations that a user's ``--model`` / ``--dataset`` replaced is not selected."""
    from .protocols.asymmetry import missing_twin
    from .protocols.cost import over_budget
    from .protocols.lab import BUILTIN_LABELS

    out = []
    for case in cases:
        for label in case.labels(configurations):
            if case.runs_at(tier) and label in BUILTIN_LABELS and label not in configurations:
                continue  # the repository's configuration, replaced by a user's --model / --dataset
            why = "" if case.runs_at(tier) else f"{case.id(label)} runs at tiers {case.tiers}, not {tier}"
            if not why and lab is not None:
                why = missing_twin(lab, label, case.kwargs()) or over_budget(case, lab, label,
                                                                            lab.spec.budgets.get(label))
            out.append((case, label, why))
    return out


def declared_ids(tier: str, configurations, cases=CASES) -> dict[str, set]:
    """Configuration label -> the ids of the cases declared for it at this tier (what a baseline may hold)."""
    out: dict[str, set] = {}
    for case, label, why in selected(tier, configurations, cases):
        if not why:
            out.setdefault(label, set()).add(case.id(label))
    return out


@dataclass
class Ledger:
    """A claims run's result: every row, each claim's headline and the one-line summary."""

    rows: list[dict]
    claims: dict[str, ClaimOutcome]
    summary: str
    header: dict = field(default_factory=dict)

    @classmethod
    def of(cls, rows: list[dict], header: dict | None = None) -> "Ledger":
        claims = decide_claims(rows)
        return cls(rows, claims, summary_line(claims, rows), dict(header or {}))

    def as_dict(self) -> dict:
        return mark_not_run({**self.header, "summary": self.summary,
                             "claims": {k: v.as_dict() for k, v in self.claims.items()}, "rows": self.rows})


NOT_RUN = "not run at this tier"


def not_run(tier: str, lab: Lab) -> dict:
    """Case id -> {role, why, short} for the cases the tier's budget leaves out (``protocols.cost``) and those a
    configuration cannot run (A6 on a user's model without its batch-norm twin)."""
    from .protocols.asymmetry import NO_TWIN

    return {case.id(label): {"role": str(case.on_configuration(None if label == "toy" else lab.config(label),
                                                               CASES).role), "why": why,
                             "short": NOT_RUN if why.startswith(NOT_RUN) else NO_TWIN}
            for case, label, why in selected(tier, lab.spec.configs, lab=lab)
            if why.startswith(NOT_RUN) or why.startswith(NO_TWIN)}


def mark_not_run(ledger: dict) -> dict:
    """Each claim's per-configuration verdicts gain "not run at this tier" where the tier did not run its primary
    on a configuration (``ledger["not_run"]``: case id -> {"role", "why"}), so a reader sees the configuration
    beside the others instead of its absence."""
    for cid, info in (ledger.get("not_run") or {}).items():
        claim, label, _ = cid.split("/", 2)
        c = ledger.get("claims", {}).get(claim)
        if c is not None and info.get("role") == "primary":
            c.setdefault("per_configuration", {}).setdefault(label, info.get("short", NOT_RUN))
    return ledger


def check_claims(*, tier: str = "quick", model: str | None = None, dataset: str | None = None,
                 baseline_dir=None, cache_dir=None, device: str = "cpu", claims=None, data_root=None,
                 progress=None, cache_only: bool = False, select: str | None = None,
                 bn_model: str | None = None) -> Ledger:
    """Run every declared case of ``tier`` (on ``model`` / ``dataset`` when given, as the pytest plugin's
    --model/--dataset) sequentially and return the ``Ledger``; ``claims``: only these claim ids. Rows carry
    the baseline's expectation and any regression (``baseline_dir``, default claims/baselines/). Errors are
    rows with verdict ``error`` (and the traceback in ``measured``), never exceptions. ``cache_only``: decide
    from the cache alone (after ``build.build``); a missing entry is an error row naming its key. ``select``: a
    ``-k``-style expression over case ids (``matches``). ``bn_model``: ``model``'s batch-norm twin (A6)."""
    from .protocols.lab import tier_spec_for
    from .cache import Cache, default_root

    spec = tier_spec_for(tier, device=device, model=model, dataset=dataset, data_root=data_root, bn_model=bn_model)
    lab = Lab(spec, Cache(cache_dir or default_root(), read_only=cache_only,
                          hint=f"landscape-claims build --tier {tier}"))
    bdir = Path(baseline_dir) if baseline_dir is not None else baselines.default_dir()
    rows = []
    for case, label, why in selected(tier, spec.configs, lab=lab):
        if why or (claims is not None and case.claim not in claims) or not matches(select, case.id(label)):
            continue
        done = run_case(lab, case, label, tier=tier)
        rows.append(expect(done.row, bdir, tier).as_dict())
        if progress is not None:
            progress(done.row)
    return Ledger.of(rows, {"tier": tier, "device": device, "settings": spec.settings(), "not_run": not_run(tier, lab)})

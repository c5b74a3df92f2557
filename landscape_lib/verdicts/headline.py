"""The headline: each claim's verdict from its rows, decided in one place (beside ``decide``, which decides a
case from its samples).

The rule, in one paragraph. A claim is judged in its own scope (networks, or the toy model) on its **primary**
cases; its replication in the other setting gets a verdict of its own, on its own row, by the same rule. A primary
is *not applicable* when a premise of the claim is unmet (inconclusive: "premise not met"); it *does not
discriminate* when a matched negative control holds, or when it is refuted only on checks on which a matched
control departs from the claim the same way (both intervals exclude the check's null, ``Check.null_value``, and the
interval of their difference, half-width sqrt(h1^2 + h2^2), straddles 0); it *depends on a constant* when its verdict changes inside a declared sweep of a constant the paper
never fixed. Otherwise it holds when every claim check holds, and it is refuted when a refuting check survives
Holm's step-down correction over every claim check of the group's primaries (one-sided p-values from
``decide``, family level 2.5%, the level of one side of a 95% interval) -- "refuted (power not shown)" until a
positive control shows the measurement can see the effect. Over configurations the group combines as the claim
declares ("all": every configuration must hold; a refutation on one is a refutation, each configuration shown).
Any other outcome is inconclusive, with its reason: premise not met, does not discriminate, depends on
<constant>, too few samples, not significant after Holm, interval straddles. A claim with no primary row at this
tier is ``not-measured``. Variants are counted as "k of n agree with their configuration's primary verdict";
controls as "k of n refuted", naming those that held or were inconclusive.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ..types import Role, Scope, Verdict
from .claims import CLAIMS

SEVERITY = (Verdict.ERROR, Verdict.REFUTED, Verdict.INCONCLUSIVE, Verdict.HOLDS)
HOLM_ALPHA = 0.025
POWER_NOT_SHOWN = "power not shown"
WHY_ORDER = ("error", "premise not met", "premise uncertain", "does not discriminate", "depends on", "not measurable",
             "too few samples", "not significant after Holm", "interval straddles")


def worst(verdicts) -> Verdict:
    """The most severe verdict among ``verdicts`` (``not-measured`` for none)."""
    vs = set(verdicts)
    for v in SEVERITY:
        if v in vs:
            return v
    return Verdict.NOT_MEASURED


@dataclass
class GroupOutcome:
    """The verdict of one group of a claim's cases (its primaries, or its replication) and why."""

    verdict: Verdict
    why: str = ""
    per_configuration: dict = field(default_factory=dict)
    cases: list = field(default_factory=list)
    holm: dict = field(default_factory=dict)


@dataclass
class ClaimOutcome:
    """One claim's headline: the verdict in its scope and why, the replication's, and what they rest on."""

    verdict: Verdict
    note: str
    statement: str
    section: str
    scope: str = ""
    why: str = ""
    qualifier: str = ""
    primary: list = field(default_factory=list)  # case ids
    per_configuration: dict = field(default_factory=dict)  # configuration -> verdict of its primaries
    replication: dict | None = None  # GroupOutcome of the replication, as a dict
    variants: dict = field(default_factory=dict)  # {"agree": k, "total": n}
    controls: dict = field(default_factory=dict)  # {"refuted", "total", "held", "inconclusive"}
    ci: list | None = None  # the single primary case's interval, when there is one
    holm: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _half(ch: dict) -> float:
    ci = ch.get("ci")
    if not ci or ch.get("value") is None:
        return math.inf
    return max(ch["value"] - ci[0], ci[1] - ch["value"])


def _covers(ch: dict, x: float) -> bool:
    ci = ch.get("ci")
    return bool(ci) and ci[0] <= x <= ci[1]


def same_departure(ch: dict, control_rows: list[dict]) -> tuple[bool, str]:
    """Whether a matched control departs from the claim on the same check the same way: its check is refuted too,
    both intervals exclude the check's null (two values at the null share no departure: the primary simply shows no
    effect), and the interval of the difference of the two values (half-width sqrt(h1^2 + h2^2)) straddles 0."""
    null = ch.get("null", ch.get("threshold"))
    if null is not None and _covers(ch, null):
        return False, ""
    for c in control_rows:
        other = next((d for d in c.get("decided") or [] if d["metric"] == ch["metric"] and d["op"] == ch["op"]), None)
        if other is None or other.get("status") != Verdict.REFUTED or (null is not None and _covers(other, null)):
            continue
        diff = ch["value"] - other["value"]
        half = math.hypot(_half(ch), _half(other))
        if diff - half <= 0 <= diff + half:
            return True, (f"{c['id']} departs the same way on {ch['metric']} ({ch['value']:.3g} vs {other['value']:.3g}; "
                          f"difference {diff:.3g} +/- {half:.3g})")
    return False, ""


def _assess(r: dict, controls: dict[str, list[dict]]) -> tuple[Verdict, str, list]:
    """One primary's verdict after premises, matched controls and sweeps: (verdict, why, refuting checks)."""
    v, reason = r["verdict"], r.get("reason") or ""
    if v == Verdict.ERROR:
        return Verdict.ERROR, f"error: {reason}", []
    for key in ("premise not met", "premise uncertain", "not measurable", "too few samples"):
        if reason.startswith(key):
            return Verdict.INCONCLUSIVE, reason, []
    matched = [c for name in r.get("controls") or [] for c in controls.get(name, [])]
    held = [c["id"] for c in matched if c["verdict"] == Verdict.HOLDS]
    if held:
        return Verdict.INCONCLUSIVE, f"does not discriminate: the matched control {', '.join(held)} holds", []
    flips = [s for s in r.get("sensitivity") or [] if len(set(s["verdicts"])) > 1]
    if flips:
        return Verdict.INCONCLUSIVE, "; ".join(f"depends on {s['constant']}: {s['flip']}" for s in flips), []
    if v == Verdict.HOLDS:
        return Verdict.HOLDS, "", []
    if v == Verdict.REFUTED:
        refuting = [d for d in r.get("decided") or [] if d.get("status") == Verdict.REFUTED and d.get("kind") != "premise"]
        reasons = [same_departure(d, matched) for d in refuting]
        if refuting and all(same for same, _ in reasons):
            return Verdict.INCONCLUSIVE, "does not discriminate: " + "; ".join(w for _, w in reasons), []
        return Verdict.REFUTED, reason, [d for d, (same, _) in zip(refuting, reasons) if not same]
    return Verdict.INCONCLUSIVE, reason or "interval straddles", []


def holm(pvalues: list[float], alpha: float = HOLM_ALPHA) -> list[bool]:
    """Holm's step-down: which of ``pvalues`` are rejected at family level ``alpha`` (in their order)."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    rejected = [False] * len(pvalues)
    m = len(pvalues)
    for rank, i in enumerate(order):
        if pvalues[i] <= alpha / (m - rank):
            rejected[i] = True
        else:
            break
    return rejected


def _first_why(whys: list[str]) -> str:
    for key in WHY_ORDER:
        for w in whys:
            if w.startswith(key):
                return w
    return next((w for w in whys if w), "")


def decide_group(rows: list[dict], controls: dict[str, list[dict]], combine: str = "all") -> GroupOutcome:
    """The verdict of a group of primary (or replication) rows of one claim (module docstring)."""
    if not rows:
        return GroupOutcome(Verdict.NOT_MEASURED)
    assessed = [(r, *_assess(r, controls)) for r in rows]
    family = [(i, d) for i, r in enumerate(rows) for d in r.get("decided") or []
              if d.get("kind") != "premise" and d.get("p_refute") is not None]
    rejected = holm([d["p_refute"] for _, d in family])
    survives = {(i, d["metric"], d["op"]) for (i, d), rej in zip(family, rejected) if rej}
    out = []
    for i, (r, v, why, refuting) in enumerate(assessed):
        if v == Verdict.REFUTED and not any((i, d["metric"], d["op"]) in survives or d.get("p_refute") is None
                                            for d in refuting):
            p = min(d["p_refute"] for d in refuting)
            v, why = Verdict.INCONCLUSIVE, (f"not significant after Holm over {len(family)} checks: the refuting "
                                            f"check's one-sided p = {p:.3g}")
        out.append((r, v, why))
    per_conf: dict = {}
    for r, v, _ in out:
        per_conf.setdefault(r["configuration"], []).append(v)
    per_conf = {k: worst(vs) for k, vs in sorted(per_conf.items())}
    verdicts = [v for _, v, _ in out]
    if Verdict.ERROR in verdicts:
        verdict = Verdict.ERROR
    elif all(v == Verdict.HOLDS for v in verdicts):
        verdict = Verdict.HOLDS
    elif Verdict.REFUTED in verdicts:
        verdict = Verdict.REFUTED
    else:
        verdict = Verdict.INCONCLUSIVE
    whys = [w for _, v, w in out if v == verdict and w] if verdict != Verdict.HOLDS else []
    return GroupOutcome(verdict, _first_why(whys), per_conf,
                        [{"id": r["id"], "verdict": v, "why": w} for r, v, w in out],
                        {"m": len(family), "rejected": sum(rejected), "alpha": HOLM_ALPHA})


def decide_claim(claim_id: str, rows: list[dict]) -> ClaimOutcome:
    """The headline of ``claim_id`` from the ledger rows of this run (rows of other claims are ignored)."""
    claim = CLAIMS[claim_id]
    mine = [r for r in rows if r["claim"] == claim_id]
    prim = [r for r in mine if r.get("role") == Role.PRIMARY]
    repl = [r for r in mine if r.get("role") == Role.REPLICATION]
    ctrl = [r for r in mine if r.get("role") == Role.CONTROL]
    controls: dict[str, list[dict]] = {}
    for r in ctrl:
        controls.setdefault(r["case"], []).append(r)
    group = decide_group(prim, controls, claim.combine)
    replication = decide_group(repl, controls, claim.combine) if repl else None
    variants = [r for r in mine if r.get("role") == Role.VARIANT]
    per_conf = group.per_configuration
    both = {**(replication.per_configuration if replication else {}), **per_conf}
    agree = sum(r["verdict"] == both.get(r["configuration"], group.verdict) for r in variants)
    held = [r["id"] for r in ctrl if r["verdict"] == Verdict.HOLDS]
    cis = [r.get("ci") for r in prim if r.get("ci")]
    qualifier = POWER_NOT_SHOWN if group.verdict == Verdict.REFUTED else ""
    return ClaimOutcome(verdict=group.verdict, note=group.why, why=group.why, qualifier=qualifier,
                        statement=claim.statement, section=claim.section, scope=str(claim.scope),
                        primary=[r["id"] for r in prim], per_configuration=per_conf,
                        replication=asdict(replication) if replication else None,
                        variants={"agree": agree, "total": len(variants)},
                        controls={"refuted": sum(r["verdict"] == Verdict.REFUTED for r in ctrl), "total": len(ctrl),
                                  "held": held,
                                  "inconclusive": [r["id"] for r in ctrl if r["verdict"] == Verdict.INCONCLUSIVE]},
                        ci=cis[0] if len(cis) == 1 else None, holm=group.holm)


def decide_claims(rows: list[dict]) -> dict[str, ClaimOutcome]:
    """Every declared claim's headline, in declaration order."""
    return {cid: decide_claim(cid, rows) for cid in CLAIMS}


def reason_kind(why: str) -> str:
    """The kind of an inconclusive verdict's reason, for counting: one of WHY_ORDER's keys, or ''."""
    return next((k for k in WHY_ORDER if why.startswith(k)), "")


def summary_line(claims: dict[str, ClaimOutcome], rows: list[dict]) -> str:
    """One line: claims by headline verdict (and why the inconclusive ones are); controls; regressions."""
    counts = {v: 0 for v in (*SEVERITY, Verdict.NOT_MEASURED)}
    kinds: dict[str, int] = {}
    for c in claims.values():
        counts[c.verdict] += 1
        if c.verdict == Verdict.INCONCLUSIVE:
            k = reason_kind(c.why) or "other"
            kinds[k] = kinds.get(k, 0) + 1
    ctrl = [r for r in rows if r.get("role") == Role.CONTROL]
    held = sum(r["verdict"] == Verdict.HOLDS for r in ctrl)
    reg = sum(bool(r.get("regression")) for r in rows)
    why = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return (f"primary verdicts: {counts[Verdict.HOLDS]} hold, {counts[Verdict.REFUTED]} refuted, "
            f"{counts[Verdict.INCONCLUSIVE]} inconclusive{f' ({why})' if why else ''}, {counts[Verdict.ERROR]} error, "
            f"{counts[Verdict.NOT_MEASURED]} not measured; controls: "
            f"{sum(r['verdict'] == Verdict.REFUTED for r in ctrl)}/{len(ctrl)} refuted, {held} held; "
            f"{reg} regression(s) against the baselines")

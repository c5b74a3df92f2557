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
``decide``, family level 2.5%, the level of one side of a 95% interval) -- and its matched **positive controls**
(the same measurement with the mechanism planted) hold: where one does not, the measurement *cannot see the planted
effect* (inconclusive, with the positive control's numbers; also the reason of an otherwise inconclusive primary); without any, "refuted (power not shown)". A primary
that is inconclusive is *underpowered here* ("needs n >= N") when its samples could not detect the
planted effect with 80% power (``decide.samples_needed`` from the primary's own spread and the positive control's
distance from the threshold). Over configurations the group combines as the claim
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
CANNOT_SEE = "cannot see the planted effect"
N_MAX = 1000  # decide.samples_needed's search limit
UNDERPOWERED = "underpowered here"
WHY_ORDER = ("error", "premise not met", "premise uncertain", "does not discriminate", CANNOT_SEE, UNDERPOWERED,
             "depends on", "not measurable", "too few samples", "not significant after Holm", "interval straddles")


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
    power: list = field(default_factory=list)
    positives: list = field(default_factory=list)  # ids of the positive controls matched to the group


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
    positives: dict = field(default_factory=dict)  # {"held", "total", "failed"}: positive controls, must hold
    ci: list | None = None  # the single primary case's interval, when there is one
    holm: dict = field(default_factory=dict)
    power: list = field(default_factory=list)  # per primary mean check: n, sd, detectable effect, planted, n needed

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
        return Verdict.INCONCLUSIVE, "; ".join(f"depends on {s['constant']}: {s['flip']}" for s in flips) + \
            f" (on {r['case']})", []
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


def _matched(r: dict, positives: dict[str, list[dict]]) -> list[dict]:
    """The positive controls matched to primary ``r``: those it names, else every positive control of its claim."""
    names = r.get("positives") or list(positives)
    return [p for name in names for p in positives.get(name, [])]


def _effect(check: dict, positive: dict) -> float | None:
    """How far the positive control's value of ``check`` lies from the threshold on the claimed side (None: the
    positive control does not decide that check, or the comparison has no side)."""
    other = next((d for d in positive.get("decided") or [] if d["metric"] == check["metric"]
                  and d["op"] == check["op"] and d.get("value") is not None), None)
    if other is None or not math.isfinite(other["value"]):
        return None
    if check["op"] in (">", ">="):
        return other["value"] - check["threshold"]
    if check["op"] in ("<", "<="):
        return check["threshold"] - other["value"]
    return None


def power(r: dict, matched: list[dict]) -> list[dict]:
    """Per claim check of primary ``r`` decided by a mean: its n, the samples' SD, the smallest effect it detects
    with 80% power (``decide.detectable_effect``), the planted effect (the nearest matched positive control's distance
    from the threshold) and the samples that effect needs (``decide.samples_needed``)."""
    import numpy as np

    from .decide import detectable_effect, samples_needed

    out = []
    for d in r.get("decided") or []:
        vals = d.get("values") or []
        if d.get("kind") == "premise" or d.get("statistic") != "mean" or len(vals) < 2:
            continue
        sd, n, floor = float(np.std(vals, ddof=1)), len(vals), float(d.get("floor") or 0.0)
        effects = [(e, p["id"]) for p in matched
                   if p["verdict"] == Verdict.HOLDS and (e := _effect(d, p)) is not None and e > 0]
        e, src = min(effects) if effects else (None, "")
        need = samples_needed(e, sd, floor, n_max=N_MAX) if e is not None else None
        out.append({"id": r["id"], "metric": d["metric"], "n": n, "sd": sd, "detectable": detectable_effect(sd, n, floor),
                    "planted": e, "planted_in": src, "needed": need,
                    "underpowered": e is not None and (need is None or need > n)})
    return out


def decide_group(rows: list[dict], controls: dict[str, list[dict]], combine: str = "all",
                 positives: dict[str, list[dict]] | None = None) -> GroupOutcome:
    """The verdict of a group of primary (or replication) rows of one claim (module docstring)."""
    if not rows:
        return GroupOutcome(Verdict.NOT_MEASURED)
    positives = positives or {}
    assessed = [(r, *_assess(r, controls)) for r in rows]
    family = [(i, d) for i, r in enumerate(rows) for d in r.get("decided") or []
              if d.get("kind") != "premise" and d.get("p_refute") is not None]
    rejected = holm([d["p_refute"] for _, d in family])
    survives = {(i, d["metric"], d["op"]) for (i, d), rej in zip(family, rejected) if rej}
    out, powers, seen = [], [], []
    for i, (r, v, why, refuting) in enumerate(assessed):
        if v == Verdict.REFUTED and not any((i, d["metric"], d["op"]) in survives or d.get("p_refute") is None
                                            for d in refuting):
            p = min(d["p_refute"] for d in refuting)
            v, why = Verdict.INCONCLUSIVE, (f"not significant after Holm over {len(family)} checks: the refuting "
                                            f"check's one-sided p = {p:.3g}")
        matched = _matched(r, positives)
        failed = [p for p in matched if p["verdict"] != Verdict.HOLDS]
        pw = power(r, matched)
        powers.extend(pw)
        if failed and (v == Verdict.REFUTED or (v == Verdict.INCONCLUSIVE and not why.startswith(_BEFORE_POWER))):
            v, why = Verdict.INCONCLUSIVE, f"{CANNOT_SEE}: " + "; ".join(
                f"{p['id']} {p['verdict']}" + (f" ({_values(p)})" if _values(p) else "") for p in failed)
        elif v == Verdict.INCONCLUSIVE and not why.startswith(_BEFORE_POWER):
            short = [x for x in pw if x["underpowered"]]
            if short:
                v, why = Verdict.INCONCLUSIVE, f"{UNDERPOWERED} (" + "; ".join(
                    f"{x['metric']}: needs n >= {x['needed']}, has {x['n']}" if x["needed"] else
                    f"{x['metric']}: the planted effect {x['planted']:.3g} needs more than {N_MAX} samples or is within "
                    f"the noise floor" for x in short) + ")"
        out.append((r, v, why))
        seen.extend(p["id"] for p in matched if p["id"] not in seen)
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
                        {"m": len(family), "rejected": sum(rejected), "alpha": HOLM_ALPHA}, powers, seen)


_BEFORE_POWER = ("premise", "does not discriminate", "depends on", "not measurable", "error")


def _values(row: dict) -> str:
    return ", ".join(f"{d['metric']} = {d['value']:.3g}" + (f" [{d['ci'][0]:.3g}, {d['ci'][1]:.3g}]" if d.get("ci") else "")
                     for d in row.get("decided") or [] if d.get("kind") != "premise" and d.get("value") is not None
                     and math.isfinite(d["value"]))


def decide_claim(claim_id: str, rows: list[dict]) -> ClaimOutcome:
    """The headline of ``claim_id`` from the ledger rows of this run (rows of other claims are ignored)."""
    claim = CLAIMS[claim_id]
    mine = [r for r in rows if r["claim"] == claim_id]
    prim = [r for r in mine if r.get("role") == Role.PRIMARY]
    repl = [r for r in mine if r.get("role") == Role.REPLICATION]
    ctrl = [r for r in mine if r.get("role") == Role.CONTROL]
    pos = [r for r in mine if r.get("role") == Role.POSITIVE]
    controls: dict[str, list[dict]] = {}
    for r in ctrl:
        controls.setdefault(r["case"], []).append(r)
    positives: dict[str, list[dict]] = {}
    for r in pos:
        positives.setdefault(r["case"], []).append(r)
    group = decide_group(prim, controls, claim.combine, positives)
    replication = decide_group(repl, controls, claim.combine, positives) if repl else None
    variants = [r for r in mine if r.get("role") == Role.VARIANT]
    per_conf = group.per_configuration
    both = {**(replication.per_configuration if replication else {}), **per_conf}
    agree = sum(r["verdict"] == both.get(r["configuration"], group.verdict) for r in variants)
    held = [r["id"] for r in ctrl if r["verdict"] == Verdict.HOLDS]
    cis = [r.get("ci") for r in prim if r.get("ci")]
    qualifier = POWER_NOT_SHOWN if group.verdict == Verdict.REFUTED and not group.positives else ""
    return ClaimOutcome(verdict=group.verdict, note=group.why, why=group.why, qualifier=qualifier,
                        statement=claim.statement, section=claim.section, scope=str(claim.scope),
                        primary=[r["id"] for r in prim], per_configuration=per_conf,
                        replication=asdict(replication) if replication else None,
                        variants={"agree": agree, "total": len(variants)},
                        controls={"refuted": sum(r["verdict"] == Verdict.REFUTED for r in ctrl), "total": len(ctrl),
                                  "held": held,
                                  "inconclusive": [r["id"] for r in ctrl if r["verdict"] == Verdict.INCONCLUSIVE]},
                        positives={"held": sum(r["verdict"] == Verdict.HOLDS for r in pos), "total": len(pos),
                                   "failed": [r["id"] for r in pos if r["verdict"] != Verdict.HOLDS]},
                        ci=cis[0] if len(cis) == 1 else None, holm=group.holm, power=group.power)


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
    pos = [r for r in rows if r.get("role") == Role.POSITIVE]
    held = sum(r["verdict"] == Verdict.HOLDS for r in ctrl)
    reg = sum(bool(r.get("regression")) for r in rows)
    why = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return (f"primary verdicts: {counts[Verdict.HOLDS]} hold, {counts[Verdict.REFUTED]} refuted, "
            f"{counts[Verdict.INCONCLUSIVE]} inconclusive{f' ({why})' if why else ''}, {counts[Verdict.ERROR]} error, "
            f"{counts[Verdict.NOT_MEASURED]} not measured; controls: "
            f"{sum(r['verdict'] == Verdict.REFUTED for r in ctrl)}/{len(ctrl)} refuted, {held} held; positive controls: "
            f"{sum(r['verdict'] == Verdict.HOLDS for r in pos)}/{len(pos)} held; "
            f"{reg} regression(s) against the baselines")

"""The headline: each claim's verdict from its rows, decided in one place (beside ``decide``, which decides a
case from its samples).

Per claim, the headline is its **primary** cases' verdict: per configuration the worst primary verdict
(error > refuted > inconclusive > holds), over configurations the worst again (the aggregation declared in
claims/RULES.md), made *inconclusive* when the primaries hold but a negative control of the claim holds too
(the measurement does not discriminate). A claim with no primary row at this tier is ``not-measured``.
Variants are counted as "k of n agree with the primary verdict of their configuration"; controls as "k of n
refuted", naming those that held or were inconclusive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..types import Role, Verdict
from .claims import CLAIMS

SEVERITY = (Verdict.ERROR, Verdict.REFUTED, Verdict.INCONCLUSIVE, Verdict.HOLDS)


def worst(verdicts) -> Verdict:
    """The most severe verdict among ``verdicts`` (``not-measured`` for none)."""
    vs = set(verdicts)
    for v in SEVERITY:
        if v in vs:
            return v
    return Verdict.NOT_MEASURED


@dataclass
class ClaimOutcome:
    """One claim's headline: its verdict, why it differs from the primaries' (``note``), and what it rests on."""

    verdict: Verdict
    note: str
    statement: str
    section: str
    primary: list = field(default_factory=list)  # case ids
    per_configuration: dict = field(default_factory=dict)  # configuration -> worst primary verdict
    variants: dict = field(default_factory=dict)  # {"agree": k, "total": n}
    controls: dict = field(default_factory=dict)  # {"refuted", "total", "held", "inconclusive"}
    ci: list | None = None  # the single primary case's interval, when there is one

    def as_dict(self) -> dict:
        return asdict(self)


def decide_claim(claim_id: str, rows: list[dict]) -> ClaimOutcome:
    """The headline of ``claim_id`` from the ledger rows of this run (rows of other claims are ignored)."""
    claim = CLAIMS[claim_id]
    mine = [r for r in rows if r["claim"] == claim_id]
    prim = [r for r in mine if r.get("role") == Role.PRIMARY]
    per_conf: dict = {}
    for r in prim:
        per_conf.setdefault(r["configuration"], []).append(r["verdict"])
    per_conf = {k: worst(v) for k, v in sorted(per_conf.items())}
    verdict = worst(per_conf.values()) if prim else Verdict.NOT_MEASURED
    variants = [r for r in mine if r.get("role") == Role.VARIANT]
    agree = sum(r["verdict"] == per_conf.get(r["configuration"], verdict) for r in variants)
    ctrl = [r for r in mine if r.get("role") == Role.CONTROL]
    held = [r["id"] for r in ctrl if r["verdict"] == Verdict.HOLDS]
    note = ""
    if verdict == Verdict.HOLDS and held:
        verdict = Verdict.INCONCLUSIVE
        note = (f"the primary cases hold, but the control {', '.join(held)} holds too: the measurement does not "
                f"discriminate (claims/RULES.md)")
    cis = [r.get("ci") for r in prim if r.get("ci")]
    return ClaimOutcome(verdict=verdict, note=note, statement=claim.statement, section=claim.section,
                        primary=[r["id"] for r in prim], per_configuration=per_conf,
                        variants={"agree": agree, "total": len(variants)},
                        controls={"refuted": sum(r["verdict"] == Verdict.REFUTED for r in ctrl), "total": len(ctrl),
                                  "held": held,
                                  "inconclusive": [r["id"] for r in ctrl if r["verdict"] == Verdict.INCONCLUSIVE]},
                        ci=cis[0] if len(cis) == 1 else None)


def decide_claims(rows: list[dict]) -> dict[str, ClaimOutcome]:
    """Every declared claim's headline, in declaration order."""
    return {cid: decide_claim(cid, rows) for cid in CLAIMS}


def summary_line(claims: dict[str, ClaimOutcome], rows: list[dict]) -> str:
    """One line: claims by headline verdict; controls; regressions against the baselines."""
    counts = {v: 0 for v in (*SEVERITY, Verdict.NOT_MEASURED)}
    for c in claims.values():
        counts[c.verdict] += 1
    ctrl = [r for r in rows if r.get("role") == Role.CONTROL]
    held = sum(r["verdict"] == Verdict.HOLDS for r in ctrl)
    reg = sum(bool(r.get("regression")) for r in rows)
    return (f"primary verdicts: {counts[Verdict.HOLDS]} hold, {counts[Verdict.REFUTED]} refuted, "
            f"{counts[Verdict.INCONCLUSIVE]} inconclusive, {counts[Verdict.ERROR]} error, "
            f"{counts[Verdict.NOT_MEASURED]} not measured; controls: "
            f"{sum(r['verdict'] == Verdict.REFUTED for r in ctrl)}/{len(ctrl)} refuted, {held} held (measurement does "
            f"not discriminate); {reg} regression(s) against the baselines")

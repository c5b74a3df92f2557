"""Every declared case, grouped by what it measures (each module mirrors the protocols module it points at):

- ``toy_landscape``: C1, C2, C17 -- the toy model itself;
- ``tunnels``: C4, C5, C6, C7 -- lines and tunnels between optima;
- ``short_direction_counts``: C3, C8, C10, C15 -- curvature counts;
- ``m_connectors``: C9; ``isotropy``: C11; ``radial``: C12, C13; ``width``: C14; ``swa``: C16;
- ``asymmetry``: A1-A6.

``CASES`` is their concatenation (explicit: nothing registers itself); ``validate`` checks it once at import:
unique names per claim; a claim's primary cases measure its scope (networks, or the toy model) and its
replications the other setting; every kind of configuration a claim runs on has a primary or a replication,
all of them sharing one definition (the paper's); every matched control named exists as a control of the claim.
"""

from __future__ import annotations

from ...types import Role, Scope
from ..case import Case
from ..claims import CLAIMS
from . import asymmetry, isotropy, m_connectors, radial, short_direction_counts, swa, toy_landscape, tunnels, width

CASES: tuple[Case, ...] = (*toy_landscape.CASES, *tunnels.CASES, *short_direction_counts.CASES, *m_connectors.CASES,
                           *isotropy.CASES, *radial.CASES, *width.CASES, *swa.CASES, *asymmetry.CASES)
CONTROL_CONFIGURATIONS = ("softmax-digits",)  # configurations that only controls and variants run on


def validate(cases=CASES) -> None:
    """Unique names per claim; every measured claim has primary cases, and all of a claim's primary
    cases on one kind of configuration share one definition (the paper's)."""
    seen = set()
    for c in cases:
        key = (c.claim, c.name)
        if key in seen:
            raise ValueError(f"duplicate case {c.claim}/{c.name}")
        seen.add(key)
    for cid in {c.claim for c in cases}:
        scope = CLAIMS[cid].scope
        controls = {c.name for c in cases if c.claim == cid and c.role == Role.CONTROL}
        positives = {c.name for c in cases if c.claim == cid and c.role == Role.POSITIVE}
        for c in cases:
            if c.claim != cid:
                continue
            in_scope = (c.on == "toy") == (scope == Scope.TOY)
            if c.role == Role.PRIMARY and not in_scope:
                raise ValueError(f"case {cid}/{c.name}: a primary measures the claim's scope ({scope}); "
                                 f"on {c.on!r} it is a replication")
            if c.role == Role.REPLICATION and in_scope:
                raise ValueError(f"case {cid}/{c.name}: a replication measures the other setting than the scope {scope}")
            missing = [n for n in c.controls if n not in controls]
            if missing:
                raise ValueError(f"case {cid}/{c.name}: matched controls {missing} are not controls of {cid}")
            missing = [n for n in c.positives if n not in positives]
            if missing:
                raise ValueError(f"case {cid}/{c.name}: matched positives {missing} are not positive controls of {cid}")
        mine = [c for c in cases if c.claim == cid and c.role not in (Role.CONTROL, Role.POSITIVE)]
        for on in {c.on for c in mine}:
            prim = [c for c in mine if c.on == on and c.role in (Role.PRIMARY, Role.REPLICATION)]
            if not prim and on not in CONTROL_CONFIGURATIONS:
                raise ValueError(f"claim {cid} on {on!r} has no primary case")
            defs = {tuple(sorted(c.definition.items())) for c in prim}
            if len(defs) > 1:
                raise ValueError(f"claim {cid} on {on!r}: primary cases differ in definition: {defs}")


validate()


def for_claim(claim_id: str) -> list[Case]:
    return [c for c in CASES if c.claim == claim_id]


def get(claim_id: str, name: str) -> Case:
    for c in CASES:
        if c.claim == claim_id and c.name == name:
            return c
    raise ValueError(f"no case {claim_id}/{name}; cases of {claim_id}: {[c.name for c in for_claim(claim_id)]}")

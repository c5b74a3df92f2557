"""Cases of m-connectors: C9 (low-loss m-connectors between m + 1 optima, m up to 10) on the tier's networks."""

from __future__ import annotations

from ...protocols import m_connectors as mc
from ...types import Check, Role
from ..case import Case, Sweep
from .samples import TUPLES

PRIMARY, CONTROL = Role.PRIMARY, Role.CONTROL
C9_LOW_LOSS = Sweep("'low loss' (x the optima's mean loss)", (2.0, 5.0, 10.0, 20.0),
                    "the paper never quantifies 'low loss': from within 2x of the optima (strict) to 20x (loose)",
                    metric="connector_ratio")
CHANCE_TWIN = Check("connector_max_over_chance", "<=", 0.1,
                    "'low loss' in absolute terms: the whole connector below a tenth of the chance-level loss "
                    "ln(classes) (a ratio to endpoints near zero loss inflates with the 1e-3 training target)")


def _declare() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    for m, tuples in TUPLES.items():
        add(Case("C9", f"m{m}-star", mc.net_m_connector, on="net", params={"m": m},
                 definition={"nodes": "budget", "points": "star"}, samples=tuples, role=PRIMARY,
                 controls=("control-unoptimized-m2",) if m == 2 else (), sweeps=(C9_LOW_LOSS,)))
        add(Case("C9", f"m{m}-star-chance-level", mc.net_m_connector, on="net", params={"m": m},
                 definition={"nodes": "budget", "points": "star"}, samples=tuples, checks=(CHANCE_TWIN,)))
    for m in range(5, 11):  # §4.3 "up to m = 10": one tuple of the 12 optima each, at the GPU tiers
        add(Case("C9", f"m{m}-star", mc.net_m_connector, on="net", params={"m": m},
                 definition={"nodes": "budget", "points": "star"}, samples=(tuple(range(m + 1)),), role=PRIMARY,
                 tiers=("full", "paper")))
    add(Case("C9", "m2-centroid", mc.net_m_connector, on="net", params={"m": 2},
             definition={"nodes": "budget", "points": "centroid"}, samples=TUPLES[2]))
    add(Case("C9", "m2-star-loss-matched", mc.net_m_connector, on="net", params={"m": 2},
             definition={"nodes": "loss-matched", "points": "star"}, samples=TUPLES[2]))
    add(Case("C9", "control-unoptimized-m2", mc.net_m_connector, on="net", params={"m": 2, "steps": 0},
             definition={"nodes": "budget", "points": "star"}, samples=TUPLES[2], role=CONTROL,
             checks=(Check("connector_ratio", "<=", 5.0, "as the claim: 'low loss' within 5x of the optima"),),
             holds_if="the un-optimized star (centroid and midpoints) were already within 5x of the optima's loss"))
    return cs


CASES: tuple[Case, ...] = tuple(_declare())

"""Cases of m-connectors: C9 (low-loss m-connectors between m + 1 optima, m up to 10) on the tier's networks."""

from __future__ import annotations

from ...protocols import m_connectors as mc
from ...types import Check, Role
from ..case import Case
from .samples import TUPLES

PRIMARY, CONTROL = Role.PRIMARY, Role.CONTROL


def _declare() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    for m, tuples in TUPLES.items():
        add(Case("C9", f"m{m}-star", mc.net_m_connector, on="net", params={"m": m},
                 definition={"nodes": "budget", "points": "star"}, samples=tuples, role=PRIMARY))
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

"""Cases of the radial structure of optima: C12 (radial motion at first) and C13 (orthogonal optima) on the
tier's networks."""

from __future__ import annotations

from ...protocols import radial as rd
from ...types import Role
from ..case import Case
from ..decide import MEAN95
from .samples import GROUPS4, SEEDS6

PRIMARY, CONTROL = Role.PRIMARY, Role.CONTROL


def _declare() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    # C12 ------------------------------------------------------------------------------------------
    add(Case("C12", "norm-change-first10", rd.net_radial_motion, on="net",
             definition={"definition": "norm-change", "fraction": 0.1}, samples=SEEDS6, role=PRIMARY,
             statistic=MEAN95, controls=("control-softmax",)))
    add(Case("C12", "cos-to-w-first10", rd.net_radial_motion, on="net",
             definition={"definition": "cos-to-w", "fraction": 0.1}, samples=SEEDS6, statistic=MEAN95))
    add(Case("C12", "norm-change-end", rd.net_radial_motion, on="net",
             definition={"definition": "norm-change", "fraction": 1.0}, samples=SEEDS6, statistic=MEAN95))
    add(Case("C12", "control-softmax", rd.net_radial_motion, on="softmax-digits",
             definition={"definition": "norm-change", "fraction": 0.1}, samples=SEEDS6, role=CONTROL,
             statistic=MEAN95,
             holds_if="the convex model's early displacement were more radial than a random one of equal length"))
    # C13 ------------------------------------------------------------------------------------------
    add(Case("C13", "optima", rd.net_optima_cosines, on="net", samples=GROUPS4, role=PRIMARY,
             controls=("control-same-basin", "control-softmax")))
    add(Case("C13", "control-same-basin", rd.net_one_run_cosine, on="net", samples=(0, 2, 4), role=CONTROL,
             holds_if="an optimum and its re-descended neighbour were near-orthogonal"))
    add(Case("C13", "control-softmax", rd.net_optima_cosines, on="softmax-digits", samples=GROUPS4, role=CONTROL,
             holds_if="the convex model's optima from independent inits were near-orthogonal"))
    return cs


CASES: tuple[Case, ...] = tuple(_declare())

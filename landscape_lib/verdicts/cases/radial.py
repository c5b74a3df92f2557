"""Cases of the radial structure of optima: C12 (radial motion at first) and C13 (orthogonal optima) on the
tier's networks, and their positive controls (the primaries' metric, checks, statistic and samples on planted
models)."""

from __future__ import annotations

from ...protocols import radial as rd
from ...types import Role
from ..case import Case
from ..decide import MEAN95
from .samples import GROUPS4, SEEDS6

PRIMARY, CONTROL, POSITIVE = Role.PRIMARY, Role.CONTROL, Role.POSITIVE


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
    add(Case("C12", "positive-half-radial", rd.toy_radial_motion, params={"D": 1000, "angle_deg": 45.0, "lr": 1.0},
             definition={"definition": "norm-change", "fraction": 0.1}, samples=SEEDS6, role=POSITIVE,
             statistic=MEAN95,
             planted=("a homogeneous logistic margin softplus(-<P, t>) in D = 1000 whose every update is along t, at "
                      "45 degrees from the init's direction: radial and tangential parts equal, the boundary of "
                      "'primarily radially' (the paper gives no size); trained by GD at lr 1 to loss 1e-3 as the "
                      "tier's optima, read at 10% of the run as the primary")))
    # C13 ------------------------------------------------------------------------------------------
    add(Case("C13", "optima", rd.net_optima_cosines, on="net", samples=GROUPS4, role=PRIMARY,
             controls=("control-same-basin", "control-softmax")))
    add(Case("C13", "control-same-basin", rd.net_one_run_cosine, on="net", samples=(0, 2, 4), role=CONTROL,
             holds_if="an optimum and its re-descended neighbour were near-orthogonal"))
    add(Case("C13", "control-softmax", rd.net_optima_cosines, on="softmax-digits", samples=GROUPS4, role=CONTROL,
             holds_if="the convex model's optima from independent inits were near-orthogonal"))
    add(Case("C13", "positive-wedge-cone", rd.toy_optima_cosines, params={"D": 1000, "n": 900, "lr": 1.0},
             samples=GROUPS4, role=POSITIVE,
             planted=("independent runs on the toy n-wedge cone (D = 1000, n = 900, the larger declared toy shape, "
                      "nearest the MLP's D = 2410) with an outward pull equal to the pull to the nearest wedge, "
                      "trained to loss 1e-3: each moves out along the wedge nearest its own N(0, I/D) init, so the "
                      "tunnels are orthogonal only as independent directions in D = 1000 are (|cos| ~ 0.03; the paper "
                      "gives no size)")))
    return cs


CASES: tuple[Case, ...] = tuple(_declare())

"""Cases of short-direction counts: C3 (the count at an optimum against its intrinsic dimension), C8 (a peak
mid-tunnel), C10 (growth with m at m-connectors' middles), C15 (fewer at a higher learning rate), on the toy
model and on the tier's networks. The counting threshold is defined once, in ``geometry.short_directions``."""

from __future__ import annotations

from ...geometry.short_directions import DECLARED_FRACTION
from ...protocols import short_direction_counts as sd
from ...types import Role
from ..case import Case, Sweep
from ..decide import MEAN95
from .samples import D100, D1000, PAIRS3, PAIRS6, SAME_BASIN, SAME_BASIN_HOLDS_IF, SEEDS5, TOY_SAME_BASIN, TUPLES

PRIMARY, REPLICATION, CONTROL, VARIANT = Role.PRIMARY, Role.REPLICATION, Role.CONTROL, Role.VARIANT
C3_FRACTIONS = (DECLARED_FRACTION, 0.05, 0.01)  # the declared fraction, then the sensitivity variants
C3_SWEEP = Sweep("short-direction threshold (x the optimum's top Hessian eigenvalue)", (0.01, 0.05, DECLARED_FRACTION),
                 "the paper never says which eigenvalues are 'short': from a hundredth to a tenth of the top one",
                 param="fraction")
HESSIAN_CANNOT_HOLD = ("the squared toy loss's Hessian count is D - n at every point of a path by construction "
                       "(claims/RULES.md T9): it cannot show the effect, so it is a variant, not the replication")


def _toy() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    # C8 -------------------------------------------------------------------------------------------
    for path in ("paper", "intersection"):
        for count in ("hessian", "pinned"):
            replication = (path, count) == ("paper", "pinned")
            add(Case("C8", f"{path}-{count}-D100", sd.toy_tunnel_counts, params=D100,
                     definition={"path": path, "count": count},
                     samples=SEEDS5 if replication or (path, count) == ("paper", "hessian") else (0, 1),
                     role=REPLICATION if replication else VARIANT,
                     controls=("control-same-basin-pinned",) if replication else (),
                     note=HESSIAN_CANNOT_HOLD if count == "hessian" else ""))
        add(Case("C8", f"{path}-pinned-D1000", sd.toy_tunnel_counts, params=D1000,
                 definition={"path": path, "count": "pinned"}))
    add(Case("C8", "control-same-basin-pinned", sd.toy_tunnel_counts, params={**D100, "pair": "same-basin"},
             definition={"path": "paper", "count": "pinned"}, samples=(0, 1, 2), role=CONTROL,
             holds_if=TOY_SAME_BASIN + " and the tunnel between them had more pinned directions in its middle"))
    add(Case("C8", "control-smooth-hessian", sd.toy_tunnel_counts, params={**D100, "landscape": "cosine"},
             definition={"path": "paper", "count": "hessian"}, samples=(0, 1, 2), role=CONTROL,
             holds_if=("the tunnel between two minima of a smooth landscape without wedges (sum of random cosines) "
                       "had more Hessian directions above the threshold in its middle")))
    # C10 ------------------------------------------------------------------------------------------
    for construction in ("paper", "intersection"):
        for count in ("hessian", "pinned"):
            replication = (construction, count) == ("paper", "pinned")
            add(Case("C10", f"{construction}-{count}-D100", sd.toy_connector_counts, params=D100,
                     definition={"construction": construction, "count": count},
                     samples=SEEDS5 if replication or (construction, count) == ("paper", "hessian") else (0, 1),
                     role=REPLICATION if replication else VARIANT,
                     controls=("control-same-basin-pinned",) if replication else (),
                     note=HESSIAN_CANNOT_HOLD if count == "hessian" else ""))
        add(Case("C10", f"{construction}-pinned-D1000", sd.toy_connector_counts, params=D1000,
                 definition={"construction": construction, "count": "pinned"}))
    add(Case("C10", "control-same-basin-pinned", sd.toy_connector_counts, params={**D100, "pair": "same-basin"},
             definition={"construction": "paper", "count": "pinned"}, samples=(0, 1, 2), role=CONTROL,
             holds_if=("the m-connectors between an optimum and m re-descents of 1% moves from it had a pinned count "
                       "growing with m (as they would if the moves had crossed into other wedges)")))
    add(Case("C10", "control-smooth-hessian", sd.toy_connector_counts, params={**D100, "landscape": "cosine"},
             definition={"construction": "paper", "count": "hessian"}, samples=(0, 1, 2), role=CONTROL,
             holds_if=("the m-connectors between minima of a smooth landscape without wedges (sum of random cosines) "
                       "had a Hessian count growing with m")))
    return cs


def _net() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    # C3 -------------------------------------------------------------------------------------------
    for fr in C3_FRACTIONS:
        primary = fr == DECLARED_FRACTION
        add(Case("C3", f"threshold{fr:g}", sd.net_d90_vs_count, on="net", definition={"fraction": fr},
                 samples=(0, 1, 2, 3), role=PRIMARY if primary else VARIANT, statistic=MEAN95,
                 controls=("control-softmax",) if primary else (), sweeps=(C3_SWEEP,) if primary else ()))
    add(Case("C3", "control-softmax", sd.net_d90_vs_count, on="softmax-digits",
             definition={"fraction": DECLARED_FRACTION}, samples=(0, 1, 2, 3), role=CONTROL, statistic=MEAN95,
             holds_if="the convex model's d90 and short-direction count agreed within 2x"))
    # C8 -------------------------------------------------------------------------------------------
    add(Case("C8", "budget", sd.net_tunnel_counts, on="net", definition={"nodes": "budget"}, samples=PAIRS6,
             role=PRIMARY, statistic=MEAN95, controls=("control-same-basin",)))
    add(Case("C8", "loss-matched", sd.net_tunnel_counts, on="net", definition={"nodes": "loss-matched"},
             samples=PAIRS3, statistic=MEAN95))
    add(Case("C8", "control-same-basin", sd.net_tunnel_counts, on="net", definition={"nodes": "budget"},
             samples=SAME_BASIN, role=CONTROL, statistic=MEAN95, holds_if=SAME_BASIN_HOLDS_IF))
    # C10 ------------------------------------------------------------------------------------------
    add(Case("C10", "loss-matched", sd.net_connector_counts, on="net", definition={"nodes": "loss-matched"},
             samples=TUPLES[3], role=PRIMARY, statistic=MEAN95, controls=("control-same-basin",)))
    add(Case("C10", "budget", sd.net_connector_counts, on="net", definition={"nodes": "budget"},
             samples=(TUPLES[4][0],)))
    add(Case("C10", "control-same-basin", sd.net_connector_counts, on="net", params={"same_basin": True},
             definition={"nodes": "loss-matched"}, samples=TUPLES[3], role=CONTROL, statistic=MEAN95,
             holds_if="connectors between an optimum and three same-basin neighbours had a count growing with m"))
    # C15 ------------------------------------------------------------------------------------------
    for threshold in ("shared", "own"):
        add(Case("C15", threshold, sd.net_lr_counts, on="net", definition={"threshold": threshold},
                 samples=(0, 1, 2, 3), role=PRIMARY if threshold == "shared" else VARIANT, statistic=MEAN95,
                 controls=("control-softmax",) if threshold == "shared" else ()))
    add(Case("C15", "control-softmax", sd.net_lr_counts, on="softmax-digits", definition={"threshold": "shared"},
             samples=(0, 1, 2, 3), role=CONTROL, statistic=MEAN95,
             holds_if="the convex model also had fewer short directions at the higher learning rate (then the "
                      "measurement does not discriminate and C15 is inconclusive)"))
    return cs


CASES: tuple[Case, ...] = tuple(_toy() + _net())

"""Cases of lines and tunnels between optima: C4 (a wall on the straight line), C5 (a low-loss tunnel), C6 (its
deviations in two halves), C7 (labels switch mid-tunnel), on the toy model and on the tier's networks, and their
positive controls (the primaries' checks, statistic and six samples, on constructs where the effect is planted)."""

from __future__ import annotations

from ...protocols import tunnels as tn
from ...types import Check, Role
from ..case import Case, Sweep
from ..decide import MEAN95
from .samples import D100, D1000, PAIRS3, PAIRS6, SAME_BASIN, SAME_BASIN_HOLDS_IF, SEEDS5, SEEDS6, TOY_SAME_BASIN

PRIMARY, REPLICATION, CONTROL, POSITIVE = Role.PRIMARY, Role.REPLICATION, Role.CONTROL, Role.POSITIVE
CHANCE = ("a tenth of the chance-level loss ln(classes): an absolute twin of the ratio to endpoints near zero loss, "
          "which alone inflates or deflates with the endpoints' 1e-3 training target")
C6_RADIAL = Sweep("the deviations' radial component", ("in", "out"),
                  "the paper's deviations include the radial bulge every node shares; its 'two halves' are about the "
                  "directions off the line: measured with the radial part and without it", param="radial")


def _toy() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    # C4 -------------------------------------------------------------------------------------------
    for shape in (D100, D1000):
        add(Case("C4", f"line-D{shape['D']}", tn.toy_tunnel, params={**shape, "path": "straight"}, samples=SEEDS5,
                 role=REPLICATION, controls=(f"control-same-basin-D{shape['D']}",)))
        add(Case("C4", f"control-same-basin-D{shape['D']}", tn.toy_tunnel,
                 params={**shape, "path": "straight", "pair": "same-basin"}, samples=SEEDS5, role=CONTROL,
                 holds_if=TOY_SAME_BASIN + " and the line between them rose 10x above its ends"))
    # C5, C6 ---------------------------------------------------------------------------------------
    # C5 primary: §3.3's single-midpoint tunnel (T6); C6 primary: the k = 10 tunnel (T7)
    for shape in (D100, D1000):
        D = shape["D"]
        add(Case("C5", f"midpoint-D{D}", tn.toy_tunnel, params=shape, definition={"path": "midpoint"},
                 samples=SEEDS5, role=REPLICATION, controls=(f"control-same-basin-D{D}",)))
        add(Case("C5", f"nodes10-D{D}", tn.toy_tunnel, params=shape, definition={"path": "paper"}, samples=SEEDS5))
        add(Case("C6", f"nodes10-D{D}", tn.toy_tunnel, params=shape, definition={"path": "paper"}, samples=SEEDS5,
                 role=REPLICATION, statistic=MEAN95,
                 controls=("control-same-basin-D100", "control-random-vectors") if D == 100 else
                 ("control-random-vectors",)))
        for claim in ("C5", "C6"):
            add(Case(claim, f"intersection-D{D}", tn.toy_tunnel, params=shape, definition={"path": "intersection"},
                     samples=(0, 1)))
        add(Case("C5", f"control-same-basin-D{D}", tn.toy_tunnel, params={**shape, "pair": "same-basin"},
                 definition={"path": "midpoint"}, samples=(0, 1, 2), role=CONTROL,
                 holds_if=TOY_SAME_BASIN + " and the midpoint tunnel between them were low (<= 5x the ends) and "
                                           "<= 0.1x the line's maximum (there must be a wall to lower)"))
    add(Case("C6", "control-same-basin-D100", tn.toy_tunnel, params={**D100, "pair": "same-basin"},
             definition={"path": "paper"}, samples=(0, 1, 2), role=CONTROL, statistic=MEAN95,
             holds_if=TOY_SAME_BASIN + " and the k = 10 tunnel's deviations formed aligned, mutually orthogonal halves"))
    add(Case("C6", "control-random-vectors", tn.random_halves, role=CONTROL, samples=SEEDS5,
             holds_if="9 independent Gaussian vectors in D = 1000 formed two aligned halves"))
    return cs


WALL_OVER_CHANCE = ("the wall (max on the line - the ends' mean, in nats) is at least a tenth of the chance-level "
                    "loss ln(classes): a ratio to endpoints near zero loss says little alone")


def _net() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    # C4 -------------------------------------------------------------------------------------------
    add(Case("C4", "line", tn.net_line, on="net", samples=PAIRS6, role=PRIMARY, statistic=MEAN95,
             controls=("control-same-basin",), twin="line-chance-level"))
    add(Case("C4", "line-chance-level", tn.net_line, on="net", samples=PAIRS6, statistic=MEAN95,
             checks=(Check("wall_over_chance", ">=", 0.1, WALL_OVER_CHANCE),)))
    add(Case("C4", "control-same-basin", tn.net_line, on="net", samples=SAME_BASIN, role=CONTROL, statistic=MEAN95,
             holds_if=SAME_BASIN_HOLDS_IF, twin="control-same-basin-chance-level"))
    add(Case("C4", "control-same-basin-chance-level", tn.net_line, on="net", samples=SAME_BASIN, statistic=MEAN95,
             tiers=("full", "paper"), checks=(Check("wall_over_chance", ">=", 0.1, WALL_OVER_CHANCE),)))
    # C5, C6 ---------------------------------------------------------------------------------------
    for claim in ("C5", "C6"):
        hand = "positive-intersection-D100" if claim == "C5" else "positive-wedges-D100"
        add(Case(claim, "budget", tn.net_tunnel, on="net", definition={"nodes": "budget"}, samples=PAIRS6,
                 role=PRIMARY, statistic=MEAN95, controls=("control-same-basin",),
                 twin="budget-chance-level" if claim == "C5" else "",
                 sweeps=(C6_RADIAL,) if claim == "C6" else (), positives=(hand, "positive-primary-tunnel-D100")))
        add(Case(claim, "loss-matched", tn.net_tunnel, on="net", definition={"nodes": "loss-matched"},
                 samples=PAIRS3, statistic=MEAN95))
        add(Case(claim, "control-same-basin", tn.net_tunnel, on="net", definition={"nodes": "budget"},
                 samples=SAME_BASIN, role=CONTROL, statistic=MEAN95, holds_if=SAME_BASIN_HOLDS_IF))
    add(Case("C5", "budget-refined", tn.net_tunnel, on="net", params={"refined": True},
             definition={"nodes": "budget"}, samples=PAIRS3, statistic=MEAN95))
    add(Case("C5", "budget-chance-level", tn.net_tunnel, on="net", definition={"nodes": "budget"}, samples=PAIRS6,
             statistic=MEAN95, checks=(Check("tunnel_max_over_chance", "<=", 0.1, "'low-loss': the whole tunnel below "
                                             + CHANCE),)))
    # C7 -------------------------------------------------------------------------------------------
    for inputs in ("test", "noised", "gaussian"):
        add(Case("C7", inputs, tn.net_label_switch, on="net", definition={"inputs": inputs},
                 samples=PAIRS6 if inputs == "test" else PAIRS3, role=PRIMARY if inputs == "test" else Role.VARIANT,
                 statistic=MEAN95, controls=("control-same-basin",) if inputs == "test" else ()))
    add(Case("C7", "control-same-basin", tn.net_label_switch, on="net", definition={"inputs": "gaussian"},
             samples=SAME_BASIN, role=CONTROL, statistic=MEAN95,
             holds_if="labels on the tunnel between an optimum and its neighbour switched in the claimed shape"))
    return cs


TOY_PAIR = ("two independent toy optima of the D = 100, n = 80 wedge landscape (N(0, 1) inits descended by gradient "
            "flow to 1e-3 of their starting loss, the level every toy optimum uses), on different wedges")


def _positive() -> list[Case]:
    """Positive controls, at the network primaries' sample size (six: PAIRS6) and statistic (MEAN95)."""
    return [
        Case("C4", "positive-line-D100", tn.toy_tunnel, params={**D100, "path": "straight"}, samples=SEEDS6,
             role=POSITIVE, statistic=MEAN95,
             planted=TOY_PAIR + ": the wall is the toy's own (the line leaves both wedges, rising to ~0.6 = the "
                     "distance to the nearest wedge, ~1e3 x the ends), at the size the toy produces; Fig 1 shows the "
                     "wall with no scale"),
        Case("C5", "positive-intersection-D100", tn.toy_tunnel, params=D100, definition={"path": "intersection"},
             samples=SEEDS6, role=POSITIVE, statistic=MEAN95,
             planted=TOY_PAIR + ": the tunnel A -> X -> B through X on both wedges (Fig 1's dashed line: 'a low-loss "
                     "connection ... is provided by the wedges' intersections'), at zero loss on the pieces up to "
                     "the optima's own residuals: the size the toy produces"),
        Case("C6", "positive-wedges-D100", tn.toy_tunnel, params=D100, definition={"path": "wedges"},
             samples=SEEDS6, role=POSITIVE, statistic=MEAN95,
             planted=TOY_PAIR + ": the k = 10 tunnel whose nodes, each on its §4.2 hyperplane, sit on A's wedge "
                     "before t = 1/2, on the intersection at 1/2 and on B's wedge after (§3.1: 'aligned until we "
                     "reach the wedge intersection, and change orientation after that'); deviations of ~0.2 |B - A| "
                     "(deviation_size: the size the toy's wedges give; Fig 3 shows cosines only), first-half ones "
                     "along -B on B's own axes, second-half ones along -A on A's own axes, sharing only the "
                     "hyperplane's component along B - A (across ~0.1); noise: the optima's residual distance to "
                     "their wedges, as the toy produces it"),
        *[Case(claim, "positive-primary-tunnel-D100", tn.toy_tunnel, params=D100, definition={"path": "paper"},
               samples=SEEDS6, role=POSITIVE, statistic=MEAN95,
               planted=TOY_PAIR + ": the same wedges as the hand-built positive (their intersection gives a low-loss "
                       "path whose deviations form two halves, by construction), but the tunnel built end to end by "
                       "the primary's own §4.2 algorithm (k = 10 nodes, each optimized on its hyperplane) -- the "
                       "measurement as a whole, path builder included")
          for claim in ("C5", "C6")],
        Case("C7", "positive-linear-classifiers", tn.planted_label_switch, on="net", definition={"inputs": "test"},
             samples=SEEDS6, role=POSITIVE, statistic=MEAN95,
             planted="two linear classifiers on the configuration's own test inputs (the primary's probe inputs), "
                     "planted to disagree on exactly 20 of them (twice the 10 below which nothing is measured), "
                     "and the path A -> M -> B with M at t = 1/2 computing B's function: labels switch over the "
                     "first half where the straight line's do over the whole, near-uniformly, and stay B's after: "
                     "Fig 3 right's shape min(2t, 1) ('change linearly up to the middle, and stay constant from "
                     "them on'), with the sampling noise of 20 disagreeing inputs"),
    ]


CASES: tuple[Case, ...] = tuple(_toy() + _net() + _positive())

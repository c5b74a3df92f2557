"""Cases of short-direction counts: C3 (the count at an optimum against its intrinsic dimension), C8 (a peak
mid-tunnel), C10 (growth with m at m-connectors' middles), C15 (fewer at a higher learning rate), on the toy
model and on the tier's networks, and their positive controls: the network primaries' own count (Hessian
eigenvalues above ``DECLARED_FRACTION`` x the top one, by Lanczos), decided by the same rule on the same
number of samples, on planted landscapes whose count is known by construction. The counting threshold is
defined once, in ``geometry.short_directions``."""

from __future__ import annotations

from ...geometry.short_directions import DECLARED_FRACTION
from ...protocols import short_direction_counts as sd
from ...types import Role
from ..case import Case, Sweep
from ..decide import MEAN95
from .samples import (D100, D1000, PAIRS3, PAIRS6, SAME_BASIN, SAME_BASIN_HOLDS_IF, SEEDS5, SEEDS6, TOY_SAME_BASIN,
                      TUPLES)

PRIMARY, REPLICATION, CONTROL, VARIANT, POSITIVE = (Role.PRIMARY, Role.REPLICATION, Role.CONTROL, Role.VARIANT,
                                                   Role.POSITIVE)
C3_FRACTIONS = (DECLARED_FRACTION, 0.05, 0.01)  # the declared fraction, then the sensitivity variants
C3_SWEEP = Sweep("short-direction threshold (x the optimum's top Hessian eigenvalue)", (0.01, 0.05, DECLARED_FRACTION),
                 "the paper never says which eigenvalues are 'short': from a hundredth to a tenth of the top one",
                 param="fraction")
# the network primaries' positive controls: the count on a path built by hand through the planted intersection,
# and the primary's whole protocol (its own path builder, then the count) on the same planted wedges
C8_POSITIVES = ("positive-planted-intersection", "positive-planted-primary-tunnel")
C10_POSITIVES = ("positive-planted-intersections", "positive-planted-primary-connectors")
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
             role=PRIMARY, statistic=MEAN95, controls=("control-same-basin",), positives=C8_POSITIVES))
    add(Case("C8", "loss-matched", sd.net_tunnel_counts, on="net", definition={"nodes": "loss-matched"},
             samples=PAIRS3, statistic=MEAN95))
    add(Case("C8", "control-same-basin", sd.net_tunnel_counts, on="net", definition={"nodes": "budget"},
             samples=SAME_BASIN, role=CONTROL, statistic=MEAN95, holds_if=SAME_BASIN_HOLDS_IF))
    # C10 ------------------------------------------------------------------------------------------
    add(Case("C10", "loss-matched", sd.net_connector_counts, on="net", definition={"nodes": "loss-matched"},
             samples=TUPLES[3], role=PRIMARY, statistic=MEAN95, controls=("control-same-basin",),
             positives=C10_POSITIVES))
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


def _positive() -> list[Case]:
    """Positive controls: each network primary's protocol functions and count, its checks, statistic and number
    of samples (C3 4, C8 6 as PAIRS6, C10 3 as TUPLES[3], C15 4; here seeds of the planted landscape), on a
    planted landscape of the toy's D100 shape (D = 100, s = 20 short directions). C8 and C10 have two each on
    the same planted wedges: the path built by hand through the planted intersections (can the count see
    it?), and the path built by the primary's own algorithm (can the whole measurement see it?)."""
    shape = {"D": sd.PLANTED_D, "s": sd.PLANTED_S}
    return [
        Case("C3", "positive-planted-quadratic", sd.planted_d90_vs_count, params={"D": sd.PLANTED_D, "k": sd.PLANTED_S},
             definition={"fraction": DECLARED_FRACTION}, samples=(0, 1, 2, 3), role=POSITIVE, statistic=MEAN95,
             planted=("a quadratic with k = 20 stiff Hessian eigenvalues (log-uniform on [0.5, 1]) and 80 exactly flat "
                      "ones in D = 100 (the toy's D100 wedge at an optimum: s = D - n = 20 short directions, §3.3: "
                      "d_lim = D - n), so the count is 20 and d90 (here: 90% of the initial loss removed) is ~20 by "
                      "construction; accuracy = 1 - L / L(init)")),
        Case("C8", "positive-planted-intersection", sd.planted_tunnel_counts, params=shape, samples=SEEDS6,
             role=POSITIVE, statistic=MEAN95,
             planted=("a path A -> X -> B between optima of two smooth wedges (soft minimum, width 1e-3) of D = 100 "
                      "with s = 20 short axes, 19 of them shared, through their intersection X: 20 short directions at "
                      "the ends and quarter points, 21 at the middle -- an excess of 1, the smallest the paper's toy "
                      "produces (two of its wedges that differ in one axis; the paper gives no size for Fig 4 left)")),
        Case("C8", "positive-planted-primary-tunnel", sd.planted_tunnel_counts, params={**shape, "path": "primary"},
             definition={"nodes": "budget"}, samples=SEEDS6, role=POSITIVE, statistic=MEAN95,
             planted=("the same two smooth wedges as positive-planted-intersection (D = 100, s = 20 short axes, 19 "
                      "shared, width 1e-3: 20 short directions at each optimum, 21 at their intersection, an excess "
                      "of 1, the smallest the paper's toy produces; the paper gives no size for Fig 4 left), but the "
                      "path is built by the primary's own algorithm, not by hand: the §4.2 tunnel (build_tunnel, k = "
                      "10, 'budget' nodes, as Lab.tunnel builds it for C8/budget), counted at its 5 nodes as the "
                      "primary counts; holds only if that tunnel passes through the planted intersection")),
        Case("C10", "positive-planted-intersections", sd.planted_connector_counts, params=shape, samples=(0, 1, 2),
             role=POSITIVE, statistic=MEAN95,
             planted=("the middles of the m-connectors (m = 1..3) between optima of 4 smooth wedges (width 1e-3) of "
                      "D = 100 with s = 20 short axes, 19 shared and one of each wedge's own, each middle the "
                      "intersection of wedges 0..m: s + m short directions, a growth of 1 per m -- the smallest the "
                      "paper's toy produces (the paper gives no size for Fig 4 middle)")),
        Case("C10", "positive-planted-primary-connectors", sd.planted_connector_counts,
             params={**shape, "middles": "primary"}, definition={"nodes": "loss-matched"}, samples=(0, 1, 2),
             role=POSITIVE, statistic=MEAN95,
             planted=("the same 4 smooth wedges as positive-planted-intersections (D = 100, s = 20 short axes, 19 "
                      "shared, width 1e-3: s + m short directions at the intersection of wedges 0..m, a growth of 1 "
                      "per m, the smallest the paper's toy produces; the paper gives no size for Fig 4 middle), but "
                      "the middles are built by the primary's own algorithm, not by hand: the m-connectors' "
                      "centroids optimized in the (D - m)-dim subspace off the simplex, loss-matched to the optima "
                      "(m_connector_metrics inside connector_counts, as for C10/loss-matched); holds only if those "
                      "middles land on the planted intersections")),
        Case("C15", "positive-planted-eos", sd.planted_lr_counts, params={"D": sd.PLANTED_D},
             definition={"threshold": "shared"}, samples=(0, 1, 2, 3), role=POSITIVE, statistic=MEAN95,
             planted=("a valley of D = 100 (99 curvatures log-uniform on [1e-2, 1], QuadraticWell's spectrum) whose "
                      "curvature scale falls 2x along a long direction, from sqrt(2) x 2/lr_high to 2/lr_high / "
                      "sqrt(2); full-batch GD at the primary's lrs (3e-3, 3e-2) from one init to loss 1e-3: the high "
                      "lr is linearly unstable at the sharp end (edge of stability: sharpness < 2/lr) and lands at the "
                      "flat one, 2x flatter (a margin of sqrt(2) on each side of 2/lr_high; the paper gives no size "
                      "for Fig 4 right, and the lrs' ratio 10 would allow up to 10x); a drop of ~15 of 99 directions "
                      "on this spectrum")),
    ]


CASES: tuple[Case, ...] = tuple(_toy() + _net() + _positive())

"""Cases of the toy landscape itself: C1 (the loss is the wedge distance), C2 (hyperplanes work iff d >= D - n),
C17 (conclusions independent of the wedges' frame), each with a positive control (the same measurement where the
claimed property holds by construction)."""

from __future__ import annotations

from ...protocols import toy_landscape as tl
from ...types import Role
from ..case import Case, Sweep
from ..claims import CLAIMS
from .samples import C1_SHAPES, D100, D1000, SEEDS6

PRIMARY, CONTROL, POSITIVE = Role.PRIMARY, Role.CONTROL, Role.POSITIVE
GPU_TIERS = ("full", "paper")
C2_SWEEPS = (
    Sweep("spread allowed by 'very little effect' (max/min reached loss over draws)", (1.5, 2.0, 3.0, 5.0),
          "from barely (1.5x) to half a decade (5x): 'very little' is never quantified", metric="redraw_spread_below"),
    Sweep("d_lim - (D - n) read from 'd > d_lim' and 'd_lim = D - n'", (0, 1),
          "the text gives both 'd > d_lim' (the smallest working d is d_lim + 1) and 'd_lim = D - n' (D - n works)",
          metric="d_lim_minus_D_minus_n"),
)
# C17 re-decides these toy claims by their declared checks, passed to its protocol as (metric, op, threshold)
C17_CHECKS = {name: [[c.metric, c.op, c.threshold] for c in CLAIMS[name].checks] for name in tl.C17_EXPERIMENTS}


def _declare() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    # C1 -------------------------------------------------------------------------------------------
    add(Case("C1", "aligned", tl.wedge_distance, samples=C1_SHAPES, role=PRIMARY, controls=("control-single-wedge",)))
    add(Case("C1", "rotated", tl.wedge_distance, params={"rotation": "random"}, samples=C1_SHAPES))
    add(Case("C1", "control-single-wedge", tl.wedge_distance, definition={"reference": "single-wedge"},
             samples=((10, 7, 0),), role=CONTROL,
             holds_if="the toy loss were the distance to one fixed wedge (the first n axes)"))
    add(Case("C1", "positive-planted", tl.wedge_distance, params={"planted": True}, samples=C1_SHAPES, role=POSITIVE,
             planted=("200 points per shape at a closed-form distance r from a known n-wedge (tl.planted_points: long "
                      "coordinates |.| in [1, 2] on a random n-subset, the rest a vector of norm r = rho x the smallest "
                      "long one, rho log-spread over [1e-3, 0.9], the point scaled over 10^-3..10^3 as the primary's "
                      "points); the identity holds there by construction (max_rel_err_planted beside)")))
    # C2 -------------------------------------------------------------------------------------------
    # primary: Adam on the squared loss (claims/RULES.md T3); D = 1000 at full/paper only, 2 seeds (T1)
    for shape, tiers, seeds in ((D100, None, SEEDS6), (D1000, GPU_TIERS, (0, 1))):
        add(Case("C2", f"adam-squared-D{shape['D']}", tl.hyperplane_dimension, params=shape,
                 definition={"solver": "adam-squared"}, samples=seeds, role=PRIMARY, tiers=tiers,
                 controls=(f"control-point-D{shape['D']}",), sweeps=C2_SWEEPS))
    add(Case("C2", "adam-D100", tl.hyperplane_dimension, params=D100, definition={"solver": "adam"}, samples=(0,),
             tiers=GPU_TIERS,
             note="Adam on the non-smooth distance, success <= 1e-6 x start (no first-order method reaches it; "
                  "claims/RULES.md T3); full/paper tiers only (about 100 s)"))
    for shape in ({"D": 20, "n": 12}, D100, D1000):
        add(Case("C2", f"exact-D{shape['D']}", tl.hyperplane_dimension, params=shape,
                 definition={"solver": "exact"}, samples=(0, 1)))
    for shape, tiers, seeds in ((D100, None, SEEDS6), (D1000, GPU_TIERS, (0,))):
        add(Case("C2", f"control-point-D{shape['D']}", tl.hyperplane_dimension,
                 params={**shape, "landscape": "point"}, definition={"solver": "adam-squared"}, samples=seeds,
                 role=CONTROL, tiers=tiers,
                 holds_if=("the same Adam measurement on the distance to one point (no wedges, zero loss needs d = D) "
                           "found d_lim = D - n")))
    add(Case("C2", "positive-single-wedge-D100", tl.hyperplane_dimension,
             params={**D100, "landscape": "single-wedge"}, definition={"solver": "adam-squared"}, samples=SEEDS6,
             role=POSITIVE,
             planted=("one n-wedge (the span of the first n axes, D = 100, n = 80 as the primary; tl.SingleWedge): a "
                      "random d-plane meets it iff d >= D - n, so d_lim = D - n exactly and every draw succeeds alike "
                      "(general position); the smallest landscape with the claimed threshold")))
    # C17 ------------------------------------------------------------------------------------------
    add(Case("C17", "subspaces-D100", tl.frames, params={**D100, "other": "subspaces", "checks": C17_CHECKS},
             samples=((0, 16), (1, 64), (2, 256), (3, 16), (4, 64), (5, 256)), role=PRIMARY, controls=("control-n0",),
             note="sample = (seed, K): K random n-subspaces in mutually non-orthogonal frames (claims/RULES.md T13)"))
    add(Case("C17", "rotation-D100", tl.frames, params={**D100, "other": "rotation", "checks": C17_CHECKS},
             samples=(0, 1)))
    add(Case("C17", "positive-rotation-D100", tl.frames, params={**D100, "other": "rotation", "checks": C17_CHECKS},
             samples=SEEDS6, role=POSITIVE,
             planted=("one global Haar rotation of the whole landscape (D = 100, n = 80 as the primary), with the "
                      "rotation-invariant N(0, I) inits, hyperplanes and probes: every toy measurement has the same "
                      "distribution in both frames, so no verdict depends on the frame by construction")))
    add(Case("C17", "control-n0", tl.frames, params={**D100, "other": "n0", "checks": C17_CHECKS}, role=CONTROL,
             samples=SEEDS6,
             holds_if=("the toy verdicts did not change when the wedges are removed (n = 0: the distance to one point), "
                       "as they would not if these measurements could not tell a wedge landscape from a single well")))
    return cs


CASES: tuple[Case, ...] = tuple(_declare())

"""The cases each claim is measured on, declared once as data (in the manner of PyTorch's OpInfo).

A case names: its claim; a readable ``name``; the measurement ``protocol`` (``measure/protocols.py``);
where it runs (``on``: "toy", "net" = every network configuration of the tier, or a fixed control
configuration such as "softmax-digits"); fixed ``params``; the ``definition`` values a verdict may hinge
on; the independent ``samples`` (seeds, pairs of optima, toy shapes); and whether it is the claim's
**primary** case -- the paper's own protocol at the threshold declared before measuring -- a
*variant* (a sensitivity analysis, shown beside the primary, never in the headline), or a negative
**control** (the same measurement where the paper's mechanism is absent; ``holds_if`` says what
outcome would have made it hold). Tests are generated from ``CASES``; expected outcomes live in the
baselines, not here.

The full id of a case on a configuration is ``<claim>/<configuration>/<name>``, e.g.
``C8/mlp-digits/budget``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .claims import CLAIMS, TIERS
from .decide import MEAN95, RANGE, Check, Statistic


@dataclass(frozen=True)
class Case:
    claim: str
    name: str
    protocol: str
    on: str = "toy"
    params: Mapping[str, Any] = field(default_factory=dict)
    definition: Mapping[str, Any] = field(default_factory=dict)
    samples: tuple = (0,)
    primary: bool = False
    control: bool = False
    holds_if: str = ""
    tiers: tuple[str, ...] = TIERS
    statistic: Statistic | None = None
    checks: tuple | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.claim not in CLAIMS:
            raise ValueError(f"Case.claim must be one of {list(CLAIMS)}, got {self.claim!r}")
        if self.primary and self.control:
            raise ValueError(f"case {self.claim}/{self.name}: a control cannot be primary")
        if not self.samples:
            raise ValueError(f"case {self.claim}/{self.name}: samples must not be empty")
        bad = [t for t in self.tiers if t not in TIERS]
        if bad:
            raise ValueError(f"case {self.claim}/{self.name}: tiers must be among {TIERS}, got {bad}")

    @property
    def role(self) -> str:
        return "control" if self.control else "primary" if self.primary else "variant"

    @property
    def decision(self) -> Statistic:
        return self.statistic or CLAIMS[self.claim].statistic

    @property
    def rule(self) -> tuple:
        """The checks this case is decided on: the claim's, unless the case declares its own (a variant
        with another definition of the metric, or a control whose second check cannot apply)."""
        return self.checks or CLAIMS[self.claim].checks

    def full_id(self, label: str) -> str:
        return f"{self.claim}/{label}/{self.name}"

    def kwargs(self) -> dict:
        return {**self.params, **self.definition}

    def labels(self, net_labels) -> list[str]:
        return list(net_labels) if self.on == "net" else [self.on]


def _c(claim, name, protocol, **kw) -> Case:
    return Case(claim, name, protocol, **kw)


PAIRS = ((0, 1), (1, 2), (2, 3))
C1_SHAPES = ((6, 3, 0), (10, 7, 1), (12, 6, 2), (12, 0, 3), (12, 12, 4))
D100, D1000 = {"D": 100, "n": 80}, {"D": 1000, "n": 900}
SEEDS5 = (0, 1, 2, 3, 4)  # toy primaries: five independent seeds (claims/RULES.md T1)
TOY_SAME_BASIN = ("the pair (an optimum and its re-descent, by gradient flow to the same loss, after a move of 1% of "
                  "its norm) had landed on different wedges")


def _declare() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    # C1 -------------------------------------------------------------------------------------------
    add(_c("C1", "aligned", "toy.wedge_distance", samples=C1_SHAPES, primary=True, statistic=RANGE))
    add(_c("C1", "rotated", "toy.wedge_distance", params={"rotation": "random"}, samples=C1_SHAPES))
    add(_c("C1", "control-single-wedge", "toy.wedge_distance", definition={"reference": "single-wedge"},
           samples=((10, 7, 0),), control=True,
           holds_if="the toy loss were the distance to one fixed wedge (the first n axes)"))
    # C2 -------------------------------------------------------------------------------------------
    # primary: Adam on the squared loss (claims/RULES.md T3); D = 1000 at full/paper only, 2 seeds (T1)
    for shape, tiers, seeds in ((D100, TIERS, SEEDS5), (D1000, ("full", "paper"), (0, 1))):
        add(_c("C2", f"adam-squared-D{shape['D']}", "toy.hyperplane_threshold", params=shape,
               definition={"solver": "adam-squared"}, samples=seeds, primary=True, tiers=tiers, statistic=RANGE))
    add(_c("C2", "adam-D100", "toy.hyperplane_threshold", params=D100, definition={"solver": "adam"}, samples=(0,),
           tiers=("full", "paper"),
           note="the old primary: Adam on the non-smooth distance, success <= 1e-6 x start (no first-order method "
                "reaches it); full/paper tiers only (about 100 s)"))
    for shape in ({"D": 20, "n": 12}, D100, D1000):
        add(_c("C2", f"exact-D{shape['D']}", "toy.hyperplane_threshold", params=shape,
               definition={"solver": "exact"}, samples=(0, 1)))
    for shape, tiers, seeds in ((D100, TIERS, (0, 1)), (D1000, ("full", "paper"), (0,))):
        add(_c("C2", f"control-point-D{shape['D']}", "toy.hyperplane_threshold",
               params={**shape, "landscape": "point"}, definition={"solver": "adam-squared"}, samples=seeds,
               control=True, tiers=tiers, statistic=RANGE,
               holds_if=("the same Adam measurement on the distance to one point (no wedges, zero loss needs d = D) "
                         "found d_lim = D - n")))
    # C4 -------------------------------------------------------------------------------------------
    for shape in (D100, D1000):
        add(_c("C4", f"line-D{shape['D']}", "toy.tunnel", params={**shape, "path": "straight"}, samples=SEEDS5,
               primary=True, statistic=RANGE))
        add(_c("C4", f"control-same-basin-D{shape['D']}", "toy.tunnel",
               params={**shape, "path": "straight", "pair": "same-basin"}, samples=SEEDS5, control=True,
               statistic=RANGE, holds_if=TOY_SAME_BASIN + " and the line between them rose 10x above its ends"))
    # C5, C6 ---------------------------------------------------------------------------------------
    # C5 primary: §3.3's single-midpoint tunnel (T6); C6 primary: the k = 10 tunnel (T7)
    for shape in (D100, D1000):
        D = shape["D"]
        add(_c("C5", f"midpoint-D{D}", "toy.tunnel", params=shape, definition={"path": "midpoint"},
               samples=SEEDS5, primary=True, statistic=RANGE))
        add(_c("C5", f"nodes10-D{D}", "toy.tunnel", params=shape, definition={"path": "paper"}, samples=SEEDS5))
        add(_c("C6", f"nodes10-D{D}", "toy.tunnel", params=shape, definition={"path": "paper"}, samples=SEEDS5,
               primary=True, statistic=MEAN95))
        for claim in ("C5", "C6"):
            add(_c(claim, f"intersection-D{D}", "toy.tunnel", params=shape, definition={"path": "intersection"},
                   samples=(0, 1)))
        add(_c("C5", f"control-same-basin-D{D}", "toy.tunnel", params={**shape, "pair": "same-basin"},
               definition={"path": "midpoint"}, samples=(0, 1, 2), control=True, statistic=RANGE,
               holds_if=TOY_SAME_BASIN + " and the midpoint tunnel between them were low (<= 5x the ends) and "
                                         "<= 0.1x the line's maximum (there must be a wall to lower)"))
    add(_c("C6", "control-same-basin-D100", "toy.tunnel", params={**D100, "pair": "same-basin"},
           definition={"path": "paper"}, samples=(0, 1, 2), control=True, statistic=MEAN95,
           holds_if=TOY_SAME_BASIN + " and the k = 10 tunnel's deviations formed aligned, mutually orthogonal halves"))
    add(_c("C6", "control-random-vectors", "random.halves", control=True,
           holds_if="9 independent Gaussian vectors in D = 1000 formed two aligned halves"))
    # C8 -------------------------------------------------------------------------------------------
    for path in ("paper", "intersection"):
        for count in ("hessian", "pinned"):
            add(_c("C8", f"{path}-{count}-D100", "toy.tunnel_counts", params=D100,
                   definition={"path": path, "count": count},
                   samples=SEEDS5 if (path, count) == ("paper", "hessian") else (0, 1),
                   primary=(path, count) == ("paper", "hessian"),
                   statistic=RANGE if (path, count) == ("paper", "hessian") else None))
        add(_c("C8", f"{path}-pinned-D1000", "toy.tunnel_counts", params=D1000,
               definition={"path": path, "count": "pinned"}))
    add(_c("C8", "control-same-basin-pinned", "toy.tunnel_counts", params={**D100, "pair": "same-basin"},
           definition={"path": "paper", "count": "pinned"}, samples=(0, 1, 2), control=True, statistic=RANGE,
           holds_if=TOY_SAME_BASIN + " and the tunnel between them had more pinned directions in its middle"))
    add(_c("C8", "control-smooth-hessian", "toy.tunnel_counts", params={**D100, "landscape": "cosine"},
           definition={"path": "paper", "count": "hessian"}, samples=(0, 1, 2), control=True, statistic=RANGE,
           holds_if=("the tunnel between two minima of a smooth landscape without wedges (sum of random cosines) "
                     "had more Hessian directions above the threshold in its middle")))
    # C10 ------------------------------------------------------------------------------------------
    for construction in ("paper", "intersection"):
        for count in ("hessian", "pinned"):
            add(_c("C10", f"{construction}-{count}-D100", "toy.connector_counts", params=D100,
                   definition={"construction": construction, "count": count},
                   samples=SEEDS5 if (construction, count) == ("paper", "hessian") else (0, 1),
                   primary=(construction, count) == ("paper", "hessian"),
                   statistic=RANGE if (construction, count) == ("paper", "hessian") else None))
        add(_c("C10", f"{construction}-pinned-D1000", "toy.connector_counts", params=D1000,
               definition={"construction": construction, "count": "pinned"}))
    add(_c("C10", "control-same-basin-pinned", "toy.connector_counts", params={**D100, "pair": "same-basin"},
           definition={"construction": "paper", "count": "pinned"}, samples=(0, 1, 2), control=True,
           statistic=RANGE,
           holds_if=("the m-connectors between an optimum and m re-descents of 1% moves from it had a pinned count "
                     "growing with m (as they would if the moves had crossed into other wedges)")))
    add(_c("C10", "control-smooth-hessian", "toy.connector_counts", params={**D100, "landscape": "cosine"},
           definition={"construction": "paper", "count": "hessian"}, samples=(0, 1), control=True, statistic=RANGE,
           holds_if=("the m-connectors between minima of a smooth landscape without wedges (sum of random cosines) "
                     "had a Hessian count growing with m")))
    # C11 ------------------------------------------------------------------------------------------
    for D in (100, 1000, 10000):
        add(_c("C11", f"D{D}", "toy.isotropy", params={"D": D, "n": int(0.9 * D)}, samples=SEEDS5, primary=True,
               statistic=MEAN95))
    add(_c("C11", "control-D3", "toy.isotropy", params={"D": 3, "n": 2}, samples=SEEDS5, control=True,
           statistic=MEAN95,
           holds_if="probes in D = 3 saw an isotropic, increasing well, more isotropic than the null"))
    # C17 ------------------------------------------------------------------------------------------
    add(_c("C17", "subspaces-D100", "toy.rotation", params={**D100, "other": "subspaces"},
           samples=((0, 16), (1, 64), (2, 256), (3, 16), (4, 64)), primary=True, statistic=RANGE,
           note="sample = (seed, K): K random n-subspaces in mutually non-orthogonal frames (claims/RULES.md T13)"))
    add(_c("C17", "rotation-D100", "toy.rotation", params={**D100, "other": "rotation"}, samples=(0, 1)))
    add(_c("C17", "control-n0", "toy.rotation", params={**D100, "other": "n0"}, control=True,
           holds_if=("the toy verdicts did not change when the wedges are removed (n = 0: the distance to one point), "
                     "as they would not if these measurements could not tell a wedge landscape from a single well")))
    from . import cases_asymmetry, cases_dynamics  # issue 10: C11 real, C14, C16; issue 11: A1-A6
    return cs + _declare_net() + cases_dynamics.declare() + cases_asymmetry.declare()


# -- real networks -------------------------------------------------------------------------------------
PAIRS6 = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11))  # six disjoint pairs of the 12 quick-tier optima
PAIRS3 = PAIRS6[:3]
SAME_BASIN = (("neighbour", 0), ("neighbour", 2), ("neighbour", 4))  # an optimum and its same-basin neighbour
TUPLES = {1: ((0, 1), (2, 3), (4, 5)), 2: ((0, 1, 2), (3, 4, 5), (6, 7, 8)),
          3: ((0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11)), 4: ((0, 1, 2, 3, 4), (5, 6, 7, 8, 9))}
SAME_BASIN_HOLDS_IF = ("the pair (an optimum and its neighbour, moved by 5% of its norm and re-descended to the same "
                       "loss) had landed in different wedges")


def _declare_net() -> list[Case]:
    """Cases on the tier's networks ("net") and on the SoftmaxRegression control configuration."""
    cs: list[Case] = []
    add = cs.append
    # C3 -------------------------------------------------------------------------------------------
    for fr in (0.1, 0.05, 0.01):
        add(_c("C3", f"threshold{fr:g}", "net.d90_vs_count", on="net", definition={"fraction": fr},
               samples=(0, 1, 2, 3), primary=fr == 0.1, statistic=MEAN95))
    add(_c("C3", "control-softmax", "net.d90_vs_count", on="softmax-digits", definition={"fraction": 0.1},
           samples=(0, 1, 2, 3), control=True, statistic=MEAN95,
           holds_if="the convex model's d90 and short-direction count agreed within 2x"))
    # C4 -------------------------------------------------------------------------------------------
    add(_c("C4", "line", "net.line", on="net", samples=PAIRS6, primary=True, statistic=MEAN95))
    add(_c("C4", "line-chance-level", "net.line", on="net", samples=PAIRS6, statistic=MEAN95,
           checks=(Check("wall_over_chance", ">=", 0.1,
                         "the wall (max on the line - the ends' mean, in nats) is at least a tenth of the "
                         "chance-level loss ln(classes): a ratio to endpoints near zero loss says little alone"),)))
    add(_c("C4", "control-same-basin", "net.line", on="net", samples=SAME_BASIN, control=True, statistic=MEAN95,
           holds_if=SAME_BASIN_HOLDS_IF))
    # C5, C6 ---------------------------------------------------------------------------------------
    for claim in ("C5", "C6"):
        add(_c(claim, "budget", "net.tunnel", on="net", definition={"nodes": "budget"}, samples=PAIRS6,
               primary=True, statistic=MEAN95))
        add(_c(claim, "loss-matched", "net.tunnel", on="net", definition={"nodes": "loss-matched"}, samples=PAIRS3,
               statistic=MEAN95))
        add(_c(claim, "control-same-basin", "net.tunnel", on="net", definition={"nodes": "budget"},
               samples=SAME_BASIN, control=True, statistic=MEAN95, holds_if=SAME_BASIN_HOLDS_IF))
    add(_c("C5", "budget-refined", "net.tunnel", on="net", params={"refined": True},
           definition={"nodes": "budget"}, samples=PAIRS3, statistic=MEAN95))
    # C7 -------------------------------------------------------------------------------------------
    for inputs in ("test", "noised", "gaussian"):
        add(_c("C7", inputs, "net.label_switch", on="net", definition={"inputs": inputs},
               samples=PAIRS6 if inputs == "test" else PAIRS3, primary=inputs == "test", statistic=MEAN95))
    add(_c("C7", "control-same-basin", "net.label_switch", on="net", definition={"inputs": "gaussian"},
           samples=SAME_BASIN, control=True, statistic=MEAN95,
           holds_if="labels on the tunnel between an optimum and its neighbour switched in the claimed shape"))
    # C8 -------------------------------------------------------------------------------------------
    add(_c("C8", "budget", "net.tunnel_counts", on="net", definition={"nodes": "budget"}, samples=PAIRS6,
           primary=True, statistic=MEAN95))
    add(_c("C8", "loss-matched", "net.tunnel_counts", on="net", definition={"nodes": "loss-matched"},
           samples=PAIRS3, statistic=MEAN95))
    add(_c("C8", "control-same-basin", "net.tunnel_counts", on="net", definition={"nodes": "budget"},
           samples=SAME_BASIN, control=True, statistic=MEAN95, holds_if=SAME_BASIN_HOLDS_IF))
    # C9 -------------------------------------------------------------------------------------------
    for m, tuples in TUPLES.items():
        add(_c("C9", f"m{m}-star", "net.m_connector", on="net", params={"m": m},
               definition={"nodes": "budget", "points": "star"}, samples=tuples, primary=True))
    for m in range(5, 11):  # §4.3 "up to m = 10": one tuple of the 12 optima each, at the GPU tiers
        add(_c("C9", f"m{m}-star", "net.m_connector", on="net", params={"m": m},
               definition={"nodes": "budget", "points": "star"}, samples=(tuple(range(m + 1)),), primary=True,
               tiers=("full", "paper")))
    add(_c("C9", "m2-centroid", "net.m_connector", on="net", params={"m": 2},
           definition={"nodes": "budget", "points": "centroid"}, samples=TUPLES[2]))
    add(_c("C9", "m2-star-loss-matched", "net.m_connector", on="net", params={"m": 2},
           definition={"nodes": "loss-matched", "points": "star"}, samples=TUPLES[2]))
    add(_c("C9", "control-unoptimized-m2", "net.m_connector", on="net", params={"m": 2, "steps": 0},
           definition={"nodes": "budget", "points": "star"}, samples=TUPLES[2], control=True,
           checks=(Check("connector_ratio", "<=", 5.0, "as the claim: 'low loss' within 5x of the optima"),),
           holds_if="the un-optimized star (centroid and midpoints) were already within 5x of the optima's loss"))
    # C10 ------------------------------------------------------------------------------------------
    add(_c("C10", "loss-matched", "net.connector_counts", on="net", definition={"nodes": "loss-matched"},
           samples=TUPLES[3], primary=True, statistic=MEAN95))
    add(_c("C10", "budget", "net.connector_counts", on="net", definition={"nodes": "budget"},
           samples=(TUPLES[4][0],)))
    add(_c("C10", "control-same-basin", "net.connector_counts", on="net", params={"same_basin": True},
           definition={"nodes": "loss-matched"}, samples=((0, 1, 2, 3),), control=True,
           holds_if="connectors between an optimum and three same-basin neighbours had a count growing with m"))
    # C12 ------------------------------------------------------------------------------------------
    seeds6 = (0, 1, 2, 3, 4, 5)
    add(_c("C12", "norm-change-first10", "net.radial_motion", on="net",
           definition={"definition": "norm-change", "fraction": 0.1}, samples=seeds6, primary=True, statistic=MEAN95))
    add(_c("C12", "cos-to-w-first10", "net.radial_motion", on="net",
           definition={"definition": "cos-to-w", "fraction": 0.1}, samples=seeds6, statistic=MEAN95))
    add(_c("C12", "norm-change-end", "net.radial_motion", on="net",
           definition={"definition": "norm-change", "fraction": 1.0}, samples=seeds6, statistic=MEAN95))
    add(_c("C12", "control-softmax", "net.radial_motion", on="softmax-digits",
           definition={"definition": "norm-change", "fraction": 0.1}, samples=seeds6, control=True, statistic=MEAN95,
           holds_if="the convex model's early displacement were more radial than a random one of equal length"))
    # C13 ------------------------------------------------------------------------------------------
    groups = ((0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11))
    add(_c("C13", "optima", "net.optima_cosines", on="net", samples=groups, primary=True))
    add(_c("C13", "control-same-basin", "net.one_run_cosine", on="net", samples=(0, 2, 4), control=True,
           holds_if="an optimum and its re-descended neighbour were near-orthogonal"))
    add(_c("C13", "control-softmax", "net.optima_cosines", on="softmax-digits", samples=groups, control=True,
           holds_if="the convex model's optima from independent inits were near-orthogonal"))
    # C15 ------------------------------------------------------------------------------------------
    for threshold in ("shared", "own"):
        add(_c("C15", threshold, "net.lr_counts", on="net", definition={"threshold": threshold},
               samples=(0, 1, 2, 3), primary=threshold == "shared", statistic=MEAN95))
    add(_c("C15", "control-softmax", "net.lr_counts", on="softmax-digits", definition={"threshold": "shared"},
           samples=(0, 1, 2, 3), control=True, statistic=MEAN95,
           holds_if="the convex model also had fewer short directions at the higher learning rate (then the "
                    "measurement does not discriminate and C15 is inconclusive)"))
    return cs


CASES: tuple[Case, ...] = tuple(_declare())


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
        mine = [c for c in cases if c.claim == cid and not c.control]
        for on in {c.on for c in mine}:
            prim = [c for c in mine if c.on == on and c.primary]
            if not prim and on not in ("softmax-digits",):
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

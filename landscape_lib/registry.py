"""Every claim of both papers, declared once as data.

The claim tests, the Allure labels, the assertion messages and the claims ledger all read this
module. A claim holds on a case when *every* one of its checks passes on the measured numbers:

    holds(case) = AND_i  op_i(measured[metric_i], threshold_i)

Thresholds come from the paper's words (the ``why`` of each check says where); they are fixed
before a verdict is looked at and never tuned. A configuration on which a claim does not reproduce
is listed under ``refutations`` with the numbers that were measured: the test becomes a *strict*
xfail, so the refutation is a documented result and a change of verdict (either way) turns CI red.
"""

from __future__ import annotations

import fnmatch
import operator
from dataclasses import dataclass, field

FJ = "Fort & Jastrzebski 2019, Large Scale Structure of Neural Network Loss Landscapes"
HHY = "He, Huang & Yuan 2019, Asymmetric Valleys: Beyond Sharp and Flat Local Minima"

OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}
TIERS = ("quick", "full", "paper")


@dataclass(frozen=True)
class Check:
    """One comparison ``measured[metric] <op> threshold`` and where the threshold comes from."""

    metric: str
    op: str
    threshold: float
    why: str

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"Check.op must be one of {sorted(OPS)}, got {self.op!r}")

    def passes(self, value: float) -> bool:
        return bool(OPS[self.op](value, self.threshold))

    def describe(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class Refutation:
    """A configuration on which the claim is known not to reproduce (a strict xfail).

    ``case`` is an fnmatch pattern over the case id; ``reason`` carries the measured numbers.
    """

    case: str
    reason: str


@dataclass(frozen=True)
class Claim:
    id: str
    slug: str
    paper: str
    section: str
    quote: str
    statement: str
    metric: str
    checks: tuple[Check, ...]
    control: str
    tiers: tuple[str, ...] = TIERS
    refutations: tuple[Refutation, ...] = ()
    measured_by: str | None = None  # None: declared, "not yet measured"
    definitions: str = ""

    @property
    def rule(self) -> str:
        return " and ".join(c.describe() for c in self.checks)

    def refutation_for(self, case: str) -> Refutation | None:
        for r in self.refutations:
            if fnmatch.fnmatchcase(case, r.case):
                return r
        return None

    def evaluate(self, measured: dict) -> tuple[bool, list[tuple[Check, float, bool]]]:
        """Apply every check to ``measured``; a missing metric is a programming error."""
        rows = []
        for c in self.checks:
            if c.metric not in measured:
                raise KeyError(f"claim {self.id}: measurement lacks metric {c.metric!r}; has {sorted(measured)}")
            value = float(measured[c.metric])
            rows.append((c, value, c.passes(value)))
        return all(ok for _, _, ok in rows), rows


def _claims() -> list[Claim]:
    return [
        Claim(
            id="C1", slug="toy_loss_is_wedge_distance", paper=FJ, section="§3.2",
            quote=("1) sort the components of P based on their absolute value, 2) take the D - n smallest values, "
                   "3) take a square root of the sum of their squares. This simple procedure yields the L2 distance "
                   "to the nearest n-wedge in the toy model."),
            statement="The toy surrogate loss equals the L2 distance to the nearest axis-aligned n-wedge.",
            metric="max |loss - brute-force distance| and max |loss - ||P - nearest_point(P)|||, relative to ||P||",
            checks=(Check("max_rel_err_brute", "<=", 1e-10, "an identity: float64 round-off only"),
                    Check("max_rel_err_nearest", "<=", 1e-10, "an identity: float64 round-off only")),
            control="one wedge only: the distance to a single fixed n-subspace is not the toy loss",
            measured_by="issue 2",
        ),
        Claim(
            id="C2", slug="hyperplane_threshold", paper=FJ, section="§3.3",
            quote=("we could successfully minimize the loss, given the d of the hyperplane was > d_lim. [...] we were "
                   "able to related this limiting dimension to the dimensionality of the wedges n as d_lim = D - n. As "
                   "in real networks, the random initialization of the hyperplane had very little effect on the "
                   "optimization."),
            statement="Optimizing on a random d-dim hyperplane reaches zero loss iff d >= D - n, whatever the draw.",
            metric=("d_lim = smallest d whose reached loss <= 1e-6 x start on every draw of M (bisection over d, "
                    "then every d in D-n +/- 3); spread of the reached loss over draws below d_lim"),
            checks=(Check("d_lim_minus_D_minus_n", "==", 0, "§3.3: d_lim = D - n exactly"),
                    Check("window_mismatches", "==", 0, "sharp: every d in D-n+/-3 succeeds iff d >= D-n"),
                    Check("redraw_spread_below", "<=", 2.0,
                          "§3.3 'very little effect': max/min reached loss over draws at d = D-n-5 within 2x")),
            control="d = D - n - 5 must fail for every draw (and n = D... has no short direction to find)",
            definitions=("solver=exact: alternating least squares on the D-n active coordinates (converged); "
                         "solver=adam: the paper's gradient optimization, a fixed step budget"),
            refutations=(
                Refutation("D20-n12-seed0-exact", "redraw spread 4.74x > 2x at d = D-n-5 (d_lim = D-n = 8 exactly, "
                           "window sharp): at D = 20 the reached loss below d_lim depends on the draw"),
                Refutation("D1000-n900-seed*-exact", "redraw spread 2.57x (seed 0) and 11.4x (seed 1) > 2x at "
                           "d = D-n-5 = 95 (reached 3e-4..3e-3 of the start); d_lim = D-n = 100 exactly and the "
                           "window D-n+/-3 is sharp (1e-13 at d >= 100)"),
                Refutation("*-adam", "Adam (3000 steps, lr 1e-2 cosine) never reaches 1e-6 x start: at d = D-n it "
                           "stalls near 1e-3..2e-3 of the start, so the measured d_lim is D (D=100: 100 vs 20); "
                           "the sharp threshold needs a converged solver (see solver=exact)"),
            ),
            measured_by="issue 2",
        ),
        Claim(
            id="C3", slug="intrinsic_dim_matches_short_dirs", paper=FJ, section="§4.2",
            quote=("Note also that the number of short directions in Figure 4 at the endpoints (300; corresponding to "
                   "the original optima themselves) is very similar to the Li et al. [2018a] intrinsic dimension for a "
                   "CNN on the dataset, further supporting our model that predicts this correspondence (Section 3.3)."),
            statement="The intrinsic dimension d90 and the number of short directions at an optimum agree.",
            metric="ratio = max(d90, count) / min(d90, count)",
            checks=(Check("ratio", "<=", 2.0, "'very similar' (300 vs 300): within a factor of 2"),),
            control="SoftmaxRegression (convex): its d90 and count are unrelated to any wedge structure",
            measured_by="issue 5",
            refutations=(
                Refutation("mlp-digits-*-threshold0.1", "with the declared threshold (0.1 x top eigenvalue) the MLP "
                           "counts 26-32 short directions against d90 ~160: ratio 5.1-6.2 > 2; at 0.01 x top the "
                           "count (~175) matches d90 (ratio 1.06-1.15): the correspondence hinges on the threshold"),
                Refutation("mlp-digits-*-threshold0.05", "at 0.05 x top eigenvalue the ratio is 3.4-3.6 > 2"),
            ),
        ),
        Claim(
            id="C4", slug="linear_path_wall", paper=FJ, section="§2, §3.1, Fig 1",
            quote=("a pair of two independently optimized optima has a high loss wall on a linear weight-space "
                   "interpolation between them [...] A linear path between the optima, however, would take us out of "
                   "the low loss wedges to the area of high loss."),
            statement="The straight line between two independent optima rises to a loss wall far above both ends.",
            metric="wall_ratio = max loss on the straight line / mean loss of the two endpoints",
            checks=(Check("wall_ratio", ">=", 10.0, "'high loss wall': at least an order of magnitude above the ends"),),
            control="two optima on one wedge (toy) / SoftmaxRegression (convex): the line has no wall",
            measured_by="issue 2 (toy), issue 3 (real)",
        ),
        Claim(
            id="C5", slug="tunnel_low_loss", paper=FJ, section="§4.2, §3.3",
            quote=("For each hyperplane, start at the intersection with the linear interpolation, and minimize the "
                   "training loss, constraining the gradients to lie within. 4) Connect the optimized points by linear "
                   "interpolations. This simple approach is sufficient for finding low-loss connectors between pairs "
                   "of optima."),
            statement="The hyperplane-constrained tunnel between two optima stays at low loss.",
            metric=("tunnel_ratio = max loss over the whole path (nodes and straight pieces) / mean endpoint loss; "
                    "wall_fraction = max tunnel loss / max straight-line loss"),
            checks=(Check("tunnel_ratio", "<=", 5.0, "'low-loss connector': within a small multiple (5x) of the ends"),
                    Check("wall_fraction", "<=", 0.1, "far below the straight line's wall (10x lower)")),
            control="the un-optimized straight line fails the same rule",
            definitions=("path=paper: the §4.2 algorithm (nodes optimized on normal hyperplanes, joined by straight "
                         "pieces); path=intersection (toy): A -> a point on both wedges -> B"),
            refutations=(
                Refutation("toy-*-paper", "on the toy each optimized node lands on a wedge of its own; the straight "
                           "pieces between nodes reach 0.30-0.46 (488-709x the endpoints' 6e-4; 0.45-0.71 of the "
                           "straight line's 0.54-0.70). The zero-loss path through the wedges' intersection exists "
                           "(path=intersection holds: 1.02-1.15x)"),
            ),
            measured_by="issue 2 (toy), issue 5 (real)",
        ),
        Claim(
            id="C6", slug="tunnel_two_halves", paper=FJ, section="Fig 3 middle, §3.1",
            quote=("Deviations in the first and second half of the connector are aligned within the group but "
                   "essentially orthogonal mutually."),
            statement="Deviations of the tunnel from the straight line form two aligned, mutually orthogonal halves.",
            metric="mean cosine of deviations within each half (the lower of the two) and |mean cosine| across halves",
            checks=(Check("within_min", ">=", 0.5, "'aligned within the group'"),
                    Check("across_abs", "<=", 0.2, "'essentially orthogonal mutually'")),
            control="deviations of independent random vectors (no wedge structure)",
            refutations=(
                Refutation("mlp-digits-*", "MLP on digits: within-half cosines 0.73-0.79 (aligned) but across "
                           "halves 0.48-0.50 > 0.2, for budget and loss-matched nodes alike: the deviations share a "
                           "common component instead of being orthogonal"),
                Refutation("toy-*-paper", "toy nodes on the §4.2 tunnel land on unrelated wedges: within-half "
                           "cosine 0.001-0.22 < 0.5 (across 0.01-0.05)"),
                Refutation("toy-*-intersection", "the path A -> X -> B has one kink, so every deviation is a multiple "
                           "of X's: within 1.0 but across 1.0 > 0.2 (the halves are aligned, not orthogonal)"),
            ),
            measured_by="issue 2 (toy), issue 5 (real)",
        ),
        Claim(
            id="C7", slug="labels_switch_midpoint", paper=FJ, section="Fig 3 right; rebuttal R5 2)",
            quote=("label predictions along the tunnel change linearly up to the middle, and stay constant from them "
                   "on. This is consistent with each wedge representing a particular function."),
            statement="Predicted labels along the tunnel switch from A's to B's around the midpoint.",
            metric="t at which agreement with B first exceeds agreement with A, on inputs where A and B disagree",
            checks=(Check("crossing_t_dev", "<=", 1 / 6, "'the middle': crossing within the middle third"),),
            control="a tunnel between two points of one run (same basin): on test inputs nothing to switch",
            definitions=("inputs=test: held-out digits where A and B disagree (fewer than 10: nothing to switch, "
                         "crossing_t_dev = 1/2); inputs=noised: test + N(0,1); inputs=gaussian: N(0,1) images"),
            measured_by="issue 5",
            refutations=(
                Refutation("mlp-digits-*-test", "accurate optima disagree on only 7-8 of 450 test digits (< 10): "
                           "nothing to switch on in-distribution inputs"),
                Refutation("mlp-digits-pair0-1-[gn]*", "pair 0-1 switches late: t = 0.70 (Gaussian inputs) and 0.775 "
                           "(noised inputs), outside the middle third; pairs 1-2 and 2-3 switch at 0.40-0.65"),
            ),
        ),
        Claim(
            id="C8", slug="tunnel_short_dirs", paper=FJ, section="§3.1, Fig 4 left",
            quote=("the number of short directions should be higher in the middle of our low loss path between two "
                   "low loss points/optima on different wedges. We observe that in real networks as well, as shown in "
                   "Figure 4."),
            statement="The number of short (high-curvature) directions peaks in the middle of the tunnel.",
            metric="mid_excess = count in the middle - mean count at the endpoints (in units of the spread)",
            checks=(Check("mid_excess", ">", 0, "'higher in the middle'"),),
            control="a path inside one wedge (toy) / within one basin (real): no peak",
            definitions=("count=hessian: Hessian eigenvalues (of the squared loss on the toy) above the declared "
                         "threshold; count=pinned (toy): coordinates pinned at zero, i.e. the codimension of the wedge "
                         "intersection that contains the point (the paper's 2s argument)"),
            refutations=(
                Refutation("mlp-digits-*budget", "budget tunnel nodes end far below the optima's loss (1e-5..3e-7 vs "
                           "1e-3), where curvature is lower: the middle counts 19-27 fewer short directions than the "
                           "endpoints (pooled: mean - std = -26.8). Loss-matched nodes give the predicted peak (+1.5 "
                           "to +3.5; pooled +1.6)"),
                Refutation("toy-*-hessian", "the Hessian of the squared toy loss is 2 diag(1_S): it counts D-n "
                           "(20 at D=100) all along, also at the wedge intersection where 2(D-n)-overlap = 33-35 "
                           "coordinates are pinned (one tie-break selects D-n of them)"),
                Refutation("toy-*-paper-pinned", "the §4.2 tunnel's nodes each sit on one wedge: pinned count "
                           "D-n at every node (20 / 100), no peak"),
            ),
            measured_by="issue 2 (toy), issue 5 (real)",
        ),
        Claim(
            id="C9", slug="m_connectors_exist", paper=FJ, section="§4.3",
            quote=("We experimentally verified the existence of m-connectors up to m = 10 optima at once, going beyond "
                   "previous works that only dealt with what we call 1-connectors"),
            statement="Low-loss m-connectors exist between m+1 optima (m up to 10).",
            metric="ratio of the optimized centroid's loss to the endpoints' mean loss; and to the raw centroid",
            checks=(Check("connector_ratio", "<=", 5.0, "'low loss' as for tunnels (C5)"),
                    Check("centroid_fraction", "<=", 0.1, "far below the un-optimized centroid")),
            control="the un-optimized centroid fails the same rule",
            measured_by="issue 5",
            refutations=(
                Refutation("mlp-digits-m[234]-*", "the optimized middles are at low loss (0.14-1.0 x the optima's) "
                           "but the straight pieces from them to the optima reach 0.105-0.169 of the raw centroid's "
                           "loss (rule <= 0.1) for m = 2..4; m = 1 holds (0.035-0.045)"),
            ),
        ),
        Claim(
            id="C10", slug="m_connector_short_dirs", paper=FJ, section="§4.3, Fig 4 middle; rebuttal R5 1)",
            quote=("Another new predictions of our landscape model is that the number of short directions in the "
                   "middle of an m-connector should scale with m, which is what we observe, as visible in Figure 4. "
                   "Note that the same property is exhibited by our toy model."),
            statement="The number of short directions in the middle of an m-connector grows with m.",
            metric="Spearman rank correlation between m and the count at the connector's middle; count(m_max) - count(1)",
            checks=(Check("spearman", ">=", 0.8, "'should scale with m': a monotone trend"),
                    Check("growth", ">", 0, "the count grows")),
            control="m-connectors inside one wedge (toy): the count does not grow",
            definitions="as C8: count=hessian (paper's curvature) and count=pinned (toy)",
            refutations=(
                Refutation("mlp-digits-order20413", "for the ordering 2,0,4,1,3 the middle counts barely grow "
                           "(spearman 0.32, growth +1); orderings 0..4 and 4..0 grow (spearman 0.8 and 1, +3 and +5)"),
                Refutation("toy-*-hessian", "Hessian of the squared toy loss counts D-n = 20 at every m (spearman "
                           "0, growth 0) although the pinned coordinates grow 35 -> 68"),
                Refutation("toy-*-paper-pinned", "the optimized centroid lands on a single wedge (loss ~1e-3): "
                           "count D-n at every m (spearman 0, growth 0)"),
            ),
            measured_by="issue 2 (toy), issue 5 (real)",
        ),
        Claim(
            id="C11", slug="radial_tunnel_isotropic", paper=FJ, section="§3.3",
            quote=("The change in loss corresponding to the vector length a will very likely be almost independent of "
                   "the direction v and will be increasing. [...] Importantly, for this to be true, the point P0 does "
                   "not have to be the global minimum"),
            statement="Random probes from a point near a wedge see an isotropic, increasing well.",
            metric="coefficient of variation (std/mean) of L(P0 + a v) - L(P0) over random unit v",
            checks=(Check("cv", "<=", 0.1, "'almost independent of the direction'"),
                    Check("min_increase", ">", 0, "'will be increasing'")),
            control="D = 3, n = 2: in low dimension the well is far from isotropic",
            refutations=(
                Refutation("toy-D100-*", "at D = 100 (n = 90) the probes' coefficient of variation is 0.26 > 0.1; "
                           "it shrinks with D (0.098-0.101 at 1000, 0.072-0.074 at 10000)"),
                Refutation("toy-D1000-n900-seed1", "cv 0.101 just above 0.1 (seed 0: 0.098): D = 1000 sits at the "
                           "rule's edge"),
            ),
            measured_by="issue 2 (toy)",
        ),
        Claim(
            id="C12", slug="radial_motion", paper=FJ, section="Fig 2; rebuttal R5",
            quote=("Along optimization, the radius of the network's configuration grows radially. [...] Optimization "
                   "moves the network primarily radially at first."),
            statement="During training the radius |w| grows and the displacement from the init is mostly radial.",
            metric="radius growth |w_T|/|w_0| and the radial share of the displacement",
            checks=(Check("radius_growth", ">", 1.0, "'the radius grows'"),
                    Check("radial_share", ">=", 0.5, "'primarily radially': the radial part is the larger part")),
            control="SoftmaxRegression with strong weight decay (L2 0.1): the motion is not mostly radial",
            measured_by="issue 3",
        ),
        Claim(
            id="C13", slug="optima_orthogonal", paper=FJ, section="Fig 2",
            quote="Individual low-loss radial tunnels are approximately orthogonal to each other.",
            statement="Independent optima lie in near-orthogonal radial tunnels.",
            metric="max |cos| between independent optima",
            checks=(Check("max_abs_cos", "<=", 0.2, "'approximately orthogonal'"),),
            control="two points of one run (its optimum and a late checkpoint): cosine near 1",
            measured_by="issue 3",
        ),
        Claim(
            id="C14", slug="tunnel_width_hyperparams", paper=FJ, section="§4.4, Fig 5",
            quote=("1) Higher learning rate -> wider tunnels. [...] a larger batch size leads to narrower tunnel. 2) "
                   "Higher L2 regularization -> wider tunnels [...] 3) Higher dropout rate -> wider tunnels"),
            statement="Tunnel width grows with learning rate, L2 and dropout (up to a point), shrinks with batch size.",
            metric="Spearman correlation of the radial-tunnel width with the hyperparameter (on its rising range)",
            checks=(Check("spearman", ">=", 0.8, "'wider tunnels': a monotone trend"),),
            control="SoftmaxRegression: one convex basin whose width does not track the hyperparameter",
        ),
        Claim(
            id="C15", slug="lr_short_dirs", paper=FJ, section="Fig 4 right",
            quote="the effect of learning rate on the number of short directions (Right panel)",
            statement="A higher learning rate gives fewer short directions at the optimum.",
            metric="count(low lr) - count(high lr)",
            checks=(Check("count_drop", ">", 0, "Fig 4 right: fewer short directions at higher lr"),),
            control="the comparison reversed (high lr taken as the low one): no drop",
            definitions=("threshold=shared: 0.1 x the mean top eigenvalue of both optima (one absolute threshold); "
                         "threshold=own: 0.1 x each optimum's own top eigenvalue; softmax-digits reported beside"),
            measured_by="issue 5",
            refutations=(
                Refutation("mlp-digits-*-own", "with each optimum's own threshold the high-lr optimum has MORE short "
                           "directions (drop -2 and -4); with one shared absolute threshold it has fewer (+6, +8): "
                           "the higher-lr optimum's top eigenvalue is lower, so the verdict hinges on the threshold"),
            ),
        ),
        Claim(
            id="C16", slug="swa_wedges", paper=FJ, section="§4.5, Fig 6; rebuttal R5 3)",
            quote=("For high maximum learning rates during cyclical snapshotting, the configurations obtained do not lie "
                   "on the same wedge and therefore their weight averages lie at a high loss area. [...] For a low "
                   "learning rate, the snapshots lie within the same wedge and therefore their average performs well"),
            statement="SWA fails when snapshots change wedges (high cyclic lr) and works within one (low lr).",
            metric="SWA loss / mean snapshot loss at high and at low lr; prediction-averaging gain",
            checks=(Check("swa_ratio_high", ">=", 2.0, "'lie at a high loss area'"),
                    Check("swa_ratio_low", "<=", 1.0, "'their average performs well'")),
            control="SoftmaxRegression: averaging in a convex basin never hurts",
        ),
        Claim(
            id="C17", slug="rotation_invariance", paper=FJ, section="§3.2; rebuttal",
            quote=("Here we align the n-wedges with the axes, however, we verified that our conclusions are not "
                   "dependent on this, nor on their exact mutual orientations or numbers."),
            statement="The toy model's verdicts depend on D and n, not on the wedges' alignment.",
            metric="number of toy measurements whose verdict changes when the wedges are randomly rotated",
            checks=(Check("verdict_changes", "==", 0, "'not dependent on this'"),),
            control="the same comparison against n = 0 (one convex well) must see verdict changes",
            refutations=(
                Refutation("toy-D100-n80-seed0", "one of 9 verdicts changes: C2's redraw-spread sub-check (1.46x "
                           "aligned vs 3.92x rotated, rule <= 2x); d_lim = D-n = 20 in both frames"),
            ),
            measured_by="issue 2 (toy)",
        ),
        Claim(
            id="A1", slug="asymmetric_directions", paper=HHY, section="rebuttal 'Are AVs prevalent?'",
            quote=("we can always find asymmetric directions at every local minimum that SGD finds, for all networks "
                   "and datasets."),
            statement="Asymmetric directions exist at SGD minima.",
            metric="fraction of probed minima with an asymmetric direction (L(w+lu) - L(w-lu) >= c on [r, p])",
            checks=(Check("fraction_with_av", ">=", 1.0, "'at every local minimum'"),),
            control="a quadratic (symmetric) valley has none",
        ),
        Claim(
            id="A2", slug="swa_train_higher_test_lower", paper=HHY, section="rebuttal, General Response (1)",
            quote=("stochastic weight averaging (SWA) over iterations leads to HIGHER TRAINING LOSS but lower test "
                   "error."),
            statement="SWA has higher training loss and lower test loss than the SGD solution it averages.",
            metric="train loss SWA - SGD, test loss SGD - SWA",
            checks=(Check("train_gap", ">", 0, "HIGHER TRAINING LOSS"), Check("test_gap", ">", 0, "lower test error")),
            control="a symmetric (quadratic) valley: SWA has LOWER training loss",
        ),
        Claim(
            id="A3", slug="swa_flat_side", paper=HHY, section="abstract; Theorem 2",
            quote="averaging the SGD iterates yields a solution biased toward the flat side",
            statement="Along SGD -> SWA, the SWA point sits on the flat side of the valley.",
            metric="loss rise beyond SWA vs beyond SGD at equal distance along the SGD->SWA line",
            checks=(Check("flat_side_ratio", "<", 1.0, "the SWA side rises more slowly"),),
            control="a symmetric valley: both sides rise alike",
        ),
        Claim(
            id="A4", slug="one_neuron_av", paper=HHY, section="rebuttal Figure 1",
            quote=("we also tried a 2D-MLP (1 single neuron with its weight, bias and sigmoid activation) experiment: "
                   "data is drawn from two 1D Gaussian distributions [...] in such a simple case we can also find AVs"),
            statement="One sigmoid neuron on two 1-D Gaussians shows an asymmetric valley.",
            metric="max over directions of min over l in [r, p] of L(w+lu) - L(w-lu)",
            checks=(Check("asymmetry", ">=", 0.0, "an AV: a direction with a positive margin c"),),
            control="a linear model with squared loss: symmetric",
        ),
        Claim(
            id="A5", slug="l2_keeps_av", paper=HHY, section="rebuttal, To Reviewer #1",
            quote="adding a L-2 penalty (as you suggested) seems to have little effect on AVs",
            statement="An L2 penalty changes asymmetric valleys little.",
            metric="asymmetry with L2 / asymmetry without",
            checks=(Check("asymmetry_ratio", ">=", 0.5, "'little effect': within a factor of 2"),),
            control="a penalty large enough to make the loss quadratic removes the asymmetry",
        ),
        Claim(
            id="A6", slug="batchnorm_causes_av", paper=HHY, section="rebuttal, To Reviewer #1; Appendix H",
            quote="we believe batch normalization is one of the important reasons",
            statement="Batch norm is a major cause of asymmetric valleys.",
            metric="asymmetry with BN / without BN",
            checks=(Check("bn_ratio", ">", 1.0, "networks with BN show more asymmetry"),),
            control="BN in eval mode with frozen statistics (an affine map) adds no asymmetry",
        ),
    ]


CLAIMS: dict[str, Claim] = {c.id: c for c in _claims()}


def get(claim_id: str) -> Claim:
    """The claim with this id; a ValueError lists the known ids."""
    try:
        return CLAIMS[claim_id]
    except KeyError:
        raise ValueError(f"claim_id must be one of {list(CLAIMS)}, got {claim_id!r}") from None


def check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {list(TIERS)}, got {tier!r}")
    return tier

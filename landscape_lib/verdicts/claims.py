"""The papers' claims, declared once as data: quote, section, statement, metric, rule and its reasons.

A claim's rule is a tuple of :class:`~landscape_lib.types.Check` (metric, comparison, threshold, and
where the threshold comes from) and a decision procedure (``statistic``: a point rule,
or a statistic over independent samples with an interval, see ``decide``). Thresholds come from the
papers' words; they are fixed before a verdict is seen, and any later change is logged in
``claims/RULES.md``. Expected outcomes (which configurations refute a claim) are *not* here: they
are baselines (``claims/baselines/``), kept apart from what the papers claim. The cases a claim is
measured on are declared in ``cases/``, grouped by what they measure.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..types import PREMISE, Check, Scope
from .decide import EXACT, MEAN95, RANGE, Statistic

FJ = "Fort & Jastrzebski 2019, Large Scale Structure of Neural Network Loss Landscapes"
STATIONARY_PREMISE = Check("window_descent_beyond_noise", "<=", 0, kind=PREMISE, tried="pretrain_tried",
                           why="premise: 'at the SGD solution' -- SGD has stopped descending: the training loss's drop "
                               "over the averaging window is within two standard errors of zero")
HHY = "He, Huang & Yuan 2019, Asymmetric Valleys: Beyond Sharp and Flat Local Minima"


@dataclass(frozen=True)
class Claim:
    """One claim of a paper. ``statistic`` is the declared decision procedure over a case's samples (a case may
    declare its own); ``negative_control`` says, in words, what the claim's negative controls measure (the cases
    with role ``control`` measure it). ``scope``: what the claim is about -- trained networks (its toy cases are
    a replication, shown on their own) or the paper's toy model. ``combine``: how the primaries of several
    configurations of the scope make one verdict ("all": the claim holds only where every configuration holds,
    and a refutation on any one refutes it there; each configuration is shown), with ``combine_why``.
    ``diagnostics``: the measured numbers a verdict rests on besides its checks (node losses, distances, counts);
    the baselines band them too, so that a broken measurement shows even where the verdict does not move."""

    id: str
    slug: str
    paper: str
    section: str
    quote: str
    statement: str
    metric: str
    checks: tuple[Check, ...]
    negative_control: str
    definitions: str = ""
    statistic: Statistic = MEAN95
    scope: Scope = Scope.NETWORKS
    diagnostics: tuple[str, ...] = ()
    combine: str = "all"
    combine_why: str = "the claim is stated for networks in general: every configuration measured must show it"

    @property
    def rule(self) -> str:
        return " and ".join(c.describe() for c in self.checks)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(c.metric for c in self.checks)


def _claims() -> list[Claim]:
    return [
        Claim(
            id="C1", slug="toy_loss_is_wedge_distance", paper=FJ, section="§3.2",
            quote=("1) sort the components of P based on their absolute value, 2) take the D - n smallest values, "
                   "3) take a square root of the sum of their squares. This simple procedure yields the L2 distance "
                   "to the nearest n-wedge in the toy model."),
            statement="The toy surrogate loss equals the L2 distance to the nearest axis-aligned n-wedge.",
            metric="max |loss - brute-force distance| and max |loss - ||P - nearest_point(P)|||, relative to ||P||",
            checks=(Check("max_rel_err_brute", "<=", 1e-10, "an identity: float64 round-off only", floor=1e-15),
                    Check("max_rel_err_nearest", "<=", 1e-10, "an identity: float64 round-off only", floor=1e-15)),
            statistic=EXACT, scope=Scope.TOY,
            negative_control="one wedge only: the distance to a single fixed n-subspace is not the toy loss",
        ),
        Claim(
            id="C2", slug="hyperplane_threshold", paper=FJ, section="§3.3",
            quote=("we could successfully minimize the loss, given the d of the hyperplane was > d_lim. [...] we were "
                   "able to related this limiting dimension to the dimensionality of the wedges n as d_lim = D - n. As "
                   "in real networks, the random initialization of the hyperplane had very little effect on the "
                   "optimization."),
            statement="Optimizing on a random d-dim hyperplane reaches zero loss iff d >= D - n, whatever the draw.",
            metric=("d_lim = smallest d from which every larger tested d reaches zero loss on every draw of M "
                    "(solver=adam-squared, primary: Adam on the squared loss, success L^2 <= 1e-8 x start, d over "
                    "{D-n-5, D-n-3..D-n+3, D}; solver=exact: bisection, success <= 1e-6 x start); every d in "
                    "D-n +/- 3; spread of the reached loss over draws at D-n-5"),
            checks=(Check("d_lim_minus_D_minus_n", "==", 0, "§3.3: d_lim = D - n exactly", floor=0.5),
                    Check("window_mismatches", "==", 0, "sharp: every d in D-n+/-3 succeeds iff d >= D-n", floor=0.5),
                    Check("redraw_spread_below", "<=", 2.0,
                          "§3.3 'very little effect': max/min reached loss over draws at d = D-n-5 within 2x")),
            negative_control="the same measurement on a landscape without wedges (the distance to one point): d_lim = D",
            definitions=("solver=adam-squared (primary): Adam, 10^4 steps, lr 3e-2 cosine, on L^2; 3 draws per d "
                         "(claims/RULES.md T3); solver=exact: alternating least squares on the D-n active coordinates "
                         "(converged); solver=adam: Adam on the non-smooth distance, 1 draw, success <= 1e-6"),
            statistic=RANGE, scope=Scope.TOY,
            combine_why="'whatever the draw': every seed must show it",
            diagnostics=('d_lim',)
        ),
        Claim(
            id="C3", slug="intrinsic_dim_matches_short_dirs", paper=FJ, section="§4.2",
            quote=("Note also that the number of short directions in Figure 4 at the endpoints (300; corresponding to "
                   "the original optima themselves) is very similar to the Li et al. [2018a] intrinsic dimension for a "
                   "CNN on the dataset, further supporting our model that predicts this correspondence (Section 3.3)."),
            statement="The intrinsic dimension d90 and the number of short directions at an optimum agree.",
            metric="ratio = max(d90, count) / min(d90, count)",
            checks=(Check("ratio", "<=", 2.0, "'very similar' (300 vs 300): within a factor of 2"),),
            negative_control="SoftmaxRegression (convex): its d90 and count are unrelated to any wedge structure",
            diagnostics=('d90', 'count', 'top_eigenvalue')
        ),
        Claim(
            id="C4", slug="linear_path_wall", paper=FJ, section="§2, §3.1, Fig 1",
            quote=("a pair of two independently optimized optima has a high loss wall on a linear weight-space "
                   "interpolation between them [...] A linear path between the optima, however, would take us out of "
                   "the low loss wedges to the area of high loss."),
            statement="The straight line between two independent optima rises to a loss wall far above both ends.",
            metric="wall_ratio = max loss on the straight line / mean loss of the two endpoints",
            checks=(Check("wall_ratio", ">=", 10.0, "'high loss wall': at least an order of magnitude above the ends"),),
            negative_control="a same-basin pair (an optimum and its re-descent after a small move): the line has no wall",
            diagnostics=('endpoint_loss', 'line_max')
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
            negative_control="the un-optimized straight line fails the same rule",
            definitions=("path=paper: the §4.2 algorithm (nodes optimized on normal hyperplanes, joined by straight "
                         "pieces; k = 10 on the toy); path=midpoint (toy primary): §3.3's single hyperplane at the "
                         "midpoint (k = 2); path=intersection (toy): A -> a point on both wedges -> B"),
            diagnostics=('endpoint_loss', 'line_max', 'tunnel_max', 'drift')
        ),
        Claim(
            id="C6", slug="tunnel_two_halves", paper=FJ, section="Fig 3 middle, §3.1",
            quote=("Deviations in the first and second half of the connector are aligned within the group but "
                   "essentially orthogonal mutually."),
            statement="Deviations of the tunnel from the straight line form two aligned, mutually orthogonal halves.",
            metric="mean cosine of deviations within each half (the lower of the two) and |mean cosine| across halves",
            checks=(Check("within_min", ">=", 0.5, "'aligned within the group'", null=0.0),
                    Check("across_abs", "<=", 0.2, "'essentially orthogonal mutually'")),
            negative_control="deviations of independent random vectors (no wedge structure)",
            diagnostics=('endpoint_loss', 'deviation_radial_share')
        ),
        Claim(
            id="C7", slug="labels_switch_midpoint", paper=FJ, section="Fig 3 right; rebuttal R5 2)",
            quote=("label predictions along the tunnel change linearly up to the middle, and stay constant from them "
                   "on. This is consistent with each wedge representing a particular function."),
            statement="Predicted labels along the tunnel switch from A's to B's around the midpoint.",
            metric=("on inputs where A and B disagree, the fraction of predictions agreeing with B along the path, "
                    "f(t): shape_error = mean |f(t) - min(2t, 1)| (the claimed shape); shape_gain_over_null = the "
                    "straight line's shape_error - the tunnel's"),
            checks=(Check("shape_error", "<=", 0.15, "'change linearly up to the middle, and stay constant from "
                          "then on': f(t) within 0.15 of min(2t, 1) on average"),
                    Check("shape_gain_over_null", ">", 0, "the tunnel has the shape, beyond the straight line (the "
                          "null: any path symmetric in A and B switches near t = 1/2)")),
            negative_control="a tunnel between two points of one run (same basin): on test inputs nothing to switch",
            definitions=("inputs=test: held-out digits where A and B disagree (fewer than 10: nothing to switch, "
                         "crossing_t_dev = 1/2); inputs=noised: test + N(0,1); inputs=gaussian: N(0,1) images"),
            diagnostics=('disagreements', 'crossing_t')
        ),
        Claim(
            id="C8", slug="tunnel_short_dirs", paper=FJ, section="§3.1, Fig 4 left",
            quote=("the number of short directions should be higher in the middle of our low loss path between two "
                   "low loss points/optima on different wedges. We observe that in real networks as well, as shown in "
                   "Figure 4."),
            statement="The number of short (high-curvature) directions peaks in the middle of the tunnel.",
            metric=("mid_excess = count in the middle - mean count at the endpoints; mid_excess_over_noise = "
                    "mid_excess - the count's noise (Lanczos start vector, same-basin neighbour; 0 on the toy)"),
            checks=(Check("mid_excess_over_noise", ">", 0, "'higher in the middle', by more than the count's noise",
                          floor=0.5),),
            negative_control=("a path within one basin (real and toy: a same-basin pair) and, on the toy, a smooth landscape "
                     "without wedges (sum of random cosines): no peak expected"),
            definitions=("count=hessian: Hessian eigenvalues (of the squared loss on the toy) above the declared "
                         "threshold; count=pinned (toy): coordinates pinned at zero, i.e. the codimension of the wedge "
                         "intersection that contains the point (the paper's 2s argument)"),
            diagnostics=('mid_loss', 'endpoint_loss', 'count_noise', 'mid_count', 'endpoint_count')
        ),
        Claim(
            id="C9", slug="m_connectors_exist", paper=FJ, section="§4.3",
            quote=("We experimentally verified the existence of m-connectors up to m = 10 optima at once, going beyond "
                   "previous works that only dealt with what we call 1-connectors"),
            statement="Low-loss m-connectors exist between m+1 optima (m up to 10).",
            metric="ratio of the optimized centroid's loss to the endpoints' mean loss; and to the raw centroid",
            checks=(Check("connector_ratio", "<=", 5.0, "'low loss' as for tunnels (C5)"),
                    Check("centroid_fraction", "<=", 0.1, "far below the un-optimized centroid")),
            negative_control="the un-optimized centroid fails the same rule",
            diagnostics=('endpoint_loss', 'middle_loss', 'centroid_loss')
        ),
        Claim(
            id="C10", slug="m_connector_short_dirs", paper=FJ, section="§4.3, Fig 4 middle; rebuttal R5 1)",
            quote=("Another new predictions of our landscape model is that the number of short directions in the "
                   "middle of an m-connector should scale with m, which is what we observe, as visible in Figure 4. "
                   "Note that the same property is exhibited by our toy model."),
            statement="The number of short directions in the middle of an m-connector grows with m.",
            metric="Spearman rank correlation between m and the count at the connector's middle; count(m_max) - count(1)",
            checks=(Check("spearman", ">=", 0.8, "'should scale with m': a monotone trend", null=0.0),
                    Check("growth_over_noise", ">", 0, "the count grows, by more than the count's noise", floor=0.5)),
            negative_control=("toy: m-connectors of a same-basin tuple, and of minima of a smooth landscape without wedges: "
                     "the count need not grow"),
            definitions="as C8: count=hessian (paper's curvature) and count=pinned (toy)",
            diagnostics=('count_noise', 'optima_loss')
        ),
        Claim(
            id="C11", slug="radial_tunnel_isotropic", paper=FJ, section="§3.3",
            quote=("The change in loss corresponding to the vector length a will very likely be almost independent of "
                   "the direction v and will be increasing. [...] Importantly, for this to be true, the point P0 does "
                   "not have to be the global minimum"),
            statement="Random probes from a point near a wedge see an isotropic, increasing well.",
            metric=("coefficient of variation (std/mean) of L(P0 + a v) - L(P0) over random unit v; cv_null: the same "
                    "on a smooth quadratic of the same D; cv_minus_null = cv - cv_null"),
            checks=(Check("cv", "<=", 0.1, "'almost independent of the direction'"),
                    Check("min_increase", ">", 0, "'will be increasing'"),
                    Check("cv_minus_null", "<=", 0,
                          "at least as isotropic as a smooth landscape of the same D without wedges "
                          "(QuadraticWell, same start recipe and probes); claims/RULES.md T11")),
            negative_control="D = 3, n = 2: in low dimension the well is far from isotropic",
            diagnostics=('L0', 'mean_increase')
        ),
        Claim(
            id="C12", slug="radial_motion", paper=FJ, section="Fig 2; rebuttal R5",
            quote=("Along optimization, the radius of the network's configuration grows radially. [...] Optimization "
                   "moves the network primarily radially at first."),
            statement="During training the radius |w| grows and the displacement from the init is mostly radial.",
            metric="radius growth |w_T|/|w_0| and the radial share of the displacement",
            checks=(Check("radius_growth", ">", 1.0, "'the radius grows'"),
                    Check("radial_share", ">=", 0.5, "'primarily radially': the radial part is the larger part"),
                    Check("radial_share_excess", ">", 0, "beyond the null: more radial than a random displacement "
                          "of the same length from the same init (which is radial by geometry alone)")),
            negative_control="SoftmaxRegression with strong weight decay (L2 0.1): the motion is not mostly radial",
            diagnostics=('distance',)
        ),
        Claim(
            id="C13", slug="optima_orthogonal", paper=FJ, section="Fig 2",
            quote="Individual low-loss radial tunnels are approximately orthogonal to each other.",
            statement="Independent optima lie in near-orthogonal radial tunnels.",
            metric="max |cos| between independent optima",
            checks=(Check("max_abs_cos", "<=", 0.2, "'approximately orthogonal'"),
                    Check("displacement_max_abs_cos", "<=", 0.2, "beyond the null: independent inits are orthogonal "
                          "by chance in high D, so the displacements theta_T - theta_0 must be too")),
            negative_control="two points of one run (its optimum and a late checkpoint): cosine near 1",
            diagnostics=('mean_cos',)
        ),
        Claim(
            id="C14", slug="tunnel_width_hyperparams", paper=FJ, section="§4.4, Fig 5",
            quote=("1) Higher learning rate -> wider tunnels. [...] a larger batch size leads to narrower tunnel. 2) "
                   "Higher L2 regularization -> wider tunnels [...] 3) Higher dropout rate -> wider tunnels"),
            statement="Tunnel width grows with learning rate, L2 and dropout (up to a point), shrinks with batch size.",
            metric=("signed_spearman = (claimed sign) x Spearman correlation, over every run of the declared rising "
                    "range (>= 4 values x 3 seeds), of the median tunnel width over 50 Gaussian unit directions with "
                    "the hyperparameter; sign +1 for lr, L2, dropout, -1 for batch size; 95% stratified bootstrap "
                    "interval (seeds resampled within each value)"),
            checks=(Check("signed_spearman", ">", 0,
                          "'Higher learning rate -> wider tunnels [...] larger batch size leads to narrower tunnel [...] "
                          "Higher L2 [...] Higher dropout rate -> wider tunnels': a trend in the claimed direction "
                          "beyond seed noise (the whole 95% interval above 0); claims/RULES.md, C14"),),
            statistic=Statistic("given"),
            negative_control="SoftmaxRegression (convex, no wedges): the same sweep; if its width trends too, no discrimination",
            definitions=("training=budget (primary, the paper's protocol): a fixed budget of 20 epochs per run; "
                         "training=loss-matched: each run stopped at train CE 0.05; width=angular (primary, the "
                         "paper's 'angular width'): distance / |theta| at which the train CE first exceeds ln(C)/2; "
                         "width=absolute: the distance itself"),
            diagnostics=('censored_directions',)
        ),
        Claim(
            id="C15", slug="lr_short_dirs", paper=FJ, section="Fig 4 right",
            quote="the effect of learning rate on the number of short directions (Right panel)",
            statement="A higher learning rate gives fewer short directions at the optimum.",
            metric="count(low lr) - count(high lr)",
            checks=(Check("count_drop_over_noise", ">", 0, floor=0.5, why="Fig 4 right: fewer short directions at higher lr, by "
                          "more than the count's noise"),),
            negative_control="SoftmaxRegression (convex): the same measurement; if it also drops, the measurement does not discriminate",
            definitions=("threshold=shared: 0.1 x the mean top eigenvalue of both optima (one absolute threshold); "
                         "threshold=own: 0.1 x each optimum's own top eigenvalue; softmax-digits reported beside"),
            diagnostics=('count_low_lr', 'count_high_lr', 'count_noise')
        ),
        Claim(
            id="C16", slug="swa_wedges", paper=FJ, section="§4.5, Fig 6; rebuttal R5 3)",
            quote=("For high maximum learning rates during cyclical snapshotting, the configurations obtained do not lie "
                   "on the same wedge and therefore their weight averages lie at a high loss area. [...] For a low "
                   "learning rate, the snapshots lie within the same wedge and therefore their average performs well"),
            statement="SWA fails when snapshots change wedges (high cyclic lr) and works within one (low lr).",
            metric=("per arm (low / high max-LR of the cyclic phase): swa_ratio = train CE of the weight average / mean "
                    "train CE of the snapshots; barrier_over_chance = mean barrier on the lines between consecutive "
                    "snapshots / ln(C); ensemble_advantage = test CE of the weight average - test CE of the prediction "
                    "average; ensemble_advantage_gain = its value at high - at low"),
            checks=(Check("swa_ratio_high", ">", 1.0, "'The average configuration performs worse than a single "
                          "snapshots' (Fig 6 panel 1)"),
                    Check("barrier_over_chance_high", ">=", 0.1, kind=PREMISE, tried="premise_tried", why="premise: 'the configurations obtained do not lie on the same "
                          "wedge': a loss wall between snapshots of at least a tenth of the chance-level loss (as C4's "
                          "chance-level rule)"),
                    Check("swa_ratio_low", "<=", 1.0, "'For a low learning rate [...] their average performs well' "
                          "(Fig 6 panel 3): no worse than the snapshots"),
                    Check("barrier_over_chance_low", "<", 0.1, "premise: 'the snapshots lie within the same wedge'",
                          kind=PREMISE),
                    Check("ensemble_advantage_gain", ">", 0, "'The advantage predictions averaging has over weight "
                          "averaging' (Fig 6 panel 4) is larger at the high max-LR")),
            statistic=MEAN95,
            negative_control="SoftmaxRegression: averaging in a convex basin never hurts",
            definitions=("cyclic phase from a trained optimum: SGD momentum 0.9, batch 64, 5 cosine cycles of 100 "
                         "updates to lr 0; low / high max-LR = the smallest / the largest stable value of the scan "
                         "grid (0.01 ... 3, refined on 5 geometric points between its last stable and first unstable "
                         "value) on optimum 11 (stable: every snapshot keeps train accuracy >= the start optimum's own - 0.05, i.e. "
                         ">= 0.95 from an optimum at 100%; claims/RULES.md F7); a sample whose snapshots degrade there "
                         "steps down to its own largest stable scanned value"),
            diagnostics=('lr_high', 'travel_high', 'travel_low', 'snapshot_loss_high')
        ),
        Claim(
            id="C17", slug="rotation_invariance", paper=FJ, section="§3.2; rebuttal",
            quote=("Here we align the n-wedges with the axes, however, we verified that our conclusions are not "
                   "dependent on this, nor on their exact mutual orientations or numbers."),
            statement="The toy model's verdicts depend on D and n, not on the wedges' alignment.",
            metric=("number of toy verdicts (C2 exact, C4, C5, C6, C11) that change between the axis-aligned "
                    "wedges and K random non-orthogonal n-subspaces (primary) or one global rotation (variant)"),
            checks=(Check("verdict_changes", "==", 0, "'not dependent on this'", floor=0.5),),
            statistic=RANGE, scope=Scope.TOY,
            combine_why="'our conclusions are not dependent on this': every frame must leave them unchanged",
            negative_control="the same comparison against n = 0 (the distance to one point): holds iff nothing changes",
            diagnostics=('compared',)
        ),
        Claim(
            id="A1", slug="asymmetric_directions", paper=HHY, section="rebuttal 'Are AVs prevalent?'",
            quote=("Are AVs prevalent? Yes. In our experiments, we can always find asymmetric directions at every "
                   "local minimum that SGD finds, for all networks and datasets. To be conservative, we used the word "
                   "\u201cdecent probability\u201d in our paper."),
            statement="At SGD solutions a declared fraction of random directions is asymmetric.",
            metric=("asym_fraction: the share of 50 random unit directions (uniform on the sphere) at the SGD solution "
                    "(constant-lr minibatch SGD) that are asymmetric, L(w + l u) - L(w - l u) >= c (or <= -c) at every "
                    "grid l in [r, p], with Delta = 0.1 x the chance-level loss, p = where the mean symmetric rise "
                    "over the directions reaches Delta, r = p/2, c = Delta/10 (claims/RULES.md A-R1); per seed, "
                    "with its Clopper-Pearson interval beside"),
            checks=(Check("asym_fraction", ">=", 0.1, floor=0.01, why="'decent probability' (paper), 'we can always find asymmetric "
                          "directions' (rebuttal): at least one random direction in ten, on average over seeds"),),
            negative_control=("SoftmaxRegression (convex) and the least-squares linear model (an exact quadratic) at their "
                     "SGD solutions, the same rule: they hold if their random directions are as often asymmetric"),
            definitions=("bn=recomputed (primary: statistics re-estimated on the training inputs at every point, the "
                         "authors' code) | frozen (the probed point's statistics) | interpolated (linear between the "
                         "point's and each half-line end's) | batch (the evaluated batch's own); no BN: all coincide"),
            statistic=MEAN95,
            diagnostics=('p', 'center_loss', 'first_order_mean_abs')
        ),
        Claim(
            id="A2", slug="swa_train_higher_test_lower", paper=HHY, section="rebuttal, General Response (1)",
            quote=("Recent work [25,5,51] found that stochastic weight averaging (SWA) over iterations leads to HIGHER "
                   "TRAINING LOSS but lower test error. If local minimum are SVs, then by simple concentration "
                   "arguments, SWA should lead to LOWER TRAINING LOSS!"),
            statement="SWA has higher training loss and lower test loss than the SGD solution it averages.",
            metric=("train_gap = L_train(SWA) - L_train(SGD), test_gap = L_test(SGD) - L_test(SWA) (cross-entropy); "
                    "SGD = the final iterate of constant-lr minibatch SGD, SWA = the average of its last 1,000 "
                    "iterates; mean over 5 seeds"),
            checks=(STATIONARY_PREMISE,
                    Check("train_gap", ">", 0, "'HIGHER TRAINING LOSS'"),
                    Check("test_gap", ">", 0, "'but lower test error' (the test cross-entropy)")),
            negative_control=("the least-squares linear model (an exact quadratic, a symmetric valley) under the same SGD: "
                     "'by simple concentration arguments, SWA should lead to LOWER TRAINING LOSS'; it holds if not"),
            definitions=("bn=recomputed (primary) | frozen (the SGD solution's statistics for both points) | "
                         "interpolated (line SGD -> SWA: at its ends = recomputed) | batch (train / test batch's own)"),
            statistic=MEAN95,
            diagnostics=('distance', 'window_descent', 'pretrain')
        ),
        Claim(
            id="A3", slug="swa_flat_side", paper=HHY, section="abstract; Theorem 2; rebuttal, To Reviewer #3",
            quote=("Fortunately, SGD averaging automatically generate bias for AVs (Theorem 2) [...] In our "
                   "experiment, we further run SGD from SWA because we want to find a solution that clearly has lower "
                   "training loss than SWA, but has a higher test loss, thus validating our theoretical results."),
            statement=("Along SGD -> SWA, the SWA point sits on the flat side of the valley; SGD again from SWA lowers "
                       "the training loss and raises the test loss."),
            metric=("flat_side_contrast: along the line SGD -> SWA extended to t in [-1, 2], the training-loss rise on "
                    "the SWA point's side of the valley bottom minus the rise on the other side, over the mean rise "
                    "(cubic spline, distances up to |SWA - SGD|); resgd_train_drop = L_train(SWA) - L_train(re-SGD), "
                    "resgd_test_rise = L_test(re-SGD) - L_test(SWA), re-SGD = SGD from SWA at lr 0.01 for 500 updates"),
            checks=(STATIONARY_PREMISE,
                    Check("flat_side_contrast", "<=", -0.1, "'biased toward the flat side': SWA's side rises more "
                          "slowly, by at least a tenth of the mean rise (the AV rule's c = Delta/10; a parabola: 0)"),
                    Check("resgd_train_drop", ">", 0, "'a solution that clearly has lower training loss than SWA'"),
                    Check("resgd_test_rise", ">", 0, "'but has a higher test loss'")),
            negative_control=("a random line through SWA (start at SWA - |SWA - SGD| v): it holds if SWA sits on the flat side "
                     "of a random line as well, i.e. the SGD -> SWA direction is not special"),
            definitions=("bn=recomputed (primary) | frozen (the SGD solution's statistics) | interpolated (linear "
                         "between the statistics of the line's ends, extrapolated beyond) | batch"),
            statistic=MEAN95,
            diagnostics=('bottom_t', 'window_descent', 'pretrain')
        ),
        Claim(
            id="A4", slug="one_neuron_av", paper=HHY, section="rebuttal Figure 1",
            quote=("we also tried a 2D-MLP (1 single neuron with its weight, bias and sigmoid activation) experiment: "
                   "data is drawn from two 1D Gaussian distributions [...] in such a simple case we can also find AVs"),
            statement="One sigmoid neuron on two 1-D Gaussians shows an asymmetric valley.",
            metric=("asymmetry = max over 64 directions (evenly spaced on the half circle in (weight, bias)) of the "
                    "margin m(u) = max(min_{l in [r,p]} [L(w+lu) - L(w-lu)], min [L(w-lu) - L(w+lu)]) in units of "
                    "Delta = 0.1 ln 2, with p, r from the rule of A1 (claims/RULES.md A-R1); the logistic loss at the "
                    "neuron's SGD solution"),
            checks=(Check("asymmetry", ">=", 0.1, "an AV: a direction whose margin reaches c = Delta/10 > 0 (a "
                          "symmetric valley has margin 0 and fails)"),),
            negative_control=("the neuron's second-order surrogate L(theta*) + 1/2 (theta - theta*)^T H (theta - theta*), "
                     "symmetric about the minimum theta*, measured at the same SGD solution (off theta*: could hold)"),
            definitions="point=sgd (primary: the SGD solution) | minimum (the exact minimum, Newton)",
            scope=Scope.TOY, combine_why="one model (the rebuttal's one-neuron experiment)",
            diagnostics=('distance_to_minimum', 'p')
        ),
        Claim(
            id="A5", slug="l2_keeps_av", paper=HHY, section="rebuttal, To Reviewer #1",
            quote=("But adding a L-2 penalty (as you suggested) seems to have little effect on AVs: we could also find "
                   "AVs, and averaged SGD still gives better performance."),
            statement="An L2 penalty changes asymmetric valleys little.",
            metric=("l2_log_ratio = ln((k_L2 + 1/2)/(n + 1)) - ln((k_0 + 1/2)/(n + 1)): the log ratio of A1's "
                    "asymmetric fractions with an L2 penalty 5e-4/2 |theta|^2 and without (same seed, same rule "
                    "recipe, continuity-corrected so 0 of n is finite); mean over 5 seeds"),
            checks=(Check("l2_log_ratio", ">=", -0.4054651081081644, "'little effect': the fraction falls by less "
                          "than a factor 1.5 (two-sided band: a halving fails)"),
                    Check("l2_log_ratio", "<=", 0.4054651081081644, "'little effect': the fraction rises by less "
                          "than a factor 1.5 (two-sided band: a doubling fails)")),
            negative_control=("a penalty 100x stronger (5e-2), the same band: it holds if that too changes the fraction little "
                     "(then the band cannot tell an effect from none)"),
            definitions="bn=recomputed (primary; A5 is measured under the primary definition only)",
            statistic=MEAN95,
            diagnostics=('base_fraction', 'l2_fraction')
        ),
        Claim(
            id="A6", slug="batchnorm_causes_av", paper=HHY, section="rebuttal, To Reviewer #1; Appendix H",
            quote=("The reason of why AV exist is not fully understand yet, but we believe batch normalization is one "
                   "of the important reasons (please refer to Appendix H)."),
            statement="Batch norm is a major cause of asymmetric valleys.",
            metric=("bn_excess = A1's asymmetric fraction of the MLP with BatchNorm1d (under the case's BN definition) "
                    "minus that of the same MLP without, same seed and SGD; mean over 5 seeds"),
            checks=(Check("bn_excess", ">", 0, floor=0.01, why="networks with BN show more asymmetry, beyond the seed spread (the "
                          "Student-t interval of the mean over seeds)"),),
            negative_control=("the MLP without BN at seeds 5-9 in place of the BN network: it holds if a network shows 'more "
                     "asymmetry' than its own twin (then the interval understates the seed spread)"),
            definitions="bn=recomputed (primary) | frozen | interpolated | batch, as A1",
            statistic=MEAN95,
            diagnostics=('base_fraction', 'bn_fraction')
        ),
    ]


CLAIMS: dict[str, Claim] = {c.id: c for c in _claims()}


def get(claim_id: str) -> Claim:
    """The claim with this id; a ValueError lists the known ids."""
    try:
        return CLAIMS[claim_id]
    except KeyError:
        raise ValueError(f"claim_id must be one of {list(CLAIMS)}, got {claim_id!r}") from None

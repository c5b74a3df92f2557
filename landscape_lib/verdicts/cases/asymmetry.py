"""Cases of the Asymmetric Valleys claims A1-A6 (He, Huang & Yuan 2019), declared as data.

Protocols: ``protocols/asymmetry.py`` (its docstring states the SGD settings, the asymmetry rule's recipe
and the batch-norm definitions); rules and their history: claims/RULES.md, section A1-A6.

Per claim and configuration exactly one batch-norm definition is primary: "recomputed" (statistics
re-estimated on the training inputs at every evaluated point, the authors' own code); "frozen",
"interpolated" and "batch" are variants, one case each. Networks without batch norm carry
``bn="recomputed"`` too (the four definitions coincide there), so the primaries of a configuration share
one definition. The networks are the tier's MLP on digits (``mlp-digits``) retrained by constant-lr
minibatch SGD, with and without batch norm; controls on the linear models run on ``softmax-digits``; the
one-neuron model (A4) is synthetic and runs as ``toy``. On a user's configuration (``--model`` / ``--dataset``:
``on="user"``) the same primaries and controls measure the user's own network ("net"; A6 against its batch-norm
twin "net-bn", ``--bn-model``), with the same controls on ``softmax-digits`` and the same positive controls.
"""

from __future__ import annotations

from ...protocols import asymmetry as av
from ...types import PREMISE, Check, Role
from ..case import USER, Case, Sweep
from ..claims import CLAIMS
from ..decide import MEAN95, RANGE

NET, LINEAR, TOY = "mlp-digits", "softmax-digits", "toy"
NET_TIERS = ("quick", "full")  # mlp-digits exists at these tiers
SEEDS = (0, 1, 2, 3, 4)
DATA_DRAWS = (0, 1, 2)
PRIMARY_BN = {"bn": "recomputed"}
VARIANTS = ("frozen", "interpolated", "batch")
NO_BN = "no batch norm: the four BN definitions coincide"
PRIMARY, CONTROL, POSITIVE = Role.PRIMARY, Role.CONTROL, Role.POSITIVE
RULE_SWEEPS = (
    Sweep("Delta (x the chance-level loss)", (0.1, 0.2, 0.3), "the paper fixes no wall height: a tenth to three "
          "tenths of the way to chance, where random directions' profiles are still well inside their valley",
          param="wall_fraction"),
    Sweep("window [r, p]: r = p / 10^(steps/10)", (2, 3, 5), "the paper fixes no window: r from p/1.6 (narrow) to "
          "p/3.2 (wide) around the declared p/2", param="r_steps"),
)
STATIONARY = {"stationary": True}  # A2 / A3: SGD trained until its loss is stationary over the averaging window


VALLEY = ("the least-squares linear model on gaussians (data seed 0; D = 4) plus an exponential wall "
          "a sigma^2 (e^(s/sigma) - 1 - s/sigma), s = v.(theta - theta*), through the least-squares minimizer theta* "
          "along v, the direction of SGD's largest gradient noise there; curvature a = v^T H v (the wall doubles the "
          "curvature along v), length sigma = SGD's own stationary spread along v (discrete Lyapunov equation, "
          "lr 0.1, batch 64): the gentlest wall SGD's iterates reach")
PLANTED_A1 = VALLEY + ("; planted size: a fraction 0.25 of uniformly random directions asymmetric at theta* by the "
                       "declared rule (20,000 directions), at the smallest size the construction gives (the fraction "
                       "the primary's decision detects with 80% power at n = 5 is 0.1 + delta(5) ~ 0.19)")
PLANTED_A2 = VALLEY + ("; test loss = the least-squares test loss plus the wall shifted by +-delta along v, averaged "
                       "(the paper's randomly shifted training loss), delta = the data's own train -> test shift of "
                       "the minimizer along v")
PLANTED_A3 = PLANTED_A2
PLANTED_A4 = ("the one neuron's quadratic surrogate at its minimum theta* (the A4 control's surface) plus the same "
              "exponential wall as the planted valley: along the neuron's largest per-example gradient noise, "
              "curvature v^T H v, length the declared SGD's stationary spread along v; planted size: 0.14-0.22 of "
              "uniformly random directions asymmetric at theta* (data draws 0-2), the smallest the construction gives")
PLANTED_A5 = VALLEY + ("; L2 5e-4 in the SGD objective: its odd part along any direction is first-order only "
                       "(removed by the rule), so it changes the asymmetry only through the minimum's shift x along v, "
                       "by the factor e^(x/sigma) ~ 1 (planted effect: none)")
PLANTED_A6 = ("with: the planted valley (" + VALLEY + "); without: the same least-squares model, the wall removed "
              "(no asymmetric direction: an exact quadratic); planted bn_excess = the valley's A1 fraction, 0.25")


def _net(claim, name, protocol, params, definition=PRIMARY_BN, **kw) -> Case:
    return Case(claim, name, protocol, on=kw.pop("on", NET), params=params, definition=definition,
                samples=kw.pop("samples", SEEDS), tiers=kw.pop("tiers", NET_TIERS), **kw)


CNN = "cnn-fashion"
CNN_TIERS = ("full", "paper")


def _on_network(model: str, bn_model: str, on: str, tiers: tuple, *, bn_primaries: bool, a6_name: str,
                noun: str) -> list[Case]:
    """A1-A3, A5 and A6 with the MLP primaries' protocols on another configuration's network: ``model`` in place
    of the MLP (A1-A3 and A5; with ``bn_primaries`` also ``bn_model``, as "<bn_model>-recomputed"), A6 against
    ``bn_model``, each with the MLP's controls retargeted (random line, strong L2, seeds 5-9 twin); the
    configuration-free controls on softmax-digits and the positive controls are the MLP's, shared."""
    cs: list[Case] = []
    add = cs.append
    where = dict(on=on, tiers=tiers)
    names = ((model, model), (bn_model, f"{bn_model}-recomputed")) if bn_primaries else ((model, model),)
    premise = next(c for c in CLAIMS["A3"].checks if c.kind == PREMISE)
    for m, name in names:
        add(_net("A1", name, av.av_prevalence, {"model": m}, role=PRIMARY, statistic=MEAN95,
                 controls=("control-softmax", "control-quadratic"), sweeps=RULE_SWEEPS, **where))
        add(_net("A2", name, av.av_swa_gaps, {"model": m, **STATIONARY}, role=PRIMARY, statistic=MEAN95,
                 controls=("control-quadratic",), **where))
        add(_net("A3", name, av.av_flat_side, {"model": m, **STATIONARY}, role=PRIMARY, statistic=MEAN95,
                 controls=(f"control-random-line-{m}",), **where))
        add(_net("A3", f"control-random-line-{m}", av.av_flat_side,
                 {"model": m, "line": "random", **STATIONARY}, role=CONTROL, statistic=MEAN95,
                 checks=(premise, Check("flat_side_contrast", "<=", -0.1, "as the claim: the point's side rises more "
                                        "slowly by at least a tenth of the mean rise")),
                 holds_if="the SWA point sat on the flat side of a random line through it as well", **where))
        add(_net("A5", name, av.av_l2, {"model": m, "l2": av.L2}, role=PRIMARY, statistic=MEAN95,
                 controls=(f"control-strong-l2-{model}",), sweeps=RULE_SWEEPS, **where))
    add(_net("A5", f"control-strong-l2-{model}", av.av_l2, {"model": model, "l2": av.L2_STRONG}, role=CONTROL,
             statistic=MEAN95, holds_if="an L2 penalty 100x stronger also kept the fraction within a factor 1.5",
             **where))
    add(_net("A6", a6_name, av.av_batchnorm, {"models": (model, bn_model)}, role=PRIMARY, statistic=MEAN95,
             controls=(f"control-twin-{model}",), sweeps=RULE_SWEEPS, **where))
    add(_net("A6", f"control-twin-{model}", av.av_batchnorm, {"models": (model, bn_model), "twin": True},
             role=CONTROL, statistic=MEAN95, holds_if=f"the same {noun} without batch norm at seeds 5-9 showed more "
                                                      "asymmetry than at seeds 0-4, beyond the seed spread", **where))
    return cs


def _cnn() -> list[Case]:
    """The §4 SimpleCNN on Fashion-MNIST, without and with batch norm (He et al. measured CNNs with batch norm),
    at the tiers that have it; the MLP's variants stay on the MLP."""
    return _on_network("cnn", "cnn-bn", CNN, CNN_TIERS, bn_primaries=True, a6_name="recomputed-cnn", noun="CNN")


def _user() -> list[Case]:
    """The run's own configurations (a user's model / data: ``on="user"``): the configuration's network ("net")
    and, for A6, its batch-norm twin ("net-bn")."""
    return _on_network("net", "net-bn", USER, ("quick", "full", "paper"), bn_primaries=False, a6_name="net",
                       noun="network")


def _declare() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    # A1 -------------------------------------------------------------------------------------------
    a1 = dict(role=PRIMARY, statistic=MEAN95, controls=("control-softmax", "control-quadratic"), sweeps=RULE_SWEEPS)
    add(_net("A1", "mlp", av.av_prevalence, {"model": "mlp"}, note=NO_BN, **a1))
    add(_net("A1", "mlp-bn-recomputed", av.av_prevalence, {"model": "mlp-bn"}, **a1))
    for model in ("mlp", "mlp-bn"):
        add(_net("A1", f"{model}-first-order-kept", av.av_prevalence, {"model": model, "first_order": "kept"},
                 statistic=MEAN95, note="the rule on the raw profiles, the first-order term l (g.u) left in"))
    for d in VARIANTS:
        add(_net("A1", f"mlp-bn-{d}", av.av_prevalence, {"model": "mlp-bn"}, {"bn": d}, statistic=MEAN95))
    every = (Check("asym_count", ">=", 1, "'we can always find asymmetric directions at every local minimum that "
                   "SGD finds': at least one of the 50 random directions, at every seed"),)
    for model in ("mlp", "mlp-bn"):
        add(_net("A1", f"{model}-every-minimum", av.av_prevalence, {"model": model}, statistic=RANGE, checks=every,
                 note="the rebuttal's 'always find ... at every local minimum', decided on every seed"))
    for model, what in (("softmax", "SoftmaxRegression (convex)"),
                        ("quadratic", "the least-squares linear model (an exact quadratic)")):
        add(_net("A1", f"control-{model}", av.av_prevalence, {"model": model}, on=LINEAR, role=CONTROL,
                 statistic=MEAN95, holds_if=f"at the SGD solution of {what} at least a tenth of the random "
                                            f"directions were asymmetric by the same rule"))
    # A2 -------------------------------------------------------------------------------------------
    a2 = dict(role=PRIMARY, statistic=MEAN95, controls=("control-quadratic",))
    add(_net("A2", "mlp", av.av_swa_gaps, {"model": "mlp", **STATIONARY}, note=NO_BN, **a2))
    add(_net("A2", "mlp-bn-recomputed", av.av_swa_gaps, {"model": "mlp-bn", **STATIONARY}, **a2))
    for d in VARIANTS:
        add(_net("A2", f"mlp-bn-{d}", av.av_swa_gaps, {"model": "mlp-bn", **STATIONARY}, {"bn": d}, statistic=MEAN95,
                 note="interpolated: at the ends of the line SGD -> SWA = recomputed, by construction"
                      if d == "interpolated" else ""))
    add(_net("A2", "control-quadratic", av.av_swa_gaps, {"model": "quadratic", **STATIONARY}, on=LINEAR, role=CONTROL,
             statistic=MEAN95, holds_if=("on an exact quadratic (a symmetric valley) the average of the SGD iterates "
                                         "had a higher training and a lower test loss than the final iterate")))
    # A3 -------------------------------------------------------------------------------------------
    for model, name in (("mlp", "mlp"), ("mlp-bn", "mlp-bn-recomputed")):
        add(_net("A3", name, av.av_flat_side, {"model": model, **STATIONARY}, role=PRIMARY, statistic=MEAN95,
                 controls=(f"control-random-line-{model}",), note=NO_BN if model == "mlp" else ""))
    for d in VARIANTS:
        add(_net("A3", f"mlp-bn-{d}", av.av_flat_side, {"model": "mlp-bn", **STATIONARY}, {"bn": d}, statistic=MEAN95))
    premise = next(c for c in CLAIMS["A3"].checks if c.kind == PREMISE)
    flat = (premise, Check("flat_side_contrast", "<=", -0.1, "as the claim: the point's side rises more slowly by at "
                           "least a tenth of the mean rise"),)
    for model in ("mlp", "mlp-bn"):
        add(_net("A3", f"control-random-line-{model}", av.av_flat_side, {"model": model, "line": "random", **STATIONARY},
                 role=CONTROL, statistic=MEAN95, checks=flat,
                 holds_if=("the SWA point sat on the flat side of a random line through it (from SWA - |SWA - SGD| v) "
                           "as well: the SGD -> SWA direction would not be special")))
    # A4 -------------------------------------------------------------------------------------------
    add(Case("A4", "sgd-solution", av.av_neuron, on=TOY, definition={"point": "sgd"}, samples=DATA_DRAWS,
             role=PRIMARY, note="samples: data draws of gaussians (data_seed)",
             controls=("control-quadratic-surrogate",), sweeps=RULE_SWEEPS))
    add(Case("A4", "exact-minimum", av.av_neuron, on=TOY, definition={"point": "minimum"}, samples=DATA_DRAWS))
    add(Case("A4", "control-quadratic-surrogate", av.av_neuron, on=TOY, params={"surface": "quadratic-surrogate"},
             definition={"point": "sgd"}, samples=DATA_DRAWS, role=CONTROL,
             holds_if=("the neuron's symmetric second-order surrogate at its minimum, probed at the SGD solution, had "
                       "a direction with margin >= c (possible: the SGD solution is off the minimum)")))
    # A5 -------------------------------------------------------------------------------------------
    a5 = dict(role=PRIMARY, statistic=MEAN95, controls=("control-strong-l2",), sweeps=RULE_SWEEPS)
    add(_net("A5", "mlp", av.av_l2, {"model": "mlp", "l2": av.L2}, note=NO_BN, **a5))
    add(_net("A5", "mlp-bn-recomputed", av.av_l2, {"model": "mlp-bn", "l2": av.L2}, **a5))
    add(_net("A5", "control-strong-l2", av.av_l2, {"model": "mlp", "l2": av.L2_STRONG}, role=CONTROL,
             statistic=MEAN95,
             holds_if=("an L2 penalty 100x stronger (5e-2) also kept the fraction within a factor 1.5 (the band would "
                       "not tell an effect of L2 from none)")))
    # A6 -------------------------------------------------------------------------------------------
    add(_net("A6", "recomputed", av.av_batchnorm, {}, role=PRIMARY, statistic=MEAN95, controls=("control-twin",),
             sweeps=RULE_SWEEPS))
    for d in VARIANTS:
        add(_net("A6", d, av.av_batchnorm, {}, {"bn": d}, statistic=MEAN95))
    add(_net("A6", "control-twin", av.av_batchnorm, {"twin": True}, role=CONTROL, statistic=MEAN95,
             holds_if=("the same MLP without batch norm at seeds 5-9 showed more asymmetry than at seeds 0-4, beyond "
                       "the seed spread")))
    cs += _cnn()
    cs += _user()
    # positive controls: the same protocols on the planted asymmetric valley (protocols.asymmetry.PlantedValley)
    pos = dict(on=LINEAR, role=POSITIVE, statistic=MEAN95)
    add(_net("A1", "positive-planted-valley", av.av_prevalence, {"model": "planted-valley"}, planted=PLANTED_A1, **pos))
    add(_net("A2", "positive-planted-valley", av.av_swa_gaps, {"model": "planted-valley", **STATIONARY},
             planted=PLANTED_A2, **pos))
    add(_net("A3", "positive-planted-valley", av.av_flat_side, {"model": "planted-valley", **STATIONARY},
             planted=PLANTED_A3, **pos))
    add(Case("A4", "positive-planted-wall", av.av_neuron, on=TOY, params={"surface": "planted"},
             definition={"point": "sgd"}, samples=DATA_DRAWS, role=POSITIVE, planted=PLANTED_A4,
             note="samples: data draws of gaussians (data_seed)"))
    add(_net("A5", "positive-planted-valley", av.av_l2, {"model": "planted-valley", "l2": av.L2},
             planted=PLANTED_A5, **pos))
    add(_net("A6", "positive-planted-wall", av.av_batchnorm, {"models": ("planted-no-wall", "planted-valley")},
             planted=PLANTED_A6, **pos))
    return cs


CASES: tuple[Case, ...] = tuple(_declare())

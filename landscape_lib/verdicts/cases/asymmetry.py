"""Cases of the Asymmetric Valleys claims A1-A6 (He, Huang & Yuan 2019), declared as data.

Protocols: ``protocols/asymmetry.py`` (its docstring states the SGD settings, the asymmetry rule's recipe
and the batch-norm definitions); rules and their history: claims/RULES.md, section A1-A6.

Per claim and configuration exactly one batch-norm definition is primary: "recomputed" (statistics
re-estimated on the training inputs at every evaluated point, the authors' own code); "frozen",
"interpolated" and "batch" are variants, one case each. Networks without batch norm carry
``bn="recomputed"`` too (the four definitions coincide there), so the primaries of a configuration share
one definition. The networks are the tier's MLP on digits (``mlp-digits``) retrained by constant-lr
minibatch SGD, with and without batch norm; controls on the linear models run on ``softmax-digits``; the
one-neuron model (A4) is synthetic and runs as ``toy``.
"""

from __future__ import annotations

from ...protocols import asymmetry as av
from ...types import Check, Role
from ..case import Case
from ..decide import MEAN95, RANGE

NET, LINEAR, TOY = "mlp-digits", "softmax-digits", "toy"
NET_TIERS = ("quick", "full")  # mlp-digits exists at these tiers
SEEDS = (0, 1, 2, 3, 4)
DATA_DRAWS = (0, 1, 2)
PRIMARY_BN = {"bn": "recomputed"}
VARIANTS = ("frozen", "interpolated", "batch")
NO_BN = "no batch norm: the four BN definitions coincide"
PRIMARY, CONTROL = Role.PRIMARY, Role.CONTROL


def _net(claim, name, protocol, params, definition=PRIMARY_BN, **kw) -> Case:
    return Case(claim, name, protocol, on=kw.pop("on", NET), params=params, definition=definition,
                samples=kw.pop("samples", SEEDS), tiers=kw.pop("tiers", NET_TIERS), **kw)


def _declare() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    # A1 -------------------------------------------------------------------------------------------
    add(_net("A1", "mlp", av.av_prevalence, {"model": "mlp"}, role=PRIMARY, statistic=MEAN95, note=NO_BN))
    add(_net("A1", "mlp-bn-recomputed", av.av_prevalence, {"model": "mlp-bn"}, role=PRIMARY, statistic=MEAN95))
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
    add(_net("A2", "mlp", av.av_swa_gaps, {"model": "mlp"}, role=PRIMARY, statistic=MEAN95, note=NO_BN))
    add(_net("A2", "mlp-bn-recomputed", av.av_swa_gaps, {"model": "mlp-bn"}, role=PRIMARY, statistic=MEAN95))
    for d in VARIANTS:
        add(_net("A2", f"mlp-bn-{d}", av.av_swa_gaps, {"model": "mlp-bn"}, {"bn": d}, statistic=MEAN95,
                 note="interpolated: at the ends of the line SGD -> SWA = recomputed, by construction"
                      if d == "interpolated" else ""))
    add(_net("A2", "control-quadratic", av.av_swa_gaps, {"model": "quadratic"}, on=LINEAR, role=CONTROL,
             statistic=MEAN95, holds_if=("on an exact quadratic (a symmetric valley) the average of the SGD iterates "
                                         "had a higher training and a lower test loss than the final iterate")))
    # A3 -------------------------------------------------------------------------------------------
    add(_net("A3", "mlp", av.av_flat_side, {"model": "mlp"}, role=PRIMARY, statistic=MEAN95, note=NO_BN))
    add(_net("A3", "mlp-bn-recomputed", av.av_flat_side, {"model": "mlp-bn"}, role=PRIMARY, statistic=MEAN95))
    for d in VARIANTS:
        add(_net("A3", f"mlp-bn-{d}", av.av_flat_side, {"model": "mlp-bn"}, {"bn": d}, statistic=MEAN95))
    flat = (Check("flat_side_contrast", "<=", -0.1, "as the claim: the point's side rises more slowly by at least a "
                  "tenth of the mean rise"),)
    for model in ("mlp", "mlp-bn"):
        add(_net("A3", f"control-random-line-{model}", av.av_flat_side, {"model": model, "line": "random"},
                 role=CONTROL, statistic=MEAN95, checks=flat,
                 holds_if=("the SWA point sat on the flat side of a random line through it (from SWA - |SWA - SGD| v) "
                           "as well: the SGD -> SWA direction would not be special")))
    # A4 -------------------------------------------------------------------------------------------
    add(Case("A4", "sgd-solution", av.av_neuron, on=TOY, definition={"point": "sgd"}, samples=DATA_DRAWS,
             role=PRIMARY, statistic=RANGE, note="samples: data draws of gaussians (data_seed)"))
    add(Case("A4", "exact-minimum", av.av_neuron, on=TOY, definition={"point": "minimum"}, samples=DATA_DRAWS,
             statistic=RANGE))
    add(Case("A4", "control-quadratic-surrogate", av.av_neuron, on=TOY, params={"surface": "quadratic-surrogate"},
             definition={"point": "sgd"}, samples=DATA_DRAWS, role=CONTROL, statistic=RANGE,
             holds_if=("the neuron's symmetric second-order surrogate at its minimum, probed at the SGD solution, had "
                       "a direction with margin >= c (possible: the SGD solution is off the minimum)")))
    # A5 -------------------------------------------------------------------------------------------
    add(_net("A5", "mlp", av.av_l2, {"model": "mlp", "l2": av.L2}, role=PRIMARY, statistic=MEAN95, note=NO_BN))
    add(_net("A5", "mlp-bn-recomputed", av.av_l2, {"model": "mlp-bn", "l2": av.L2}, role=PRIMARY, statistic=MEAN95))
    add(_net("A5", "control-strong-l2", av.av_l2, {"model": "mlp", "l2": av.L2_STRONG}, role=CONTROL,
             statistic=MEAN95,
             holds_if=("an L2 penalty 100x stronger (5e-2) also kept the fraction within a factor 1.5 (the band would "
                       "not tell an effect of L2 from none)")))
    # A6 -------------------------------------------------------------------------------------------
    add(_net("A6", "recomputed", av.av_batchnorm, {}, role=PRIMARY, statistic=MEAN95))
    for d in VARIANTS:
        add(_net("A6", d, av.av_batchnorm, {}, {"bn": d}, statistic=MEAN95))
    add(_net("A6", "control-twin", av.av_batchnorm, {"twin": True}, role=CONTROL, statistic=MEAN95,
             holds_if=("the same MLP without batch norm at seeds 5-9 showed more asymmetry than at seeds 0-4, beyond "
                       "the seed spread")))
    return cs


CASES: tuple[Case, ...] = tuple(_declare())

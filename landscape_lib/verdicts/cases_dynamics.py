"""Cases of issue 10: C11 on real networks, C14 (tunnel width against hyperparameters), C16 (SWA across
wedges). Declared as data (``cases.Case``) before anything was measured; the declared numbers they use
(budgets, grids, levels) are the constants of ``measure/protocols_dynamics.py``; both are entered in
claims/RULES.md (section "C11 real, C14, C16 (issue 10)").
"""

from __future__ import annotations

SEEDS3 = ((0, 1, 2),)  # one C14 sample: the sweep over seeds 0..2 (its Spearman carries its own interval)
SEEDS5 = (0, 1, 2, 3, 4)
C16_SEEDS = (0, 1, 2, 3)  # optimum 11 chooses the max-LR window and is no sample

# hyperparameter -> (claimed sign of the trend, declared rising range, "too strong" values reported beside)
C14_SWEEPS = {
    "lr": (+1, (1e-3, 3e-3, 1e-2, 3e-2), ()),
    "batch_size": (-1, (32, 64, 128, 256), ()),
    "l2": (+1, (0.0, 1e-5, 1e-4, 1e-3), (1e-2,)),
    "dropout": (+1, (0.0, 0.1, 0.2, 0.3), (0.5,)),
}
C14_DEFINITIONS = {  # name -> definition; the first is the paper's protocol (primary)
    "budget-angular": {"training": "budget", "width": "angular"},
    "loss-matched-angular": {"training": "loss-matched", "width": "angular"},
    "budget-absolute": {"training": "budget", "width": "absolute"},
}


def declare() -> list:
    from .cases import Case
    from .decide import MEAN95, Statistic

    given = Statistic("given")
    cs: list = []
    add = cs.append
    # C14 ------------------------------------------------------------------------------------------
    for hp, (sign, values, too_strong) in C14_SWEEPS.items():
        params = {"hyperparameter": hp, "values": values, "sign": sign, "too_strong": too_strong}
        for dname, definition in C14_DEFINITIONS.items():
            # the "too strong" points are reported beside the budget runs only (D13: a too-strong L2 run cannot
            # reach the loss-matched level, and 6,000 updates per seed bought nothing)
            p = params if definition["training"] == "budget" else {**params, "too_strong": ()}
            add(Case("C14", f"{hp}-{dname}", "net.width_sweep", on="net", params=p, definition=definition,
                     samples=SEEDS3, primary=dname == "budget-angular", statistic=given))
        if hp != "dropout":  # SoftmaxRegression has no hidden units to drop
            add(Case("C14", f"control-softmax-{hp}", "net.width_sweep", on="softmax-digits", params=params,
                     definition=C14_DEFINITIONS["budget-angular"], samples=SEEDS3, control=True, statistic=given,
                     holds_if=(f"the convex model's angular tunnel width trended with {hp} in the claimed direction "
                               "beyond noise (then width tracks the hyperparameter without wedges, and the MLP's "
                               "trend is no evidence for the wedge picture)")))
    # C11 on real networks -------------------------------------------------------------------------
    for point in ("optimum", "checkpoint"):
        add(Case("C11", f"{point}-gaussian-a0.1", "net.isotropy", on="net", params={"point": point},
                 definition={"distance": 0.1, "directions": "gaussian"}, samples=SEEDS5, primary=True,
                 statistic=MEAN95))
    add(Case("C11", "optimum-gaussian-a0.03", "net.isotropy", on="net", params={"point": "optimum"},
             definition={"distance": 0.03, "directions": "gaussian"}, samples=SEEDS5, statistic=MEAN95))
    add(Case("C11", "optimum-filter-a0.1", "net.isotropy", on="net", params={"point": "optimum"},
             definition={"distance": 0.1, "directions": "filter"}, samples=SEEDS5, statistic=MEAN95))
    add(Case("C11", "control-hessian-top", "net.isotropy", on="net", params={"point": "optimum", "n_dirs": 50},
             definition={"distance": 0.1, "directions": "hessian"}, samples=(0, 1, 2), control=True,
             statistic=MEAN95,
             holds_if=("the loss rose alike (cv <= 0.1, every increase > 0, at least as isotropic as the null's top "
                       "axes) along the Hessian's top 50 eigenvectors: probes aligned with the curvature would "
                       "then see a round well too")))
    add(Case("C11", "control-tiny-mlp", "net.isotropy", on="net", params={"point": "tiny"},
             definition={"distance": 0.1, "directions": "gaussian"}, samples=SEEDS5, control=True,
             statistic=MEAN95,
             holds_if=("random probes around the optimum of a tiny network (MLP 1-2-2 on two 1-D Gaussians, D = 10) "
                       "saw an isotropic, increasing well: without high dimension there is no concentration")))
    # C16 ------------------------------------------------------------------------------------------
    add(Case("C16", "cyclic-sgd", "net.swa_cyclic", on="net", samples=C16_SEEDS, primary=True, statistic=MEAN95))
    add(Case("C16", "control-same-basin", "net.swa_same_basin", on="net", samples=C16_SEEDS, control=True,
             statistic=MEAN95,
             holds_if=("five same-basin neighbours of the optimum moved by 5% of its norm (and re-descended) had "
                       "landed in different wedges -- weight average worse than them, a barrier between them -- "
                       "while the 1% neighbours had not")))
    add(Case("C16", "pipeline-softmax", "net.swa_cyclic", on="softmax-digits", samples=C16_SEEDS,
             statistic=MEAN95))
    return cs

"""Cases of isotropic radial tunnels: C11 on the toy model (D = 100 to 10^4) and on the tier's networks, and its
positive control on the toy model."""

from __future__ import annotations

from ...protocols import isotropy as iso
from ...types import Role
from ..case import Case
from ..decide import MEAN95
from .samples import SEEDS5

PRIMARY, REPLICATION, CONTROL, POSITIVE = Role.PRIMARY, Role.REPLICATION, Role.CONTROL, Role.POSITIVE
OUTSIDE_SCOPE = "D = 100 is below the 'high dimension' the claim's concentration argument needs: a variant"


def _declare() -> list[Case]:
    cs: list[Case] = []
    add = cs.append
    for D in (100, 1000, 10000):
        add(Case("C11", f"D{D}", iso.toy_isotropy, params={"D": D, "n": int(0.9 * D)}, samples=SEEDS5,
                 role=REPLICATION if D >= 1000 else Role.VARIANT, statistic=MEAN95,
                 controls=("control-D3",) if D >= 1000 else (), note="" if D >= 1000 else OUTSIDE_SCOPE))
    add(Case("C11", "positive-D1000", iso.toy_isotropy, params={"D": 1000, "n": 900}, samples=SEEDS5, role=POSITIVE,
             statistic=MEAN95,
             planted=("a point near an n-wedge (gradient flow to 0.1 x its loss) of the toy at D = 1000, n = 900: the "
                      "smallest D the claim's 'high dimension' covers (D = 100 is outside it); 5 seeds as the network "
                      "primary")))
    add(Case("C11", "control-D3", iso.toy_isotropy, params={"D": 3, "n": 2}, samples=SEEDS5, role=CONTROL,
             statistic=MEAN95,
             holds_if="probes in D = 3 saw an isotropic, increasing well, more isotropic than the null"))
    for point in ("optimum", "checkpoint"):
        add(Case("C11", f"{point}-gaussian-a0.1", iso.net_isotropy, on="net", params={"point": point},
                 definition={"distance": 0.1, "directions": "gaussian"}, samples=SEEDS5, role=PRIMARY,
                 statistic=MEAN95, controls=("control-hessian-top", "control-tiny-mlp")))
    add(Case("C11", "optimum-gaussian-a0.03", iso.net_isotropy, on="net", params={"point": "optimum"},
             definition={"distance": 0.03, "directions": "gaussian"}, samples=SEEDS5, statistic=MEAN95))
    add(Case("C11", "optimum-filter-a0.1", iso.net_isotropy, on="net", params={"point": "optimum"},
             definition={"distance": 0.1, "directions": "filter"}, samples=SEEDS5, statistic=MEAN95))
    add(Case("C11", "control-hessian-top", iso.net_isotropy, on="net", params={"point": "optimum", "n_dirs": 50},
             definition={"distance": 0.1, "directions": "hessian"}, samples=(0, 1, 2), role=CONTROL,
             statistic=MEAN95,
             holds_if=("the loss rose alike (cv <= 0.1, every increase > 0, at least as isotropic as the null's top "
                       "axes) along the Hessian's top 50 eigenvectors: probes aligned with the curvature would "
                       "then see a round well too")))
    add(Case("C11", "control-tiny-mlp", iso.net_isotropy, on="net", params={"point": "tiny"},
             definition={"distance": 0.1, "directions": "gaussian"}, samples=SEEDS5, role=CONTROL,
             statistic=MEAN95,
             holds_if=("random probes around the optimum of a tiny network (MLP 1-2-2 on two 1-D Gaussians, D = 10) "
                       "saw an isotropic, increasing well: without high dimension there is no concentration")))
    return cs


CASES: tuple[Case, ...] = tuple(_declare())

"""C2 (§3.3): optimizing on a random d-hyperplane works iff d >= D - n, whatever the draw of M."""

import pytest

from landscape_lib import verdict
from landscape_lib.report import plots as report
from landscape_lib.measure import toy as tx
from landscape_lib.geometry.toy import WedgeLandscape

SHAPES = [(20, 12), (100, 80), (1000, 900)]
CASES = [pytest.param(D, n, seed, "exact", id=f"D{D}-n{n}-seed{seed}-exact") for D, n in SHAPES for seed in (0, 1)]
CASES += [pytest.param(100, 80, 0, "adam", id="D100-n80-seed0-adam"),
          pytest.param(1000, 900, 0, "adam", id="D1000-n900-seed0-adam", marks=pytest.mark.tiers("full", "paper"))]


@pytest.mark.claim("C2")
@pytest.mark.parametrize("D,n,seed,solver", CASES)
def test_C2_hyperplane_threshold(D, n, seed, solver, request):
    land = WedgeLandscape(D, n)
    m = tx.hyperplane_threshold(land, seed, solver=solver, draws=3 if solver == "exact" else 1)
    fig = report.sweep(m["_d"], m["_ratio"], xlabel="hyperplane dimension d", ylabel="reached loss / start loss",
                       title=f"C2 {land!r}, solver={solver}", vline=D - n, vlabel="D-n")
    verdict.check_claim("C2", request.node.callspec.id, m, plot=fig,
                  config={"D": D, "n": n, "seed": seed, "solver": solver, "success": "loss <= 1e-6 x start"})


@pytest.mark.claim("C2")
@pytest.mark.control
@pytest.mark.parametrize("D,n", [(100, 80), (1000, 900)], ids=["D100-n80", "D1000-n900"])
def test_C2_control_wrong_threshold_is_refuted(D, n):
    """The same measurement against a wrong prediction, d_lim = D - n - 5, must be refuted:
    d = D - n - 5 fails for every draw of M."""
    land = WedgeLandscape(D, n)
    m = tx.hyperplane_threshold(land, 0, predicted=D - n - 5)
    verdict.check_claim("C2", f"D{D}-n{n}-predicted-D-n-5", m, control=True,
                  config={"D": D, "n": n, "predicted d_lim": D - n - 5})

"""C17 (§3.2; rebuttal): the toy verdicts depend on D and n, not on the wedges' alignment."""

import pytest

from landscape_lib import verdict
from landscape_lib.report import plots as report
from landscape_lib.measure import toy as tx
from landscape_lib.geometry.toy import WedgeLandscape


@pytest.mark.claim("C17")
@pytest.mark.parametrize("seed", [0, 1], ids=["toy-D100-n80-seed0", "toy-D100-n80-seed1"])
def test_C17_rotation_invariance(seed, request):
    m = tx.rotation_verdicts(100, 80, seed)
    names = list(m["verdicts"])
    same = [float(v.split(" / ")[0] == v.split(" / ")[1]) for v in m["verdicts"].values()]
    fig = report.bars(names, same, ylabel="same verdict aligned vs rotated (1 = yes)", title="C17 toy D=100 n=80")
    verdict.check_claim("C17", request.node.callspec.id, {**m, "verdicts": "; ".join(f"{k}: {v}" for k, v in m["verdicts"].items())},
                  plot=fig, config={"D": 100, "n": 80, "seed": seed, "rotation": "Haar random"})


@pytest.mark.claim("C17")
@pytest.mark.control
def test_C17_control_changing_n_changes_verdicts():
    """The same comparison against a landscape with n = 0 (a single convex well) must see changes."""
    m = tx.rotation_verdicts(100, 80, 0, other=WedgeLandscape(100, 0))
    verdict.check_claim("C17", "toy-D100-n80-vs-n0", {**m, "verdicts": str(m["verdicts"])}, control=True,
                  config={"D": 100, "n": "80 vs 0"})

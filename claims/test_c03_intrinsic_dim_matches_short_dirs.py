"""C3 (§4.2): the intrinsic dimension d90 matches the number of short directions at an optimum."""

import pytest

from landscape_lib import verdict
from landscape_lib.measure import real as rx
from landscape_lib.report import plots as report


_MEMO: dict = {}


def _measure(prob, opt, fraction):
    key = (id(prob), id(opt), fraction)
    if key not in _MEMO:
        _MEMO[key] = rx.intrinsic_vs_count(prob, opt.theta_init, opt.theta, opt.test_acc, fraction)
    return _MEMO[key]


@pytest.mark.claim("C3")
@pytest.mark.real
@pytest.mark.parametrize("fraction", rx.FRACTIONS, ids=[f"threshold{f:g}" for f in rx.FRACTIONS])
@pytest.mark.parametrize("seed", [0, 1], ids=["seed0", "seed1"])
def test_C3_intrinsic_dim_matches_short_dirs(net, seed, fraction, optima, problem, request):
    m = _measure(problem(net), optima(net)[seed], fraction)
    fig = report.sweep(m["_d"], m["_acc"], xlabel="subspace dimension d", ylabel="test accuracy", logy=False,
                       title=f"C3 {net} seed {seed}: d90 = {m['d90']}, count(>{fraction:g} top) = {m['count']}",
                       vline=m["count"], vlabel="short directions")
    verdict.check_claim("C3", request.node.callspec.id, m, plot=fig,
                  config={"net": net, "seed": seed, "threshold": f"{fraction:g} x top eigenvalue at the optimum",
                          "d90": "Adam 500 steps from the init in P = theta M + P0, 90% of the optimum's test acc"})


@pytest.mark.claim("C3")
@pytest.mark.real
@pytest.mark.control
def test_C3_control_softmax_regression(optima, problem):
    m = _measure(problem("softmax-digits"), optima("softmax-digits")[0], rx.DECLARED_FRACTION)
    verdict.check_claim("C3", "softmax-digits-threshold0.1", m, control=True, config={"net": "softmax-digits"})

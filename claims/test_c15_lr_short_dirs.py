"""C15 (Fig 4 right): a higher learning rate gives fewer short directions at the optimum."""

import dataclasses

import pytest

from landscape_lib import verdict
from landscape_lib.measure import real as rx
from landscape_lib.report import plots as report

LOW, HIGH = 3e-3, 3e-2


def _pair(tier_spec, optima, label, seed):
    base = {**tier_spec.configs, **tier_spec.controls}[label]
    low = optima(dataclasses.replace(base, lr=LOW), k=2)[seed]
    high = optima(dataclasses.replace(base, lr=HIGH), k=2)[seed]
    return low, high


@pytest.mark.claim("C15")
@pytest.mark.real
@pytest.mark.parametrize("threshold", ["shared", "own"])
@pytest.mark.parametrize("seed", [0, 1], ids=["seed0", "seed1"])
def test_C15_lr_short_dirs(net, seed, threshold, tier_spec, optima, problem, request):
    low, high = _pair(tier_spec, optima, net, seed)
    m = rx.lr_counts(problem(net), low.theta, high.theta, threshold)
    fig = report.bars([f"lr {LOW:g}", f"lr {HIGH:g}"], [m["count_low_lr"], m["count_high_lr"]],
                      ylabel="short directions at the optimum", title=f"C15 {net} seed {seed} ({threshold} threshold)")
    verdict.check_claim("C15", request.node.callspec.id, m, plot=fig,
                  config={"net": net, "seed": seed, "lr": f"{LOW:g} vs {HIGH:g}", "threshold": threshold,
                          "optima": "Adam to train CE 1e-3"})


@pytest.mark.claim("C15")
@pytest.mark.real
def test_C15_lr_short_dirs_softmax(tier_spec, optima, problem):
    """The same measurement on the convex SoftmaxRegression (not a control: reported beside the network)."""
    low, high = _pair(tier_spec, optima, "softmax-digits", 0)
    m = rx.lr_counts(problem("softmax-digits"), low.theta, high.theta, "shared")
    verdict.check_claim("C15", "softmax-digits-seed0-shared", m, config={"net": "softmax-digits", "threshold": "shared"})


@pytest.mark.claim("C15")
@pytest.mark.real
@pytest.mark.control
@pytest.mark.parametrize("seed", [0, 1], ids=["seed0", "seed1"])
def test_C15_control_reversed_learning_rates(net, seed, tier_spec, optima, problem):
    """The comparison turned around (high lr as the 'low' one): the claim predicts no drop."""
    low, high = _pair(tier_spec, optima, net, seed)
    m = rx.lr_counts(problem(net), high.theta, low.theta, "shared")
    verdict.check_claim("C15", f"{net}-seed{seed}-reversed", m, control=True,
                  config={"net": net, "lr": f"{HIGH:g} vs {LOW:g} (reversed)"})

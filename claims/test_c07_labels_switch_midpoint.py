"""C7 (Fig 3 right; rebuttal): predicted labels along the tunnel switch from A's to B's at the middle."""

import pytest

from landscape_lib import verdict
from landscape_lib.measure import real as rx
from landscape_lib.report import plots as report

PAIRS = [(0, 1), (1, 2), (2, 3)]


@pytest.mark.claim("C7")
@pytest.mark.real
@pytest.mark.parametrize("inputs", ["test", "noised", "gaussian"])
@pytest.mark.parametrize("pair", PAIRS, ids=[f"pair{a}-{b}" for a, b in PAIRS])
def test_C7_labels_switch_midpoint(net, pair, inputs, problem, tunnel, request):
    m = rx.label_switch(problem(net), tunnel(net, *pair, "budget"), inputs)
    fig = report.label_agreement(m["_t"], m["_a"], m["_b"], title=f"C7 {net} optima {pair}: {inputs} inputs "
                                 f"({m['disagreements']} disagree)") if m["_a"] else None
    verdict.check_claim("C7", request.node.callspec.id, m, plot=fig,
                  config={"net": net, "pair": str(pair), "inputs": inputs, "tunnel": "budget",
                          "min disagreements": rx.MIN_DISAGREEMENTS})


@pytest.mark.claim("C7")
@pytest.mark.real
@pytest.mark.control
def test_C7_control_same_basin(net, tier_spec, trajectory, problem):
    """A tunnel between two points of one run (train CE 1e-2 and 1e-3): on test inputs they agree,
    so there is nothing to switch."""
    import dataclasses

    from landscape_lib.measure import real as rx

    cfg = tier_spec.configs[net]
    early, late = trajectory(dataclasses.replace(cfg, target_loss=1e-2)), trajectory(cfg)
    prob = problem(net)
    path = rx.build_tunnel(prob, early.theta, late.theta, "budget", rx.PathConfig(k=4, refine=0, steps=300))
    m = rx.label_switch(prob, path, "test")
    verdict.check_claim("C7", f"{net}-same-run", m, control=True, config={"net": net, "points": "one run, CE 1e-2 and 1e-3"})

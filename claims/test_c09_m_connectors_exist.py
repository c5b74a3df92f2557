"""C9 (§4.3): low-loss m-connectors exist between m + 1 optima."""

import pytest

from landscape_lib import verdict
from landscape_lib.measure import real as rx
from landscape_lib.report import plots as report


@pytest.mark.claim("C9")
@pytest.mark.real
@pytest.mark.parametrize("nodes", ["budget", "loss-matched"])
@pytest.mark.parametrize("m", [1, 2, 3, 4], ids=[f"m{m}" for m in (1, 2, 3, 4)])
def test_C9_m_connectors_exist(net, m, nodes, optima, problem, request):
    import torch

    ops = optima(net)
    if len(ops) < m + 1:
        pytest.skip(f"this tier trains {len(ops)} optima; m = {m} needs {m + 1}")
    prob = problem(net)
    meas, _ = rx.m_connector_metrics(prob, torch.stack([o.theta for o in ops[: m + 1]]), nodes)
    fig = report.bars(["optima (mean)", "centroid", "optimized middle", "worst piece"],
                      [meas["endpoint_loss"], meas["centroid_loss"], meas["middle_loss"], meas["max_piece_loss"]],
                      ylabel="train cross-entropy", title=f"C9 {net}: {m}-connector ({nodes})", logy=True)
    verdict.check_claim("C9", request.node.callspec.id, meas, plot=fig, config={"net": net, "m": m, "nodes": nodes})


@pytest.mark.claim("C9")
@pytest.mark.real
@pytest.mark.control
def test_C9_control_unoptimized_centroid(net, optima, problem):
    import torch

    ops = optima(net)
    prob = problem(net)
    O = prob.theta(torch.stack([o.theta for o in ops[:3]]))
    ends = float(prob.train_losses(O).mean())
    c = float(prob.train_losses(O.mean(0, keepdim=True))[0])
    verdict.check_claim("C9", f"{net}-m2-centroid", {"connector_ratio": c / ends, "centroid_fraction": 1.0}, control=True,
                  config={"net": net, "m": 2, "point": "raw centroid"})

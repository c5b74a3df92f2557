"""C5 (§4.2, §3.3): the hyperplane-constrained tunnel between two optima stays at low loss."""

import pytest

from landscape_lib import verdict
from landscape_lib.report import plots as report
from landscape_lib.measure import toy as tx
from landscape_lib.geometry.toy import WedgeLandscape

TOY = [(100, 80, s) for s in (0, 1)] + [(1000, 900, s) for s in (0, 1)]
PATHS = ["paper", "intersection"]


@pytest.mark.claim("C5")
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("D,n,seed", TOY, ids=[f"toy-D{D}-n{n}-seed{s}" for D, n, s in TOY])
def test_C5_tunnel_low_loss_toy(D, n, seed, path, request):
    m = tx.tunnel_experiment(WedgeLandscape(D, n), seed, path=path)
    fig = report.path_losses(*m["_line"], *m["_path"], title=f"C5 toy D={D} n={n}: {path} path")
    verdict.check_claim("C5", request.node.callspec.id, m, plot=fig,
                  config={"model": "toy", "D": D, "n": n, "seed": seed, "path": path, "k": 10})


@pytest.mark.claim("C5")
@pytest.mark.control
@pytest.mark.parametrize("D,n", [(100, 80), (1000, 900)], ids=["toy-D100-n80", "toy-D1000-n900"])
def test_C5_control_straight_line_is_not_low(D, n):
    m = tx.tunnel_experiment(WedgeLandscape(D, n), 0, path="straight")
    verdict.check_claim("C5", f"toy-D{D}-n{n}-straight", m, control=True, config={"D": D, "n": n, "path": "straight line"})


PAIRS = [(0, 1), (1, 2), (2, 3)]
NODES = ["budget", "loss-matched"]


@pytest.mark.claim("C5")
@pytest.mark.real
@pytest.mark.parametrize("nodes", NODES)
@pytest.mark.parametrize("pair", PAIRS, ids=[f"pair{a}-{b}" for a, b in PAIRS])
def test_C5_tunnel_low_loss_real(net, pair, nodes, optima, problem, tunnel, request):
    from landscape_lib.measure import real as rx

    ops = optima(net)
    m = rx.tunnel_metrics(problem(net), ops[pair[0]].theta, ops[pair[1]].theta, tunnel(net, *pair, nodes))
    fig = report.path_losses(*m["_line"], *m["_path"], title=f"C5 {net} optima {pair}: tunnel ({nodes}) vs line")
    verdict.check_claim("C5", request.node.callspec.id, m, plot=fig,
                  config={"net": net, "pair": str(pair), "nodes": nodes, **rx.PathConfig().__dict__})


@pytest.mark.claim("C5")
@pytest.mark.real
@pytest.mark.control
def test_C5_control_straight_line_real(net, optima, problem):
    from landscape_lib.geometry import connectors as cn
    from landscape_lib.measure import real as rx

    ops = optima(net)
    prob = problem(net)
    A, B = prob.theta(ops[0].theta), prob.theta(ops[1].theta)
    m = rx.tunnel_metrics(prob, A, B, cn.straight(prob.train_losses, A, B, k=10, per_piece=4))
    verdict.check_claim("C5", f"{net}-pair0-1-straight", m, control=True, config={"net": net, "path": "straight line"})

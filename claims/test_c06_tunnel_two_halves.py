"""C6 (Fig 3 middle): tunnel deviations form two aligned, mutually orthogonal halves."""

import pytest
import torch

from landscape_lib import verdict
from landscape_lib.geometry import connectors as cn
from landscape_lib.report import plots as report
from landscape_lib.measure import toy as tx
from landscape_lib.geometry.toy import WedgeLandscape

TOY = [(100, 80, s) for s in (0, 1)] + [(1000, 900, s) for s in (0, 1)]


@pytest.mark.claim("C6")
@pytest.mark.parametrize("path", ["paper", "intersection"])
@pytest.mark.parametrize("D,n,seed", TOY, ids=[f"toy-D{D}-n{n}-seed{s}" for D, n, s in TOY])
def test_C6_tunnel_two_halves_toy(D, n, seed, path, request):
    m = tx.tunnel_experiment(WedgeLandscape(D, n), seed, path=path)
    fig = report.cosine_matrix(m["_cos"], title=f"C6 toy D={D} n={n} {path}: cos(deviations)")
    verdict.check_claim("C6", request.node.callspec.id, m, plot=fig,
                  config={"model": "toy", "D": D, "n": n, "seed": seed, "path": path, "k": 10})


@pytest.mark.claim("C6")
@pytest.mark.control
def test_C6_control_random_deviations():
    """Independent random vectors in D = 1000: no two aligned halves."""
    g = torch.Generator().manual_seed(0)
    V = torch.randn(9, 1000, generator=g, dtype=torch.float64)
    m = cn.halves_alignment(cn.cosine_matrix(V))
    verdict.check_claim("C6", "random-vectors-D1000", m, control=True, config={"vectors": 9, "D": 1000})


PAIRS = [(0, 1), (1, 2), (2, 3)]


@pytest.mark.claim("C6")
@pytest.mark.real
@pytest.mark.parametrize("nodes", ["budget", "loss-matched"])
@pytest.mark.parametrize("pair", PAIRS, ids=[f"pair{a}-{b}" for a, b in PAIRS])
def test_C6_tunnel_two_halves_real(net, pair, nodes, optima, problem, tunnel, request):
    from landscape_lib.measure import real as rx

    ops = optima(net)
    path = tunnel(net, *pair, nodes)
    m = rx.tunnel_metrics(problem(net), ops[pair[0]].theta, ops[pair[1]].theta, path)
    fig = report.cosine_matrix(m["_cos"], title=f"C6 {net} optima {pair} ({nodes}): cos(deviations)")
    verdict.check_claim("C6", request.node.callspec.id, m, plot=fig,
                  config={"net": net, "pair": str(pair), "nodes": nodes, "interior nodes": len(path.nodes) - 2})

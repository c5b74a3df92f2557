"""C10 (§4.3, Fig 4 middle): the number of short directions in the middle of an m-connector grows with m."""

import pytest

from landscape_lib import verdict
from landscape_lib.report import plots as report
from landscape_lib.measure import toy as tx
from landscape_lib.geometry.toy import WedgeLandscape

TOY = [pytest.param(100, 80, s, c, k, id=f"toy-D100-n80-seed{s}-{c}-{k}")
       for s in (0, 1) for c in ("paper", "intersection") for k in ("hessian", "pinned")]
TOY += [pytest.param(1000, 900, 0, c, "pinned", id=f"toy-D1000-n900-seed0-{c}-pinned")
        for c in ("paper", "intersection")]


@pytest.mark.claim("C10")
@pytest.mark.parametrize("D,n,seed,construction,count", TOY)
def test_C10_m_connector_short_dirs_toy(D, n, seed, construction, count, request):
    m = tx.m_connector_counts(WedgeLandscape(D, n), seed, construction, count, m_max=4)
    fig = report.sweep(m["_m"], m["_counts"], xlabel="m (connector between m+1 optima)",
                       ylabel=f"short directions at the middle ({count})", logy=False,
                       title=f"C10 toy D={D} n={n} {construction}")
    verdict.check_claim("C10", request.node.callspec.id, m, plot=fig,
                  config={"model": "toy", "D": D, "n": n, "seed": seed, "construction": construction,
                          "count": count, "m": "1..4"})


@pytest.mark.claim("C10")
@pytest.mark.control
def test_C10_control_connectors_inside_one_wedge():
    m = tx.m_connector_counts(WedgeLandscape(100, 80), 0, "intersection", "pinned", m_max=4, same_wedge=True)
    verdict.check_claim("C10", "toy-D100-n80-one-wedge-pinned", m, control=True, config={"D": 100, "n": 80, "wedges": "one"})


ORDERS = [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]]


@pytest.mark.claim("C10")
@pytest.mark.real
@pytest.mark.parametrize("order", ORDERS, ids=["order01234", "order43210", "order20413"])
def test_C10_m_connector_short_dirs_real(net, order, optima, problem, request):
    import torch

    from landscape_lib.measure import real as rx

    ops = optima(net)
    if len(ops) < 5:
        pytest.skip(f"needs 5 optima, this tier trains {len(ops)}")
    m = rx.connector_counts(problem(net), torch.stack([o.theta for o in ops]), order)
    fig = report.sweep(m["_m"], m["_counts"], xlabel="m", ylabel="short directions at the middle", logy=False,
                       title=f"C10 {net}: m-connectors over optima {order}")
    verdict.check_claim("C10", request.node.callspec.id, m, plot=fig,
                  config={"net": net, "order": str(order), "threshold": "0.1 x mean top eigenvalue of the optima"})


@pytest.mark.claim("C10")
@pytest.mark.real
@pytest.mark.control
def test_C10_control_connectors_within_one_basin(net, optima, problem):
    """Five points of one basin (an optimum plus small random displacements): no growth with m."""
    import torch

    from landscape_lib.measure import real as rx

    A = optima(net)[0].theta
    g = torch.Generator().manual_seed(0)
    pts = torch.stack([A] + [A + 1e-2 * A.norm() * (v / v.norm()) for v in torch.randn(4, A.numel(), generator=g)])
    m = rx.connector_counts(problem(net), pts, [0, 1, 2, 3, 4])
    verdict.check_claim("C10", f"{net}-one-basin", m, control=True, config={"net": net, "points": "optimum + 1% moves"})

"""C4 (§2, §3.1, Fig 1): the straight line between two independent optima rises to a loss wall."""

import pytest

from landscape_lib import verdict
from landscape_lib.report import plots as report
from landscape_lib.measure import toy as tx
from landscape_lib.geometry.toy import WedgeLandscape

TOY = [(100, 80, s) for s in (0, 1, 2)] + [(1000, 900, s) for s in (0, 1)]


@pytest.mark.claim("C4")
@pytest.mark.parametrize("D,n,seed", TOY, ids=[f"toy-D{D}-n{n}-seed{s}" for D, n, s in TOY])
def test_C4_linear_path_wall_toy(D, n, seed, request):
    m = tx.tunnel_experiment(WedgeLandscape(D, n), seed, path="straight")
    t, y = m["_line"]
    fig = report.lines(t, {"straight line": y}, xlabel="t (A -> B)", ylabel="toy loss", logy=True,
                       title=f"C4 toy D={D} n={n}: loss on the straight line", hlines={"endpoints": m["endpoint_loss"]})
    verdict.check_claim("C4", request.node.callspec.id, m, plot=fig,
                  config={"model": "toy", "D": D, "n": n, "seed": seed, "optimum": "loss 1e-3 x start"})


@pytest.mark.claim("C4")
@pytest.mark.control
@pytest.mark.parametrize("D,n", [(100, 80), (1000, 900)], ids=["toy-D100-n80", "toy-D1000-n900"])
def test_C4_control_same_wedge_has_no_wall(D, n):
    """Two optima on one wedge (a linear subspace): the line between them stays on it."""
    m = tx.tunnel_experiment(WedgeLandscape(D, n), 0, path="straight", same_wedge=True)
    verdict.check_claim("C4", f"{'toy'}-D{D}-n{n}-same-wedge", m, control=True, config={"D": D, "n": n, "wedges": "one"})


PAIRS = [(0, 1), (1, 2), (2, 3)]


def _line(optima_list, problem_, pair):
    from landscape_lib.geometry import connectors as cn

    a, b = pair
    A, B = problem_.theta(optima_list[a].theta), problem_.theta(optima_list[b].theta)
    line = cn.straight(problem_.train_losses, A, B, k=20, per_piece=2)
    ends = 0.5 * float(line.loss[0] + line.loss[-1])
    return {"wall_ratio": line.max_loss / ends, "line_max": line.max_loss, "endpoint_loss": ends,
            "_t": line.t.tolist(), "_loss": line.loss.tolist()}


@pytest.mark.claim("C4")
@pytest.mark.real
@pytest.mark.parametrize("pair", PAIRS, ids=[f"pair{a}-{b}" for a, b in PAIRS])
def test_C4_linear_path_wall_real(net, pair, optima, problem, request):
    m = _line(optima(net), problem(net), pair)
    fig = report.lines(m["_t"], {"straight line": m["_loss"]}, xlabel="t (A -> B)", ylabel="train cross-entropy",
                       logy=True, title=f"C4 {net}: straight line between optima {pair}",
                       hlines={"endpoints": m["endpoint_loss"]})
    verdict.check_claim("C4", request.node.callspec.id, m, plot=fig,
                  config={"net": net, "pair": str(pair), "optima": "Adam, constant lr, train CE 1e-3"})


@pytest.mark.claim("C4")
@pytest.mark.real
@pytest.mark.control
def test_C4_control_softmax_regression_has_no_wall(optima, problem):
    """Convex: the loss on the line never exceeds the larger endpoint."""
    m = _line(optima("softmax-digits"), problem("softmax-digits"), (0, 1))
    verdict.check_claim("C4", "softmax-digits-pair0-1", m, control=True, config={"net": "softmax-digits"})

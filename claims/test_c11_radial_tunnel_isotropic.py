"""C11 (§3.3): random probes from a point near a wedge see an isotropic, increasing well."""

import pytest

from landscape_lib import verdict
from landscape_lib.report import plots as report
from landscape_lib.measure import toy as tx
from landscape_lib.geometry.toy import WedgeLandscape

TOY = [(D, int(0.9 * D), s) for D in (100, 1000, 10000) for s in (0, 1)]


@pytest.mark.claim("C11")
@pytest.mark.parametrize("D,n,seed", TOY, ids=[f"toy-D{D}-n{n}-seed{s}" for D, n, s in TOY])
def test_C11_radial_tunnel_isotropic_toy(D, n, seed, request):
    m = tx.isotropy(WedgeLandscape(D, n), seed)
    fig = report.histogram(m["_inc"], xlabel="L(P0 + a v) - L(P0), a = 1", title=f"C11 toy D={D} n={n}: random probes")
    verdict.check_claim("C11", request.node.callspec.id, m, plot=fig,
                  config={"model": "toy", "D": D, "n": n, "seed": seed, "a": 1.0, "directions": 256,
                          "P0": "gradient flow stopped at 0.1 x start loss"})


@pytest.mark.claim("C11")
@pytest.mark.control
def test_C11_control_low_dimension():
    """D = 3, n = 2 (the paper's Figure 1 picture): random probes see very different slopes."""
    m = tx.isotropy(WedgeLandscape(3, 2), 0)
    verdict.check_claim("C11", "toy-D3-n2", m, control=True, config={"D": 3, "n": 2})

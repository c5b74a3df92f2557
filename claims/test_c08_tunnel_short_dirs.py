"""C8 (§3.1, Fig 4 left): the number of short directions peaks in the middle of the tunnel."""

import pytest

from landscape_lib import report, toy_experiments as tx, verdict
from landscape_lib.toy import WedgeLandscape

# count=hessian is the paper's definition (curvature); D = 100 keeps dense Hessians cheap.
TOY = [pytest.param(100, 80, s, p, c, id=f"toy-D100-n80-seed{s}-{p}-{c}")
       for s in (0, 1) for p in ("paper", "intersection") for c in ("hessian", "pinned")]
TOY += [pytest.param(1000, 900, 0, p, "pinned", id=f"toy-D1000-n900-seed0-{p}-pinned")
        for p in ("paper", "intersection")]


@pytest.mark.claim("C8")
@pytest.mark.parametrize("D,n,seed,path,count", TOY)
def test_C8_tunnel_short_dirs_toy(D, n, seed, path, count, request):
    m = tx.tunnel_count_profile(WedgeLandscape(D, n), seed, path, count)
    fig = report.sweep(m["_t"], m["_counts"], xlabel="t along the path", ylabel=f"short directions ({count})",
                       title=f"C8 toy D={D} n={n} {path} path", logy=False)
    verdict.check("C8", request.node.callspec.id, m, plot=fig,
                  config={"model": "toy", "D": D, "n": n, "seed": seed, "path": path, "count": count,
                          "hessian threshold": "1.0 = half the top eigenvalue (2) of the squared loss"})


@pytest.mark.claim("C8")
@pytest.mark.control
@pytest.mark.parametrize("count", ["hessian", "pinned"])
def test_C8_control_path_inside_one_wedge(count):
    m = tx.tunnel_count_profile(WedgeLandscape(100, 80), 0, "intersection", count, same_wedge=True)
    verdict.check("C8", f"toy-D100-n80-one-wedge-{count}", m, control=True,
                  config={"D": 100, "n": 80, "wedges": "one", "count": count})

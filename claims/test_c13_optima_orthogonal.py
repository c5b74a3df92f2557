"""C13 (Fig 2): independent optima lie in near-orthogonal radial tunnels."""

import dataclasses

import pytest

from landscape_lib import verdict
from landscape_lib.geometry import radial as geometry
from landscape_lib.report import plots as report


@pytest.mark.claim("C13")
@pytest.mark.real
def test_C13_optima_orthogonal(net, optima, tier_spec, request):
    ops = optima(net)
    cos = geometry.pairwise_cosines([o.theta for o in ops])
    m = {"max_abs_cos": max(abs(c) for c in cos), "mean_cos": sum(cos) / len(cos), "pairs": len(cos)}
    fig = report.histogram(cos, xlabel="cos(theta_i, theta_j)", title=f"C13 {net}: {len(ops)} independent optima",
                           bins=10)
    verdict.check_claim("C13", request.node.callspec.id, m, plot=fig, config={"net": net, "optima": len(ops)})


@pytest.mark.claim("C13")
@pytest.mark.real
@pytest.mark.control
def test_C13_control_two_points_of_one_run(tier_spec, trajectory):
    """One run's points at train CE 1e-2 and at 1e-3 lie in one tunnel: cosine near 1."""
    cfg = tier_spec.configs[next(iter(tier_spec.configs))]
    early = trajectory(dataclasses.replace(cfg, target_loss=1e-2), seed=0)
    late = trajectory(cfg, seed=0)
    cos = geometry.pairwise_cosines([early.theta, late.theta])
    verdict.check_claim("C13", "same-run-ce1e-2-vs-1e-3", {"max_abs_cos": abs(cos[0])}, control=True,
                  config={"points": "one run at CE 1e-2 and 1e-3"})


@pytest.mark.claim("C13")
@pytest.mark.real
@pytest.mark.control
def test_C13_control_softmax_regression(optima):
    """A convex model's optima from different inits share one direction."""
    cos = geometry.pairwise_cosines([o.theta for o in optima("softmax-digits")])
    verdict.check_claim("C13", "softmax-digits", {"max_abs_cos": max(abs(c) for c in cos)}, control=True,
                  config={"net": "softmax-digits"})

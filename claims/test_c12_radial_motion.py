"""C12 (Fig 2; rebuttal): the radius grows during training and the displacement is mostly radial."""

import dataclasses

import pytest

from landscape_lib import verdict
from landscape_lib.geometry import radial as geometry
from landscape_lib.report import plots as report


@pytest.mark.claim("C12")
@pytest.mark.real
@pytest.mark.parametrize("definition", geometry.RADIAL_DEFINITIONS)
@pytest.mark.parametrize("seed", [0, 1, 2], ids=["seed0", "seed1", "seed2"])
def test_C12_radial_motion(net, seed, definition, optima, request):
    opt = optima(net)[seed]
    m = geometry.radial_motion(opt.theta_init, opt.theta, definition)
    h = opt.history
    fig = report.lines(h["step"], {"radius |w|": h["radius"], "|w - w0|": h["dist_from_init"]}, xlabel="step",
                       ylabel="norm", title=f"C12 {net} seed {seed}: radius and distance from the init")
    verdict.check_claim("C12", request.node.callspec.id, m, plot=fig,
                  config={"net": net, "seed": seed, "radial share": definition})


@pytest.mark.claim("C12")
@pytest.mark.real
@pytest.mark.control
def test_C12_control_strong_weight_decay(tier_spec, trajectory):
    """SoftmaxRegression with strong L2 (0.1) for 500 steps: the radius settles where L2 balances the
    gradient and the displacement is not mostly radial."""
    cfg = dataclasses.replace(tier_spec.controls["softmax-digits"], l2=0.1, target_loss=None, max_steps=500)
    opt = trajectory(cfg, seed=0)
    m = geometry.radial_motion(opt.theta_init, opt.theta, "norm-change")
    verdict.check_claim("C12", "softmax-digits-l2-0.1", m, control=True, config={"net": "softmax-digits", "l2": 0.1})

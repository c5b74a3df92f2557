"""Radial structure of optima in weight space: training moves the weights mostly outward at first (C12,
Fig 2), and independent optima lie in near-orthogonal radial tunnels (C13), on trained networks.

Protocols: ``net_radial_motion`` (C12), ``net_optima_cosines`` (C13), ``net_one_run_cosine`` (C13's
same-basin control). Each reports its null beside it: a random displacement of the same length from the
same init (C12); the cosines of the inits and of the displacements (C13).
"""

from __future__ import annotations

import torch

from ..geometry import radial
from ..types import Sample


def radial_at(theta_init: torch.Tensor, theta: torch.Tensor, history: dict, fraction: float, definition: str,
              seed: int = 0) -> Sample:
    """C12 at a fraction of training ("at first": 0.1; the end: 1.0) from the logged radius r(t) and
    distance from the init d(t), with the null beside it: the same share for a random displacement of
    the same length d(t) from the same init (one random direction, ``seed``).

    norm-change share = (r - r0) / d;  cos-to-w share = (r^2 - w0.w) / (d r) with w0.w = (r^2 + r0^2 - d^2) / 2.
    """
    steps = list(history["step"])
    last = steps[-1]
    i = next(k for k, s in enumerate(steps) if s >= fraction * last)
    r0 = float(theta_init.double().norm())
    r, d = float(history["radius"][i]), float(history["dist_from_init"][i])
    if definition == "norm-change":
        share = (r - r0) / d
    elif definition == "cos-to-w":
        share = (r * r - 0.5 * (r * r + r0 * r0 - d * d)) / (d * r)
    else:
        raise ValueError(f"definition must be 'norm-change' or 'cos-to-w', got {definition!r}")
    w0 = theta_init.double()
    g = torch.Generator().manual_seed(20_000 + seed)
    u = torch.randn(w0.shape, generator=g, dtype=torch.float64)
    null = radial.radial_motion(w0, w0 + d * u / u.norm(), definition)["radial_share"]
    return Sample(metrics={"radius_growth": r / r0, "radial_share": share, "radial_share_excess": share - null,
                           "step": steps[i], "of_steps": last, "distance": d},
                  nulls={"radial_share_null": null})


def net_radial_motion(lab, label, sample, definition="norm-change", fraction=0.1) -> Sample:
    """C12: radius growth and the radial share of the displacement from the init after ``fraction`` of
    training, beside the null (a random displacement of the same length from the same init)."""
    opt = lab.optima(label)[sample]
    h = opt.history
    hist = {k: list(map(float, h[k])) for k in ("step", "radius", "dist_from_init")}
    s = radial_at(opt.theta_init, opt.theta, hist, fraction, definition, seed=sample)
    s.arrays["history"] = hist
    return s


def net_optima_cosines(lab, label, sample) -> Sample:
    """C13: cosines between the independent optima ``sample``; beside them the nulls: the cosines of
    their initializations and of their displacements theta_T - theta_0."""
    ops = [lab.optima(label)[i] for i in sample]
    cos = radial.pairwise_cosines([o.theta for o in ops])
    init = radial.pairwise_cosines([o.theta_init for o in ops])
    disp = radial.pairwise_cosines([o.theta - o.theta_init for o in ops])
    return Sample(metrics={"max_abs_cos": max(abs(c) for c in cos), "mean_cos": sum(cos) / len(cos),
                           "pairs": len(cos), "displacement_max_abs_cos": max(abs(c) for c in disp)},
                  nulls={"max_abs_cos_null_init": max(abs(c) for c in init)}, arrays={"cos": cos})


def net_one_run_cosine(lab, label, sample) -> Sample:
    """C13's control: an optimum and its same-basin neighbour (the same measurement; it would hold if
    the move and re-descent landed in a near-orthogonal tunnel)."""
    opt = lab.optima(label)[sample]
    nb = lab.neighbour(label, sample)
    cos = radial.pairwise_cosines([opt.theta, nb])[0]
    disp = radial.pairwise_cosines([opt.theta - opt.theta_init, nb - opt.theta_init])[0]
    return Sample(metrics={"max_abs_cos": abs(cos), "displacement_max_abs_cos": abs(disp)})

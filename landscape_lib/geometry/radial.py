"""Large-scale geometry of trained weights: radius growth, radial motion, angles between optima (Fig 2).

radius_growth = |w_T| / |w_0|; the radial share of the displacement has two definitions, both
reported: ``norm-change`` = (|w_T| - |w_0|) / |w_T - w_0| (the part of the displacement that changed
the norm; 1 = purely outward) and ``cos-to-w`` = cos(w_T - w_0, w_T).
"""

from __future__ import annotations

import itertools

import torch

RADIAL_DEFINITIONS = ("norm-change", "cos-to-w")


def radial_motion(theta_init: torch.Tensor, theta: torch.Tensor, definition: str = "norm-change") -> dict:
    if definition not in RADIAL_DEFINITIONS:
        raise ValueError(f"definition must be one of {RADIAL_DEFINITIONS}, got {definition!r}")
    w0, w = theta_init.double(), theta.double()
    disp = w - w0
    if definition == "norm-change":
        share = (w.norm() - w0.norm()) / disp.norm()
    else:
        share = torch.dot(disp, w) / (disp.norm() * w.norm())
    return {"radius_growth": float(w.norm() / w0.norm()), "radial_share": float(share),
            "radius_init": float(w0.norm()), "radius_final": float(w.norm()), "displacement": float(disp.norm())}


def pairwise_cosines(thetas) -> list[float]:
    """cos(theta_i, theta_j) for every pair i < j."""
    T = [t.double() for t in thetas]
    return [float(torch.dot(a, b) / (a.norm() * b.norm())) for a, b in itertools.combinations(T, 2)]

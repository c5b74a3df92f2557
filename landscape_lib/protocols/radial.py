"""Radial structure of optima in weight space: training moves the weights mostly outward at first (C12,
Fig 2), and independent optima lie in near-orthogonal radial tunnels (C13), on trained networks.

Protocols: ``net_radial_motion`` (C12), ``net_optima_cosines`` (C13), ``net_one_run_cosine`` (C13's
same-basin control), and their positive controls on planted models, measured by the same functions
(``radial_at``, ``optima_cosines``): ``toy_radial_motion`` (C12: a homogeneous model whose every update is
half radial by construction) and ``toy_optima_cosines`` (C13: independent runs on the toy n-wedge cone with a
radial pull). Each reports its null beside it: a random displacement of the same length from the same init
(C12); the cosines of the inits and of the displacements (C13).
"""

from __future__ import annotations

import math

import torch

from ..geometry import radial
from ..geometry.toy import WedgeLandscape, random_points
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


def optima_cosines(thetas, inits) -> Sample:
    """C13's numbers for independent optima ``thetas`` started at ``inits``: max |cos| and mean cos over
    every pair of optima, max |cos| of their displacements theta_T - theta_0, and the null beside them,
    max |cos| of the inits."""
    cos = radial.pairwise_cosines(thetas)
    init = radial.pairwise_cosines(inits)
    disp = radial.pairwise_cosines([t - t0 for t, t0 in zip(thetas, inits)])
    return Sample(metrics={"max_abs_cos": max(abs(c) for c in cos), "mean_cos": sum(cos) / len(cos),
                           "pairs": len(cos), "displacement_max_abs_cos": max(abs(c) for c in disp)},
                  nulls={"max_abs_cos_null_init": max(abs(c) for c in init)}, arrays={"cos": cos})


def net_optima_cosines(lab, label, sample) -> Sample:
    """C13: cosines between the independent optima ``sample``; beside them the nulls: the cosines of
    their initializations and of their displacements theta_T - theta_0."""
    ops = [lab.optima(label)[i] for i in sample]
    return optima_cosines([o.theta for o in ops], [o.theta_init for o in ops])


def net_one_run_cosine(lab, label, sample) -> Sample:
    """C13's control: an optimum and its same-basin neighbour (the same measurement; it would hold if
    the move and re-descent landed in a near-orthogonal tunnel)."""
    opt = lab.optima(label)[sample]
    nb = lab.neighbour(label, sample)
    cos = radial.pairwise_cosines([opt.theta, nb])[0]
    disp = radial.pairwise_cosines([opt.theta - opt.theta_init, nb - opt.theta_init])[0]
    return Sample(metrics={"max_abs_cos": abs(cos), "displacement_max_abs_cos": abs(disp)})


# -- positive controls: the same measurements on planted models ----------------------------------------------
PLANTED_TARGET_LOSS = 1e-3  # trained as the tier's optima are: to a training loss of 1e-3
PLANTED_MAX_STEPS = 100_000


def _train_margin(P0: torch.Tensor, margin_and_grad, lr: float, target: float = PLANTED_TARGET_LOSS,
                  max_steps: int = PLANTED_MAX_STEPS) -> tuple[torch.Tensor, dict]:
    """Gradient descent on the loss softplus(-m(P)) from P0 until the loss is <= ``target``, logging the radius
    |P_t| and the distance from the init |P_t - P0| after every update (the history ``radial_at`` reads).
    ``margin_and_grad(P) -> (m, dm/dP)``; the loss's gradient is -sigmoid(-m) dm/dP."""
    P = P0.clone()
    hist = {"step": [0], "radius": [float(P.norm())], "dist_from_init": [0.0]}
    for t in range(1, max_steps + 1):
        m, g = margin_and_grad(P)
        if float(torch.nn.functional.softplus(-m)) <= target:
            return P, hist
        P = P + lr * torch.sigmoid(-m) * g
        hist["step"].append(t)
        hist["radius"].append(float(P.norm()))
        hist["dist_from_init"].append(float((P - P0).norm()))
    raise RuntimeError(f"the planted model did not reach loss {target:g} in {max_steps} updates")


def planted_radial_direction(P0: torch.Tensor, angle_deg: float, seed: int) -> torch.Tensor:
    """t = cos(a) P0/|P0| + sin(a) u, u a random unit vector orthogonal to P0 (from ``seed``): the unit direction
    every update of ``toy_radial_motion`` takes, at angle a from the init."""
    w = P0.double() / P0.double().norm()
    g = torch.Generator().manual_seed(12_000_003 + seed)  # not the init's stream (12_000 + seed)
    u = torch.randn(P0.shape, generator=g, dtype=torch.float64)
    u = u - torch.dot(u, w) * w
    a = math.radians(angle_deg)
    return math.cos(a) * w + math.sin(a) * u / u.norm()


def toy_radial_motion(lab, label, sample, D=1000, angle_deg=45.0, lr=1.0, definition="norm-change",
                      fraction=0.1) -> Sample:
    """C12's positive control: a homogeneous model whose updates are half radial by construction.

    The loss is softplus(-<P, t>) (a logistic margin of degree 1; its optimal set is the cone <P, t> -> inf),
    with t = ``planted_radial_direction`` at ``angle_deg`` from the init P0 ~ N(0, I / D), so every update
    lr sigmoid(-m) t has radial and tangential parts (relative to the init) in the ratio cos a : sin a (equal
    at 45 degrees). Trained by gradient descent at ``lr`` to loss 1e-3 as the tier's optima, then measured by
    ``radial_at`` (the networks' metric and null) at ``fraction`` of the run.
    """
    P0 = random_points(D, 1, seed=12_000 + sample)[0] / math.sqrt(D)
    t = planted_radial_direction(P0, angle_deg, sample)
    P, hist = _train_margin(P0, lambda P: (torch.dot(P, t), t), lr)
    s = radial_at(P0, P, hist, fraction, definition, seed=sample)
    s.arrays["history"] = hist
    return s


def cone_margin(land: WedgeLandscape):
    """m(P) = |P| - d(P) and its gradient P/|P| - P_S/d(P) (P_S: P's short coordinates, d = |P_S| the toy loss,
    the distance to the nearest n-wedge): a margin of degree 1 whose pull outward (|grad |P|| = 1) and pull toward
    the nearest wedge (|grad d| = 1) are of equal size; it is largest, at given |P|, on the cone of wedges."""
    def f(P):
        sq, g2 = land.squared_loss_and_grad(P)
        d = float(sq) ** 0.5
        r = P.norm()
        return r - d, P / r - (g2 / (2 * d) if d > 0 else torch.zeros_like(P))
    return f


def toy_optima_cosines(lab, label, sample, D=1000, n=900, lr=1.0) -> Sample:
    """C13's positive control: independent optima on the toy n-wedge landscape (axis-aligned wedges, §3.2), each
    run from its own init P0 ~ N(0, I / D) (seed 13_000 + i for i in ``sample``) by gradient descent at ``lr`` on
    softplus(-m), m = ``cone_margin``, to loss 1e-3: each run moves out along the wedge nearest its init (a radial
    tunnel), and independent inits pick near-orthogonal ones in high D. Measured by ``optima_cosines``."""
    land = WedgeLandscape(D, n)
    inits = [random_points(D, 1, seed=13_000 + i)[0] / math.sqrt(D) for i in sample]
    optima = [_train_margin(P0, cone_margin(land), lr)[0] for P0 in inits]
    return optima_cosines(optima, inits)

"""Isotropic radial tunnels (C11, §3.3): random probes from a point near a wedge see a well whose rise is
almost independent of the direction, on the toy model and on trained networks.

Protocols: ``toy_isotropy``, ``net_isotropy``.

On a network: at a point (an optimum at CE 1e-3; the same run's earlier checkpoint at CE 1e-2; or a tiny
model's optimum) the increases L(theta + a u) - L(theta) along ``n_dirs`` unit directions (Gaussian,
filter-normalized, or the Hessian's top eigenvectors) at a = ``distance`` x |theta|: ``probes.isotropy``
(cv, min increase). The null beside it (``quadratic_null``): the same number of probes on ``QuadraticWell(D)``
(a random positive-definite quadratic of the same D, spectrum log-uniform on [1e-2, 1]), at its minimum (for
an optimum) or at the toy's off-minimum start (N(0, I) point, gradient flow to 0.1 x its loss, for the
checkpoint), at a = ``distance`` x |P0| (a = 1 at the minimum, where the cv of a quadratic does not depend
on a). Concentration of measure alone makes any smooth high-D function look isotropic to random probes:
the rule asks the wedges to look at least as isotropic as the null.
"""

from __future__ import annotations

import dataclasses

import torch

from ..geometry import probes
from ..geometry.probes import radial_probe
from ..geometry.toy import QuadraticWell, WedgeLandscape, random_points
from ..types import Sample


PROBE_SEED_OFFSET = 1_000_003  # probe directions from their own stream: with the init's seed, v_1 = I/|I|


def _probe(land, seed: int, near: float, a: float, n_dirs: int) -> tuple[torch.Tensor, float]:
    """Increases along ``n_dirs`` random unit probes of length a from P0 = an N(0, I) point descended to
    ``near`` x its loss; and L(P0)."""
    I = random_points(land.D, 1, seed=seed)[0]
    P0 = land.descend(I, near)
    inc = radial_probe(land.loss, P0, a=a, n_dirs=n_dirs, seed=PROBE_SEED_OFFSET + seed)
    return inc, float(land.loss(P0))


def _cv(inc: torch.Tensor) -> float:
    """std / mean of the increases (inf when the mean is 0)."""
    mean = float(inc.mean())
    return float(inc.std() / mean) if mean != 0 else float("inf")


def isotropy(land: WedgeLandscape, seed: int, near: float = 0.1, a: float = 1.0, n_dirs: int = 256,
             null: bool = True) -> Sample:
    """Probe L(P0 + a v) - L(P0) along random unit v from a point P0 near a wedge (not on it:
    gradient flow stopped at ``near`` x its starting loss).

    The null: the same start recipe and the same probes on ``QuadraticWell(D, seed)``, a smooth
    landscape of the same D without wedges (one quadratic minimum, Hessian spectrum log-uniform over
    two decades): ``cv_null`` and ``cv_minus_null`` = cv - cv_null (the rule asks the wedges to look at
    least as isotropic as the null; concentration of measure alone makes any smooth high-D function
    look isotropic to random probes)."""
    inc, L0 = _probe(land, seed, near, a, n_dirs)
    s = Sample(metrics={"cv": _cv(inc), "min_increase": float(inc.min()), "mean_increase": float(inc.mean()),
                        "L0": L0},
               arrays={"inc": inc.tolist()})
    if null:
        inc0, _ = _probe(QuadraticWell(land.D, seed=seed), seed, near, a, n_dirs)
        s.nulls.update({"cv_null": _cv(inc0), "min_increase_null": float(inc0.min())})
        s.metrics["cv_minus_null"] = s.metrics["cv"] - _cv(inc0)
    return s


def toy_isotropy(lab, label, sample, D, n) -> Sample:
    """C11 on the toy: 256 random unit probes of length 1 from a point near a wedge, and the same probes
    on a smooth quadratic of the same D (the null: ``cv_null``, ``cv_minus_null``)."""
    return isotropy(WedgeLandscape(D, n), sample)


C11_CHECKPOINT_LOSS = 1e-2  # the earlier checkpoint: the same full-batch run stopped at train CE 1e-2
C11_CHECKPOINT_STEP_DIVISOR = 10  # on a configuration trained for a step budget: stopped at a tenth of it
C11_OFF_NEAR = 0.1  # the null's off-minimum start: gradient flow to 0.1 x its starting loss (the toy's)
C11_DIRECTION_SEED = 11_000_003
C11_TINY = {"model": "mlp", "dataset": "gaussians", "train_size": None, "batch_size": None, "hidden": (2,),
            "target_loss": None, "max_steps": 2000}


def quadratic_null(D: int, seed: int, off: bool, distance: float, n_dirs: int, top: bool = False) -> dict:
    """The C11 null: probes of ``QuadraticWell(D, seed)`` at its minimum (off=False, a = 1: there the cv
    of a quadratic does not depend on a) or at the toy's off-minimum start (off=True: an N(0, I) point
    after gradient flow to 0.1 x its loss, a = distance x |P0|); ``n_dirs`` random unit directions, or
    (top=True) the n_dirs axes of largest curvature. Returns cv_null, min_increase_null, a_null."""
    land = QuadraticWell(D, seed=seed)
    if off:
        P0 = land.descend(random_points(D, 1, seed=seed)[0], C11_OFF_NEAR)
        a = distance * float(P0.norm())
    else:
        P0, a = torch.zeros(D, dtype=torch.float64), 1.0
    if top:
        idx = torch.argsort(land.lam, descending=True)[:n_dirs]
        U = torch.zeros(len(idx), D, dtype=torch.float64)
        U[torch.arange(len(idx)), idx] = 1.0
    else:
        U = probes.random_unit_directions(n_dirs, D, seed=C11_DIRECTION_SEED + seed)
    inc = probes.loss_along(land.loss, P0, U, [a])[:, 0] - land.loss(P0)
    iso = probes.isotropy(inc)
    return {"cv_null": iso.cv, "min_increase_null": iso.min, "a_null": a}


def _c11_point(lab, label, sample, point):
    """(problem, optimum) of the probed point: an optimum, the same run's checkpoint, or a tiny model's optimum."""
    from ..nets.config import TrainConfig

    base = lab.config(label)
    if point == "optimum":
        return lab.problem(label), lab.optima(label)[sample]
    if point == "checkpoint":
        if base.target_loss is None:  # a step budget: the same run stopped at a tenth of its steps
            cfg = dataclasses.replace(base, max_steps=max(1, base.max_steps // C11_CHECKPOINT_STEP_DIVISOR))
        else:
            cfg = dataclasses.replace(base, target_loss=C11_CHECKPOINT_LOSS)
        return lab.problem(cfg), lab.optima(cfg, k=max(5, sample + 1))[sample]
    if point == "tiny":
        cfg = dataclasses.replace(base, **C11_TINY)
        assert isinstance(cfg, TrainConfig)
        return lab.problem(cfg), lab.optima(cfg, k=max(5, sample + 1))[sample]
    raise ValueError(f"point must be 'optimum', 'checkpoint' or 'tiny', got {point!r}")


def net_isotropy(lab, label, sample, point="optimum", distance=0.1, directions="gaussian", n_dirs=100) -> Sample:
    """C11 on a network: cv and min of the loss increase at a = distance x |theta| along n_dirs directions
    (gaussian | filter | hessian = the top n_dirs Hessian eigenvectors) at ``point``, beside the null
    (``quadratic_null``: cv_null, cv_minus_null)."""
    prob, opt = _c11_point(lab, label, sample, point)
    th = prob.theta(opt.theta)
    norm = float(th.norm())
    a = distance * norm
    if directions == "hessian":
        from ..geometry.lanczos import top_eigenvalues

        ev, V = top_eigenvalues(prob.curvature_loss, th, n_dirs, return_eigenvectors=True, seed=sample)
        U = V.T.to(th)
    elif directions in ("gaussian", "filter"):
        U = probes.random_directions(n_dirs, th, directions, shapes=prob.flat, seed=C11_DIRECTION_SEED + sample)
    else:
        raise ValueError(f"directions must be 'gaussian', 'filter' or 'hessian', got {directions!r}")
    base = float(prob.train_losses(th.unsqueeze(0))[0])
    inc = probes.loss_along(prob.train_losses, th, U, [a])[:, 0].double() - base
    iso = probes.isotropy(inc)
    null = quadratic_null(prob.D, sample, off=point == "checkpoint", distance=distance,
                          n_dirs=min(n_dirs, prob.D), top=directions == "hessian")
    return Sample(metrics={"cv": iso.cv, "min_increase": iso.min, "mean_increase": iso.mean,
                           "fraction_increasing": iso.fraction_increasing, "L0": base, "a": a, "norm": norm,
                           "D": prob.D, "n_dirs": iso.n_directions, "cv_minus_null": iso.cv - null["cv_null"]},
                  nulls=null, arrays={"inc": inc.tolist()})

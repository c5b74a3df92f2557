"""Tunnel width against hyperparameters (C14, §4.4, Fig 5): wider with learning rate, L2 and dropout,
narrower with batch size, on trained networks.

Protocol: ``net_width_sweep``.

For each value of one hyperparameter (lr, batch_size, l2, dropout) and each seed 0..k-1 of the case's
sample, train the configuration with minibatches of ``C14_BATCH`` (Adam, constant lr, §4.1), either for a
fixed budget of ``C14_EPOCHS`` epochs (training="budget", the paper's protocol) or until the full-batch
training cross-entropy is <= ``C14_MATCHED_LOSS`` (training="loss-matched"). At each trained point theta,
the training cross-entropy (no L2 term, dropout off) along ``C14_N_DIRS`` Gaussian unit directions (the same
directions for every value of a seed) at the distances ``C14_GRID`` x |theta| gives ``probes.tunnel_width`` at
the high-loss level h = ln(C) / 2 (half the chance-level loss): the median over directions, angular
(/ |theta|, the paper's "angular width") or absolute. The trend is the Spearman correlation of width with the
hyperparameter over all runs of the declared rising range, times the claimed sign (+1: lr, l2, dropout; -1:
batch size), with a 95% *stratified* bootstrap interval (``stats.spearman_trend``: the design's values are
fixed, the seeds within each value are resampled). The values beyond the declared "too strong" point are
measured and reported beside, never decided. Every declared number is a module constant here (claims/RULES.md).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ..geometry import probes
from ..stats import spearman_trend
from ..types import Sample

C14_BATCH = 64
C14_EPOCHS = 20
C14_MATCHED_LOSS = 0.05
C14_MATCHED_MAX_STEPS = 6000
C14_N_DIRS = 50
C14_GRID = tuple(float(x) for x in np.geomspace(0.01, 3.0, 16))  # distances in units of |theta|
C14_HIGH_LOSS_FRACTION = 0.5  # h = 0.5 ln(C): half the chance-level cross-entropy
C14_DIRECTION_SEED = 14_000_003
HYPERPARAMETERS = ("lr", "batch_size", "l2", "dropout")


def _n_train(lab, label) -> int:
    """The number of training inputs of a configuration."""
    return int(lab.problem(label).data.X_train.shape[0])


def sweep_config(base, name: str, value, training: str, n_train: int):
    """The training configuration of one sweep point: ``base`` with minibatches of C14_BATCH and
    ``name = value``; a budget of C14_EPOCHS epochs (training="budget") or training to C14_MATCHED_LOSS."""
    if name not in HYPERPARAMETERS:
        raise ValueError(f"hyperparameter must be one of {HYPERPARAMETERS}, got {name!r}")
    if training not in ("budget", "loss-matched"):
        raise ValueError(f"training must be 'budget' or 'loss-matched', got {training!r}")
    cfg = dataclasses.replace(base, **{"batch_size": C14_BATCH, name: value})
    if training == "budget":
        steps = C14_EPOCHS * math.ceil(n_train / min(cfg.batch_size, n_train))
        return dataclasses.replace(cfg, target_loss=None, max_steps=steps)
    return dataclasses.replace(cfg, target_loss=C14_MATCHED_LOSS, max_steps=C14_MATCHED_MAX_STEPS)


def run_width(lab, cfg, opt) -> dict:
    """Tunnel width at one trained point (cached per configuration and seed; shared by the angular and
    absolute definitions)."""
    from ..nets.config import config_hash

    def build():
        prob = lab.problem(cfg)
        th = prob.theta(opt.theta)
        norm = float(th.norm())
        h = C14_HIGH_LOSS_FRACTION * math.log(prob.data.num_classes)
        U = probes.random_directions(C14_N_DIRS, th, "gaussian", seed=C14_DIRECTION_SEED + opt.seed)
        a = [g * norm for g in C14_GRID]
        L = probes.loss_along(prob.train_losses, th, U, a)
        base = float(prob.train_losses(th.unsqueeze(0))[0])
        if not base <= h:
            return {"loss": base, "norm": norm, "error": f"the point's loss {base:.4g} is above h = {h:.4g}"}
        tw = probes.tunnel_width(L, a, h, base_loss=base, theta_norm=norm, min_directions=C14_N_DIRS)
        return {"absolute": tw.median, "angular": tw.angular_median, "iqr": tw.iqr, "censored": tw.n_censored,
                "loss": base, "norm": norm, "high_loss": h, "train_acc": float(opt.train_acc),
                "steps": int(opt.steps)}

    return lab.cached("c14_width", (config_hash(cfg), opt.seed, C14_N_DIRS, C14_GRID, C14_HIGH_LOSS_FRACTION,
                                    C14_DIRECTION_SEED), build, f"C14 width {cfg} seed {opt.seed}")


def net_width_sweep(lab, label, sample, hyperparameter, values, sign, too_strong=(), training="budget",
                    width="angular") -> Sample:
    """C14: the tunnel width of runs trained at each declared value of ``hyperparameter`` (seeds =
    ``sample``, 0..k-1), its signed Spearman trend over the rising range with a stratified bootstrap
    interval, and the "too strong" values reported beside (module docstring)."""
    seeds = tuple(sample)
    if seeds != tuple(range(len(seeds))):
        raise ValueError(f"a sweep sample is the seeds 0..k-1 (lab.optima trains those), got {seeds}")
    if width not in ("angular", "absolute"):
        raise ValueError(f"width must be 'angular' or 'absolute', got {width!r}")
    base, n = lab.config(label), _n_train(lab, label)

    def widths_at(value, decided):
        from ..nets.config import TargetNotReached

        cfg = sweep_config(base, hyperparameter, value, training, n)
        try:
            ops = lab.optima(cfg, k=len(seeds))
        except TargetNotReached as e:
            if decided:
                raise
            first = str(e).splitlines()[0].split(" (config ")[0]
            return [math.nan] * len(seeds), [{"loss": math.nan, "norm": math.nan, "steps": math.nan,
                                              "error": first}]
        rows = [run_width(lab, cfg, o) for o in ops]
        bad = [f"seed {o.seed}: {r['error']}" for o, r in zip(ops, rows) if "error" in r]
        if bad and decided:
            raise ValueError(f"C14 {label} {hyperparameter}={value} ({training}): " + "; ".join(bad))
        return [r.get(width, math.nan) for r in rows], rows

    W, info = zip(*(widths_at(v, True) for v in values)) if values else ((), ())
    T, tinfo = zip(*(widths_at(v, False) for v in too_strong)) if too_strong else ((), ())
    tr = spearman_trend(values, W, sign)
    med = lambda rows, k: [float(np.median([r.get(k, math.nan) for r in rs])) for rs in rows]
    return Sample(
        metrics={"signed_spearman": tr["signed"], "spearman": tr["rho"], "sign": sign,
                 "n_runs": tr["n_runs"], "hyperparameter": hyperparameter, "width": width, "training": training,
                 "values": list(values), "median_width": [float(np.median(w)) for w in W],
                 "median_train_loss": med(info, "loss"), "median_norm": med(info, "norm"),
                 "median_steps": med(info, "steps"),
                 "censored_directions": sum(r["censored"] for rs in info for r in rs),
                 "too_strong_values": list(too_strong), "too_strong_median_width": [float(np.nanmedian(w)) for w in T],
                 "too_strong_median_train_loss": med(tinfo, "loss"),
                 "too_strong_notes": [r["error"] for rs in tinfo for r in rs if "error" in r][:3]},
        intervals={"signed_spearman": tuple(tr["ci"])}, pvalues={"signed_spearman": tr["p_positive"]},
        arrays={"values": list(values), "widths": [list(map(float, w)) for w in W],
                "too_strong": list(too_strong), "too_strong_widths": [list(map(float, w)) for w in T]})


# -- positive control: a planted tunnel that gradient descent widens until it is stable -----------------------
C14_TOY_D = 52  # the plane (a, b) of the tunnel's floor + 50 short coordinates
C14_TOY_STEPS = 3000


class WideningTunnel:
    """A tunnel whose width grows along its floor (C14's positive control).

    P = (a, b, x) in R^D with (a, b) = r (cos phi, sin phi) the floor's plane and x in R^{D-2} the short
    coordinates. With the width w(phi) = w0 exp(phi) and h' = high_loss / (sqrt(2) - 1),

        L(P) = h' (sqrt(1 + |x|^2 / w(phi)^2) - 1) + (r - 1)^2 / 2,

    so across the floor L = high_loss exactly at |x| = w (the width the probes read, up to the random
    directions' share of x), the curvature there is h' / w^2, and far from the floor the slope is bounded
    (h' / w): a run unstable across the tunnel oscillates instead of escaping. The radial well holds |P| at 1,
    so the angular width (w / |P|) is the width itself. Gradient descent at lr is stable on the floor only where
    lr h' / w^2 < 2, i.e. where w > w_stable(lr) = sqrt(lr h' / 2); on a narrower stretch the oscillation of x
    drives phi up (dL/dphi < 0 wherever x != 0) until it is stable. So the width of the stretch GD ends in is
    planted at w_stable(lr), proportional to sqrt(lr): the size the stability bound gives, no more.
    """

    def __init__(self, D: int = C14_TOY_D, w0: float = 0.01, high_loss: float = 0.5 * math.log(10)):
        self.D, self.w0, self.high_loss = D, w0, high_loss
        self.h = high_loss / (math.sqrt(2.0) - 1.0)

    def width(self, P):
        """w(phi) = w0 exp(phi), phi = atan2(b, a)."""
        return self.w0 * torch.exp(torch.atan2(P[..., 1], P[..., 0]))

    def loss(self, P):
        r = P[..., :2].norm(dim=-1)
        return self.h * (torch.sqrt(1 + P[..., 2:].square().sum(-1) / self.width(P).square()) - 1) + 0.5 * (r - 1) ** 2

    def stable_width(self, lr: float) -> float:
        """w_stable(lr) = sqrt(lr h' / 2): the narrowest stretch of floor on which GD at ``lr`` is stable."""
        return math.sqrt(lr * self.h / 2)

    def init(self, seed: int) -> "torch.Tensor":
        """(a, b) = (1, 0) (phi = 0: the tunnel at its narrowest, w0), x a random direction of length w0 / 10."""
        g = torch.Generator().manual_seed(14_000 + seed)
        x = torch.randn(self.D - 2, generator=g, dtype=torch.float64)
        return torch.cat([torch.tensor([1.0, 0.0], dtype=torch.float64), x * (0.1 * self.w0 / x.norm())])

    def train(self, lrs, seeds, steps: int = C14_TOY_STEPS) -> "torch.Tensor":
        """Full-batch gradient descent for ``steps`` updates, one independent run per (lr, seed) pair of
        ``lrs`` x ``seeds`` (rows lr-major), all in one batch: shape (len(lrs) * len(seeds), D)."""
        P = torch.stack([self.init(s) for _ in lrs for s in seeds])
        lr = torch.tensor([float(v) for v in lrs for _ in seeds], dtype=torch.float64).unsqueeze(1)
        for _ in range(steps):
            X = P.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(self.loss(X).sum(), X)
            P = P - lr * g
        return P


def toy_width_sweep(lab, label, sample, hyperparameter="lr", values=(), sign=1, width="angular") -> Sample:
    """C14's positive control: the learning-rate sweep on ``WideningTunnel`` (gradient descent at each lr of
    ``values`` for C14_TOY_STEPS updates, seeds = ``sample``), each trained point's tunnel width measured as
    ``run_width`` measures the networks' (C14_N_DIRS Gaussian unit directions, the same per seed, at C14_GRID x
    |theta|, the level h = ln(10) / 2, ``probes.tunnel_width``), and the same signed Spearman trend with its
    stratified bootstrap interval (``stats.spearman_trend``)."""
    if hyperparameter != "lr":
        raise ValueError(f"the planted tunnel widens with the learning rate only, got {hyperparameter!r}")
    if width not in ("angular", "absolute"):
        raise ValueError(f"width must be 'angular' or 'absolute', got {width!r}")
    land = WideningTunnel()
    seeds = tuple(sample)
    trained = land.train(values, seeds).view(len(values), len(seeds), -1)
    W, planted = [], []
    for lr, runs in zip(values, trained):
        row = []
        for seed, th in zip(seeds, runs):
            norm = float(th.norm())
            U = probes.random_directions(C14_N_DIRS, th, "gaussian", seed=C14_DIRECTION_SEED + seed)
            a = [g * norm for g in C14_GRID]
            L = probes.loss_along(land.loss, th, U, a)
            tw = probes.tunnel_width(L, a, land.high_loss, base_loss=float(land.loss(th)), theta_norm=norm,
                                     min_directions=C14_N_DIRS)
            row.append(tw.angular_median if width == "angular" else tw.median)
        W.append(row)
        planted.append(land.stable_width(lr))
    tr = spearman_trend(values, W, sign)
    return Sample(metrics={"signed_spearman": tr["signed"], "spearman": tr["rho"], "sign": sign,
                           "n_runs": tr["n_runs"], "hyperparameter": hyperparameter, "width": width,
                           "values": list(values), "median_width": [float(np.median(w)) for w in W],
                           "planted_stable_width": planted, "censored_directions": 0},
                  intervals={"signed_spearman": tuple(tr["ci"])}, pvalues={"signed_spearman": tr["p_positive"]},
                  arrays={"values": list(values), "widths": [list(map(float, w)) for w in W]})

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

"""Protocols of issue 10: tunnel width against hyperparameters (C14), isotropic probes on real networks
(C11), weight averaging across wedges (C16). Registered in ``protocols.PROTOCOLS`` on import.

Every declared number of these protocols is a module constant here (entered in claims/RULES.md, issue 10,
before any verdict was measured); the cases (``verdicts/cases_dynamics.py``) choose among them.

C14 (``net.width_sweep``). For each value of one hyperparameter (lr, batch_size, l2, dropout) and each
seed 0..k-1 of the case's sample, train the configuration with minibatches of ``C14_BATCH`` (Adam,
constant lr, §4.1), either for a fixed budget of ``C14_EPOCHS`` epochs (training="budget", the paper's
protocol) or until the full-batch training cross-entropy is <= ``C14_MATCHED_LOSS`` (training=
"loss-matched"). At each trained point theta, the training cross-entropy (no L2 term, dropout off) along
``C14_N_DIRS`` Gaussian unit directions (the same directions for every value of a seed) at the distances
``C14_GRID`` x |theta| gives ``probes.tunnel_width`` at the high-loss level h = ln(C) / 2 (half the
chance-level loss): the median over directions, angular (/ |theta|, the paper's "angular width") or
absolute. The trend is the Spearman correlation of width with the hyperparameter over all runs of the
declared rising range, times the claimed sign (+1: lr, l2, dropout; -1: batch size), with a 95%
*stratified* bootstrap interval (``spearman_trend``: the design's values are fixed, the seeds within each
value are resampled, by ``scipy.stats.bootstrap`` with one sample per value). The values beyond the
declared "too strong" point are measured and reported beside, never decided.

C11 (``net.isotropy``). At a point (an optimum at CE 1e-3; the same run's earlier checkpoint at CE 1e-2;
or a tiny model's optimum) the increases L(theta + a u) - L(theta) along ``n_dirs`` unit directions
(Gaussian, filter-normalized, or the Hessian's top eigenvectors) at a = ``distance`` x |theta|:
``probes.isotropy`` (cv, min increase). Null beside it (``quadratic_null``): the same number of probes on
``QuadraticWell(D)`` (a random positive-definite quadratic of the same D, spectrum log-uniform on
[1e-2, 1]), at its minimum (for an optimum) or at the toy's off-minimum start (N(0, I) point, gradient
flow to 0.1 x its loss, for the checkpoint), at a = ``distance`` x |P0| (a = 1 at the minimum, where
the cv of a quadratic does not depend on a).

C16 (``net.swa_cyclic``). From a trained optimum, a cyclic phase (``averaging.cyclic_snapshots``:
SGD, momentum 0.9, minibatch 64, cosine cycles of 100 updates from lr_max to 0, 5 cycles, one snapshot per
cycle) at a low and a high maximum learning rate. The window of max-LRs is found by a scan over
``C16_GRID`` on one optimum that is no sample (``C16_SCAN_OPTIMUM``): a max-LR is *stable* when the phase
does not diverge and every snapshot keeps training accuracy >= ``C16_STABLE_ACC``; low = the smallest
grid value, high = the largest grid value up to which every grid value is stable (``max_lr_window``). A
sample whose snapshots diverge or degrade below that accuracy is an error naming it, never evidence.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ..geometry import probes
from .protocols import _plots, protocol

# -- C14 -----------------------------------------------------------------------------------------
C14_BATCH = 64
C14_EPOCHS = 20
C14_MATCHED_LOSS = 0.05
C14_MATCHED_MAX_STEPS = 6000
C14_N_DIRS = 50
C14_GRID = tuple(float(x) for x in np.geomspace(0.01, 3.0, 16))  # distances in units of |theta|
C14_HIGH_LOSS_FRACTION = 0.5  # h = 0.5 ln(C): half the chance-level cross-entropy
C14_DIRECTION_SEED = 14_000_003
HYPERPARAMETERS = ("lr", "batch_size", "l2", "dropout")
BOOTSTRAP_RESAMPLES = 9999


def spearman_trend(values, widths, sign: int = 1, level: float = 0.95, n_resamples: int = BOOTSTRAP_RESAMPLES,
                   seed: int = 0) -> dict:
    """The signed Spearman correlation of ``widths`` with ``values`` over all runs, and its interval.

    values: (V,) the hyperparameter's values (the design); widths: (V, S) one width per value and seed.
    rho = spearmanr(repeat(values, S), widths.ravel()) (average ranks for ties), signed = sign x rho.
    Interval: scipy.stats.bootstrap (percentile, ``level``, fixed seed) with one sample per value, so each
    resample redraws the S runs *within* every value (the values are fixed by design; the seeds are the
    randomness). A resample whose widths are all equal has no ranks to correlate: it counts as rho = 0.
    Returns {"rho", "signed", "ci": [lo, hi] of the signed value, "n_runs"}.
    """
    from scipy.stats import bootstrap, rankdata, spearmanr

    x = np.asarray(values, dtype=float).reshape(-1)
    W = np.asarray(widths, dtype=float)
    if W.ndim != 2 or W.shape[0] != x.size or W.shape[0] < 2 or W.shape[1] < 1:
        raise ValueError(f"widths must be (len(values) >= 2, seeds >= 1), got {W.shape} for {x.size} values")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"widths must be finite, got {W.tolist()}")
    if sign not in (1, -1):
        raise ValueError(f"sign must be +1 or -1, got {sign!r}")
    S = W.shape[1]
    xs = np.repeat(x, S)
    rho = float(spearmanr(xs, W.ravel()).statistic)
    if not math.isfinite(rho):
        rho = 0.0
    rx = rankdata(xs)
    rx = (rx - rx.mean()) / np.linalg.norm(rx - rx.mean())

    def stat(*groups, axis=-1):
        y = np.concatenate([np.moveaxis(np.asarray(g), axis, -1) for g in groups], axis=-1)
        ry = rankdata(y, axis=-1)
        ry = ry - ry.mean(axis=-1, keepdims=True)
        nrm = np.linalg.norm(ry, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (ry @ rx) / nrm
        return sign * np.where(nrm > 0, r, 0.0)

    if S < 2 or np.all(W == W[:, :1]):  # nothing to resample within a value
        lo = hi = sign * rho
    else:
        res = bootstrap(tuple(W), stat, vectorized=True, paired=False, n_resamples=n_resamples,
                        confidence_level=level, method="percentile", random_state=seed)
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        lo, hi = min(lo, sign * rho), max(hi, sign * rho)
    return {"rho": rho, "signed": sign * rho, "ci": [lo, hi], "n_runs": int(W.size)}


def _n_train(lab, label) -> int:
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


def _plot_sweep(samples, title):
    m = samples[0]
    vals = list(m["_values"]) + list(m["_too_strong"])
    W = np.asarray(m["_widths"] + m["_too_strong_widths"], dtype=float)  # (values, seeds)
    fig = _plots().width_vs_hyperparam(vals, np.nanmedian(W, axis=1), name=m["hyperparameter"], title=title,
                                       logx=all(v > 0 for v in vals), rising_until=m["_values"][-1],
                                       ylabel=f"{m['width']} tunnel width (median over directions)")
    ax = fig.axes[0]
    pos = [v for v in vals if v > 0]
    if pos and len(pos) < len(vals) and max(pos) / min(pos) > 50:  # a sweep from 0 over decades (L2)
        ax.set_xscale("symlog", linthresh=min(pos))
    for s in range(W.shape[1]):
        ax.plot(vals, W[:, s], ls=":", marker="x", ms=4, alpha=0.7, label=f"seed {s}")
    ax.legend(fontsize=6)
    return fig


@protocol("net.width_sweep", plot=_plot_sweep)
def net_width_sweep(lab, label, sample, hyperparameter, values, sign, too_strong=(), training="budget",
                    width="angular"):
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
    return {"signed_spearman": tr["signed"], "signed_spearman_ci": tr["ci"], "spearman": tr["rho"], "sign": sign,
            "n_runs": tr["n_runs"], "hyperparameter": hyperparameter, "width": width, "training": training,
            "values": list(values), "median_width": [float(np.median(w)) for w in W],
            "median_train_loss": med(info, "loss"), "median_norm": med(info, "norm"),
            "median_steps": med(info, "steps"), "censored_directions": sum(r["censored"] for rs in info for r in rs),
            "too_strong_values": list(too_strong), "too_strong_median_width": [float(np.nanmedian(w)) for w in T],
            "too_strong_median_train_loss": med(tinfo, "loss"),
            "too_strong_notes": [r["error"] for rs in tinfo for r in rs if "error" in r][:3],
            "_values": list(values), "_widths": [list(map(float, w)) for w in W],
            "_too_strong": list(too_strong), "_too_strong_widths": [list(map(float, w)) for w in T]}


# -- C11 -----------------------------------------------------------------------------------------
C11_CHECKPOINT_LOSS = 1e-2  # the earlier checkpoint: the same full-batch run stopped at train CE 1e-2
C11_OFF_NEAR = 0.1  # the null's off-minimum start: gradient flow to 0.1 x its starting loss (the toy's)
C11_DIRECTION_SEED = 11_000_003
C11_TINY = {"dataset": "gaussians", "hidden": (2,), "target_loss": None, "max_steps": 2000}


def quadratic_null(D: int, seed: int, off: bool, distance: float, n_dirs: int, top: bool = False) -> dict:
    """The C11 null: probes of ``QuadraticWell(D, seed)`` at its minimum (off=False, a = 1: there the cv
    of a quadratic does not depend on a) or at the toy's off-minimum start (off=True: an N(0, I) point
    after gradient flow to 0.1 x its loss, a = distance x |P0|); ``n_dirs`` random unit directions, or
    (top=True) the n_dirs axes of largest curvature. Returns cv_null, min_increase_null."""
    from ..geometry.toy import QuadraticWell, random_points

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
    from ..nets.config import TrainConfig

    base = lab.config(label)
    if point == "optimum":
        return lab.problem(label), lab.optima(label)[sample]
    if point == "checkpoint":
        cfg = dataclasses.replace(base, target_loss=C11_CHECKPOINT_LOSS)
        return lab.problem(cfg), lab.optima(cfg, k=max(5, sample + 1))[sample]
    if point == "tiny":
        cfg = dataclasses.replace(base, **C11_TINY)
        assert isinstance(cfg, TrainConfig)
        return lab.problem(cfg), lab.optima(cfg, k=max(5, sample + 1))[sample]
    raise ValueError(f"point must be 'optimum', 'checkpoint' or 'tiny', got {point!r}")


def _plot_iso(samples, title):
    m = samples[0]
    return _plots().histogram(m["_inc"], xlabel=f"L(theta + a u) - L(theta), a = {m['a']:.3g}", title=title)


@protocol("net.isotropy", plot=_plot_iso)
def net_isotropy(lab, label, sample, point="optimum", distance=0.1, directions="gaussian", n_dirs=100):
    """C11 on a network: cv and min of the loss increase at a = distance x |theta| along n_dirs directions
    (gaussian | filter | hessian = the top n_dirs Hessian eigenvectors) at ``point``, beside the null
    (``quadratic_null``: cv_null, cv_minus_null)."""
    prob, opt = _c11_point(lab, label, sample, point)
    th = prob.theta(opt.theta)
    norm = float(th.norm())
    a = distance * norm
    if directions == "hessian":
        from ..geometry.lanczos import top_eigenvalues

        ev, V = top_eigenvalues(prob.train_loss, th, n_dirs, return_eigenvectors=True, seed=sample)
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
    return {"cv": iso.cv, "min_increase": iso.min, "mean_increase": iso.mean, "fraction_increasing":
            iso.fraction_increasing, "L0": base, "a": a, "norm": norm, "D": prob.D, "n_dirs": iso.n_directions,
            **null, "cv_minus_null": iso.cv - null["cv_null"], "_inc": inc.tolist()}


# -- C16 -----------------------------------------------------------------------------------------
C16_CYCLE = {"cycle_steps": 100, "n_cycles": 5, "batch_size": 64, "optimizer": "sgd", "momentum": 0.9,
             "shape": "cosine", "lr_min": 0.0}
C16_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
C16_STABLE_ACC = 0.95
C16_SCAN_OPTIMUM = 11
C16_LINE_POINTS = 11


class SnapshotsDegraded(RuntimeError):
    """A cyclic phase whose snapshots diverged or fell below the declared training accuracy."""


def max_lr_window(scan) -> tuple[float, float]:
    """(low, high) from a scan [(lr_max, min snapshot train accuracy or None if diverged), ...] in
    increasing lr_max: low = the smallest; high = the largest lr_max up to which every scanned value is
    stable (not diverged, every snapshot's accuracy >= C16_STABLE_ACC). Raises if the smallest is not."""
    scan = sorted(scan, key=lambda r: r[0])
    if not scan:
        raise ValueError("scan must hold at least one (lr_max, accuracy) pair")
    high = None
    for lr, acc in scan:
        if acc is None or not acc >= C16_STABLE_ACC:
            break
        high = lr
    if high is None:
        raise SnapshotsDegraded(f"no stable max learning rate: at the smallest scanned, {scan[0][0]:g}, the "
                                f"snapshots' minimum training accuracy is {scan[0][1]}")
    return scan[0][0], high


def _cyclic(lab, label, i: int, lr_max: float) -> dict:
    """The cyclic phase from optimum i at ``lr_max`` (cached): snapshots, their training loss and
    accuracy, or the divergence message."""
    from ..nets import averaging as av
    from ..nets.config import TrainingDiverged, config_hash

    def build():
        opt, prob = lab.optima(label)[i], lab.problem(label)
        cfg = av.CyclicConfig(lr_max=lr_max, seed=i, **C16_CYCLE)
        try:
            run = av.cyclic_snapshots(prob.flat, prob.theta(opt.theta), prob.data.X_train, prob.data.y_train, cfg)
        except TrainingDiverged as e:
            return {"diverged": str(e)}
        return {"snapshots": run.snapshots.detach().cpu(), "train_loss": run.train_loss.tolist(),
                "train_acc": run.train_acc.tolist()}

    return lab.cached("c16_cyclic", (config_hash(lab.config(label)), lab.spec.k, i, lr_max, C16_CYCLE), build,
                      f"C16 cyclic phase {label} optimum {i} lr_max {lr_max:g}")


def scan_window(lab, label) -> dict:
    scan = []
    for lr in C16_GRID:
        r = _cyclic(lab, label, C16_SCAN_OPTIMUM, lr)
        scan.append((lr, None if "diverged" in r else float(min(r["train_acc"]))))
    low, high = max_lr_window(scan)
    return {"lr_low": low, "lr_high": high, "scan_lr": [s[0] for s in scan],
            "scan_min_acc": [s[1] if s[1] is not None else float("nan") for s in scan]}


def swa_metrics(loss_fn, logits_fn, y_train, y_test, S: torch.Tensor, average: torch.Tensor,
                start: torch.Tensor, num_classes: int) -> dict:
    """One arm's numbers from its snapshots S (K, D) and their weight average (``averaging`` helpers):
    train losses of the snapshots / average, the ratio, barriers on the lines between consecutive
    snapshots and to the average (nats and / ln C), ensemble (prediction average) and SWA test losses,
    distances travelled."""
    from ..nets import averaging as av

    Ls = loss_fn(S).double()
    Lw = float(loss_fn(average.unsqueeze(0))[0])
    bars = av.snapshot_barriers(loss_fn, S, average, n_points=C16_LINE_POINTS)
    cons = [b.barrier for b in bars.consecutive]
    chance = math.log(num_classes)
    ens_tr = av.prediction_average(logits_fn(S, "train"), y_train)
    ens_te = av.prediction_average(logits_fn(S, "test"), y_test)
    swa_te = av.prediction_average(logits_fn(average.unsqueeze(0), "test"), y_test)
    tr = av.travel(S, average, start)
    mean_snap = float(Ls.mean())
    barrier = float(np.mean(cons)) if cons else 0.0
    return {"snapshot_loss": mean_snap, "swa_loss": Lw, "swa_ratio": Lw / mean_snap if mean_snap > 0 else math.inf,
            "ensemble_loss": ens_tr.loss, "barrier": barrier, "barrier_max": max(cons) if cons else 0.0,
            "barrier_over_chance": barrier / chance,
            "barrier_to_average_max": bars.max_to_average,
            "test_snapshot_loss": float(ens_te.member_loss.mean()), "test_swa_loss": swa_te.loss,
            "test_ensemble_loss": ens_te.loss, "test_snapshot_acc": float(ens_te.member_accuracy.mean()),
            "test_swa_acc": swa_te.accuracy, "test_ensemble_acc": ens_te.accuracy,
            "ensemble_advantage": swa_te.loss - ens_te.loss,
            "travel": float(tr.consecutive.mean()) if len(S) > 1 else 0.0,
            "travel_angular": float((tr.consecutive / tr.norms[1:]).mean()) if len(S) > 1 else 0.0,
            "from_start": float(tr.from_start[-1])}


def _arm(lab, label, i, lr_max) -> dict:
    from ..nets import averaging as av

    r = _cyclic(lab, label, i, lr_max)
    if "diverged" in r:
        raise SnapshotsDegraded(f"C16 {label}: the cyclic phase from optimum {i} at max lr {lr_max:g} diverged: "
                                f"{r['diverged']}")
    bad = [(k, a) for k, a in enumerate(r["train_acc"]) if not a >= C16_STABLE_ACC]
    if bad:
        raise SnapshotsDegraded(
            f"C16 {label}: the cyclic phase from optimum {i} at max lr {lr_max:g} degraded: snapshot(s) "
            + ", ".join(f"{k} (train accuracy {a:.3f})" for k, a in bad)
            + f" below the declared {C16_STABLE_ACC} (never evidence either way)")
    prob, opt = lab.problem(label), lab.optima(label)[i]
    S = prob.theta(r["snapshots"])
    wa = av.weight_average(prob.flat, S)
    d = prob.data
    X = {"train": d.X_train, "test": d.X_test}
    return {**swa_metrics(prob.train_losses, lambda T, which: prob.logits(T, X[which]),
                          d.y_train, d.y_test, S, prob.theta(wa.theta), prob.theta(opt.theta), d.num_classes),
            "snapshot_min_acc": float(min(r["train_acc"]))}


def _plot_swa(samples, title):
    m = samples[0]
    groups = {f"{arm} lr {m['lr_' + arm]:g}": {"snapshots (mean)": m[f"test_snapshot_loss_{arm}"],
                                               "SWA": m[f"test_swa_loss_{arm}"],
                                               "ensemble": m[f"test_ensemble_loss_{arm}"]}
              for arm in ("low", "high")}
    return _plots().swa_bars(groups, title=title + " (test loss, first sample)", ylabel="test cross-entropy")


@protocol("net.swa_cyclic", plot=_plot_swa)
def net_swa_cyclic(lab, label, sample):
    """C16: cyclic phases from optimum ``sample`` at the low and high max-LR of the window found by the
    scan (``scan_window``); per arm the SWA / snapshot loss ratio, barriers, test losses, distances; the
    ensemble's advantage over the weight average at high minus at low."""
    if sample == C16_SCAN_OPTIMUM:
        raise ValueError(f"optimum {C16_SCAN_OPTIMUM} chose the max-LR window; it cannot be a sample")
    win = scan_window(lab, label)
    out = dict(win)
    for arm in ("low", "high"):
        out.update({f"{k}_{arm}": v for k, v in _arm(lab, label, sample, win[f"lr_{arm}"]).items()})
    out["ensemble_advantage_gain"] = out["ensemble_advantage_high"] - out["ensemble_advantage_low"]
    return out


C16_SAME_BASIN_SCALES = {"low": 0.01, "high": 0.05}  # neighbours moved by 1% / 5% of |theta|, re-descended
C16_SAME_BASIN_K = 5  # as many "snapshots" as the cyclic phase's cycles


@protocol("net.swa_same_basin", plot=_plot_swa)
def net_swa_same_basin(lab, label, sample):
    """C16's control: the same measurement (both arms, every metric) on *same-basin* sets instead of
    cyclic snapshots: K neighbours of optimum ``sample``, each moved by 1% ("low") or 5% ("high") of its
    norm in a random direction and re-descended to the optimum's loss. It holds if the 5% moves had landed
    in different wedges (weight average worse, a barrier between them) and the 1% moves had not."""
    prob, opt = lab.problem(label), lab.optima(label)[sample]
    d = prob.data
    X = {"train": d.X_train, "test": d.X_test}
    out = {"lr_low": C16_SAME_BASIN_SCALES["low"], "lr_high": C16_SAME_BASIN_SCALES["high"]}
    for arm, scale in C16_SAME_BASIN_SCALES.items():
        S = torch.stack([prob.theta(lab.neighbour(label, sample, seed=100 + k, scale=scale))
                         for k in range(C16_SAME_BASIN_K)])
        from ..nets import averaging as av

        wa = av.weight_average(prob.flat, S)
        m = swa_metrics(prob.train_losses, lambda T, which: prob.logits(T, X[which]), d.y_train, d.y_test, S,
                        prob.theta(wa.theta), prob.theta(opt.theta), d.num_classes)
        out.update({f"{k}_{arm}": v for k, v in m.items()})
    out["ensemble_advantage_gain"] = out["ensemble_advantage_high"] - out["ensemble_advantage_low"]
    return out

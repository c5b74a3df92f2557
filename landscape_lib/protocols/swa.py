"""Weight averaging across wedges (C16, §4.5, Fig 6): SWA fails when cyclic snapshots change wedges (a high
maximum learning rate) and works within one (a low one), on trained networks.

Protocols: ``net_swa_cyclic`` (C16), ``net_swa_same_basin`` (its control), ``toy_swa_cyclic`` (its positive
control: the same scan, arms and ``swa_metrics`` on a planted classifier whose low-loss set is the toy's wedges,
``WedgeClassifier``).

From a trained optimum, a cyclic phase (``averaging.cyclic_snapshots``: SGD, momentum 0.9, minibatch 64,
cosine cycles of 100 updates from lr_max to 0, 5 cycles, one snapshot per cycle) at a low and a high maximum
learning rate. The window of max-LRs is found by a scan over ``C16_GRID`` on one optimum that is no sample
(``C16_SCAN_OPTIMUM``): a max-LR is *stable* when the phase does not diverge and every snapshot keeps training
accuracy >= the start optimum's own minus ``C16_STABLE_DROP`` (``stable_accuracy``: 0.95 from an optimum at 100%);
low = the smallest grid value, high = the largest grid value up to which every
grid value is stable (``max_lr_window``). The claim's premise ("the configurations obtained do not lie on the same
wedge") needs snapshots that change wedges, so the scan then refines the step between the last stable and the
first unstable value on ``C16_REFINE`` geometric points (the declared cap) and takes high from the refined grid
too: the largest stable max-LR is the protocol's best try at the premise; its barrier is reported per value of the
scan (``scan_barrier_over_chance``). Where a sample's own snapshots degrade at that high max-LR, its high arm steps
down the scanned values (above low) to the largest at which they stay stable (``high_arm``; ``lr_high`` is per
sample); a sample with no such value is not measurable, and a degraded low arm is an error naming it, never
evidence. Every declared number is a module constant here (claims/RULES.md).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..types import Sample

C16_CYCLE = {"cycle_steps": 100, "n_cycles": 5, "batch_size": 64, "optimizer": "sgd", "momentum": 0.9,
             "shape": "cosine", "lr_min": 0.0}
C16_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
C16_STABLE_DROP = 0.05  # a stable phase's snapshots keep training accuracy >= the start optimum's - this
C16_SCAN_OPTIMUM = 11
C16_LINE_POINTS = 11
C16_REFINE = 5  # interior geometric points between the last stable and the first unstable max-LR of C16_GRID


class SnapshotsDegraded(RuntimeError):
    """A cyclic phase whose snapshots diverged or fell below the declared training accuracy."""


def stable_accuracy(start_acc: float) -> float:
    """The least training accuracy every snapshot of a stable cyclic phase keeps: a0 - C16_STABLE_DROP, a0 the
    training accuracy of the optimum the phase starts from (0.95 from an optimum at 100%; on a step-budget optimum
    at 0.90, 0.85: the phase is judged against where it started, not against a level the optimum never had)."""
    if not 0.0 <= start_acc <= 1.0:
        raise ValueError(f"start_acc must be a training accuracy in [0, 1], got {start_acc!r}")
    return start_acc - C16_STABLE_DROP


def max_lr_window(scan, floor: float = 1.0 - C16_STABLE_DROP) -> tuple[float, float]:
    """(low, high) from a scan [(lr_max, min snapshot train accuracy or None if diverged), ...] in
    increasing lr_max: low = the smallest; high = the largest lr_max up to which every scanned value is
    stable (not diverged, every snapshot's accuracy >= ``floor``, ``stable_accuracy``). Raises if the smallest
    is not."""
    scan = sorted(scan, key=lambda r: r[0])
    if not scan:
        raise ValueError("scan must hold at least one (lr_max, accuracy) pair")
    high = None
    for lr, acc in scan:
        if acc is None or not acc >= floor:
            break
        high = lr
    if high is None:
        raise SnapshotsDegraded(f"no stable max learning rate: at the smallest scanned, {scan[0][0]:g}, the "
                                f"snapshots' minimum training accuracy is {scan[0][1]} < {floor:.3g} (the start "
                                f"optimum's training accuracy - {C16_STABLE_DROP})")
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


def refined_grid(scan, floor: float = 1.0 - C16_STABLE_DROP) -> list[float]:
    """C16_REFINE geometric points strictly between the largest contiguously stable max-LR of ``scan`` and the next
    scanned value (none when every scanned value is stable)."""
    scan = sorted(scan, key=lambda r: r[0])
    _, high = max_lr_window(scan, floor)
    above = [lr for lr, _ in scan if lr > high]
    if not above:
        return []
    u = above[0]
    return [high * (u / high) ** (k / (C16_REFINE + 1)) for k in range(1, C16_REFINE + 1)]


def _scan_point(lab, label, lr) -> tuple[float, float | None, float]:
    """(lr, the snapshots' minimum training accuracy or None if diverged, mean barrier between consecutive
    snapshots / ln C) on the scan optimum."""
    r = _cyclic(lab, label, C16_SCAN_OPTIMUM, lr)
    if "diverged" in r:
        return lr, None, math.nan
    prob = lab.problem(label)
    from ..nets import averaging as av

    S = prob.theta(r["snapshots"])
    bars = av.snapshot_barriers(prob.train_losses, S, S.mean(0), n_points=C16_LINE_POINTS)
    cons = [b.barrier for b in bars.consecutive]
    return lr, float(min(r["train_acc"])), (float(np.mean(cons)) if cons else 0.0) / math.log(prob.data.num_classes)


def scan_window(lab, label) -> dict:
    """The low and high max-LR of the cyclic phase from the scan on ``C16_SCAN_OPTIMUM`` (``max_lr_window``) over
    ``C16_GRID`` and its refinement (``refined_grid``), with the barrier at every value tried."""
    floor = stable_accuracy(lab.optima(label)[C16_SCAN_OPTIMUM].train_acc)
    coarse = [_scan_point(lab, label, lr) for lr in C16_GRID]
    fine = [_scan_point(lab, label, lr) for lr in refined_grid([(lr, acc) for lr, acc, _ in coarse], floor)]
    scan = sorted(coarse + fine, key=lambda r: r[0])
    low, high = max_lr_window([(lr, acc) for lr, acc, _ in scan], floor)
    return {"lr_low": low, "lr_high": high, "scan_floor": floor, "scan_lr": [s[0] for s in scan],
            "scan_min_acc": [s[1] if s[1] is not None else float("nan") for s in scan],
            "scan_barrier_over_chance": [s[2] for s in scan], "scan_refined": len(fine)}


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
    """One arm: the cyclic phase from optimum i at ``lr_max``, its weight average and ``swa_metrics``."""
    from ..nets import averaging as av

    r = _cyclic(lab, label, i, lr_max)
    if "diverged" in r:
        raise SnapshotsDegraded(f"C16 {label}: the cyclic phase from optimum {i} at max lr {lr_max:g} diverged: "
                                f"{r['diverged']}")
    prob, opt = lab.problem(label), lab.optima(label)[i]
    floor = stable_accuracy(opt.train_acc)
    bad = [(k, a) for k, a in enumerate(r["train_acc"]) if not a >= floor]
    if bad:
        raise SnapshotsDegraded(
            f"C16 {label}: the cyclic phase from optimum {i} at max lr {lr_max:g} degraded: snapshot(s) "
            + ", ".join(f"{k} (train accuracy {a:.3f})" for k, a in bad)
            + f" below {floor:.3f} (the optimum's {opt.train_acc:.3f} - {C16_STABLE_DROP}; never evidence either way)")
    S = prob.theta(r["snapshots"])
    wa = av.weight_average(prob.flat, S)
    d = prob.data
    X = {"train": d.X_train, "test": d.X_test}
    return {**swa_metrics(prob.train_losses, lambda T, which: prob.logits(T, X[which]),
                          d.y_train, d.y_test, S, prob.theta(wa.theta), prob.theta(opt.theta), d.num_classes),
            "snapshot_min_acc": float(min(r["train_acc"]))}


def high_arm(lab, label, i: int, win: dict) -> tuple[float | None, dict | None, list[float]]:
    """(max-LR, arm, the higher values at which optimum i's snapshots degraded): the arm at the window's high
    max-LR or, where it degrades, at the largest scanned value in (low, high) at which it does not; (None, None,
    tried) when none."""
    degraded = []
    for lr in sorted((x for x in win["scan_lr"] if win["lr_low"] < x <= win["lr_high"]), reverse=True):
        try:
            return lr, _arm(lab, label, i, lr), degraded
        except SnapshotsDegraded:
            degraded.append(lr)
    return None, None, degraded


def _tried(win: dict, lr_high, degraded) -> str:
    floor = win.get("scan_floor", 1.0 - C16_STABLE_DROP)
    scan = ", ".join(f"{lr:.3g} ({'unstable' if not acc >= floor else f'barrier/ln C {b:.2g}'})"
                     for lr, acc, b in zip(win["scan_lr"], win["scan_min_acc"], win["scan_barrier_over_chance"]))
    out = f"max-LR scan on optimum {C16_SCAN_OPTIMUM}: {scan}"
    if degraded:
        out += "; this sample degraded at " + ", ".join(f"{x:.3g}" for x in degraded)
    return out + (f"; high arm at {lr_high:.3g}" if lr_high is not None else "")


def net_swa_cyclic(lab, label, sample) -> Sample:
    """C16: cyclic phases from optimum ``sample`` at the low and high max-LR of the window found by the
    scan (``scan_window``); per arm the SWA / snapshot loss ratio, barriers, test losses, distances; the
    ensemble's advantage over the weight average at high minus at low."""
    if sample == C16_SCAN_OPTIMUM:
        raise ValueError(f"optimum {C16_SCAN_OPTIMUM} chose the max-LR window; it cannot be a sample")
    win = scan_window(lab, label)
    lr_high, high, degraded = high_arm(lab, label, sample, win)
    out = {**win, "lr_high_window": win["lr_high"], "lr_high": lr_high, "premise_tried": _tried(win, lr_high, degraded)}
    out.update({f"{k}_low": v for k, v in _arm(lab, label, sample, win["lr_low"]).items()})
    if high is None:
        return Sample(metrics={k: v for k, v in out.items() if v is not None},
                      not_measurable=f"optimum {sample}'s snapshots degrade at every scanned max-LR above the low one "
                                     f"({', '.join(f'{x:.3g}' for x in degraded)})")
    out.update({f"{k}_high": v for k, v in high.items()})
    out["ensemble_advantage_gain"] = out["ensemble_advantage_high"] - out["ensemble_advantage_low"]
    return Sample(metrics=out)


C16_SAME_BASIN_SCALES = {"low": 0.01, "high": 0.05}  # neighbours moved by 1% / 5% of |theta|, re-descended
C16_SAME_BASIN_K = 5  # as many "snapshots" as the cyclic phase's cycles


def net_swa_same_basin(lab, label, sample) -> Sample:
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
    return Sample(metrics=out)


# -- positive control: cyclic SGD on a planted multi-wedge classifier ----------------------------------------
C16_TOY = {"D": 10, "n": 8, "classes": 10, "n_train": 256, "n_test": 256, "spread": 0.1}


class WedgeClassifier:
    """A planted classifier on the toy n-wedge landscape (C16's positive control): its low-loss set is the
    union of the wedges, and leaving a wedge costs loss as leaving one costs a network.

    Example i is a shift xi_i ~ N(0, (spread eps)^2 I) with a label y_i (uniform over C classes); its logits are
    m_i(P) e_{y_i}, with the margin

        m_i(P) = m0 (1 - d(P - xi_i) / eps),   m0 = ln((C - 1) / (exp(1e-3) - 1)),

    d the toy loss (the distance to the nearest n-wedge, §3.2), so an example's cross-entropy
    ln(1 + (C - 1) e^{-m}) is 1e-3 (the tier's target loss) on a wedge, and chance, ln C, at distance eps from
    every wedge. eps = d(P0), the init's own distance to its nearest wedge: the init is at chance, as a network at
    its initialization. Test examples are fresh shifts and labels.
    """

    def __init__(self, seed: int, D: int = C16_TOY["D"], n: int = C16_TOY["n"], classes: int = C16_TOY["classes"],
                 n_train: int = C16_TOY["n_train"], n_test: int = C16_TOY["n_test"], spread: float = C16_TOY["spread"]):
        from ..geometry.toy import WedgeLandscape, random_points

        self.land, self.C = WedgeLandscape(D, n), classes
        self.P0 = random_points(D, 1, seed=16_000 + seed)[0]
        self.eps = float(self.land.loss(self.P0))
        self.m0 = math.log((classes - 1) / math.expm1(1e-3))
        g = torch.Generator().manual_seed(16_000_003 + seed)
        self.xi = {k: spread * self.eps * torch.randn(N, D, generator=g, dtype=torch.float64)
                   for k, N in (("train", n_train), ("test", n_test))}
        self.y = {k: torch.randint(classes, (len(v),), generator=g) for k, v in self.xi.items()}
        self.start = self.land.nearest_point(self.P0)

    def margins(self, T: torch.Tensor, which: str = "train", idx=None) -> torch.Tensor:
        """m_i(P) for every row P of T (K, D) and example i: shape (K, N)."""
        xi = self.xi[which] if idx is None else self.xi[which][idx]
        return self.m0 * (1 - self.land.loss(T.unsqueeze(1) - xi.unsqueeze(0)) / self.eps)

    def logits(self, T: torch.Tensor, which: str = "train") -> torch.Tensor:
        """(K, N, C): m_i on the label's logit, 0 on the others."""
        m = self.margins(T, which)
        return m.unsqueeze(-1) * torch.nn.functional.one_hot(self.y[which], self.C).to(m.dtype)

    def _ce(self, m: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.softplus(math.log(self.C - 1) - m)  # ln(1 + (C - 1) e^{-m}), without overflow

    def train_losses(self, T: torch.Tensor) -> torch.Tensor:
        """Mean training cross-entropy of every row of T: (K,)."""
        return self._ce(self.margins(T)).mean(-1)

    def accuracy(self, T: torch.Tensor) -> torch.Tensor:
        """Training accuracy of every row of T (the label's logit is the largest iff m_i > 0): (K,)."""
        return (self.margins(T) > 0).double().mean(-1)

    def cyclic(self, lr_max: float, seed: int = 0) -> dict:
        """The cyclic phase of C16_CYCLE from ``start``: heavy-ball SGD (torch.optim.SGD) on minibatches in
        epoch-wise random order, the cosine schedule of ``averaging.CyclicConfig``, a snapshot per cycle end."""
        from ..nets.averaging import CyclicConfig

        cfg = CyclicConfig(lr_max=lr_max, seed=seed, **C16_CYCLE)
        theta = self.start.clone().requires_grad_(True)
        opt = torch.optim.SGD([theta], lr=cfg.lr(0), momentum=cfg.momentum)
        N, B = len(self.xi["train"]), cfg.batch_size
        gen = torch.Generator().manual_seed(0xA5E0000 + seed)
        perm, pos, snaps = None, N, []
        for t in range(cfg.cycle_steps * cfg.n_cycles):
            if pos + B > N:
                perm, pos = torch.randperm(N, generator=gen), 0
            idx = perm[pos:pos + B]
            pos += B
            loss = self._ce(self.margins(theta.unsqueeze(0), "train", idx)).mean()
            if not torch.isfinite(loss):
                return {"diverged": f"minibatch loss {float(loss.detach())} at update {t} (lr {cfg.lr(t):.4g})"}
            opt.zero_grad(set_to_none=True)
            loss.backward()
            for grp in opt.param_groups:
                grp["lr"] = cfg.lr(t)
            opt.step()
            if (t + 1) % cfg.cycle_steps == 0:
                snaps.append(theta.detach().clone())
        S = torch.stack(snaps)
        return {"snapshots": S, "train_loss": self.train_losses(S).tolist(), "train_acc": self.accuracy(S).tolist()}

    def arm(self, lr_max: float, seed: int = 0) -> dict:
        """``swa_metrics`` of the cyclic phase at ``lr_max`` (raises SnapshotsDegraded as ``_arm`` does)."""
        r = self.cyclic(lr_max, seed)
        if "diverged" in r:
            raise SnapshotsDegraded(f"the toy cyclic phase at max lr {lr_max:g} diverged: {r['diverged']}")
        floor = stable_accuracy(float(self.accuracy(self.start.unsqueeze(0))[0]))
        bad = [(k, a) for k, a in enumerate(r["train_acc"]) if not a >= floor]
        if bad:
            raise SnapshotsDegraded(f"the toy cyclic phase at max lr {lr_max:g} degraded: snapshot(s) "
                                    + ", ".join(f"{k} (train accuracy {a:.3f})" for k, a in bad))
        S = r["snapshots"]
        return {**swa_metrics(self.train_losses, self.logits, self.y["train"], self.y["test"], S, S.mean(0),
                              self.start, self.C),
                "snapshot_min_acc": float(min(r["train_acc"])), "wedge_changes": self.wedge_changes(S)}

    def wedge_changes(self, S: torch.Tensor) -> int:
        """How many consecutive snapshots lie on different nearest wedges."""
        W = self.land.long_axes(S)
        return int(sum(bool((W[k] != W[k + 1]).any()) for k in range(len(S) - 1)))

    def scan_point(self, lr: float) -> tuple[float, float | None, float]:
        """(lr, min snapshot training accuracy or None if diverged, mean consecutive barrier / ln C), as
        ``_scan_point``."""
        from ..nets import averaging as av

        r = self.cyclic(lr)
        if "diverged" in r:
            return lr, None, math.nan
        S = r["snapshots"]
        cons = [b.barrier for b in av.snapshot_barriers(self.train_losses, S, S.mean(0), C16_LINE_POINTS).consecutive]
        return lr, float(min(r["train_acc"])), float(np.mean(cons)) / math.log(self.C)


def toy_swa_cyclic(lab, label, sample) -> Sample:
    """C16's positive control: ``net_swa_cyclic`` on ``WedgeClassifier``s. The max-LR window is scanned as
    ``scan_window`` scans it (C16_GRID, refined by ``refined_grid``, ``max_lr_window``) on the classifier of seed
    C16_SCAN_OPTIMUM, which is no sample; the sample's classifier (seed ``sample``: its own init, examples and
    optimum) is then measured at the window's low and high max-LR, stepping the high arm down as ``high_arm``
    does; every number is ``swa_metrics``'s."""
    if sample == C16_SCAN_OPTIMUM:
        raise ValueError(f"seed {C16_SCAN_OPTIMUM} chose the max-LR window; it cannot be a sample")
    def build():
        scan_model = WedgeClassifier(C16_SCAN_OPTIMUM)
        floor = stable_accuracy(float(scan_model.accuracy(scan_model.start.unsqueeze(0))[0]))
        coarse = [scan_model.scan_point(lr) for lr in C16_GRID]
        fine = [scan_model.scan_point(lr) for lr in refined_grid([(lr, acc) for lr, acc, _ in coarse], floor)]
        scan = sorted(coarse + fine, key=lambda r: r[0])
        low, high = max_lr_window([(lr, acc) for lr, acc, _ in scan], floor)
        return {"lr_low": low, "lr_high": high, "scan_floor": floor, "scan_lr": [s[0] for s in scan],
                "scan_min_acc": [s[1] if s[1] is not None else float("nan") for s in scan],
                "scan_barrier_over_chance": [s[2] for s in scan], "scan_refined": len(fine)}

    key = (C16_TOY, C16_GRID, C16_REFINE, C16_CYCLE, C16_STABLE_DROP, C16_SCAN_OPTIMUM)
    win = build() if lab is None else lab.cached("c16_toy_scan", key, build, "C16 toy max-LR scan")
    low, high = win["lr_low"], win["lr_high"]
    model = WedgeClassifier(sample)
    degraded, lr_high, high_m = [], None, None
    for lr in sorted((x for x in win["scan_lr"] if low < x <= high), reverse=True):
        try:
            lr_high, high_m = lr, model.arm(lr, seed=sample)
            break
        except SnapshotsDegraded:
            degraded.append(lr)
    out = {**win, "lr_high_window": high, "lr_high": lr_high, "premise_tried": _tried(win, lr_high, degraded)}
    out.update({f"{k}_low": v for k, v in model.arm(low, seed=sample).items()})
    if high_m is None:
        return Sample(metrics={k: v for k, v in out.items() if v is not None},
                      not_measurable=f"seed {sample}'s snapshots degrade at every scanned max-LR above the low one")
    out.update({f"{k}_high": v for k, v in high_m.items()})
    out["ensemble_advantage_gain"] = out["ensemble_advantage_high"] - out["ensemble_advantage_low"]
    return Sample(metrics=out)

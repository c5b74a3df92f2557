"""Snapshots, weight averages and prediction averages (Fort & Jastrzebski §4.5; He, Huang & Yuan's SWA bias).

Snapshots. ``cyclic_snapshots`` continues training from a given theta (e.g. a trained optimum) with a
cyclic learning rate, one snapshot at the end of each cycle (snapshot ensembles, Huang et al. 2017;
SWA's cyclic variant). The schedule is ``config.lr_at``'s: with u = ((t mod c) + 1) / c,
    cosine:      lr_t = lr_min + (lr_max - lr_min) (1 + cos(pi u)) / 2
    triangular:  lr_t = lr_min + (lr_max - lr_min) (1 - |2u - 1|)
so the last update of a cycle uses lr_min. (``training.train`` with schedule="cyclic" records the same
per-cycle snapshots, but only from the initialization; ``snapshots_of(optimum)`` returns those.)
``sgd_average`` runs minibatch SGD at a constant learning rate and averages the iterates of the last
part of training (SWA as He, Huang & Yuan analyse it, claim A2).

Averages. The weight average is computed by ``torch.optim.swa_utils.AveragedModel`` (running mean
p_avg <- p_avg + (p - p_avg) / (n + 1), i.e. the arithmetic mean of the snapshots), and, when the
network has batch norm, its running statistics are re-estimated by ``swa_utils.update_bn`` over the
training inputs (dropout switched off for that pass). The prediction average (an ensemble) is
    p_bar(x) = (1/K) sum_k softmax(f(theta_k, x)),  loss = -(1/N) sum_i log p_bar(x_i)[y_i],
accuracy = mean_i [argmax p_bar(x_i) = y_i].

Barriers and distances. Along the straight line theta(t) = A + t (B - A), t in [0, 1], the barrier is
    max_t [ L(theta(t)) - ((1 - t) L(A) + t L(B)) ]
(the rise above the linear interpolation of the endpoint losses; >= 0 since t = 0, 1 are included; 0
for a convex loss; NaN when a loss on the line is NaN). ``snapshot_barriers`` evaluates the lines
between consecutive snapshots and from each snapshot to the weight average, all points in one batched
call. ``travel`` gives the distances |s_{k+1} - s_k|, |s_k - average| and, with a start, |s_k - start|.

One training loop serves both phases (``_run``: ``torch.optim`` on one parameter vector from a given theta,
minibatches in epoch-wise random order from the phase's seed); ``CyclicConfig`` and ``SGDAverageConfig`` are the
two shapes of such a phase (a cyclic schedule that keeps snapshots; a constant one whose iterates are averaged).
It is not ``training.train_many``: that loop starts from a seed's initialization, stops at a target loss and
draws its minibatch order and dropout masks from another stream, so sharing it would change every averaged
number.

The caller's model, tensors and FlatModel are never modified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, update_bn

from .config import Optimum, TrainingDiverged
from .params import FlatModel, cross_entropy

LossFn = Callable[[torch.Tensor], torch.Tensor]
_DROPOUT = (nn.modules.dropout._DropoutNd,)
_BN = (nn.modules.batchnorm._BatchNorm,)


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_flat(flat):
    if not isinstance(flat, FlatModel):
        raise ValueError(f"flat must be a landscape_lib.nets.params.FlatModel, got {type(flat).__name__}")


def _check_theta(flat, theta, name="theta_start"):
    if not isinstance(theta, torch.Tensor) or theta.shape != (flat.D,):
        raise ValueError(f"{name} must be a (D,) = ({flat.D},) tensor, got {getattr(theta, 'shape', theta)!r}")
    if not bool(torch.isfinite(theta).all()):
        raise ValueError(f"{name} must be finite")


def _check_data(X, y):
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor) or X.ndim < 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be an (N, ...) tensor and y an (N,) tensor of labels, got "
                         f"{getattr(X, 'shape', X)!r} and {getattr(y, 'shape', y)!r}")


def _check_snapshots(flat, snapshots, name="snapshots"):
    if isinstance(snapshots, (list, tuple)):
        if not snapshots or not all(isinstance(s, torch.Tensor) for s in snapshots):
            raise ValueError(f"{name} must be a non-empty (K, D) tensor or list of (D,) tensors")
        snapshots = torch.stack(list(snapshots))
    if not isinstance(snapshots, torch.Tensor) or snapshots.ndim != 2 or snapshots.shape[0] == 0 or (
            flat is not None and snapshots.shape[1] != flat.D):
        D = flat.D if flat is not None else "D"
        raise ValueError(f"{name} must be a (K, {D}) tensor with K >= 1, "
                         f"got {getattr(snapshots, 'shape', snapshots)!r}")
    return snapshots


# -- schedules and runs ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CyclicConfig:
    """A cyclic-learning-rate phase: n_cycles cycles of cycle_steps updates from lr_max down to lr_min
    (shape "cosine" or "triangular", as ``config.lr_at``), optimizer "sgd" (heavy-ball momentum) or
    "adam", minibatches of batch_size (None: full batch) in epoch-wise random order from ``seed``,
    objective CE + l2/2 |theta|^2."""

    lr_max: float
    lr_min: float = 0.0
    cycle_steps: int = 100
    n_cycles: int = 5
    shape: str = "cosine"
    optimizer: str = "sgd"
    momentum: float = 0.9
    batch_size: int | None = 64
    l2: float = 0.0
    seed: int = 0

    def __post_init__(self):
        def bad(name, allowed):
            raise ValueError(f"CyclicConfig.{name} must be {allowed}, got {getattr(self, name)!r}")
        if not _is_num(self.lr_max) or self.lr_max < 0:
            bad("lr_max", "a non-negative number")
        if not _is_num(self.lr_min) or not 0 <= self.lr_min <= self.lr_max:
            bad("lr_min", "a number in [0, lr_max]")
        if not _is_int(self.cycle_steps) or self.cycle_steps < 1:
            bad("cycle_steps", "a positive integer")
        if not _is_int(self.n_cycles) or self.n_cycles < 1:
            bad("n_cycles", "a positive integer")
        if self.shape not in ("cosine", "triangular"):
            bad("shape", "'cosine' or 'triangular'")
        _check_common(self, bad)

    def lr(self, t: int) -> float:
        """Learning rate of update t (0-based); the same formula as ``config.lr_at``."""
        u = ((t % self.cycle_steps) + 1) / self.cycle_steps
        if self.shape == "cosine":
            return self.lr_min + (self.lr_max - self.lr_min) * 0.5 * (1 + math.cos(math.pi * u))
        return self.lr_min + (self.lr_max - self.lr_min) * (1 - abs(2 * u - 1))


@dataclass(frozen=True)
class SGDAverageConfig:
    """Minibatch SGD at a constant ``lr`` for ``steps`` updates; the iterates after update
    ceil((1 - average_last) * steps) are averaged, every ``every`` updates (SWA over SGD iterates)."""

    lr: float
    steps: int = 1000
    average_last: float = 0.5
    every: int = 1
    optimizer: str = "sgd"
    momentum: float = 0.0
    batch_size: int | None = 64
    l2: float = 0.0
    seed: int = 0

    def __post_init__(self):
        def bad(name, allowed):
            raise ValueError(f"SGDAverageConfig.{name} must be {allowed}, got {getattr(self, name)!r}")
        if not _is_num(self.lr) or self.lr < 0:
            bad("lr", "a non-negative number")
        if not _is_int(self.steps) or self.steps < 1:
            bad("steps", "a positive integer")
        if not _is_num(self.average_last) or not 0 < self.average_last <= 1:
            bad("average_last", "a fraction in (0, 1]")
        if not _is_int(self.every) or self.every < 1:
            bad("every", "a positive integer")
        _check_common(self, bad)

    @property
    def first_averaged(self) -> int:
        """The number of updates after which the first averaged iterate is taken (>= 1)."""
        return max(1, math.ceil((1 - self.average_last) * self.steps))


def _check_common(cfg, bad):
    if cfg.optimizer not in ("sgd", "adam"):
        bad("optimizer", "'sgd' or 'adam'")
    if not _is_num(cfg.momentum) or not 0 <= cfg.momentum < 1:
        bad("momentum", "a number in [0, 1)")
    if cfg.batch_size is not None and (not _is_int(cfg.batch_size) or cfg.batch_size < 1):
        bad("batch_size", "None (full batch) or a positive integer")
    if not _is_num(cfg.l2) or cfg.l2 < 0:
        bad("l2", "a non-negative number")
    if not _is_int(cfg.seed) or cfg.seed < 0:
        bad("seed", "a non-negative integer")


def _run(flat, theta_start, X, y, cfg, lr_fn, steps, on_step, what):
    """Minimize CE + l2/2 |theta|^2 on minibatches with torch.optim; on_step(t, theta) after update t (1-based)."""
    dev, dt = flat.device, flat.dtype
    X = X.to(dev, dt) if X.is_floating_point() else X.to(dev)
    y = y.to(dev)
    theta = theta_start.detach().to(dev, dt).clone().requires_grad_(True)
    opt = (torch.optim.SGD([theta], lr=lr_fn(0), momentum=cfg.momentum) if cfg.optimizer == "sgd"
           else torch.optim.Adam([theta], lr=lr_fn(0)))
    n = X.shape[0]
    full = cfg.batch_size is None or cfg.batch_size >= n
    gen = torch.Generator().manual_seed(0xA5E0000 + cfg.seed)
    perm, pos = None, n
    for t in range(steps):
        if full:
            Xb, yb = X, y
        else:
            if pos + cfg.batch_size > n:
                perm, pos = torch.randperm(n, generator=gen).to(dev), 0
            idx = perm[pos:pos + cfg.batch_size]
            pos += cfg.batch_size
            Xb, yb = X[idx], y[idx]
        ce = flat.loss(theta, Xb, yb, train=flat.has_dropout, seed=(cfg.seed * 1_000_003 + t) % 2**63)
        if not torch.isfinite(ce):
            raise TrainingDiverged(f"{what} diverged: minibatch loss {ce.item()} at update {t} "
                                   f"(lr {lr_fn(t):.4g}, config {cfg})")
        obj = ce + 0.5 * cfg.l2 * theta.pow(2).sum() if cfg.l2 else ce
        opt.zero_grad(set_to_none=True)
        obj.backward()
        for g in opt.param_groups:
            g["lr"] = lr_fn(t)
        opt.step()
        on_step(t + 1, theta.detach())
    return theta.detach()


@dataclass(eq=False)
class CyclicRun:
    """Snapshots of a cyclic phase: snapshots (n_cycles, D), one per cycle end; their full-batch
    training loss and accuracy (FlatModel's definition: BN with the batch's statistics); the start."""

    snapshots: torch.Tensor
    train_loss: torch.Tensor
    train_acc: torch.Tensor
    start: torch.Tensor
    cfg: CyclicConfig


def cyclic_snapshots(flat: FlatModel, theta_start: torch.Tensor, X: torch.Tensor, y: torch.Tensor,
                     cfg: CyclicConfig) -> CyclicRun:
    """Train from ``theta_start`` on (X, y) under the cyclic schedule of ``cfg``; one snapshot per cycle end.

    Raises TrainingDiverged naming the update, learning rate and config when a minibatch loss or a
    snapshot's full-batch loss becomes NaN/inf (a diverged run is an error, never evidence).
    """
    _check_flat(flat)
    _check_theta(flat, theta_start)
    _check_data(X, y)
    if not isinstance(cfg, CyclicConfig):
        raise ValueError(f"cfg must be a CyclicConfig, got {type(cfg).__name__}")
    snaps = []

    def keep(t, th):
        if t % cfg.cycle_steps == 0:
            snaps.append(th.clone())
    _run(flat, theta_start, X, y, cfg, cfg.lr, cfg.cycle_steps * cfg.n_cycles, keep, "cyclic phase")
    S = torch.stack(snaps)
    Xd = X.to(flat.device, flat.dtype)
    yd = y.to(flat.device)
    with torch.no_grad():
        logits = flat.batched_logits(S, Xd)
        K, N, C = logits.shape
        loss = cross_entropy(logits, yd.expand(K, N))
        acc = (logits.argmax(-1) == yd).double().mean(1)
    bad = (~torch.isfinite(loss)).nonzero()
    if len(bad):
        k = int(bad[0])
        raise TrainingDiverged(f"cyclic phase diverged: snapshot {k} (end of cycle {k + 1}) has training loss "
                               f"{float(loss[k])} (config {cfg})")
    return CyclicRun(snapshots=S, train_loss=loss, train_acc=acc, start=theta_start.detach().clone(), cfg=cfg)


def snapshots_of(optimum: Optimum) -> torch.Tensor:
    """The per-cycle snapshots that ``training.train`` recorded for a schedule="cyclic" run, as (K, D)."""
    if not isinstance(optimum, Optimum):
        raise ValueError(f"optimum must be an Optimum, got {type(optimum).__name__}")
    if not optimum.snapshots:
        raise ValueError("optimum has no snapshots: train it with TrainConfig(schedule='cyclic') for >= 1 cycle")
    return torch.stack(list(optimum.snapshots))


# -- averages --------------------------------------------------------------------------------------
@dataclass(eq=False)
class WeightAverage:
    """The weight average: theta (D,), its BN running statistics (buffers; recomputed by update_bn over
    the given inputs, or the module's own when it has no BN), and how many snapshots were averaged."""

    theta: torch.Tensor
    buffers: dict
    n_averaged: int


def _bn_pass(module: nn.Module, X: torch.Tensor, bn_batch_size: int | None):
    """swa_utils.update_bn over X in batches (one batch when None), with dropout off during the pass."""
    drops = [(m, m.p) for m in module.modules() if isinstance(m, _DROPOUT)]
    for m, _ in drops:
        m.p = 0.0
    try:
        loader = [X] if bn_batch_size is None else list(X.split(bn_batch_size))
        update_bn(loader, module)
    finally:
        for m, p in drops:
            m.p = p
    module.eval()


def weight_average(flat: FlatModel, snapshots, bn_X: torch.Tensor | None = None,
                   bn_batch_size: int | None = None) -> WeightAverage:
    """Average the K snapshots' weights with ``swa_utils.AveragedModel``; re-estimate BN statistics.

    snapshots: (K, D) tensor or list of (D,) tensors. bn_X: the inputs ``update_bn`` re-estimates the
    running statistics on (required when the network has batch norm; one batch, or ``bn_batch_size``
    per batch — torch averages per-batch statistics then). Returns theta = (1/K) sum_k s_k (to float
    rounding: AveragedModel's running mean), in flat's dtype.
    """
    _check_flat(flat)
    S = _check_snapshots(flat, snapshots).to(flat.device, flat.dtype)
    if flat.has_batch_norm and not isinstance(bn_X, torch.Tensor):
        raise ValueError("bn_X (the training inputs) is required: the network has batch norm and the average's "
                         "running statistics must be re-estimated (swa_utils.update_bn)")
    if bn_batch_size is not None and (not _is_int(bn_batch_size) or bn_batch_size < 1):
        raise ValueError(f"bn_batch_size must be None or a positive integer, got {bn_batch_size!r}")
    work = flat.to_module(S[0])
    swa = AveragedModel(work)
    with torch.no_grad():
        for s in S:
            torch.nn.utils.vector_to_parameters(s, work.parameters())
            swa.update_parameters(work)
    avg = swa.module
    if flat.has_batch_norm:
        _bn_pass(avg, bn_X.to(flat.device, flat.dtype), bn_batch_size)
    theta = torch.nn.utils.parameters_to_vector(avg.parameters()).detach().clone()
    buffers = {n: b.detach().clone() for n, b in avg.named_buffers()}
    return WeightAverage(theta=theta, buffers=buffers, n_averaged=int(swa.n_averaged))


@dataclass(frozen=True)
class EnsembleMetrics:
    """Prediction average of K members: loss = -mean log p_bar[y], accuracy of argmax p_bar; and each
    member's own loss and accuracy (tensors (K,))."""

    loss: float
    accuracy: float
    member_loss: torch.Tensor
    member_accuracy: torch.Tensor


def prediction_average(logits: torch.Tensor, y: torch.Tensor) -> EnsembleMetrics:
    """Ensemble metrics from the members' logits (K, N, C) and labels y (N,) (formula in the module
    docstring); log p_bar is computed as logsumexp_k log_softmax - log K, so it is finite when any
    member gives the label a nonzero probability."""
    if not isinstance(logits, torch.Tensor) or logits.ndim != 3 or logits.shape[0] == 0:
        raise ValueError(f"logits must be a (K, N, C) tensor with K >= 1, got {getattr(logits, 'shape', logits)!r}")
    K, N, C = logits.shape
    if not isinstance(y, torch.Tensor) or y.shape != (N,):
        raise ValueError(f"y must be a ({N},) tensor of labels, got {getattr(y, 'shape', y)!r}")
    y = y.to(logits.device)
    logp = F.log_softmax(logits.double(), dim=-1)
    log_pbar = torch.logsumexp(logp, dim=0) - math.log(K)
    loss = float(-log_pbar.gather(1, y.view(N, 1)).mean())
    acc = float((log_pbar.argmax(-1) == y).double().mean())
    member_loss = -logp.gather(2, y.view(1, N, 1).expand(K, N, 1)).squeeze(2).mean(1)
    member_acc = (logp.argmax(-1) == y).double().mean(1)
    return EnsembleMetrics(loss=loss, accuracy=acc, member_loss=member_loss, member_accuracy=member_acc)


# -- lines and distances ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LineBarrier:
    """The loss on A + t (B - A) at ts, and barrier = max_t [L(t) - ((1 - t) L(A) + t L(B))] at t = peak_t."""

    ts: torch.Tensor
    losses: torch.Tensor
    barrier: float
    peak_t: float


def _barrier(ts, L):
    lin = (1 - ts) * L[0] + ts * L[-1]
    ex = L - lin
    k = int(torch.nan_to_num(ex, nan=math.inf).argmax())
    return LineBarrier(ts=ts, losses=L, barrier=float(ex[k]), peak_t=float(ts[k]))


def line_barriers(loss_fn: LossFn, pairs, n_points: int = 11, chunk: int = 256) -> list:
    """Barriers on the straight lines between each pair (A, B) in ``pairs``, n_points per line (t from 0 to
    1 inclusive, evenly spaced), all lines' points evaluated in one flat batch by the batched loss_fn."""
    if not isinstance(n_points, int) or isinstance(n_points, bool) or n_points < 2:
        raise ValueError(f"n_points must be an integer >= 2 (both ends are included), got {n_points!r}")
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    pairs = list(pairs)
    if not pairs or not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
        raise ValueError("pairs must be a non-empty list of (A, B) pairs of flat tensors")
    A = torch.stack([p[0] for p in pairs])
    B = torch.stack([p[1] for p in pairs]).to(A)
    if A.ndim != 2:
        raise ValueError(f"each A and B must be a flat (D,) tensor, got shape {tuple(A.shape[1:])}")
    ts = torch.linspace(0, 1, n_points, dtype=A.dtype, device=A.device)
    P = (A.unsqueeze(1) + ts.view(1, -1, 1) * (B - A).unsqueeze(1)).reshape(-1, A.shape[1])
    with torch.no_grad():
        L = torch.cat([loss_fn(P[i:i + chunk]) for i in range(0, len(P), chunk)]).detach()
    if L.shape != (len(P),):
        raise ValueError(f"loss_fn must map (K, D) to (K,), got {tuple(L.shape)} for K = {len(P)}")
    L = L.view(len(pairs), n_points)
    return [_barrier(ts.cpu().double(), L[i].cpu().double()) for i in range(len(pairs))]


@dataclass(frozen=True)
class SnapshotBarriers:
    """Barriers between consecutive snapshots (K - 1 lines) and from each snapshot to the average (K)."""

    consecutive: list
    to_average: list

    @property
    def max_consecutive(self) -> float:
        return max((b.barrier for b in self.consecutive), default=0.0)

    @property
    def max_to_average(self) -> float:
        return max(b.barrier for b in self.to_average)


def snapshot_barriers(loss_fn: LossFn, snapshots, average: torch.Tensor, n_points: int = 11,
                      line_loss: Callable[[torch.Tensor, torch.Tensor], LossFn] | None = None) -> SnapshotBarriers:
    """Line barriers s_k -> s_{k+1} and s_k -> average (``line_barriers``), in one batched evaluation.

    line_loss: optional factory (A, B) -> batched loss used per line instead of ``loss_fn`` (needed when
    the loss depends on the line, e.g. batch-norm statistics interpolated between its ends,
    ``batchnorm.bn_loss_fn(..., 'interpolated', line=(A, B))``); then each line is one batched call.
    """
    S = _check_snapshots(None, snapshots)
    if not isinstance(average, torch.Tensor) or average.shape != S.shape[1:]:
        raise ValueError(f"average must be a ({S.shape[1]},) tensor, got {getattr(average, 'shape', average)!r}")
    pairs = [(S[k], S[k + 1]) for k in range(len(S) - 1)] + [(S[k], average.to(S)) for k in range(len(S))]
    if line_loss is None:
        res = line_barriers(loss_fn, pairs, n_points)
    else:
        res = [line_barriers(line_loss(a, b), [(a, b)], n_points)[0] for a, b in pairs]
    return SnapshotBarriers(consecutive=res[:len(S) - 1], to_average=res[len(S) - 1:])


@dataclass(frozen=True)
class Travel:
    """Distances: consecutive[k] = |s_{k+1} - s_k|; to_average[k] = |s_k - average|; from_start[k] =
    |s_k - start| (None without a start); norms[k] = |s_k| (for angular forms distance / |s_k|)."""

    consecutive: torch.Tensor
    to_average: torch.Tensor | None
    from_start: torch.Tensor | None
    norms: torch.Tensor


def travel(snapshots, average: torch.Tensor | None = None, start: torch.Tensor | None = None) -> Travel:
    """Distances travelled between snapshots, to their average and from the start (see ``Travel``)."""
    S = _check_snapshots(None, snapshots).double()
    for name, v in (("average", average), ("start", start)):
        if v is not None and (not isinstance(v, torch.Tensor) or v.shape != S.shape[1:]):
            raise ValueError(f"{name} must be None or a ({S.shape[1]},) tensor, got {getattr(v, 'shape', v)!r}")
    return Travel(consecutive=(S[1:] - S[:-1]).norm(dim=1),
                  to_average=None if average is None else (S - average.double().to(S.device)).norm(dim=1),
                  from_start=None if start is None else (S - start.double().to(S.device)).norm(dim=1),
                  norms=S.norm(dim=1))


# -- SWA over SGD iterates (A2) --------------------------------------------------------------------
@dataclass(eq=False)
class SGDAverage:
    """Constant-lr SGD: the final iterate, the average of the iterates after update ``cfg.first_averaged``
    (every ``cfg.every``) with its BN buffers, the count averaged, and (keep_iterates) the averaged iterates."""

    final: torch.Tensor
    average: WeightAverage
    n_averaged: int
    cfg: SGDAverageConfig
    iterates: torch.Tensor | None = field(default=None)


class _FlatParameter(torch.nn.Module):
    """theta as the one parameter of a module, for ``AveragedModel``: its running mean is elementwise, so
    averaging the flat vector gives the network's averaged parameters exactly, at one tensor per update
    instead of a pass over the network's modules (update_bn then runs on the network holding the average)."""

    def __init__(self, theta: torch.Tensor):
        super().__init__()
        self.theta = torch.nn.Parameter(theta.detach().clone(), requires_grad=False)


def sgd_average(flat: FlatModel, theta_start: torch.Tensor, X: torch.Tensor, y: torch.Tensor,
                cfg: SGDAverageConfig, bn_batch_size: int | None = None, keep_iterates: bool = False) -> SGDAverage:
    """Minibatch SGD from theta_start at constant cfg.lr; average the late iterates with AveragedModel.

    The iterate after update t (1-based) is averaged when t >= cfg.first_averaged and
    (t - cfg.first_averaged) % cfg.every == 0. BN statistics of the average are re-estimated on X with
    ``update_bn`` (as ``weight_average``). Raises TrainingDiverged when a minibatch loss is NaN/inf.
    """
    _check_flat(flat)
    _check_theta(flat, theta_start)
    _check_data(X, y)
    if not isinstance(cfg, SGDAverageConfig):
        raise ValueError(f"cfg must be an SGDAverageConfig, got {type(cfg).__name__}")
    if not isinstance(keep_iterates, bool):
        raise ValueError(f"keep_iterates must be True or False, got {keep_iterates!r}")
    work = _FlatParameter(theta_start.to(flat.device, flat.dtype))
    swa = AveragedModel(work)
    kept = []

    def on_step(t, th):
        if t >= cfg.first_averaged and (t - cfg.first_averaged) % cfg.every == 0:
            with torch.no_grad():
                work.theta.copy_(th)
                swa.update_parameters(work)
            if keep_iterates:
                kept.append(th.clone())
    final = _run(flat, theta_start, X, y, cfg, lambda t: cfg.lr, cfg.steps, on_step, "SGD")
    avg = flat.to_module(swa.module.theta.detach())
    if flat.has_batch_norm:
        _bn_pass(avg, X.to(flat.device, flat.dtype), bn_batch_size)
    wa = WeightAverage(theta=torch.nn.utils.parameters_to_vector(avg.parameters()).detach().clone(),
                       buffers={n: b.detach().clone() for n, b in avg.named_buffers()}, n_averaged=int(swa.n_averaged))
    return SGDAverage(final=final.clone(), average=wa, n_averaged=wa.n_averaged, cfg=cfg,
                      iterates=torch.stack(kept) if keep_iterates else None)

"""Training real networks to a fixed loss level: one optimum at a time, or K optima in one batched run.

``train(cfg)`` is the sequential reference: a leaf tensor theta in R^D, ordinary autograd through
``FlatModel.loss`` and ``torch.optim.Adam`` / ``torch.optim.SGD``. ``train_many(cfg, seeds)``
trains K independent optima at once: the K parameter vectors are stacked into a (K, D) tensor, the
per-member gradients come from ``vmap(grad(objective))`` (for the library's MLP without batch norm: one
``bmm`` per layer with vmap's gradient kernels, the same numbers bit for bit, ``FlatModel.member_grads_exact``),
and Adam / SGD are re-implemented on the stacked tensor with exactly torch's update rule:

    Adam:  m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,
           theta <- theta - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    SGD:   b <- mu b + g,  theta <- theta - lr b

with t counted per member. A member is frozen (its theta and optimizer state stop changing) once it
reaches the target, so every optimum of a batch is taken at the same loss level as the sequential
one. Initialization (``torch.manual_seed(seed)`` in a forked RNG, on CPU) and minibatch order (an
epoch-wise permutation from a generator seeded by ``seed``) depend only on the seed, so the two
paths give the same numbers to float tolerance (dropout masks excepted: they are drawn per step
from a seeded RNG and agree only in distribution).

Objective and stopping. The optimizer minimizes CE(theta) + l2/2 |theta|^2 on the (mini)batch. The
stopping criterion is the *full-batch training cross-entropy* (no L2 term, dropout off) at the
current theta, checked before each update: a run stops at step t with reached_target=True when
CE(theta_t) <= target_loss. The check is free for full-batch training without dropout (it is the
forward pass of the step); with minibatches or dropout it costs a full-batch forward and is done
every ``log_every`` steps; with a cyclic schedule it is done only at the end of each cycle; and
always after the last update.

History (every ``log_every`` steps and at the end), with w the current and w0 the initial theta:
step, lr (of the update taken at that step), train_loss (full-batch CE), radius |w|, dist_from_init |w - w0|,
radial_share = (|w| - |w0|) / |w - w0|  (in [-1, 1]: the part of the displacement that changed
the norm; 1 = purely outward, 0 at w = w0), and cos_disp_w = <w - w0, w> / (|w - w0| |w|).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from typing import Callable

import torch
from torch.func import grad, vmap

from .config import (TRAIN_CODE_VERSION, Optimum, TargetNotReached, TrainConfig, TrainingDiverged, _is_int,
                     config_hash, lr_at, require_reached)
from .data import Dataset, load_dataset, subset
from .models import build_model
from .params import FlatModel, cross_entropy

__all__ = ["dataset_for", "init_model", "train", "train_many",
           # re-exported from .config for convenience
           "TRAIN_CODE_VERSION", "Optimum", "TargetNotReached", "TrainConfig", "TrainingDiverged", "config_hash",
           "lr_at", "require_reached"]


class _Batches:
    """Minibatch indices for one seed: consecutive slices of an epoch-wise random permutation."""

    def __init__(self, seed: int, n: int, batch_size: int | None, device):
        self.n, self.b, self.device = n, batch_size, device
        self.full = batch_size is None or batch_size >= n
        self.gen = torch.Generator().manual_seed(0x5EED0000 + seed)
        self.perm, self.pos = None, n

    def next(self):
        if self.full:
            return None
        if self.pos >= self.n:
            self.perm, self.pos = torch.randperm(self.n, generator=self.gen), 0
        idx = self.perm[self.pos:self.pos + self.b]
        self.pos += self.b
        return idx.to(self.device)


_DATA_CACHE: dict = {}
_DATA_CACHE_SIZE = 3


def dataset_for(cfg: TrainConfig, data: Dataset | None = None) -> Dataset:
    """The dataset cfg trains on, on cfg's device and dtype: ``data`` if given, else cfg.dataset loaded
    once per process (the last few are kept; treat the tensors as read-only)."""
    dev, dt = cfg.resolved_device(), cfg.torch_dtype()
    if data is not None:
        if not isinstance(data, Dataset):
            raise ValueError(f"data must be a landscape_lib.nets.data.Dataset or None, got {type(data).__name__}")
        return data.to(dev, dt)
    key = (cfg.dataset, cfg.data_root, cfg.data_seed, cfg.train_size, str(dev), cfg.dtype)
    if key not in _DATA_CACHE:
        while len(_DATA_CACHE) >= _DATA_CACHE_SIZE:
            _DATA_CACHE.pop(next(iter(_DATA_CACHE)))
        ds = load_dataset(cfg.dataset, device=dev, data_root=cfg.data_root, seed=cfg.data_seed)
        if cfg.train_size is not None:
            ds = subset(ds, cfg.train_size)
        _DATA_CACHE[key] = ds.to(dev, dt)
    return _DATA_CACHE[key]


_data = dataset_for


def init_model(cfg: TrainConfig, input_shape, num_classes: int, seed: int):
    """The untrained module for ``seed``: built on CPU under torch.manual_seed(seed) in a forked RNG."""
    opts = {}
    if cfg.model == "mlp":
        opts = dict(hidden=cfg.hidden, activation=cfg.activation, dropout=cfg.dropout,
                    batch_norm=cfg.batch_norm, width=cfg.width)
    elif cfg.model == "simple_cnn":
        opts = dict(activation=cfg.activation, dropout=cfg.dropout, batch_norm=cfg.batch_norm, width=cfg.width)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(cfg.model, input_shape, num_classes, **opts)


def _dropout_seed(seed: int, t: int) -> int:
    return (seed * 1_000_003 + t) % (2**63)


def _diverged(cfg, seed, t, value):
    return TrainingDiverged(f"training diverged: loss {value} at step {t} for seed {seed} "
                            f"(config {config_hash(cfg)}: {cfg})")


def _geometry(theta, theta0, r0):
    """Rows of (radius, dist_from_init, radial_share, cos_disp_w) for (K, D) or (D,) thetas."""
    r = theta.norm(dim=-1)
    disp = theta - theta0
    d = disp.norm(dim=-1)
    safe_d = torch.where(d > 0, d, torch.ones_like(d))
    share = torch.where(d > 0, (r - r0) / safe_d, torch.zeros_like(d))
    cos = torch.where((d > 0) & (r > 0), (disp * theta).sum(-1) / (safe_d * torch.where(r > 0, r, 1.0)),
                      torch.zeros_like(d))
    return r, d, share, cos


def _new_history():
    return {k: [] for k in ("step", "lr", "train_loss", "radius", "dist_from_init", "radial_share", "cos_disp_w")}


def _log(hist, t, lr, loss, geo):
    if hist["step"] and hist["step"][-1] == t:
        return
    r, d, s, c = (float(x) for x in geo)
    for k, v in zip(hist, (t, lr, float(loss), r, d, s, c)):
        hist[k].append(v)


def _should_check(cfg, t, last, cheap):
    """Whether the stopping test runs before update t (cheap: the full-batch loss is already at hand)."""
    if cfg.target_loss is None:
        return False
    if last:
        return True
    if cfg.schedule == "cyclic":
        return t > 0 and t % cfg.cycle_steps == 0
    return cheap or t % cfg.log_every == 0


def _finish(cfg, flat, ds, seed, theta, theta_init, steps, reached, hist, snaps, seconds) -> Optimum:
    with torch.no_grad():
        tr_loss = flat.loss(theta, ds.X_train, ds.y_train).item()
        if not math.isfinite(tr_loss):
            raise _diverged(cfg, seed, steps, tr_loss)
        tr_acc = flat.accuracy(theta, ds.X_train, ds.y_train)
        if flat.has_batch_norm:
            logits = flat.eval_logits(theta, ds.X_test, flat.bn_stats(theta, ds.X_train))
        else:
            logits = flat.logits(theta, ds.X_test)
        te_loss = cross_entropy(logits, ds.y_test).item()
        te_acc = (logits.argmax(-1) == ds.y_test).double().mean().item()
    return Optimum(cfg=dataclasses.replace(cfg, seed=seed), seed=seed, theta=theta.detach().cpu().clone(),
                   theta_init=theta_init.detach().cpu().clone(), train_loss=tr_loss, train_acc=tr_acc,
                   test_loss=te_loss, test_acc=te_acc, steps=int(steps), reached_target=bool(reached),
                   history=hist, snapshots=[s.cpu() for s in snaps], seconds=float(seconds))


def _check_progress(progress):
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be None or a callable(step, max_steps, loss), got {progress!r}")


def train(cfg: TrainConfig, progress: Callable | None = None, data: Dataset | None = None) -> Optimum:
    """Train one network (seed cfg.seed) with torch.optim and autograd: the sequential reference path.

    progress: optional callable(step, max_steps, loss) called every log_every steps.
    data: optional Dataset to use instead of loading cfg.dataset (moved/cast to cfg's device/dtype).
    A run that stops at max_steps above cfg.target_loss is returned with reached_target=False; pass
    the result to ``require_reached`` to make that an error (TargetNotReached). Raises
    TrainingDiverged when the loss becomes NaN or infinite.
    """
    if not isinstance(cfg, TrainConfig):
        raise ValueError(f"cfg must be a TrainConfig, got {type(cfg).__name__}")
    _check_progress(progress)
    ds = _data(cfg, data)
    t0 = time.perf_counter()
    dev, dt = cfg.resolved_device(), cfg.torch_dtype()
    flat = FlatModel(init_model(cfg, ds.input_shape, ds.num_classes, cfg.seed), dtype=dt, device=dev)
    theta_init = flat.theta0()
    r0 = theta_init.norm()
    theta = theta_init.clone().requires_grad_(True)
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam([theta], lr=cfg.lr, betas=cfg.betas, eps=cfg.eps)
    else:
        opt = torch.optim.SGD([theta], lr=cfg.lr, momentum=cfg.momentum)
    batches = _Batches(cfg.seed, ds.n_train, cfg.batch_size, dev)
    use_dropout = flat.has_dropout
    reuse = batches.full and not use_dropout
    hist, snaps, reached, steps = _new_history(), [], False, cfg.max_steps
    for t in range(cfg.max_steps + 1):
        last = t == cfg.max_steps
        log = t % cfg.log_every == 0 or last
        check = _should_check(cfg, t, last, reuse)
        idx = None if last else batches.next()
        ce = None
        if not last:
            Xb, yb = (ds.X_train, ds.y_train) if idx is None else (ds.X_train[idx], ds.y_train[idx])
            ce = flat.loss(theta, Xb, yb, train=use_dropout, seed=_dropout_seed(cfg.seed, t))
            if not torch.isfinite(ce):
                raise _diverged(cfg, cfg.seed, t, ce.item())
        full = None
        if reuse and ce is not None:
            full = ce.detach()
        elif log or check:
            with torch.no_grad():
                full = flat.loss(theta.detach(), ds.X_train, ds.y_train)
        if full is not None:
            fv = full.item()
            if not math.isfinite(fv):
                raise _diverged(cfg, cfg.seed, t, fv)
            hit = check and fv <= cfg.target_loss
            if log or hit:
                _log(hist, t, lr_at(cfg, t), fv, _geometry(theta.detach(), theta_init, r0))
            if progress is not None and (log or hit):
                progress(t, cfg.max_steps, fv)
            if hit:
                reached, steps = True, t
                break
        if last:
            break
        obj = ce + 0.5 * cfg.l2 * theta.pow(2).sum() if cfg.l2 else ce
        opt.zero_grad(set_to_none=True)
        obj.backward()
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, t)
        opt.step()
        if cfg.schedule == "cyclic" and (t + 1) % cfg.cycle_steps == 0:
            snaps.append(theta.detach().clone())
    seconds = time.perf_counter() - t0
    return _finish(cfg, flat, ds, cfg.seed, theta.detach(), theta_init, steps, reached, hist, snaps, seconds)


def _load_checkpoint(path, cfg, seeds):
    """The state a killed ``train_many`` saved for the same configuration, seeds and training code, else None."""
    if path is None or not os.path.isfile(path):
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception:  # noqa: BLE001 - an unreadable checkpoint is ignored: training restarts
        return None
    from .config import TRAIN_CODE_VERSION, config_hash

    want = (config_hash(cfg), list(seeds), TRAIN_CODE_VERSION)
    return state if (state.get("cfg"), state.get("seeds"), state.get("code")) == want else None


def _save_checkpoint(path, state: dict) -> None:
    """Write ``state`` to ``path`` atomically (a temporary file in the same folder, then os.replace)."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".ckpt-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def train_many(cfg: TrainConfig, seeds: list, progress: Callable | None = None,
               data: Dataset | None = None, vectorize: bool = True, checkpoint=None,
               checkpoint_every: int = 200) -> list:
    """Train len(seeds) independent networks in one batched run (vmap over the stacked (K, D) thetas).

    Member k is exactly ``train(dataclasses.replace(cfg, seed=seeds[k]))`` up to float rounding
    (dropout masks excepted). Returns one Optimum per seed, in order; progress gets the largest
    loss among the members still training. vectorize=False computes the K gradients in a Python
    loop instead of vmap (same numbers; the optimizer stays batched): on a CPU, where a step is
    compute-bound, vmap over convolutions costs ~2x the loop (benchmarks/bench_train.py).
    Members that stop above the target are returned with reached_target=False (see ``require_reached``).
    ``checkpoint``: a file path; every ``checkpoint_every`` steps the whole state (parameters, optimizer moments,
    minibatch streams, histories) is written there atomically, and a run that finds a checkpoint of the same
    configuration, seeds and training code resumes from it (a job killed by a scheduler continues, with the numbers
    of an uninterrupted run); the file is removed when training finishes.
    """
    if not isinstance(cfg, TrainConfig):
        raise ValueError(f"cfg must be a TrainConfig, got {type(cfg).__name__}")
    if not isinstance(checkpoint_every, int) or isinstance(checkpoint_every, bool) or checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be a positive integer, got {checkpoint_every!r}")
    seeds = list(seeds) if isinstance(seeds, (list, tuple, range)) else seeds
    if not isinstance(seeds, list) or not seeds or not all(_is_int(s) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    _check_progress(progress)
    ds = _data(cfg, data)
    t0 = time.perf_counter()
    dev, dt = cfg.resolved_device(), cfg.torch_dtype()
    K = len(seeds)
    flats = [FlatModel(init_model(cfg, ds.input_shape, ds.num_classes, s), dtype=dt, device=dev) for s in seeds]
    flat = flats[0]
    theta_init = torch.stack([f.theta0() for f in flats])
    del flats
    r0 = theta_init.norm(dim=1)
    thetas = theta_init.clone()
    m1 = torch.zeros_like(thetas)
    m2 = torch.zeros_like(thetas) if cfg.optimizer == "adam" else None
    nupd = torch.zeros(K, dtype=dt, device=dev)
    streams = [_Batches(s, ds.n_train, cfg.batch_size, dev) for s in seeds]
    full_batch = streams[0].full
    use_dropout = flat.has_dropout
    reuse = full_batch and not use_dropout

    def objective(th, xb, yb):
        ce = flat.loss(th, xb, yb, train=use_dropout)
        obj = ce + 0.5 * cfg.l2 * th.pow(2).sum() if cfg.l2 else ce
        return obj, ce

    if not isinstance(vectorize, bool):
        raise ValueError(f"vectorize must be True or False, got {vectorize!r}")
    if vectorize and (flat.batched_fast or flat.member_grads_exact) and not use_dropout:
        def grad_fn(th, xb, yb):
            th = th.detach().requires_grad_(True)
            ce = flat.batched_loss(th, xb, yb, per_member=not full_batch, member_grads=True)
            obj = ce + 0.5 * cfg.l2 * th.pow(2).sum(1) if cfg.l2 else ce
            return torch.autograd.grad(obj.sum(), th)[0], ce.detach()
    elif vectorize:
        grad_fn = vmap(grad(objective, has_aux=True), in_dims=(0, None if full_batch else 0,
                                                                None if full_batch else 0),
                       randomness="different" if use_dropout else "error")
    else:
        one = grad(objective, has_aux=True)

        def grad_fn(th, xb, yb):
            outs = [one(th[j], xb if full_batch else xb[j], yb if full_batch else yb[j]) for j in range(th.shape[0])]
            return torch.stack([o[0] for o in outs]), torch.stack([o[1] for o in outs])

    hists = [_new_history() for _ in seeds]
    snaps = [[] for _ in seeds]
    active = list(range(K))
    reached, steps = [False] * K, [cfg.max_steps] * K
    start, before = 0, 0.0
    state = _load_checkpoint(checkpoint, cfg, seeds)
    if state is not None:
        start, before = state["t"], state["seconds"]
        thetas, m1, nupd = state["thetas"].to(dev), state["m1"].to(dev), state["nupd"].to(dev)
        m2 = state["m2"].to(dev) if state["m2"] is not None else None
        active, reached, steps, hists = state["active"], state["reached"], state["steps"], state["hists"]
        snaps = [[s.to(dev) for s in ss] for ss in state["snaps"]]
        for st, (gen, perm, pos) in zip(streams, state["streams"]):
            st.gen.set_state(gen)
            st.perm, st.pos = perm, pos

    def save(t_next):
        from .config import TRAIN_CODE_VERSION, config_hash

        _save_checkpoint(checkpoint, {
            "cfg": config_hash(cfg), "seeds": list(seeds), "code": TRAIN_CODE_VERSION, "t": t_next,
            "seconds": before + time.perf_counter() - t0, "thetas": thetas.cpu(), "m1": m1.cpu(),
            "m2": None if m2 is None else m2.cpu(), "nupd": nupd.cpu(), "active": list(active),
            "reached": list(reached), "steps": list(steps), "hists": hists,
            "snaps": [[s.cpu() for s in ss] for ss in snaps],
            "streams": [(st.gen.get_state(), st.perm, st.pos) for st in streams]})

    for t in range(start, cfg.max_steps + 1):
        if not active:
            break
        last = t == cfg.max_steps
        log = t % cfg.log_every == 0 or last
        check = _should_check(cfg, t, last, reuse)
        a = torch.tensor(active, device=dev)
        th_a = thetas[a] if len(active) < K else thetas
        ce = g = None
        if not last:
            if full_batch:
                Xb, yb = ds.X_train, ds.y_train
            else:
                idx = torch.stack([streams[k].next() for k in active])
                Xb, yb = ds.X_train[idx], ds.y_train[idx]
            if use_dropout:
                with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
                    torch.manual_seed(_dropout_seed(seeds[active[0]], t))
                    g, ce = grad_fn(th_a, Xb, yb)
            else:
                g, ce = grad_fn(th_a, Xb, yb)
            ce_l = ce.tolist()
            for j, k in enumerate(active):
                if not math.isfinite(ce_l[j]):
                    raise _diverged(cfg, seeds[k], t, ce_l[j])
        full = None
        if reuse and ce is not None:
            full = ce_l
        elif log or check:
            with torch.no_grad():
                full = flat.batched_loss(th_a, ds.X_train, ds.y_train).tolist()
        done = []
        if full is not None:
            geo = None
            for j, k in enumerate(active):
                if not math.isfinite(full[j]):
                    raise _diverged(cfg, seeds[k], t, full[j])
                hit = check and full[j] <= cfg.target_loss
                if log or hit:
                    if geo is None:
                        geo = [x.tolist() for x in _geometry(th_a, theta_init[a], r0[a])]
                    _log(hists[k], t, lr_at(cfg, t), full[j], [x[j] for x in geo])
                if hit:
                    reached[k], steps[k] = True, t
                    done.append(j)
            if progress is not None and (log or len(done) == len(active)):
                progress(t, cfg.max_steps, max(full))
        if last:
            break
        if done:
            keep = torch.tensor([j for j in range(len(active)) if j not in done], dtype=torch.long, device=dev)
            active = [k for j, k in enumerate(active) if j not in done]
            if not active:
                break
            a, th_a, g = a[keep], th_a[keep], g[keep]
        lr = lr_at(cfg, t)
        nupd[a] += 1
        if cfg.optimizer == "adam":
            b1, b2 = cfg.betas
            n = nupd[a].unsqueeze(1)
            m = m1[a].lerp_(g, 1 - b1)
            v = m2[a].mul_(b2).addcmul_(g, g, value=1 - b2)
            step_size = lr / (1 - b1 ** n)
            denom = v.sqrt() / torch.sqrt(1 - b2 ** n) + cfg.eps
            new = th_a - step_size * (m / denom)
            m1[a], m2[a] = m, v
        else:
            buf = m1[a].mul_(cfg.momentum).add_(g)
            new = th_a - lr * buf
            m1[a] = buf
        thetas[a] = new
        if cfg.schedule == "cyclic" and (t + 1) % cfg.cycle_steps == 0:
            for k in active:
                snaps[k].append(thetas[k].clone())
        if checkpoint is not None and (t + 1) % checkpoint_every == 0:
            save(t + 1)
    seconds = before + time.perf_counter() - t0
    if checkpoint is not None and os.path.isfile(checkpoint):
        os.unlink(checkpoint)
    return [_finish(cfg, flat, ds, s, thetas[k], theta_init[k], steps[k], reached[k], hists[k], snaps[k], seconds)
            for k, s in enumerate(seeds)]

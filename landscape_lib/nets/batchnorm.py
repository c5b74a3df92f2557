"""A batch-norm network's logits and loss at parameters theta under the four definitions tools disagree on.

A BN layer normalizes its input x (channels along dim 1) as (x - mu) / sqrt(var + eps) * gamma + beta.
Which (mu, var) is used at a point theta that was never trained decides what "the loss at theta" is,
and so what a profile, a barrier or an asymmetry measured through theta shows:

- "frozen" (PyHessian; any eval-mode model): fixed running statistics, those of a reference point
  (``buffers``, or computed at ``ref_theta`` from ``stats_X``), whatever theta is evaluated.
- "recomputed" (Garipov et al.'s mode connectivity; the Asymmetric Valleys authors' code via
  ``swa_utils.update_bn``): the statistics are re-estimated at every evaluated theta by one pass over
  ``stats_X`` (the training data), mu = mean, var = unbiased variance over batch and spatial positions
  (torch's running-statistic estimate from one batch with momentum=None), then eval mode.
- "interpolated" (Li et al. 2018): on the line theta = A + t (B - A) the statistics are
  (1 - t) s_A + t s_B, the endpoints' statistics (``line_buffers``, or recomputed at A and B from
  ``stats_X``); beyond the ends (t < 0 or t > 1) they are extrapolated and the variance is clamped at 0.
- "batch" (this suite's ``FlatModel``, full-batch training): the statistics of the evaluated batch X
  itself (train-mode BN, biased variance), so the loss is a function of theta and X only.

Every definition is evaluated for K points at once (``torch.func.vmap`` over the stacked (K, D) thetas,
in chunks of ``chunk``); "recomputed" does its statistic pass inside the vmapped function (forward
pre-hooks on a private copy of the network record each BN layer's input mean and variance), so it is
batched too; for the library's MLP the pass runs along ``FlatModel.recomputed_logits`` (the same ops, bit
for bit, stopping at the last BN layer and sharing the layers before the first one). Dropout is off in
every pass (as in ``FlatModel.bn_stats``; ``update_bn`` would run it in train mode). Without batch norm
the four definitions coincide with ``FlatModel.batched_logits``.

Memory is bounded for large data sets: a vmapped call holds at most ``EXAMPLES_PER_CALL`` member-examples (the
member chunk shrinks as N grows, down to one member), and where the statistics are fixed before the logits
("frozen", "interpolated", and "recomputed" once its statistic pass is done) the logits are taken over X in
chunks of at most ``DATA_CHUNK`` examples: each example's eval-mode logits depend on the statistics only, so the
chunks give the one-pass numbers. The statistic pass ("recomputed") and "batch" see their whole data set at once
(one member at a time when it is large), and so does the library MLP's "recomputed" path (``recomputed_logits``:
a small model). At N <= DATA_CHUNK (the quick tier) nothing is split.
"""

from __future__ import annotations

import copy
import math
from typing import Callable

import torch
from torch import nn
from torch.func import vmap

from .params import FlatModel, cross_entropy

DEFINITIONS = ("frozen", "recomputed", "interpolated", "batch")
DATA_CHUNK = 2000  # examples per eval-mode logits call (as ``Problem.data_chunk``)
EXAMPLES_PER_CALL = 16 * DATA_CHUNK  # member-examples per vmapped call
PRIMARY = "recomputed"  # the Asymmetric Valleys authors' definition
_BN = (nn.modules.batchnorm._BatchNorm,)


def _check_flat(flat):
    if not isinstance(flat, FlatModel):
        raise ValueError(f"flat must be a landscape_lib.nets.params.FlatModel, got {type(flat).__name__}")


def _check_thetas(flat, thetas):
    if not isinstance(thetas, torch.Tensor) or thetas.ndim != 2 or thetas.shape[1] != flat.D:
        raise ValueError(f"thetas must be a (K, D) tensor with D = {flat.D}, got {getattr(thetas, 'shape', thetas)!r}")


def _check_chunk(chunk):
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk <= 0:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")


class _StatPass:
    """A private copy of the network whose BN layers use batch statistics and record them.

    ``__call__(params, X)`` runs the forward pass (BN normalizing with the batch's mean and biased
    variance, as torch's train mode does) and returns {buffer name: value} with running_mean = mean
    and running_var = unbiased variance of each BN layer's input: the statistics ``bn_stats`` /
    ``update_bn`` store after one pass over X with momentum=None. Works under vmap.
    """

    def __init__(self, flat: FlatModel):
        m = copy.deepcopy(flat.module).eval()
        self.layers = []
        for name, mod in m.named_modules():
            if isinstance(mod, _BN):
                mod.track_running_stats = False
                mod.running_mean = mod.running_var = mod.num_batches_tracked = None
                mod.register_forward_pre_hook(self._hook(name))
                self.layers.append(name)
        self.module, self._store = m, None

    def _hook(self, name):
        def record(_mod, args):
            x = args[0]
            dims = [0] + list(range(2, x.ndim))
            self._store[name] = (x.mean(dims), x.var(dims, correction=1))
        return record

    def __call__(self, params: dict, X: torch.Tensor) -> dict:
        from torch.func import functional_call

        self._store = {}
        try:
            functional_call(self.module, params, (X,))
            out = {}
            for name, (mu, var) in self._store.items():
                pre = f"{name}." if name else ""
                out[pre + "running_mean"], out[pre + "running_var"] = mu, var
            return out
        finally:
            self._store = None


def member_chunk(chunk: int, n_examples: int) -> int:
    """Members per vmapped call: ``chunk``, fewer when ``n_examples`` is large (at most EXAMPLES_PER_CALL
    member-examples per call, at least one member)."""
    return max(1, min(chunk, EXAMPLES_PER_CALL // max(1, n_examples)))


def _cast(theta, X):
    return X.to(device=theta.device, dtype=theta.dtype) if X.is_floating_point() else X.to(theta.device)


def _float_buffers(buffers: dict) -> dict:
    return {n: b for n, b in buffers.items() if b.is_floating_point()}


def recomputed_buffers(flat: FlatModel, thetas: torch.Tensor, stats_X: torch.Tensor, chunk: int = 16) -> dict:
    """BN running statistics re-estimated at each of K thetas from one pass over ``stats_X``.

    Returns {buffer name: (K, C) tensor} for every running_mean / running_var: what
    ``FlatModel.bn_stats(theta, stats_X)`` (or ``swa_utils.update_bn`` with one full batch and dropout
    off) gives at each theta, computed for all K in vmapped batches of ``chunk``. Empty without BN.
    """
    _check_flat(flat)
    _check_thetas(flat, thetas)
    _check_chunk(chunk)
    sp = _StatPass(flat)
    if not sp.layers:
        return {}
    Xs = _cast(thetas, stats_X)
    f = lambda th: sp(flat.unflatten(th), Xs)  # noqa: E731
    parts = [vmap(f)(thetas[i:i + chunk]) for i in range(0, len(thetas), chunk)]
    return {n: torch.cat([p[n] for p in parts]) for n in parts[0]}


def _line_t(thetas, A, B):
    d = B - A
    dd = float(d.dot(d))
    if dd == 0:
        raise ValueError("line must be two different points (A, B)")
    t = (thetas - A).mv(d) / dd
    resid = (thetas - A - t.unsqueeze(1) * d).norm(dim=1)
    scale = max(1.0, float(A.norm()), float(B.norm()), float(thetas.norm(dim=1).max()))
    tol = math.sqrt(torch.finfo(thetas.dtype).eps) * scale
    if bool((resid > tol).any()):
        k = int(resid.argmax())
        raise ValueError(f"thetas must lie on the line through line = (A, B) for definition 'interpolated': "
                         f"point {k} is {float(resid[k]):.3g} off it (tolerance {tol:.3g})")
    return t


def bn_logits(flat: FlatModel, thetas: torch.Tensor, X: torch.Tensor, definition: str, *, stats_X=None,
              buffers: dict | None = None, ref_theta=None, line=None, line_buffers=None,
              chunk: int = 16) -> torch.Tensor:
    """Logits (K, N, C) of the K parameter vectors ``thetas`` on inputs X under a batch-norm ``definition``.

    definition (see the module docstring) and what it needs:
      "frozen":       ``buffers`` (a running-statistics dict, e.g. ``flat.bn_stats(theta_trained, X_train)``)
                      or ``ref_theta`` and ``stats_X`` to compute them once;
      "recomputed":   ``stats_X``, the data the statistics are re-estimated on at every theta;
      "interpolated": ``line = (A, B)`` (every theta must lie on the line through A and B) and either
                      ``line_buffers = (buffers_A, buffers_B)`` or ``stats_X`` to recompute them at A, B;
      "batch":        nothing: X's own statistics.
    """
    _check_flat(flat)
    _check_thetas(flat, thetas)
    _check_chunk(chunk)
    if definition not in DEFINITIONS:
        raise ValueError(f"definition must be one of {DEFINITIONS}, got {definition!r}")
    if not isinstance(X, torch.Tensor):
        raise ValueError(f"X must be a tensor of inputs, got {type(X).__name__}")
    thetas = thetas.to(device=flat.device)
    n_stats = len(stats_X) if isinstance(stats_X, torch.Tensor) else 0
    chunk = member_chunk(chunk, max(len(X), n_stats))
    if definition == "batch":
        return torch.cat([flat.batched_logits(thetas[i:i + chunk], X) for i in range(0, len(thetas), chunk)])
    needs_stats = definition == "recomputed" or (definition == "frozen" and buffers is None) or (
        definition == "interpolated" and line_buffers is None)
    if needs_stats and not isinstance(stats_X, torch.Tensor):
        what = {"recomputed": "", "frozen": " (or pass buffers)", "interpolated": " (or pass line_buffers)"}[definition]
        raise ValueError(f"stats_X (the inputs BN statistics are estimated on) is required for definition "
                         f"{definition!r}{what}, got {stats_X!r}")
    Xc = _cast(thetas, X)
    parts = [Xc[j:j + DATA_CHUNK] for j in range(0, len(Xc), DATA_CHUNK)] or [Xc]

    def run(f, *args):
        """vmap of f(theta, X_part, *per-member args) over member chunks, concatenated over X's parts."""
        out = []
        for i in range(0, len(thetas), chunk):
            a = [x[i:i + chunk] for x in args]
            out.append(torch.cat([vmap(lambda th, *r, P=P: f(th, P, *r))(*a) for P in parts], dim=1))
        return torch.cat(out)
    if definition == "frozen":
        if buffers is None:
            if not isinstance(ref_theta, torch.Tensor):
                raise ValueError("definition 'frozen' needs buffers or ref_theta "
                                 "(the point whose statistics are frozen)")
            buffers = flat.bn_stats(ref_theta.to(device=flat.device, dtype=flat.dtype), stats_X)
        if not isinstance(buffers, dict) or set(buffers) != set(flat.buffers):
            raise ValueError(f"buffers must be a dict with the module's buffer names {sorted(flat.buffers)}, got "
                             f"{sorted(buffers) if isinstance(buffers, dict) else type(buffers).__name__}")
        bufs = {n: b.to(flat.device) for n, b in buffers.items()}
        return run(lambda th, P: flat.eval_logits(th, P, bufs), thetas)
    if definition == "recomputed":
        Xs = Xc if stats_X is X else _cast(thetas, stats_X)
        if flat._plan is not None:
            return torch.cat([vmap(lambda th: flat.recomputed_logits(th, Xc, Xs))(thetas[i:i + chunk])
                              for i in range(0, len(thetas), chunk)])
        if len(parts) == 1:
            sp = _StatPass(flat)

            def f(th):
                params = flat.unflatten(th)
                return flat.eval_logits(th, Xc, {**flat.buffers, **sp(params, Xs)})
            return torch.cat([vmap(f)(thetas[i:i + chunk]) for i in range(0, len(thetas), chunk)])
        stats = recomputed_buffers(flat, thetas, Xs, chunk)
        keys = list(stats)
        return run(lambda th, P, *vals: flat.eval_logits(th, P, {**flat.buffers, **dict(zip(keys, vals))}),
                   thetas, *(stats[k] for k in keys))
    # interpolated
    if not (isinstance(line, (tuple, list)) and len(line) == 2 and all(isinstance(p, torch.Tensor) for p in line)):
        raise ValueError(f"line must be a pair of flat tensors (A, B) for definition 'interpolated', got {line!r}")
    A, B = (p.to(device=flat.device, dtype=thetas.dtype) for p in line)
    if A.shape != (flat.D,) or B.shape != (flat.D,):
        raise ValueError(f"line must hold two (D,) = ({flat.D},) tensors, got {tuple(A.shape)} and {tuple(B.shape)}")
    t = _line_t(thetas, A, B)
    if line_buffers is None:
        line_buffers = (flat.bn_stats(A.to(flat.dtype), stats_X), flat.bn_stats(B.to(flat.dtype), stats_X))
    if not (isinstance(line_buffers, (tuple, list)) and len(line_buffers) == 2
            and all(isinstance(b, dict) and set(b) == set(flat.buffers) for b in line_buffers)):
        raise ValueError(f"line_buffers must be a pair of buffer dicts with the names {sorted(flat.buffers)}")
    bA, bB = (_float_buffers(b) for b in line_buffers)
    names = sorted(bA)
    if not names:
        return run(lambda th, P: flat.eval_logits(th, P), thetas)
    stacked = {}
    for n in names:
        a_, b_ = bA[n].to(flat.device, thetas.dtype), bB[n].to(flat.device, thetas.dtype)
        v = a_.unsqueeze(0) + t.view(-1, *([1] * a_.ndim)) * (b_ - a_).unsqueeze(0)
        stacked[n] = v.clamp_min(0) if n.endswith("running_var") else v
    keys = list(stacked)

    def g(th, P, *vals):
        return flat.eval_logits(th, P, {**flat.buffers, **dict(zip(keys, vals))})
    return run(g, thetas, *(stacked[k] for k in keys))


def bn_losses(flat: FlatModel, thetas: torch.Tensor, X: torch.Tensor, y: torch.Tensor, definition: str,
              **kwargs) -> torch.Tensor:
    """Mean cross-entropy (K,) of the K thetas on (X, y) under ``definition`` (arguments as ``bn_logits``)."""
    logits = bn_logits(flat, thetas, X, definition, **kwargs)
    K, N, C = logits.shape
    if not isinstance(y, torch.Tensor) or y.shape != (N,):
        raise ValueError(f"y must be a ({N},) tensor of labels, got {getattr(y, 'shape', y)!r}")
    y = y.to(logits.device)
    return cross_entropy(logits, y.expand(K, N))


def bn_loss_fn(flat: FlatModel, X: torch.Tensor, y: torch.Tensor, definition: str,
               **kwargs) -> Callable[[torch.Tensor], torch.Tensor]:
    """The batched loss thetas (K, D) -> (K,) under ``definition``, for ``probes.loss_along`` and friends.

    Frozen statistics given by ``ref_theta`` are computed once here, not at every call.
    """
    _check_flat(flat)
    if definition not in DEFINITIONS:
        raise ValueError(f"definition must be one of {DEFINITIONS}, got {definition!r}")
    if definition == "frozen" and kwargs.get("buffers") is None and isinstance(kwargs.get("ref_theta"), torch.Tensor):
        if not isinstance(kwargs.get("stats_X"), torch.Tensor):
            raise ValueError("stats_X is required to compute the frozen statistics at ref_theta")
        ref = kwargs["ref_theta"].to(flat.device, flat.dtype)
        kwargs = {**kwargs, "buffers": flat.bn_stats(ref, kwargs["stats_X"])}
    if definition == "interpolated" and kwargs.get("line_buffers") is None and kwargs.get("line") is not None:
        if not isinstance(kwargs.get("stats_X"), torch.Tensor):
            raise ValueError("stats_X (or line_buffers) is required for definition 'interpolated'")
        A, B = kwargs["line"]
        kwargs = {**kwargs, "line_buffers": (flat.bn_stats(A.to(flat.device, flat.dtype), kwargs["stats_X"]),
                                             flat.bn_stats(B.to(flat.device, flat.dtype), kwargs["stats_X"]))}
    return lambda thetas: bn_losses(flat, thetas, X, y, definition, **kwargs)

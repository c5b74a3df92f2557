"""A network's parameters as one flat vector theta in R^D, and its loss as a pure function of theta.

``FlatModel(module)`` deep-copies ``module`` once; every evaluation then goes through
``torch.func.functional_call`` with a dict of views into theta, so the caller's module is never
touched and the loss composes with ``torch.func`` transforms (grad, jvp, vmap, hessian). A
Hessian-vector product, for example, is

    hvp(v) = jvp(grad(lambda th: flat.loss(th, X, y)), (theta,), (v,))[1].

The landscape function is L(theta) = mean_i CE(logits(theta, x_i), y_i) over the batch given.

Dropout: ``logits``/``loss`` are deterministic (dropout off, eval mode) unless ``train=True``;
then dropout is active, with masks drawn from torch's RNG forked and seeded with ``seed`` (the
caller's RNG state is restored afterwards, and a call is reproducible given the seed), or from the
global RNG as it stands when ``seed`` is None (what a training loop that seeds each step wants).

Batch norm: ``logits``/``loss`` normalize with the statistics of the batch they are given
(train-mode BN) and never update running statistics, so L(theta) is a deterministic function of
theta and the batch (for full-batch training it is *the* training loss). ``eval_logits`` instead
normalizes with running statistics passed as buffers; ``bn_stats(theta, X)`` computes them exactly
from one pass over X (cumulative average, torch's unbiased variance), which is how test-set
predictions of a BN network should be made. Without BN the two agree.
"""

from __future__ import annotations

import contextlib
import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

_BN = (nn.modules.batchnorm._BatchNorm,)
_DROPOUT = (nn.modules.dropout._DropoutNd,)


def _strip_running_stats(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, _BN):
            m.track_running_stats = False
            m.running_mean = None
            m.running_var = None
            m.num_batches_tracked = None


@contextlib.contextmanager
def _seeded(seed, device):
    """Fork torch's RNG (CPU, and ``device`` if CUDA), seed it, restore it on exit."""
    with torch.random.fork_rng(devices=[device] if torch.device(device).type == "cuda" else []):
        torch.manual_seed(int(seed))
        yield


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the samples: logits (..., N, C), integer labels y (..., N) -> (...),

        CE = (1/N) sum_i [logsumexp_c z_ic - z_i,y_i].

    The same number as ``F.cross_entropy`` (up to rounding), written with logsumexp and gather: on a
    CPU, with few classes, ``log_softmax`` over a 10-wide last dimension costs ~3x this
    (benchmarks/bench_losses.py), and every loss in the library is this one. Composes with torch.func
    (grad, jvp, vmap)."""
    picked = logits.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    return (logits.logsumexp(-1) - picked).mean(-1)


def _direct_plan(module: nn.Module):
    """The layers of the library's own ``MLP`` or ``SoftmaxRegression`` as steps ("linear", out, in, bias) /
    ("tanh",) / ("relu",) / ("dropout",) / ("bn", C, eps, momentum, affine, buffer prefix), which
    ``FlatModel.logits`` / ``eval_logits`` run with the very ops the module's forward calls (flatten(1),
    F.linear, tanh / relu, F.batch_norm with the batch's statistics as the running-stat-free copy does, or
    with given running statistics as eval mode does; dropout off) on views into theta, without
    ``functional_call``: the same numbers, bit for bit, at a fraction of the Python overhead of a small
    network's step. None for any other module (a subclass may override forward)."""
    from .models import MLP, SoftmaxRegression

    if type(module) is SoftmaxRegression:
        layers = [module.linear]
    elif type(module) is MLP:
        layers = list(module.net)
    else:
        return None
    plan = []
    prefix = "net." if type(module) is MLP else "linear."
    for idx, layer in enumerate(layers):
        kind = type(layer)
        if kind is nn.Linear:
            plan.append(("linear", *layer.weight.shape, layer.bias is not None))
        elif kind is nn.Tanh:
            plan.append(("tanh",))
        elif kind is nn.ReLU:
            plan.append(("relu",))
        elif kind is nn.Dropout:
            plan.append(("dropout",))
        elif kind is nn.BatchNorm1d:
            plan.append(("bn", layer.num_features, layer.eps, 0.0 if layer.momentum is None else layer.momentum,
                         layer.affine, f"{prefix}{idx}."))
        else:
            return None
    return tuple(plan)


class _MemberLinear(torch.autograd.Function):
    """``F.linear`` for K members at once, z_k = h_k W_k^T + b_k (one ``bmm``), whose backward computes

        dh_k = g_k W_k,   dW_k = g_k^T h_k,   db_k = sum_n g_k[n]

    with the kernels (operand order and memory layouts) that ``vmap(grad(f))`` runs for a per-member
    ``F.linear``: the same gradients, bit for bit, without vmap's per-op cost. Plain autograd through the
    ``bmm`` would compute dW_k^T = h_k^T g_k instead, the same sums in another order (equal up to rounding),
    which is what a vmapped *forward* differentiated afterwards gives (``FlatModel.batched_loss``)."""

    @staticmethod
    def forward(ctx, h, W, b):
        ctx.save_for_backward(h, W)
        z = torch.bmm(h, W.transpose(1, 2))
        return z if b is None else b.unsqueeze(1) + z

    @staticmethod
    def backward(ctx, g):
        h, W = ctx.saved_tensors
        gh = torch.bmm(g, W) if ctx.needs_input_grad[0] else None
        gW = torch.bmm(g.transpose(1, 2), h) if ctx.needs_input_grad[1] else None
        gb = g.sum(1, keepdim=True).squeeze(1) if ctx.needs_input_grad[2] else None
        return gh, gW, gb


def _affine_layout(module: nn.Module):
    """(C, d) if ``module`` is exactly the library's SoftmaxRegression (logits = linear(flatten(x)),
    parameters weight (C, d) then bias (C,)), else None. Subclasses may override forward: not matched."""
    from .models import SoftmaxRegression

    if type(module) is not SoftmaxRegression:
        return None
    C, d = module.linear.weight.shape
    return int(C), int(d)


class FlatModel:
    """Functional view of ``module`` over a flat parameter vector (see the module docstring).

    Parameters
    ----------
    module: any nn.Module whose forward maps a batch X to logits (N, C). It is deep-copied.
    dtype, device: optional cast/move of the copy (e.g. torch.float64 for exact-arithmetic tests).
    """

    def __init__(self, module: nn.Module, dtype=None, device=None):
        if not isinstance(module, nn.Module):
            raise ValueError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        m = copy.deepcopy(module).to(device=device, dtype=dtype).eval()
        named = [(n, p) for n, p in m.named_parameters()]
        if not named:
            raise ValueError("module must have at least one parameter")
        self.names = [n for n, _ in named]
        self.shapes = [tuple(p.shape) for _, p in named]
        self.numels = [p.numel() for _, p in named]
        self.D = int(sum(self.numels))
        self._theta0 = torch.cat([p.detach().reshape(-1) for _, p in named]).clone()
        self.dtype, self.device = self._theta0.dtype, self._theta0.device
        self.buffers = {n: b.detach().clone() for n, b in m.named_buffers()}
        self.has_batch_norm = any(isinstance(x, _BN) for x in m.modules())
        self.has_dropout = any(isinstance(x, _DROPOUT) and x.p > 0 for x in m.modules())
        for p in m.parameters():
            p.requires_grad_(False)
        self.module = m
        self._affine = _affine_layout(m)
        self._plan = _direct_plan(m)
        self._members = True
        self._loop_members = self.device.type == "cpu" and any(isinstance(x, nn.modules.conv._ConvNd)
                                                                for x in m.modules())
        self._batch_stat = copy.deepcopy(m)
        _strip_running_stats(self._batch_stat)
        self._batch_stat_train = copy.deepcopy(self._batch_stat).train()
        self._bs_buffers = {n: b for n, b in self._batch_stat.named_buffers()}

    def theta0(self) -> torch.Tensor:
        """A copy of the module's parameters at construction, flattened in ``named_parameters`` order."""
        return self._theta0.clone()

    def unflatten(self, theta: torch.Tensor) -> dict:
        """{parameter name: view of theta reshaped to that parameter's shape}."""
        if theta.ndim != 1 or theta.shape[0] != self.D:
            raise ValueError(f"theta must have shape (D,) = ({self.D},), got {tuple(theta.shape)}")
        out, i = {}, 0
        for n, s, k in zip(self.names, self.shapes, self.numels):
            out[n] = theta[i:i + k].view(s)
            i += k
        return out

    def flatten(self, params: dict) -> torch.Tensor:
        """Inverse of ``unflatten``: concatenate a {name: tensor} dict into theta."""
        missing = set(self.names) - set(params)
        if missing:
            raise ValueError(f"params is missing {sorted(missing)}")
        return torch.cat([params[n].reshape(-1) for n in self.names])

    def _cast(self, theta, X):
        return X.to(theta.dtype) if X.is_floating_point() and X.dtype != theta.dtype else X

    def logits(self, theta: torch.Tensor, X: torch.Tensor, train: bool = False, seed=None) -> torch.Tensor:
        """Logits (N, C) of batch X at theta; BN uses batch statistics; dropout only if train=True."""
        if self._plan is not None and not (train and self.has_dropout):
            if theta.ndim != 1 or theta.shape[0] != self.D:
                raise ValueError(f"theta must have shape (D,) = ({self.D},), got {tuple(theta.shape)}")
            return self._direct_logits(theta, self._cast(theta, X))
        params = self.unflatten(theta)
        X = self._cast(theta, X)
        if not train or not self.has_dropout:
            return functional_call(self._batch_stat, {**params, **self._bs_buffers}, (X,))
        if seed is None:
            return functional_call(self._batch_stat_train, {**params, **self._bs_buffers}, (X,))
        with _seeded(seed, X.device):
            return functional_call(self._batch_stat_train, {**params, **self._bs_buffers}, (X,))

    def _direct_logits(self, theta: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        """The module's forward along ``_direct_plan`` (dropout off, BN with batch statistics)."""
        return self._run_plan(theta, X.flatten(1), 0, len(self._plan), 0)[0]

    def _run_plan(self, theta: torch.Tensor, h: torch.Tensor, k0: int, k1: int, i: int, running: dict | None = None,
                  record: dict | None = None) -> tuple[torch.Tensor, int]:
        """Steps k0..k1-1 of ``_direct_plan`` applied to h, reading parameters from theta[i:]; returns
        (h, the offset after them). A BN step normalizes with ``running[prefix] = (mean, var)`` as eval mode
        does, or without ``running`` with the batch's statistics (train mode, biased variance); ``record``
        collects record[prefix] = (mean, unbiased variance) of each BN step's input over the batch, the
        running statistics one pass with momentum=None stores (``_StatPass`` in batchnorm.py)."""
        for step in self._plan[k0:k1]:
            if step[0] == "linear":
                _, out, inp, has_bias = step
                W = theta[i:i + out * inp].view(out, inp)
                i += out * inp
                b = theta[i:i + out] if has_bias else None
                i += out if has_bias else 0
                h = F.linear(h, W, b)
            elif step[0] == "tanh":
                h = torch.tanh(h)
            elif step[0] == "relu":
                h = torch.relu(h)
            elif step[0] == "bn":
                _, C, eps, factor, affine, prefix = step
                w = theta[i:i + C] if affine else None
                b = theta[i + C:i + 2 * C] if affine else None
                i += 2 * C if affine else 0
                if record is not None:
                    dims = [0] + list(range(2, h.ndim))
                    record[prefix] = (h.mean(dims), h.var(dims, correction=1))
                stats = None if running is None else running.get(prefix)
                if stats is None:  # batch statistics, no running buffers: what BatchNorm1d does without them
                    h = F.batch_norm(h, None, None, w, b, True, factor, eps)
                else:
                    h = F.batch_norm(h, stats[0], stats[1], w, b, False, factor, eps)
        return h, i

    def _bn_steps(self) -> list[int]:
        return [k for k, step in enumerate(self._plan) if step[0] == "bn"]

    def recomputed_logits(self, theta: torch.Tensor, X: torch.Tensor, stats_X: torch.Tensor) -> torch.Tensor:
        """Eval-mode logits of X at theta with every BN layer's running statistics re-estimated at theta
        by one pass over ``stats_X`` (mean and unbiased variance, batch statistics in the pass): what
        ``eval_logits(theta, X, {**buffers, **stats recorded at theta on stats_X})`` gives, bit for bit.
        Along ``_direct_plan`` the pass stops at the last BN layer, and the layers before the first BN
        layer run once when X is stats_X (the same ops on the same tensor). Else ``None``."""
        if self._plan is None:
            return None
        bns = self._bn_steps()
        if not bns:
            return self.eval_logits(theta, X)
        first, last = bns[0], bns[-1]
        hs, i0 = self._run_plan(theta, stats_X.flatten(1), 0, first, 0)
        rec: dict = {}
        h, i = self._run_plan(theta, hs, first, last, i0, record=rec)
        dims = [0] + list(range(2, h.ndim))
        rec[self._plan[last][5]] = (h.mean(dims), h.var(dims, correction=1))
        he = hs if X is stats_X else self._run_plan(theta, X.flatten(1), 0, first, 0)[0]
        running = {p: (m.to(theta.dtype), v.to(theta.dtype)) for p, (m, v) in rec.items()}
        return self._run_plan(theta, he, first, len(self._plan), i0, running=running)[0]

    def loss(self, theta: torch.Tensor, X: torch.Tensor, y: torch.Tensor, train: bool = False,
             seed=None) -> torch.Tensor:
        """Mean cross-entropy (1/N) sum_i -log softmax(logits(theta, x_i))[y_i], a 0-d tensor."""
        return cross_entropy(self.logits(theta, X, train=train, seed=seed), y)

    @torch.no_grad()
    def accuracy(self, theta: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> float:
        """Fraction of argmax(logits) == y (deterministic logits, batch-statistic BN)."""
        return (self.logits(theta, X).argmax(-1) == y).double().mean().item()

    def eval_logits(self, theta: torch.Tensor, X: torch.Tensor, buffers: dict | None = None) -> torch.Tensor:
        """Logits in eval mode with BN running statistics ``buffers`` (default: the module's own)."""
        buffers = self.buffers if buffers is None else buffers
        buffers = {n: (b.to(theta.dtype) if b.is_floating_point() else b) for n, b in buffers.items()}
        if self._plan is not None and theta.ndim == 1 and theta.shape[0] == self.D:
            running = {}
            for k in self._bn_steps():
                p = self._plan[k][5]
                mean, var = buffers.get(p + "running_mean"), buffers.get(p + "running_var")
                if mean is None or var is None:
                    mean, var = self.buffers.get(p + "running_mean"), self.buffers.get(p + "running_var")
                running[p] = None if mean is None or var is None else (mean, var)
            return self._run_plan(theta, self._cast(theta, X).flatten(1), 0, len(self._plan), 0, running=running)[0]
        params = self.unflatten(theta)
        return functional_call(self.module, {**params, **buffers}, (self._cast(theta, X),))

    @torch.no_grad()
    def bn_stats(self, theta: torch.Tensor, X: torch.Tensor) -> dict:
        """BN running statistics computed exactly from one pass over X at theta (a buffers dict)."""
        if not self.has_batch_norm:
            return {n: b.clone() for n, b in self.buffers.items()}
        m = copy.deepcopy(self.module)
        torch.nn.utils.vector_to_parameters(theta.detach().to(self.dtype), m.parameters())
        for x in m.modules():
            if isinstance(x, _BN):
                x.reset_running_stats()
                x.momentum = None
                x.train()
        m(self._cast(theta, X).to(self.dtype))
        return {n: b.detach().clone() for n, b in m.named_buffers()}

    def to_module(self, theta: torch.Tensor, buffers: dict | None = None) -> nn.Module:
        """A fresh deep copy of the module (eval mode) holding theta (and ``buffers``, if given)."""
        m = copy.deepcopy(self.module)
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(theta.detach().to(self.dtype), m.parameters())
            if buffers:
                for n, b in m.named_buffers():
                    b.copy_(buffers[n])
        return m

    def batched_logits(self, thetas: torch.Tensor, X: torch.Tensor, train: bool = False, seed=None,
                       per_member: bool = False, chunk_size: int | None = None,
                       member_grads: bool = False) -> torch.Tensor:
        """Logits (K, N, C) of K parameter vectors (K, D); X is shared, or (K, N, ...) if per_member.

        The numbers of ``vmap`` over ``logits``, bit for bit. A SoftmaxRegression runs as one product
        (``_affine_logits``), the library's MLP without batch norm as one ``bmm`` per layer (``_member_logits``),
        anything else through vmap. With train=True and dropout, every member draws its own masks (vmap
        randomness="different"). A convolutional network on a CPU runs its members in a loop (vmap over
        convolutions costs ~2.4x there, benchmarks/bench_losses.py): the same numbers up to rounding. ``member_grads=True``: differentiating the result gives, bit for bit, each
        member's ``vmap(grad(...))`` gradient (what training computes) instead of the gradient of the vmapped
        forward (what a tunnel's batched step computes); the two differ only in rounding.
        """
        if thetas.ndim != 2 or thetas.shape[1] != self.D:
            raise ValueError(f"thetas must have shape (K, D) with D = {self.D}, got {tuple(thetas.shape)}")
        if self._affine is not None:
            return self._affine_logits(thetas, self._cast(thetas, X), per_member)
        dropout = train and self.has_dropout
        if self._member_plan is not None and not dropout:
            X = self._cast(thetas, X)
            if chunk_size is None or chunk_size >= thetas.shape[0]:
                return self._member_logits(thetas, X, per_member, member_grads)
            return torch.cat([self._member_logits(thetas[i:i + chunk_size], X[i:i + chunk_size] if per_member else X,
                                                  per_member, member_grads)
                              for i in range(0, thetas.shape[0], chunk_size)])
        if self._loop_members and not dropout:
            return torch.stack([self.logits(th, X[k] if per_member else X) for k, th in enumerate(thetas)])
        f = lambda th, x: self.logits(th, x, train=train)  # noqa: E731
        ctx = _seeded(seed, X.device) if dropout and seed is not None else contextlib.nullcontext()
        with ctx:
            return vmap(f, in_dims=(0, 0 if per_member else None), randomness="different" if dropout else "error",
                        chunk_size=chunk_size)(thetas, X)

    @property
    def _member_plan(self):
        """``_direct_plan`` when it has no batch norm, run for K members at once by ``_member_logits`` (None:
        vmap; ``_members = False`` turns it off, as the tests and benchmarks do to compare with vmap). With
        batch norm the same replay of vmap's batching rule is bit-identical too but measured no faster
        (0.8-1.1x), so vmap stays."""
        if not self._members or self._plan is None or any(st[0] == "bn" for st in self._plan):
            return None
        return self._plan

    def _member_logits(self, thetas: torch.Tensor, X: torch.Tensor, per_member: bool,
                       member_grads: bool) -> torch.Tensor:
        """``_direct_plan`` for K members at once (no batch norm, dropout off): each linear step is
        z = b_k + h_k W_k^T as one ``bmm`` over the members -- the kernels vmap's batching rule for ``F.linear``
        runs, on the shared input expanded to (K, N, d) -- and the activations act on (K, N, width)."""
        K = thetas.shape[0]
        h = X.flatten(2) if per_member else X.flatten(1).expand(K, -1, -1)
        i = 0
        for step in self._member_plan:
            if step[0] == "linear":
                _, out, inp, has_bias = step
                W = thetas[:, i:i + out * inp].view(K, out, inp)
                i += out * inp
                b = thetas[:, i:i + out] if has_bias else None
                i += out if has_bias else 0
                if member_grads:
                    h = _MemberLinear.apply(h, W, b)
                else:
                    z = torch.bmm(h, W.transpose(1, 2))
                    h = z if b is None else b.unsqueeze(1) + z
            elif step[0] == "tanh":
                h = torch.tanh(h)
            elif step[0] == "relu":
                h = torch.relu(h)
        return h

    @property
    def member_grads_exact(self) -> bool:
        """True when differentiating ``batched_loss(..., member_grads=True)`` gives each member's
        ``vmap(grad(loss))`` bit for bit without vmap (the library's MLP without batch norm: ~2x per
        training step on a CPU, benchmarks/bench_train.py)."""
        return self._member_plan is not None

    @property
    def batched_fast(self) -> bool:
        """True when ``batched_logits`` computes K members as one matrix product instead of a vmap
        (a SoftmaxRegression: logits = flatten(x) W^T + b)."""
        return self._affine is not None

    def _affine_logits(self, thetas: torch.Tensor, X: torch.Tensor, per_member: bool) -> torch.Tensor:
        """flatten(X) W_k^T + b_k for every member k: one (N, d) x (d, K C) product for shared X (vmap
        over ``F.linear`` with a shared input costs ~2x, benchmarks/bench_losses.py), one bmm per-member."""
        C, d = self._affine
        K = thetas.shape[0]
        W, b = thetas[:, :C * d].reshape(K, C, d), thetas[:, C * d:].unsqueeze(1)
        if per_member:
            return torch.baddbmm(b, X.flatten(2), W.transpose(1, 2))
        return (X.flatten(1) @ W.reshape(K * C, d).T).view(-1, K, C).transpose(0, 1) + b

    def batched_loss(self, thetas: torch.Tensor, X: torch.Tensor, y: torch.Tensor, train: bool = False, seed=None,
                     per_member: bool = False, chunk_size: int | None = None,
                     member_grads: bool = False) -> torch.Tensor:
        """Mean cross-entropy of each of K parameter vectors, shape (K,); y is (N,) or (K, N) if per_member.
        ``member_grads``: as in ``batched_logits``."""
        logits = self.batched_logits(thetas, X, train=train, seed=seed, per_member=per_member, chunk_size=chunk_size,
                                     member_grads=member_grads)
        K, N, _ = logits.shape
        return cross_entropy(logits, y.expand(K, N) if not per_member else y)

"""A trained network's landscape as plain functions of flat parameters.

``Problem.of(cfg)`` rebuilds the model and data a ``TrainConfig`` describes, and exposes the
training loss (and test loss, logits, accuracy) as functions of theta — single ``(D,)`` for
curvature (torch.func transforms), batched ``(K, D) -> (K,)`` for connectors and probes. Losses are
the mean cross-entropy of the full training set in eval mode (dropout off, batch-norm with batch
statistics, see ``params.FlatModel``), i.e. the loss at which optima were trained.

Batched losses over a data set are computed in chunks of at most ``data_chunk`` examples,

    L(theta) = (1/N) sum_c n_c CE_c(theta),

so that evaluating (without gradients) needs memory for one chunk's activations, not the whole set's (at
CIFAR-10 scale with 12 models the first convolution alone would need ~39 GB). With batch norm the loss at
theta is defined with the statistics of the whole set (``FlatModel``'s "batch" definition), so those models
are evaluated in one pass.

Curvature (Hessian-vector products, short-direction counts) is measured on ``curvature_loss``: the training
loss over a declared **Hessian batch** of ``hessian_batch`` training examples (a class-stratified subset,
fixed seed 0; None = the whole training set, the definition everywhere else). At CNN scale a count costs
~160 HVPs, each a pass over the batch: the batch size is what makes a count affordable, and its effect on
the count is measured (``benchmarks/bench_curvature.py --profile``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from .data import Dataset
from .params import FlatModel
from .config import TrainConfig
from .training import _data, init_model


DATA_CHUNK = 2000


@dataclass
class Problem:
    cfg: TrainConfig
    flat: FlatModel
    data: Dataset
    data_chunk: int = DATA_CHUNK
    hessian_batch: int | None = None

    @classmethod
    def of(cls, cfg: TrainConfig, dtype: torch.dtype | None = None) -> "Problem":
        """The model (at cfg's architecture) and dataset of ``cfg``; ``dtype`` overrides cfg.dtype."""
        if dtype is not None:
            cfg = replace(cfg, dtype={torch.float32: "float32", torch.float64: "float64"}[dtype])
        ds = _data(cfg, None)
        module = init_model(cfg, ds.input_shape, ds.num_classes, cfg.seed)
        flat = FlatModel(module, dtype=cfg.torch_dtype(), device=cfg.resolved_device())
        return cls(cfg, flat, ds)

    @property
    def D(self) -> int:
        return self.flat.D

    def theta(self, t: torch.Tensor) -> torch.Tensor:
        return t.to(device=self.flat.device, dtype=self.flat.dtype)

    def train_loss(self, theta: torch.Tensor) -> torch.Tensor:
        """Full-batch training cross-entropy at a single theta (D,): a 0-d tensor."""
        return self.flat.loss(theta, self.data.X_train, self.data.y_train)

    def curvature_loss(self, theta: torch.Tensor) -> torch.Tensor:
        """The training cross-entropy over the declared Hessian batch (the whole training set when
        ``hessian_batch`` is None or not smaller): the function whose Hessian curvature measurements use."""
        hb = self.hessian_batch
        if hb is None or hb >= self.data.n_train:
            return self.train_loss(theta)
        if getattr(self, "_hessian_data", (None,))[0] != hb:
            from .data import subset

            part = subset(self.data, hb)
            object.__setattr__(self, "_hessian_data", (hb, part.X_train, part.y_train))
        _, X, y = self._hessian_data
        return self.flat.loss(theta, X, y)

    def train_losses(self, thetas: torch.Tensor, chunk: int = 16) -> torch.Tensor:
        """Batched training cross-entropy (K, D) -> (K,), ``chunk`` parameter vectors at a time."""
        return self._losses(thetas, self.data.X_train, self.data.y_train, chunk)

    def test_losses(self, thetas: torch.Tensor, chunk: int = 16) -> torch.Tensor:
        """Batched test cross-entropy (K, D) -> (K,)."""
        return self._losses(thetas, self.data.X_test, self.data.y_test, chunk)

    def _losses(self, thetas: torch.Tensor, X: torch.Tensor, y: torch.Tensor, chunk: int) -> torch.Tensor:
        thetas = self.theta(thetas)
        N = X.shape[0]
        step = N if self.flat.has_batch_norm else self.data_chunk
        if self.flat.has_batch_norm:
            from .batchnorm import member_chunk

            chunk = member_chunk(chunk, N)  # batch statistics see all N at once: fewer members per call
        out = []
        for i in range(0, len(thetas), chunk):
            th = thetas[i:i + chunk]
            if step >= N:
                out.append(self.flat.batched_loss(th, X, y))
            else:
                out.append(sum(self.flat.batched_loss(th, X[j:j + step], y[j:j + step]) * (min(j + step, N) - j)
                               for j in range(0, N, step)) / N)
        return torch.cat(out)

    def logits(self, thetas: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        """Logits (K, N, C) of K parameter vectors on inputs X."""
        return self.flat.batched_logits(self.theta(thetas), X.to(self.flat.dtype))

    def accuracy(self, theta: torch.Tensor, test: bool = True) -> float:
        X, y = (self.data.X_test, self.data.y_test) if test else (self.data.X_train, self.data.y_train)
        return self.flat.accuracy(self.theta(theta), X, y)

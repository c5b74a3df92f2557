"""A trained network's landscape as plain functions of flat parameters.

``Problem.of(cfg)`` rebuilds the model and data a ``TrainConfig`` describes, and exposes the
training loss (and test loss, logits, accuracy) as functions of theta — single ``(D,)`` for
curvature (torch.func transforms), batched ``(K, D) -> (K,)`` for connectors and probes. Losses are
the mean cross-entropy of the full training set in eval mode (dropout off, batch-norm with batch
statistics, see ``params.FlatModel``), i.e. the loss at which optima were trained.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from .data import Dataset
from .params import FlatModel
from .config import TrainConfig
from .training import _data, init_model


@dataclass
class Problem:
    cfg: TrainConfig
    flat: FlatModel
    data: Dataset

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

    def train_losses(self, thetas: torch.Tensor, chunk: int = 16) -> torch.Tensor:
        """Batched training cross-entropy (K, D) -> (K,)."""
        thetas = self.theta(thetas)
        return torch.cat([self.flat.batched_loss(thetas[i:i + chunk], self.data.X_train, self.data.y_train)
                          for i in range(0, len(thetas), chunk)])

    def test_losses(self, thetas: torch.Tensor, chunk: int = 16) -> torch.Tensor:
        thetas = self.theta(thetas)
        return torch.cat([self.flat.batched_loss(thetas[i:i + chunk], self.data.X_test, self.data.y_test)
                          for i in range(0, len(thetas), chunk)])

    def logits(self, thetas: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        """Logits (K, N, C) of K parameter vectors on inputs X."""
        return self.flat.batched_logits(self.theta(thetas), X.to(self.flat.dtype))

    def accuracy(self, theta: torch.Tensor, test: bool = True) -> float:
        X, y = (self.data.X_test, self.data.y_test) if test else (self.data.X_train, self.data.y_train)
        return self.flat.accuracy(self.theta(theta), X, y)

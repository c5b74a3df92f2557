"""What determines a trained optimum, and what a training run returns.

``TrainConfig`` (frozen, validated on construction: each bad field is named with what is allowed)
holds everything that determines an optimum: model and data, optimizer, schedule, stopping rule,
seed, dtype. ``config_hash(cfg)`` is a stable 16-hex-digit sha256 of its fields (device and
data_root excluded: they do not change what is trained); cache keys combine it with
``TRAIN_CODE_VERSION``. ``Optimum`` is one trained network (flat parameters, metrics, history).
``TrainingDiverged`` is raised when the training loss becomes NaN or infinite. ``train`` and
``train_many`` return an optimum that stopped at max_steps above its target (``reached_target`` False)
for callers who want it; ``require_reached(optima)`` raises ``TargetNotReached`` for such optima,
naming configuration, seed, steps and final loss (the trained-optima fixtures call it, so a claim is
never measured on a point that is not at the declared loss level).

Learning-rate schedule (``lr_at``): "constant" uses lr; "cyclic" runs cycles of cycle_steps
updates from lr down to lr_min, with u = ((t mod c) + 1)/c (so the last update of a cycle uses lr_min):

    cosine:      lr_t = lr_min + (lr - lr_min) (1 + cos(pi u)) / 2
    triangular:  lr_t = lr_min + (lr - lr_min) (1 - |2u - 1|)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import math
from dataclasses import dataclass, field

import torch

from .. import numerics
from ..cache import code_version
from .data import NAMES as DATASET_NAMES
from .models import NAMES as MODEL_NAMES

# what the training code does (``cache.code_version``: comments and docstrings do not enter it)
TRAIN_CODE_VERSION = code_version("nets/config.py", "nets/data.py", "nets/models.py", "nets/params.py",
                                  "nets/training.py") + "|" + numerics.policy()
_HASH_EXCLUDED = ("device", "data_root")
_HASH_IF_SET = ("train_size",)  # enters the hash only when set: configurations without it keep their keys
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


class TrainingDiverged(RuntimeError):
    """The training loss became NaN or infinite."""


class TargetNotReached(RuntimeError):
    """A run stopped at max_steps above its target loss: its optimum is not at the declared loss level."""


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a trained optimum (see the module docstring for the semantics).

    model: "mlp" | "simple_cnn" | "softmax" | "package.module:factory" (called (input_shape, C)).
    dataset: a name accepted by ``load_dataset``; data_seed seeds synthetic datasets only.
    train_size: None = every training example; n = a class-stratified subset of n training examples
      (``data.subset``: fixed seed 0, so every optimum of a configuration sees the same n); the test set is
      kept whole.
    hidden, activation, width, dropout, batch_norm: architecture options (hidden: MLP only).
    optimizer: "adam" (betas, eps) | "sgd" (momentum, heavy ball, no dampening).
    schedule: "constant" | "cyclic": cycles of cycle_steps updates from lr down to lr_min
      (cycle_shape "cosine": lr_min + (lr - lr_min)(1 + cos(pi u))/2; "triangular": lr_min up to lr
      at mid-cycle and back; u = ((t mod c) + 1)/c, so the last update of a cycle uses lr_min);
      one snapshot of theta at the end of every cycle.
    batch_size: None = full batch. max_steps: the most updates. target_loss: stop at full-batch
      train CE <= target (None = run max_steps). l2: adds l2/2 |theta|^2 to the objective.
    seed: initialization and minibatch order. dtype: "float32" | "float64". device: "cpu", "cuda",
      "cuda:N" or "auto". log_every: history / progress / (minibatch) stopping-check interval.
    data_root: where the torchvision datasets live (None: $LANDSCAPE_DATA_ROOT or the default).
    """

    model: str = "mlp"
    dataset: str = "digits"
    hidden: tuple = (32,)
    activation: str = "tanh"
    width: float = 1.0
    dropout: float = 0.0
    batch_norm: bool = False
    optimizer: str = "adam"
    lr: float = 1e-2
    momentum: float = 0.9
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    schedule: str = "constant"
    lr_min: float = 0.0
    cycle_steps: int = 100
    cycle_shape: str = "cosine"
    batch_size: int | None = None
    max_steps: int = 5000
    target_loss: float | None = 1e-3
    l2: float = 0.0
    seed: int = 0
    data_seed: int = 0
    train_size: int | None = None
    dtype: str = "float32"
    device: str = "cpu"
    log_every: int = 10
    data_root: str | None = None

    def __post_init__(self):
        def bad(name, allowed):
            raise ValueError(f"TrainConfig.{name} must be {allowed}, got {getattr(self, name)!r}")

        if not isinstance(self.model, str) or not (self.model in MODEL_NAMES or ":" in self.model):
            bad("model", f"one of {MODEL_NAMES} or 'package.module:factory'")
        if not isinstance(self.dataset, str) or not (self.dataset in DATASET_NAMES or ":" in self.dataset):
            bad("dataset", f"one of {DATASET_NAMES} or 'package.module:factory'")
        if isinstance(self.hidden, list):
            object.__setattr__(self, "hidden", tuple(self.hidden))
        if not isinstance(self.hidden, tuple) or not all(_is_int(h) and h > 0 for h in self.hidden):
            bad("hidden", "a tuple of positive integers")
        if self.activation not in ("tanh", "relu"):
            bad("activation", "'tanh' or 'relu'")
        if not _is_num(self.width) or self.width <= 0:
            bad("width", "a positive number")
        if not _is_num(self.dropout) or not 0 <= self.dropout < 1:
            bad("dropout", "a number in [0, 1)")
        if not isinstance(self.batch_norm, bool):
            bad("batch_norm", "True or False")
        if self.optimizer not in ("adam", "sgd"):
            bad("optimizer", "'adam' or 'sgd'")
        if not _is_num(self.lr) or self.lr <= 0:
            bad("lr", "a positive finite number")
        if not _is_num(self.momentum) or not 0 <= self.momentum < 1:
            bad("momentum", "a number in [0, 1)")
        if isinstance(self.betas, list):
            object.__setattr__(self, "betas", tuple(self.betas))
        if (not isinstance(self.betas, tuple) or len(self.betas) != 2
                or not all(_is_num(b) and 0 <= b < 1 for b in self.betas)):
            bad("betas", "a pair (b1, b2) of numbers in [0, 1)")
        if not _is_num(self.eps) or self.eps <= 0:
            bad("eps", "a positive number")
        if self.schedule not in ("constant", "cyclic"):
            bad("schedule", "'constant' or 'cyclic'")
        if not _is_num(self.lr_min) or not 0 <= self.lr_min <= self.lr:
            bad("lr_min", f"a number in [0, lr = {self.lr}]")
        if not _is_int(self.cycle_steps) or self.cycle_steps < 1:
            bad("cycle_steps", "a positive integer")
        if self.cycle_shape not in ("cosine", "triangular"):
            bad("cycle_shape", "'cosine' or 'triangular'")
        if self.batch_size is not None and (not _is_int(self.batch_size) or self.batch_size < 1):
            bad("batch_size", "None (full batch) or a positive integer")
        if not _is_int(self.max_steps) or self.max_steps <= 0:
            bad("max_steps", "a positive integer (the most updates)")
        if self.target_loss is not None and (not _is_num(self.target_loss) or self.target_loss <= 0):
            bad("target_loss", "None or a positive number")
        if not _is_num(self.l2) or self.l2 < 0:
            bad("l2", "a non-negative number")
        if not _is_int(self.seed) or self.seed < 0:
            bad("seed", "a non-negative integer")
        if not _is_int(self.data_seed) or self.data_seed < 0:
            bad("data_seed", "a non-negative integer")
        if self.train_size is not None and (not _is_int(self.train_size) or self.train_size < 2):
            bad("train_size", "None (every training example) or an integer >= 2")
        if self.dtype not in _DTYPES:
            bad("dtype", f"one of {sorted(_DTYPES)}")
        if not isinstance(self.device, str):
            bad("device", "'cpu', 'cuda', 'cuda:N' or 'auto'")
        if self.device != "auto":
            try:
                torch.device(self.device)
            except (RuntimeError, ValueError):
                bad("device", "'cpu', 'cuda', 'cuda:N' or 'auto'")
        if not _is_int(self.log_every) or self.log_every < 1:
            bad("log_every", "a positive integer")
        if self.data_root is not None and not isinstance(self.data_root, str):
            bad("data_root", "None or a path string")

    def torch_dtype(self) -> torch.dtype:
        return _DTYPES[self.dtype]

    def resolved_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)


def factory_fingerprint(spec: str) -> str | None:
    """For a user factory ``package.module:callable``, a hash of the module's source file (so that editing a
    user's model or data set gives new cache keys, and its baselines catch the change); None for a built-in name
    or a module whose source cannot be found."""
    import importlib.util

    if not isinstance(spec, str) or ":" not in spec:
        return None
    try:
        found = importlib.util.find_spec(spec.partition(":")[0])
    except (ImportError, ValueError):
        return None
    if found is None or not found.origin or not os.path.isfile(found.origin):
        return None
    with open(found.origin, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:16]


def config_hash(cfg: TrainConfig) -> str:
    """A stable 16-hex-digit hash of the config's fields (device and data_root excluded: they do not
    change what is trained), and of the source of a user's model or data-set factory (``factory_fingerprint``).
    Cache keys should combine it with TRAIN_CODE_VERSION."""
    if not isinstance(cfg, TrainConfig):
        raise ValueError(f"cfg must be a TrainConfig, got {type(cfg).__name__}")
    d = {k: v for k, v in dataclasses.asdict(cfg).items()
         if k not in _HASH_EXCLUDED and not (k in _HASH_IF_SET and v is None)}
    for k in ("model", "dataset"):
        fp = factory_fingerprint(d.get(k))
        if fp is not None:
            d[f"{k}_source"] = fp
    blob = json.dumps(d, sort_keys=True, default=list, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(eq=False)
class Optimum:
    """One trained network: flat parameters (CPU tensors), its metrics and how it got there.

    ``seconds`` is the wall time of the run that produced it (shared by all members of a batched run).
    """

    cfg: TrainConfig
    seed: int
    theta: torch.Tensor
    theta_init: torch.Tensor
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    steps: int
    reached_target: bool
    history: dict = field(default_factory=dict)
    snapshots: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def D(self) -> int:
        return int(self.theta.numel())


def lr_at(cfg: TrainConfig, t: int) -> float:
    """Learning rate of update number t (0-based) under cfg.schedule."""
    if cfg.schedule == "constant":
        return cfg.lr
    u = ((t % cfg.cycle_steps) + 1) / cfg.cycle_steps
    if cfg.cycle_shape == "cosine":
        return cfg.lr_min + (cfg.lr - cfg.lr_min) * 0.5 * (1 + math.cos(math.pi * u))
    return cfg.lr_min + (cfg.lr - cfg.lr_min) * (1 - abs(2 * u - 1))


def require_reached(optima):
    """``optima`` (one Optimum or a sequence of them), unchanged, if every one with a target loss reached it.

    Raises TargetNotReached naming, for each optimum that stopped at max_steps above its target,
    the configuration (hash and fields), seed, steps taken and final full-batch training loss.
    Optima whose config has ``target_loss=None`` (a fixed step budget) have nothing to reach.
    """
    many = not isinstance(optima, Optimum)
    items = list(optima) if many else [optima]
    if not all(isinstance(o, Optimum) for o in items):
        bad = next(o for o in items if not isinstance(o, Optimum))
        raise ValueError(f"optima must be an Optimum or a sequence of Optima, got an item of type {type(bad).__name__}")
    missed = [o for o in items if o.cfg.target_loss is not None and not o.reached_target]
    if missed:
        cfg = missed[0].cfg
        lines = [f"seed {o.seed}: final train loss {o.train_loss:.6g} after {o.steps} steps "
                 f"(target {o.cfg.target_loss:g})" for o in missed]
        raise TargetNotReached(
            f"{len(missed)} of {len(items)} optima did not reach the target loss {cfg.target_loss:g} within "
            f"max_steps = {cfg.max_steps} (config {config_hash(cfg)}: {dataclasses.replace(cfg, seed=missed[0].seed)}):\n  "
            + "\n  ".join(lines) + "\nraise max_steps, change lr, or set target_loss=None for a fixed step budget")
    return optima

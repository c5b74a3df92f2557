"""The networks whose loss landscapes are measured.

``SimpleCNN`` follows §4.1 of Fort & Jastrzebski (2019): 3x3 convolutions (padding 1) with
16 / 32 / 32 channels, each followed by the nonlinearity and 2x2 max-pooling, then one linear
classifier. Pooling is applied only while both spatial sides are >= 2, so the same recipe fits
8x8 digits (8 -> 4 -> 2 -> 1), 28x28 MNIST (28 -> 14 -> 7 -> 3) and 32x32x3 CIFAR-10
(32 -> 16 -> 8 -> 4); the classifier's input size is derived from ``input_shape``.

``MLP`` is a fully connected tanh/ReLU network on the flattened input; ``SoftmaxRegression`` is
multinomial logistic regression, a convex control (its loss landscape has one basin); ``OneNeuron`` is the
one sigmoid neuron (weight and bias) of the Asymmetric Valleys rebuttal's Figure 1, on 1-D inputs.

Parameter counts D on digits (1 x 8 x 8 -> 10): MLP hidden=(32,) D = 2,410; MLP hidden=(64, 32)
D = 6,570; SimpleCNN D = 14,378; SoftmaxRegression D = 650.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .data import resolve_factory

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}
NAMES = ("mlp", "simple_cnn", "softmax", "one_neuron")


def _check_common(activation, dropout, batch_norm):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a probability in [0, 1), got {dropout!r}")
    if not isinstance(batch_norm, bool):
        raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")


def _positive_int(x, name):
    if not isinstance(x, int) or isinstance(x, bool) or x <= 0:
        raise ValueError(f"{name} must be a positive integer, got {x!r}")


def _input_shape(input_shape):
    if isinstance(input_shape, int):
        input_shape = (input_shape,)
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise ValueError(f"input_shape must be a tuple of positive integers, got {input_shape!r}") from None
    if not shape or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape):
        raise ValueError(f"input_shape must be a non-empty tuple of positive integers, got {input_shape!r}")
    return shape


class SoftmaxRegression(nn.Module):
    """Logits = W flatten(x) + b: multinomial logistic regression, convex in (W, b)."""

    def __init__(self, input_dim: int, num_classes: int):
        super().__init__()
        _positive_int(input_dim, "input_dim")
        _positive_int(num_classes, "num_classes")
        self.linear = nn.Linear(input_dim, num_classes)

    def forward(self, x):
        return self.linear(x.flatten(1))


class OneNeuron(nn.Module):
    """One sigmoid neuron on 1-D inputs: logits (0, w x + b), so softmax cross-entropy = the logistic loss."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        z = self.linear(x.flatten(1))
        return torch.cat([torch.zeros_like(z), z], dim=1)


class MLP(nn.Module):
    """Flatten, then for each hidden width h: Linear -> [BatchNorm1d] -> activation -> [Dropout]; then Linear."""

    def __init__(self, input_dim: int, hidden=(64, 32), num_classes: int = 10, activation: str = "tanh",
                 dropout: float = 0.0, batch_norm: bool = False):
        super().__init__()
        _positive_int(input_dim, "input_dim")
        _positive_int(num_classes, "num_classes")
        _check_common(activation, dropout, batch_norm)
        hidden = tuple(hidden)
        for h in hidden:
            _positive_int(h, "each hidden width")
        layers, d = [], input_dim
        for h in hidden:
            layers.append(nn.Linear(d, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            d = h
        layers.append(nn.Linear(d, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x.flatten(1))


class SimpleCNN(nn.Module):
    """Conv3x3(pad 1) -> [BatchNorm2d] -> activation -> MaxPool2 (while H, W >= 2), x3; [Dropout]; Linear.

    ``width`` multiplies the channel counts (16, 32, 32), rounded, at least 1.
    """

    def __init__(self, input_shape, num_classes: int = 10, activation: str = "tanh", width: float = 1.0,
                 dropout: float = 0.0, batch_norm: bool = False, channels=(16, 32, 32)):
        super().__init__()
        shape = _input_shape(input_shape)
        if len(shape) != 3:
            raise ValueError(f"input_shape must be (C, H, W) for simple_cnn, got {input_shape!r}")
        _positive_int(num_classes, "num_classes")
        _check_common(activation, dropout, batch_norm)
        if not isinstance(width, (int, float)) or isinstance(width, bool) or not (width > 0 and math.isfinite(width)):
            raise ValueError(f"width must be a positive number, got {width!r}")
        c, h, w = shape
        layers = []
        for ch in channels:
            out = max(1, round(ch * width))
            layers.append(nn.Conv2d(c, out, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(ACTIVATIONS[activation]())
            if h >= 2 and w >= 2:
                layers.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
            c = out
        self.features = nn.Sequential(*layers)
        self.flat_dim = c * h * w
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.classifier = nn.Linear(self.flat_dim, num_classes)

    def forward(self, x):
        return self.classifier(self.dropout(self.features(x).flatten(1)))


_OPTS = {
    "mlp": {"hidden", "activation", "dropout", "batch_norm", "width"},
    "simple_cnn": {"activation", "dropout", "batch_norm", "width"},
    "softmax": set(),
    "one_neuron": set(),
}


def build_model(name: str, input_shape, num_classes: int, **opts) -> nn.Module:
    """Build model ``name`` for inputs of ``input_shape`` (without the batch axis) and ``num_classes``.

    name: "mlp" (opts hidden, activation, dropout, batch_norm, width: a multiplier of the hidden
    widths), "simple_cnn" (activation, dropout, batch_norm, width), "softmax" and "one_neuron" (no opts), or
    "package.module:factory", called as factory(input_shape, num_classes, **opts) and required to
    return an nn.Module. Initialization draws from torch's global RNG: seed it (or fork it) first.
    """
    if not isinstance(name, str):
        raise ValueError(f"model name must be a string, got {name!r}")
    shape = _input_shape(input_shape)
    _positive_int(num_classes, "num_classes")
    if name in _OPTS:
        bad = set(opts) - _OPTS[name]
        if bad:
            raise ValueError(f"model {name!r} does not take option(s) {sorted(bad)}; allowed: {sorted(_OPTS[name])}")
        input_dim = math.prod(shape)
        if name == "one_neuron":
            if shape != (1,) or num_classes != 2:
                raise ValueError(f"one_neuron takes 1-D inputs and 2 classes, got {shape!r}, {num_classes!r}")
            return OneNeuron()
        if name == "softmax":
            return SoftmaxRegression(input_dim, num_classes)
        if name == "mlp":
            width = opts.pop("width", 1.0)
            if not isinstance(width, (int, float)) or isinstance(width, bool) or not width > 0:
                raise ValueError(f"width must be a positive number, got {width!r}")
            hidden = tuple(opts.pop("hidden", (64, 32)))
            hidden = tuple(max(1, round(h * width)) if isinstance(h, int) and not isinstance(h, bool) else h
                           for h in hidden)
            return MLP(input_dim, hidden, num_classes, **opts)
        return SimpleCNN(shape, num_classes, **opts)
    if ":" in name:
        fn = resolve_factory(name, "model")
        model = fn(shape, num_classes, **opts)
        if not isinstance(model, nn.Module):
            raise ValueError(f"model factory {name!r} must return a torch.nn.Module, got {type(model).__name__}")
        return model
    raise ValueError(f"unknown model name {name!r}: allowed are {', '.join(NAMES)} or 'package.module:factory'")


def num_params(module: nn.Module) -> int:
    """D, the number of scalar parameters (the dimension of the loss landscape)."""
    return sum(p.numel() for p in module.parameters())

"""User-style factories for the bring-your-own-model test (``--model tests.factories:tiny_mlp``)."""

import torch
import torch.nn as nn


def tiny_mlp(input_shape, num_classes):
    d = 1
    for s in input_shape:
        d *= s
    return nn.Sequential(nn.Flatten(), nn.Linear(d, 16), nn.Tanh(), nn.Linear(16, num_classes))


def not_a_module(input_shape, num_classes):
    return "a string"


def blobs(seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(200, 1, 4, 4, generator=g)
    y = (X.flatten(1).sum(1) > 0).long()
    return X[:150], y[:150], X[150:], y[150:]


def relu_mlp(input_shape, num_classes):
    """A researcher's own model: a ReLU MLP (the README's CI-regression example)."""
    d = 1
    for s in input_shape:
        d *= s
    return nn.Sequential(nn.Flatten(), nn.Linear(d, 24), nn.ReLU(), nn.Linear(24, num_classes))

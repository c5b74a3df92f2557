"""landscape_lib.nets.models: exact parameter counts, shapes, options and the factory hook."""

from __future__ import annotations

import textwrap

import pytest
import torch
from torch import nn

from landscape_lib.nets.models import MLP, SimpleCNN, SoftmaxRegression, build_model, num_params


def _lin(i, o):
    return i * o + o


def _conv(i, o):
    return 9 * i * o + o


@pytest.mark.parametrize("shape, flat, D", [
    ((1, 8, 8), 32 * 1 * 1, _conv(1, 16) + _conv(16, 32) + _conv(32, 32) + _lin(32, 10)),
    ((1, 28, 28), 32 * 3 * 3, _conv(1, 16) + _conv(16, 32) + _conv(32, 32) + _lin(288, 10)),
    ((3, 32, 32), 32 * 4 * 4, _conv(3, 16) + _conv(16, 32) + _conv(32, 32) + _lin(512, 10)),
    ((1, 2, 2), 32, _conv(1, 16) + _conv(16, 32) + _conv(32, 32) + _lin(32, 10)),
    ((1, 1, 5), 32 * 5, _conv(1, 16) + _conv(16, 32) + _conv(32, 32) + _lin(160, 10)),
])
def test_simple_cnn_counts_and_shapes(shape, flat, D):
    m = build_model("simple_cnn", shape, 10)
    assert m.flat_dim == flat and num_params(m) == D
    assert m(torch.zeros(3, *shape)).shape == (3, 10)


def test_digits_parameter_counts():
    assert num_params(build_model("mlp", (1, 8, 8), 10, hidden=(32,))) == 2410
    assert num_params(build_model("simple_cnn", (1, 8, 8), 10)) == 14378
    assert num_params(build_model("softmax", (1, 8, 8), 10)) == 650
    assert num_params(MLP(64)) == _lin(64, 64) + _lin(64, 32) + _lin(32, 10)


def test_simple_cnn_structure_follows_paper():
    m = SimpleCNN((1, 8, 8), 10)
    kinds = [type(x).__name__ for x in m.features]
    assert kinds == ["Conv2d", "Tanh", "MaxPool2d"] * 3
    assert [c.out_channels for c in m.features if isinstance(c, nn.Conv2d)] == [16, 32, 32]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in m.features if isinstance(c, nn.Conv2d))
    m2 = SimpleCNN((3, 32, 32), 10, activation="relu", width=0.5, dropout=0.25, batch_norm=True)
    assert [c.out_channels for c in m2.features if isinstance(c, nn.Conv2d)] == [8, 16, 16]
    assert sum(isinstance(x, nn.BatchNorm2d) for x in m2.features) == 3
    assert sum(isinstance(x, nn.ReLU) for x in m2.features) == 3
    assert isinstance(m2.dropout, nn.Dropout) and m2.dropout.p == 0.25


def test_mlp_options():
    m = build_model("mlp", (1, 8, 8), 10, hidden=(32, 16), activation="relu", dropout=0.1, batch_norm=True, width=2)
    lin = [x for x in m.net if isinstance(x, nn.Linear)]
    assert [x.out_features for x in lin] == [64, 32, 10]
    assert sum(isinstance(x, nn.BatchNorm1d) for x in m.net) == 2
    assert sum(isinstance(x, nn.Dropout) for x in m.net) == 2
    assert m(torch.zeros(5, 1, 8, 8)).shape == (5, 10)


def test_softmax_is_affine():
    m = SoftmaxRegression(4, 3)
    x = torch.randn(2, 1, 2, 2)
    with torch.no_grad():
        assert torch.allclose(m(x) - m(torch.zeros_like(x)), x.flatten(1) @ m.linear.weight.T, atol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: build_model("resnet", (1, 8, 8), 10), "allowed are mlp, simple_cnn, softmax"),
    (lambda: build_model("softmax", (1, 8, 8), 10, hidden=(3,)), "does not take option"),
    (lambda: build_model("mlp", (1, 8, 8), 0), "num_classes"),
    (lambda: build_model("mlp", (), 10), "input_shape"),
    (lambda: build_model("simple_cnn", (64,), 10), r"\(C, H, W\)"),
    (lambda: build_model("mlp", (1, 8, 8), 10, activation="gelu"), "activation must be one of"),
    (lambda: build_model("mlp", (1, 8, 8), 10, dropout=1.0), "dropout"),
    (lambda: build_model("simple_cnn", (1, 8, 8), 10, width=0), "width"),
    (lambda: build_model("mlp", (1, 8, 8), 10, batch_norm=1), "batch_norm"),
    (lambda: MLP(64, hidden=(0,)), "hidden width"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_factory(tmp_path, monkeypatch):
    (tmp_path / "user_models.py").write_text(textwrap.dedent("""
        import math
        from torch import nn

        def lin(input_shape, num_classes, bias=True):
            return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), num_classes, bias=bias))

        def not_module(input_shape, num_classes):
            return "nope"
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert num_params(build_model("user_models:lin", (1, 8, 8), 10)) == 650
    assert num_params(build_model("user_models:lin", (1, 8, 8), 10, bias=False)) == 640
    with pytest.raises(ValueError, match="must return a torch.nn.Module"):
        build_model("user_models:not_module", (1, 8, 8), 10)
    with pytest.raises(ValueError, match="cannot import module"):
        build_model("nope_pkg_abc:f", (1, 8, 8), 10)

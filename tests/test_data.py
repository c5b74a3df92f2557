"""landscape_lib.nets.data: bundled datasets, torchvision on-disk formats (tiny files), user factories."""

from __future__ import annotations

import pickle
import struct
import textwrap
import urllib.error

import numpy as np
import pytest
import torch

from landscape_lib.nets import data as D
from landscape_lib.nets.data import Dataset, DatasetUnavailable, load_dataset


def test_digits_split_shapes_and_standardization():
    ds = load_dataset("digits")
    assert ds.X_train.shape == (1347, 1, 8, 8) and ds.X_test.shape == (450, 1, 8, 8)
    assert ds.X_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert ds.num_classes == 10 and ds.input_shape == (1, 8, 8)
    assert abs(ds.X_train.mean().item()) < 1e-5 and abs(ds.X_train.std().item() - 1) < 1e-3
    counts = torch.bincount(ds.y_train, minlength=10).float() / 1347
    full = torch.bincount(torch.cat([ds.y_train, ds.y_test]), minlength=10).float() / 1797
    assert (counts - full).abs().max() < 0.01  # stratified
    again = load_dataset("digits")
    assert torch.equal(ds.X_train, again.X_train) and torch.equal(ds.y_test, again.y_test)


def test_digits_matches_sklearn_pixels():
    from sklearn.datasets import load_digits

    ds = load_digits()
    raw = torch.as_tensor(ds.images, dtype=torch.float64)
    got = load_dataset("digits")
    # the standardization is one affine map x -> (x - mu) / sigma with train statistics
    Xtr = got.X_train.double().reshape(len(got.X_train), -1)
    from sklearn.model_selection import train_test_split

    a, _, _, _ = train_test_split(raw.numpy(), ds.target, test_size=450, stratify=ds.target, random_state=0)
    a = torch.as_tensor(a).reshape(len(a), -1)
    mu, sd = a.mean(), a.std(unbiased=False)
    assert torch.allclose(Xtr, (a - mu) / sd, atol=1e-5)


def test_mnist5k():
    ds = load_dataset("mnist5k")
    assert ds.X_train.shape == (4000, 1, 28, 28) and ds.X_test.shape == (1000, 1, 28, 28)
    assert torch.bincount(ds.y_train).tolist() == [400] * 10
    assert abs(ds.X_train.mean().item()) < 1e-4 and abs(ds.X_train.std().item() - 1) < 1e-3


def test_gaussians_seeded():
    a, b, c = load_dataset("gaussians", seed=3), load_dataset("gaussians", seed=3), load_dataset("gaussians", seed=4)
    assert torch.equal(a.X_train, b.X_train) and not torch.equal(a.X_train, c.X_train)
    assert a.X_train.shape == (1000, 1) and a.num_classes == 2 and a.input_shape == (1,)
    m0 = a.X_train[a.y_train == 0].mean().item()
    m1 = a.X_train[a.y_train == 1].mean().item()
    assert abs(m0 + 1) < 0.2 and abs(m1 - 1) < 0.2


def test_to_casts_x_not_labels():
    ds = load_dataset("gaussians").to(dtype=torch.float64)
    assert ds.X_train.dtype == torch.float64 and ds.y_train.dtype == torch.int64


@pytest.mark.parametrize("name", ["imagenet", "", "Digits"])
def test_unknown_name(name):
    with pytest.raises(ValueError, match="allowed are digits, mnist5k, gaussians"):
        load_dataset(name)


# --- torchvision datasets from tiny files in torchvision's own formats ---------------------------

def _idx(path, arr: np.ndarray):
    arr = np.asarray(arr, dtype=np.uint8)
    magic = (8 << 8) | arr.ndim  # type 0x08 = uint8
    with open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", s) for s in arr.shape) + arr.tobytes())


def _write_mnist(root, folder, n_train=6, n_test=4):
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    imgs = {s: rng.integers(0, 256, size=(n, 28, 28)) for s, n in (("train", n_train), ("t10k", n_test))}
    labels = {"train": np.arange(n_train) % 10, "t10k": np.arange(n_test) % 10}
    for s in ("train", "t10k"):
        _idx(raw / f"{s}-images-idx3-ubyte", imgs[s])
        _idx(raw / f"{s}-labels-idx1-ubyte", labels[s])
    return imgs, labels


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_torchvision_mnist_formats(tmp_path, name, folder):
    imgs, labels = _write_mnist(tmp_path, folder)
    ds = load_dataset(name, data_root=tmp_path)
    assert ds.X_train.shape == (6, 1, 28, 28) and ds.X_test.shape == (4, 1, 28, 28)
    assert ds.y_train.tolist() == labels["train"].tolist() and ds.y_test.tolist() == labels["t10k"].tolist()
    tr = imgs["train"] / 255.0
    mu, sd = tr.mean(), tr.std()
    want = (imgs["t10k"] / 255.0 - mu) / sd
    assert np.allclose(ds.X_test[:, 0].numpy(), want, atol=1e-5)


def test_data_root_from_env(tmp_path, monkeypatch):
    _write_mnist(tmp_path, "MNIST")
    monkeypatch.setenv("LANDSCAPE_DATA_ROOT", str(tmp_path))
    assert load_dataset("mnist").X_train.shape[0] == 6


def _write_cifar(root, per_batch=2, n_test=3):
    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        n = n_test if name == "test_batch" else per_batch
        entry = {"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8), "labels": list(rng.integers(0, 10, n))}
        batches[name] = entry
        with open(base / name, "wb") as f:
            pickle.dump(entry, f)
    with open(base / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, f)
    return batches


def test_torchvision_cifar10_format(tmp_path, monkeypatch):
    import os

    import torchvision.datasets.cifar as tv_cifar

    batches = _write_cifar(tmp_path)
    # torchvision checks each file's md5 against the real CIFAR-10 archive; accept tiny files instead
    monkeypatch.setattr(tv_cifar, "check_integrity", lambda fpath, md5=None: os.path.isfile(fpath))
    ds = load_dataset("cifar10", data_root=str(tmp_path))
    assert ds.X_train.shape == (10, 3, 32, 32) and ds.X_test.shape == (3, 3, 32, 32) and ds.input_shape == (3, 32, 32)
    tr = np.concatenate([batches[f"data_batch_{i}"]["data"] for i in range(1, 6)]).reshape(-1, 3, 32, 32) / 255.0
    te = batches["test_batch"]["data"].reshape(-1, 3, 32, 32) / 255.0
    mu = tr.mean(axis=(0, 2, 3), keepdims=True)
    sd = tr.std(axis=(0, 2, 3), keepdims=True)
    assert np.allclose(ds.X_test.numpy(), (te - mu) / sd, atol=1e-5)  # per-channel, CHW order kept
    assert ds.y_test.tolist() == [int(v) for v in batches["test_batch"]["labels"]]


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_missing_files_say_where(tmp_path, name):
    with pytest.raises(DatasetUnavailable) as e:
        load_dataset(name, data_root=tmp_path / "nowhere")
    msg = str(e.value)
    assert str(tmp_path / "nowhere") in msg and "--data-root" in msg and "--download" in msg
    assert isinstance(e.value, FileNotFoundError)


def test_failed_download_is_unavailable(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    def no_network(self):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(tvd.MNIST, "download", no_network)
    with pytest.raises(DatasetUnavailable, match="no network"):
        load_dataset("mnist", data_root=tmp_path, download=True)


# --- user factories ------------------------------------------------------------------------------

@pytest.fixture
def factory_module(tmp_path, monkeypatch):
    (tmp_path / "user_ds.py").write_text(textwrap.dedent("""
        import torch
        from landscape_lib.nets.data import Dataset

        def tup():
            return (torch.randn(8, 3), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]),
                    torch.randn(4, 3), torch.tensor([0, 1, 2, 2]))

        def seeded(seed):
            g = torch.Generator().manual_seed(seed)
            return torch.randn(6, 2, generator=g), torch.tensor([0, 1] * 3), torch.randn(2, 2), torch.tensor([1, 0])

        def dataset():
            return Dataset("mine", torch.randn(4, 2), torch.tensor([0, 1, 0, 1]), torch.randn(2, 2),
                           torch.tensor([0, 1]), 5, (2,))

        def float_labels():
            return torch.randn(4, 2), torch.tensor([0., 1., 0., 1.]), torch.randn(2, 2), torch.tensor([0, 1])

        def int_x():
            return (torch.ones(4, 2, dtype=torch.int64), torch.tensor([0, 1, 0, 1]),
                    torch.randn(2, 2), torch.tensor([0, 1]))

        def mismatch():
            return torch.randn(5, 2), torch.tensor([0, 1, 0, 1]), torch.randn(2, 2), torch.tensor([0, 1])

        def negative():
            return torch.randn(4, 2), torch.tensor([0, -1, 0, 1]), torch.randn(2, 2), torch.tensor([0, 1])

        def shapes():
            return torch.randn(4, 2), torch.tensor([0, 1, 0, 1]), torch.randn(2, 3), torch.tensor([0, 1])

        def wrong():
            return 42

        not_callable = 3
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "user_ds"


def test_factory_tuple_and_seed(factory_module):
    ds = load_dataset(f"{factory_module}:tup")
    assert ds.num_classes == 3 and ds.input_shape == (3,) and ds.X_train.dtype == torch.float32
    a, b = load_dataset(f"{factory_module}:seeded", seed=1), load_dataset(f"{factory_module}:seeded", seed=2)
    assert not torch.equal(a.X_train, b.X_train)
    c = load_dataset(f"{factory_module}:dataset")
    assert isinstance(c, Dataset) and c.num_classes == 5 and c.name == "mine"


@pytest.mark.parametrize("fn, match", [
    ("float_labels", "y_train must hold integer class labels"),
    ("int_x", "X_train must be a floating-point tensor"),
    ("mismatch", r"y_train must have shape \(N,\) with N = X_train.shape\[0\] = 5"),
    ("negative", "negative label"),
    ("shapes", "must share input_shape"),
    ("wrong", "must return a Dataset or a tuple"),
    ("not_callable", "is not callable"),
    ("missing", "has no attribute"),
])
def test_factory_errors(factory_module, fn, match):
    with pytest.raises(ValueError, match=match):
        load_dataset(f"{factory_module}:{fn}")


def test_factory_bad_module():
    with pytest.raises(ValueError, match="cannot import module"):
        load_dataset("no_such_pkg_xyz.mod:f")
    with pytest.raises(ValueError, match="package.module:callable"):
        D.resolve_factory(":f", "dataset")

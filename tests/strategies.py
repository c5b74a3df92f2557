"""Hypothesis strategies with labelled draws for the toy landscape's property tests."""

from __future__ import annotations

import torch
from hypothesis import strategies as st


@st.composite
def landscapes(draw, max_D: int = 12, rotated: bool | None = None):
    """A small WedgeLandscape: D in [1, max_D], n in [0, D], optionally rotated."""
    from landscape_lib.geometry.toy import WedgeLandscape

    D = draw(st.integers(1, max_D), label="D")
    n = draw(st.integers(0, D), label="n")
    rot = draw(st.booleans(), label="rotated") if rotated is None else rotated
    seed = draw(st.integers(0, 2**16), label="rotation seed")
    return WedgeLandscape(D, n, rotation="random" if rot else None, seed=seed)


def finite_floats(scale: float = 1e3):
    return st.floats(-scale, scale, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def points(draw, D: int, k: int | None = None, scale: float = 1e3):
    """A batch (k, D) of finite float64 points."""
    k = draw(st.integers(1, 5), label="batch") if k is None else k
    vals = draw(st.lists(finite_floats(scale), min_size=k * D, max_size=k * D), label="coordinates")
    return torch.tensor(vals, dtype=torch.float64).reshape(k, D)


@st.composite
def landscape_and_points(draw, max_D: int = 10, rotated: bool | None = None):
    land = draw(landscapes(max_D=max_D, rotated=rotated))
    return land, draw(points(land.D))


@st.composite
def sparse_points(draw, D: int, nonzero: int):
    """A point with exactly ``nonzero`` non-zero coordinates (at random positions)."""
    idx = draw(st.permutations(range(D)), label="support order")[:nonzero]
    vals = draw(st.lists(st.floats(0.01, 100, allow_nan=False) | st.floats(-100, -0.01, allow_nan=False),
                         min_size=nonzero, max_size=nonzero), label="non-zero values")
    P = torch.zeros(D, dtype=torch.float64)
    for i, v in zip(idx, vals):
        P[i] = v
    return P

"""Hessian-vector products of a loss at a point, and the dense Hessian for small D.

Every function takes a loss ``f(theta) -> scalar`` of a flat parameter vector ``theta`` (shape (D,))
that supports ``torch.func`` transforms (it closes over model and data), e.g.

    f = lambda th: F.cross_entropy(functional_call(model, unflatten(th), (X,)), y)

Hessian-vector products (HVPs) are forward-over-reverse,

    H v = d/dt grad f(theta + t v) |_{t=0}        (``jvp`` of ``grad``),

one forward and one backward pass with tangents, no D x D matrix. The products run in the dtype of
``theta`` (and of the model ``f`` closes over); the solvers that drive them (``lanczos``,
``spectral``) run in float64. So a float32 model gives float32 products -- a few times cheaper on
CPU -- and float64 eigen-solves; the product noise (~1e-7 x lambda_max for float32) is far below the
1e-3 relative tolerance used for the top eigenvalues.

Design choices, measured on a 2-core CPU with every thread pool pinned to 1 (benchmarks/RESULTS.md;
MLP 64-32-10 on digits, D = 2410, and a 3-layer CNN, D = 14378, float32):

* ``make_hvp`` (default "auto") starts with double-backward products on a kept autograd graph (no
  set-up) and switches to ``torch.func.linearize`` once products have cost what linearizing would:
  linearized products replay only the tangent pass (0.58 ms vs 2.7 ms per product for the MLP,
  33 ms vs 84 ms for the CNN) but cost 0.15 s / 0.42 s to set up.
* Batching products with ``vmap`` barely pays for the MLP and loses for convolutions (grouped
  convolutions on CPU), so the eigen-solvers use single-vector products; ``make_batched_hvp``
  (vmap in chunks, loop fallback) is there for dense Hessians and for GPUs.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Callable

import torch
from torch.func import grad, jvp, linearize, vmap

LossFn = Callable[[torch.Tensor], torch.Tensor]
MatVec = Callable[[torch.Tensor], torch.Tensor]

__all__ = ["LossFn", "MatVec", "hvp", "make_hvp", "make_batched_hvp", "dense_hessian"]


def _check_theta(theta: torch.Tensor) -> torch.Tensor:
    """theta, detached, after checking it is a non-empty flat floating-point tensor of finite numbers."""
    if not isinstance(theta, torch.Tensor) or theta.ndim != 1 or theta.numel() == 0:
        raise ValueError(f"theta must be a non-empty flat tensor of shape (D,), got "
                         f"{tuple(theta.shape) if isinstance(theta, torch.Tensor) else type(theta).__name__}")
    if not theta.is_floating_point():
        raise ValueError(f"theta must be a floating-point tensor (float32 or float64), got {theta.dtype}")
    finite = torch.isfinite(theta)
    if not bool(finite.all()):
        bad = (~finite).nonzero().reshape(-1)
        raise ValueError(f"theta must be finite: {int(torch.isnan(theta).sum())} NaN and "
                         f"{int(torch.isinf(theta).sum())} infinite entries of {theta.numel()} "
                         f"(first at index {int(bad[0])})")
    return theta.detach()


def _describe(theta: torch.Tensor) -> str:
    return f"theta (norm {float(theta.detach().double().norm()):.6g}, D = {theta.numel()})"


def _check_loss(value, theta: torch.Tensor) -> None:
    """Raise FloatingPointError naming the point when the loss at theta is NaN or infinite."""
    v = float(value.detach()) if isinstance(value, torch.Tensor) else float(value)
    if not math.isfinite(v):
        raise FloatingPointError(f"loss is {v} at {_describe(theta)}: curvature is not defined there")


def _check_product(out: torch.Tensor, count: int | None = None) -> torch.Tensor:
    """Raise FloatingPointError when a Hessian-vector product has NaN or infinite entries."""
    if not bool(torch.isfinite(out).all()):
        which = "a Hessian-vector product" if count is None else f"Hessian-vector product {count}"
        raise FloatingPointError(f"{which} has {int(torch.isnan(out).sum())} NaN and {int(torch.isinf(out).sum())} "
                                 f"infinite entries of {out.numel()}: the loss or its curvature is not finite here")
    return out


def _as_f64_matvec(mv: MatVec) -> MatVec:
    """mv with float64 output, checked finite (a NaN product raises FloatingPointError, not a solver error)."""
    count = [0]

    def checked(v: torch.Tensor) -> torch.Tensor:
        count[0] += 1
        return _check_product(mv(v).to(torch.float64), count[0])
    return checked


def hvp(f: LossFn, theta: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H(theta) v by forward-over-reverse: ``jvp(grad(f), (theta,), (v,))[1]``.

    Hv = d/dt grad f(theta + t v) |_{t=0}; one call costs about one forward + one backward pass with
    tangents. For many products at the same theta use ``make_hvp`` (linearizes once).
    """
    theta = _check_theta(theta)
    if v.shape != theta.shape:
        raise ValueError(f"v must have the shape of theta {tuple(theta.shape)}, got {tuple(v.shape)}")
    return jvp(grad(f), (theta,), (v.to(theta.dtype),))[1]


def _linearized(f: LossFn, theta: torch.Tensor):
    with warnings.catch_warnings():
        # torch.fx const-folding inside linearize warns about its own get_attr nodes: harmless.
        warnings.filterwarnings("ignore", message="Attempted to insert a get_attr Node", category=UserWarning)
        return linearize(grad(f), theta)[1]


def make_hvp(f: LossFn, theta: torch.Tensor, *, use_linearize: bool | str = "auto") -> MatVec:
    """A function v -> H(theta) v for repeated products at one point.

    use_linearize=True: grad f is linearized at theta once (``torch.func.linearize``), so each product
    replays only the tangent pass (0.58 ms vs 2.7 ms per product for the digits MLP, 33 vs 84 ms for the
    CNN) after a set-up of 0.15 s / 0.42 s. False: ``jvp(grad(f))`` per product (no set-up).
    "auto" (default): start with double backward on a kept autograd graph (H v = d(g . v)/d theta; the
    same per-product cost as linearize on the MLP, 1.3x more on the CNN, and almost no set-up) and
    switch to the linearization once the products have cost about what linearizing would (estimated as
    0.2 s + 10 forward-backward passes): short solves never pay the set-up, long ones get the cheaper
    product (benchmarks/RESULTS.md). Products run in theta's dtype; the result is returned in the dtype
    of ``v`` (so a float64 solver can drive float32 products).
    """
    theta = _check_theta(theta)
    dt = theta.dtype
    if use_linearize not in (True, False, "auto"):
        raise ValueError(f"use_linearize must be True, False or 'auto', got {use_linearize!r}")
    if use_linearize != "auto":
        with torch.no_grad():
            _check_loss(f(theta), theta)
    if use_linearize is True:
        lin = _linearized(f, theta)

        def mv(v: torch.Tensor) -> torch.Tensor:
            return lin(v.to(dt)).to(v.dtype)
    elif use_linearize is False:
        g = grad(f)

        def mv(v: torch.Tensor) -> torch.Tensor:
            return jvp(g, (theta,), (v.to(dt),))[1].to(v.dtype)
    else:
        t0 = time.perf_counter()
        x = theta.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            fx = f(x)
            _check_loss(fx, theta)
            (g0,) = torch.autograd.grad(fx, x, create_graph=True)
        state = {"spent": 0.0, "budget": 0.2 + 10 * (time.perf_counter() - t0), "lin": None, "g": g0}

        def mv(v: torch.Tensor) -> torch.Tensor:
            if state["lin"] is not None:
                return state["lin"](v.to(dt)).to(v.dtype)
            t = time.perf_counter()
            with torch.enable_grad():
                out = torch.autograd.grad(state["g"], x, v.to(dt), retain_graph=True)[0]
            state["spent"] += time.perf_counter() - t
            if state["spent"] > state["budget"]:
                state["lin"] = _linearized(f, theta)
                state["g"] = None  # free the autograd graph
            return out.detach().to(v.dtype)
    return mv


def make_batched_hvp(f: LossFn, theta: torch.Tensor, *, use_linearize: bool = True, chunk: int = 8) -> MatVec:
    """A function V (k, D) -> (H V^T)^T (k, D): products for a block of vectors.

    Uses ``vmap`` over the tangent in chunks of ``chunk`` rows (the primal pass is shared, so the
    tangent matmuls get k times wider). On CPU this pays a little for dense layers (0.48 vs 0.64
    ms/vector at chunk 8 for the digits MLP) and not at all for convolutions; if vmap cannot batch
    an operation it falls back to a Python loop of single products.
    """
    if chunk <= 0:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    single = make_hvp(f, theta, use_linearize=use_linearize)
    batched = vmap(single)
    state = {"vmap_ok": True}

    def mm(V: torch.Tensor) -> torch.Tensor:
        if V.ndim != 2:
            raise ValueError(f"V must be a (k, D) block, got shape {tuple(V.shape)}")
        out = []
        for i in range(0, V.shape[0], chunk):
            blk = V[i:i + chunk]
            if state["vmap_ok"]:
                try:
                    out.append(batched(blk))
                    continue
                except RuntimeError:
                    state["vmap_ok"] = False
            out.append(torch.stack([single(b) for b in blk]))
        return torch.cat(out) if out else V.new_zeros(V.shape)
    return mm


def dense_hessian(f: LossFn, theta: torch.Tensor, *, chunk: int = 8) -> torch.Tensor:
    """The full D x D Hessian as float64, symmetrized: (H + H^T) / 2, built from D batched HVPs.

    A reference for small D (the solve-free ground truth the tests compare against). The products
    run in theta's dtype: pass a float64 theta with a float64 model for a float64-exact reference.
    Memory D^2 x 8 bytes; cost D products (~1.5 s for D = 2410 in float32 on CPU).
    """
    theta = _check_theta(theta)
    D = theta.numel()
    mm = make_batched_hvp(f, theta, chunk=chunk)
    eye = torch.eye(D, dtype=theta.dtype, device=theta.device)
    H = _check_product(mm(eye).to(torch.float64))
    return (H + H.T) / 2


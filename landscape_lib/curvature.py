"""Curvature of a loss at a point: Hessian-vector products, top eigenvalues, short-direction counts,
spectral densities and traces.

Every function takes a loss ``f(theta) -> scalar`` of a flat parameter vector ``theta`` (shape (D,))
that supports ``torch.func`` transforms (it closes over model and data), e.g.

    f = lambda th: F.cross_entropy(functional_call(model, unflatten(th), (X,)), y)

Hessian-vector products (HVPs) are forward-over-reverse, Hv = d/dt grad f(theta + t v) at t = 0
(``jvp`` of ``grad``): one forward and one backward pass with tangents, no D x D matrix. The
products run in the dtype of ``theta`` (and of the model ``f`` closes over); every solve (Lanczos
basis, Gram-Schmidt, the projected matrix) runs in float64. So a float32 model gives float32
products -- a few times cheaper on CPU -- and float64 eigen-solves; the product noise (~1e-7 x
lambda_max for float32) is far below the 1e-3 relative tolerance used for the top eigenvalues.

Design choices, measured on a 2-core CPU with every thread pool pinned to 1 (benchmarks/RESULTS.md;
MLP 64-32-10 on digits, D = 2410, and a 3-layer CNN, D = 14378, float32):

* ``make_hvp`` (default "auto") starts with double-backward products on a kept autograd graph (no
  set-up) and switches to ``torch.func.linearize`` once products have cost what linearizing would:
  linearized products replay only the tangent pass (0.58 ms vs 2.7 ms per product for the MLP,
  33 ms vs 84 ms for the CNN) but cost 0.15 s / 0.42 s to set up.
* Batching products with ``vmap`` barely pays for the MLP and loses for convolutions (grouped
  convolutions on CPU), so ``top_eigenvalues`` uses single-vector products; ``make_batched_hvp``
  (vmap in chunks, loop fallback) is there for dense Hessians and for GPUs.
* The eigen-solver is a thick-restart Lanczos in torch (full re-orthogonalization, residual stop);
  it needs as many products as ARPACK (200 vs 202 at k = 100 on the MLP) and stops as soon as the
  top k Ritz pairs converge. ``method="eigsh"`` (scipy ARPACK on the same products) and
  ``method="dense"`` remain available for comparison. With BLAS at 2 threads on a loaded 2-core
  machine both were 10-30x slower: pin threads (conftest.py does, per xdist worker).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
from torch.func import grad, jvp, linearize, vmap

LossFn = Callable[[torch.Tensor], torch.Tensor]
MatVec = Callable[[torch.Tensor], torch.Tensor]

__all__ = [
    "hvp", "make_hvp", "make_batched_hvp", "dense_hessian",
    "LanczosConfig", "EigResult", "lanczos_top", "top_eigenvalues",
    "CountResult", "ShortDirectionThreshold", "CountProfile", "count_short_directions", "count_profile",
    "SpectralDensity", "slq_density", "TraceEstimate", "hutchinson_trace",
]


def _check_theta(theta: torch.Tensor) -> torch.Tensor:
    if not isinstance(theta, torch.Tensor) or theta.ndim != 1 or theta.numel() == 0:
        raise ValueError(f"theta must be a non-empty flat tensor of shape (D,), got "
                         f"{tuple(theta.shape) if isinstance(theta, torch.Tensor) else type(theta).__name__}")
    if not theta.is_floating_point():
        raise ValueError(f"theta must be floating point, got {theta.dtype}")
    return theta.detach()


# ----------------------------------------------------------------------------------------------
# Hessian-vector products
# ----------------------------------------------------------------------------------------------

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
            (g0,) = torch.autograd.grad(f(x), x, create_graph=True)
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
    H = mm(eye).to(torch.float64)
    return (H + H.T) / 2


# ----------------------------------------------------------------------------------------------
# Thick-restart Lanczos
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LanczosConfig:
    """Settings of the thick-restart Lanczos eigen-solver (``lanczos_top``).

    tol: a Ritz pair (theta_i, u_i) counts as converged when its residual ||H u_i - theta_i u_i||
        (= beta_m |y_{m,i}|, free from the recurrence) is <= tol * max(|theta_i|, floor), with
        floor = noise * lambda_max; the Ritz value is then within tol relative of an eigenvalue
        (|theta - lambda| <= residual, and <= residual^2 / gap).
    max_basis: basis size before a thick restart (keeps the best Ritz vectors); default
        min(D, max(3k, k + 40)).
    min_basis: no convergence check below this basis size; default min(D, max(2k, k + 10)). Guards
        against exactly repeated eigenvalues, which a single Krylov sequence sees only once per
        breakdown-restart (each breakdown injects a fresh random vector).
    max_matvecs: give up (RuntimeError) after this many products; default 50 * max_basis.
    check_every: steps between convergence checks (an m x m eigh each time).
    noise: relative product noise floor; default 100 * eps of the product dtype.
    seed: the random start vector.
    """

    tol: float = 1e-3
    max_basis: int | None = None
    min_basis: int | None = None
    max_matvecs: int | None = None
    check_every: int = 4
    noise: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.tol > 0:
            raise ValueError(f"tol must be > 0, got {self.tol!r}")
        if self.check_every <= 0:
            raise ValueError(f"check_every must be a positive integer, got {self.check_every!r}")


@dataclass(frozen=True)
class EigResult:
    """Top eigenpairs: values descending (float64), vectors (D, k) float64 columns or None,
    residuals ||H u - lambda u||, the number of products used and of restarts."""

    eigenvalues: torch.Tensor
    eigenvectors: torch.Tensor | None
    residuals: torch.Tensor
    matvecs: int
    restarts: int


def _orthogonalize(w: torch.Tensor, V: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Classical Gram-Schmidt against the rows of V, twice (DGKS); returns (w_perp, coefficients)."""
    h = V @ w
    w = w - h @ V
    h2 = V @ w
    w = w - h2 @ V
    return w, h + h2


def lanczos_top(matvec: MatVec, D: int, k: int, cfg: LanczosConfig = LanczosConfig(), *,
                product_dtype: torch.dtype = torch.float32, return_eigenvectors: bool = False,
                device=None) -> EigResult:
    """The k algebraically largest eigenpairs of a symmetric operator by thick-restart Lanczos.

    Lanczos builds an orthonormal Krylov basis V (m x D) with H V^T = V^T T + beta v_{m+1} e_m^T
    and takes the eigenpairs (theta_i, V^T y_i) of the projected m x m matrix T = V H V^T (Ritz
    pairs). Each new vector is re-orthogonalized against all of V (twice), and the column of T is
    the projection itself, so T stays exact after restarts. Restart (Wu & Simon 2000): keep the p
    best Ritz vectors and beta * (last components) as the coupling to v_{m+1}, continue from
    v_{m+1}. Stop when the top k residuals beta |y_{m,i}| pass ``cfg.tol``. A breakdown (beta ~ 0:
    V spans an invariant subspace) continues from a fresh random vector orthogonal to V.
    ``matvec`` takes and returns float64 (D,) tensors; ``product_dtype`` only sets the noise floor.
    """
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= D:
        raise ValueError(f"k must be an integer with 1 <= k <= D = {D}, got {k!r}")
    f64 = torch.float64
    max_basis = cfg.max_basis or min(D, max(3 * k, k + 40))
    max_basis = min(max(max_basis, k + 1 if k < D else D), D)
    min_basis = min(cfg.min_basis or max(2 * k, k + 10), max_basis)
    max_matvecs = cfg.max_matvecs or 50 * max_basis
    noise = cfg.noise if cfg.noise is not None else 100 * torch.finfo(product_dtype).eps
    keep = min(max(k + (max_basis - k) // 2, k), max_basis - 1)

    gen = torch.Generator(device="cpu").manual_seed(cfg.seed)

    def rand_vec() -> torch.Tensor:
        return torch.randn(D, generator=gen, dtype=f64).to(device)

    V = torch.empty(max_basis, D, dtype=f64, device=device)
    T = torch.zeros(max_basis, max_basis, dtype=f64)
    v = rand_vec()
    V[0] = v / v.norm()
    m = 0            # vectors in V whose products have been taken
    n_basis = 1      # vectors stored in V (n_basis = m + 1 while running)
    matvecs = 0
    restarts = 0
    scale = 0.0      # running estimate of ||H|| (largest |Ritz value| / |T| entry seen)
    beta_last = 0.0
    last_check = -1
    while True:
        # --- expand the basis by one product ---
        w = matvec(V[m]).to(f64)
        matvecs += 1
        w, h = _orthogonalize(w, V[:n_basis])
        h = h.cpu()
        T[:n_basis, m] = h
        T[m, :n_basis] = h
        m += 1
        beta = float(w.norm())
        scale = max(scale, float(h.abs().max()))
        beta_last = beta
        if beta <= 1e-9 * max(scale, 1e-300) or beta <= noise * 1e-2 * scale:
            beta_last = 0.0
        if m < max_basis:
            if beta_last == 0.0:
                # Invariant subspace found: continue from a fresh random direction, coupling 0.
                r = rand_vec()
                r, _ = _orthogonalize(r, V[:n_basis])
                r, _ = _orthogonalize(r, V[:n_basis])
                V[n_basis] = r / r.norm()
            else:
                V[n_basis] = w / beta
            n_basis += 1
        full = m == D  # the basis spans everything: T is similar to H, all Ritz pairs exact
        # --- convergence check ---
        if m >= min_basis and (m - last_check >= cfg.check_every or m == max_basis or full):
            last_check = m
            theta, Y = torch.linalg.eigh(T[:m, :m])
            theta, Y = theta.flip(0), Y.flip(1)
            scale = max(scale, float(theta.abs().max()))
            res = beta_last * Y[m - 1].abs()
            top = theta[:k]
            floor = noise * scale
            ok = res[:k] <= cfg.tol * torch.maximum(top.abs(), torch.full_like(top, floor))
            if full or bool(ok.all()):
                vecs = None
                if return_eigenvectors:
                    vecs = (V[:m].T @ Y[:, :k].to(device))
                return EigResult(top.clone(), vecs, (torch.zeros_like(top) if full else res[:k].clone()),
                                 matvecs, restarts)
            if matvecs >= max_matvecs:
                raise RuntimeError(f"Lanczos did not converge in {matvecs} products (k = {k}, tol = {cfg.tol}); "
                                   f"{int((~ok).sum())} of the top {k} Ritz values unconverged")
            if m == max_basis:
                # --- thick restart: keep the best `keep` Ritz vectors, couple them to v_{m+1} ---
                restarts += 1
                Yk = Y[:, :keep].to(device)
                Vk = Yk.T @ V[:m]                        # (keep, D)
                s = Y[m - 1, :keep] * beta_last
                w_next = w / beta_last if beta_last > 0 else None
                T.zero_()
                T[:keep, :keep] = torch.diag(theta[:keep])
                V[:keep] = Vk
                if w_next is None:
                    r, _ = _orthogonalize(rand_vec(), V[:keep])
                    r, _ = _orthogonalize(r, V[:keep])
                    w_next = r / r.norm()
                    s = torch.zeros_like(s)
                else:
                    w_next, _ = _orthogonalize(w_next, V[:keep])
                    w_next = w_next / w_next.norm()
                V[keep] = w_next
                # The coupling column of T is rewritten by the next product's projection.
                T[keep, :keep] = s
                T[:keep, keep] = s
                m = keep
                n_basis = keep + 1
                last_check = -1
        elif matvecs >= max_matvecs:
            raise RuntimeError(f"Lanczos did not converge in {matvecs} products (k = {k}, tol = {cfg.tol})")


def _as_f64_matvec(mv: MatVec) -> MatVec:
    return lambda v: mv(v).to(torch.float64)


def top_eigenvalues(f: LossFn, theta: torch.Tensor, k: int, tol: float = 1e-3, *,
                    return_eigenvectors: bool = False, method: str = "lanczos",
                    hvp_fn: MatVec | None = None, cfg: LanczosConfig | None = None,
                    seed: int = 0) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """The k largest (algebraic) Hessian eigenvalues of f at theta, descending, float64.

    Each is within ``tol`` relative of a true eigenvalue (residual stop, see ``LanczosConfig``).
    method: "lanczos" (default: thick-restart Lanczos, float64 solve driving products in theta's
    dtype through a linearized HVP -- the fastest accurate path measured), "eigsh" (scipy ARPACK
    on a LinearOperator, same products) or "dense" (eigvalsh of ``dense_hessian``; small D only).
    ``hvp_fn`` reuses a prepared product (``make_hvp``). With ``return_eigenvectors`` returns
    (values (k,), vectors (D, k) with orthonormal columns).
    """
    theta = _check_theta(theta)
    D = theta.numel()
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= D:
        raise ValueError(f"k must be an integer with 1 <= k <= D = {D}, got {k!r}")
    if method == "dense":
        H = dense_hessian(f, theta)
        w, U = torch.linalg.eigh(H)
        w, U = w.flip(0)[:k], U.flip(1)[:, :k]
        return (w, U) if return_eigenvectors else w
    mv = _as_f64_matvec(hvp_fn or make_hvp(f, theta))
    if method == "lanczos":
        cfg = cfg or LanczosConfig(tol=tol, seed=seed)
        r = lanczos_top(mv, D, k, cfg, product_dtype=theta.dtype, return_eigenvectors=return_eigenvectors,
                        device=theta.device)
        return (r.eigenvalues, r.eigenvectors) if return_eigenvectors else r.eigenvalues
    if method == "eigsh":
        from scipy.sparse.linalg import LinearOperator, eigsh

        if k >= D - 1:
            return top_eigenvalues(f, theta, k, tol, return_eigenvectors=return_eigenvectors, method="dense")

        def np_mv(x):
            x = torch.from_numpy(np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(-1)))
            return mv(x.to(theta.device)).cpu().numpy()

        op = LinearOperator((D, D), matvec=np_mv, dtype=np.float64)
        v0 = np.random.RandomState(seed).randn(D)
        out = eigsh(op, k=k, which="LA", tol=tol, v0=v0, return_eigenvectors=return_eigenvectors)
        if return_eigenvectors:
            w, U = out
            order = np.argsort(w)[::-1].copy()
            return torch.from_numpy(w[order].copy()), torch.from_numpy(U[:, order].copy())
        return torch.from_numpy(np.sort(out)[::-1].copy())
    raise ValueError(f"method must be 'lanczos', 'eigsh' or 'dense', got {method!r}")


# ----------------------------------------------------------------------------------------------
# Counting short (high-curvature) directions
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountResult:
    """The number of Hessian eigenvalues above ``threshold``.

    eigenvalues: the top eigenvalues computed (descending); exact: True when the smallest computed
    eigenvalue fell below the threshold (or all D were computed), so ``count`` is the count;
    False when k_max was reached first, so ``count`` is a lower bound. k: eigenvalues computed.
    """

    count: int
    eigenvalues: torch.Tensor
    threshold: float
    exact: bool
    k: int = 0


@dataclass(frozen=True)
class ShortDirectionThreshold:
    """The short-direction threshold, defined once for a whole path:

        threshold = fraction x mean(top Hessian eigenvalue at each endpoint optimum)

    (fraction default 0.1). The same absolute threshold is used at every point along a path (a
    tunnel, a connector), so counts at different points are comparable. Build with ``.of``.
    """

    value: float
    fraction: float = 0.1
    reference_top: float = float("nan")

    def __post_init__(self) -> None:
        if not (isinstance(self.value, (int, float)) and math.isfinite(self.value) and self.value > 0):
            raise ValueError(f"threshold value must be a finite positive number, got {self.value!r}")
        if not 0 < self.fraction:
            raise ValueError(f"fraction must be > 0, got {self.fraction!r}")

    @classmethod
    def of(cls, top_eigs: Sequence[float] | torch.Tensor, fraction: float = 0.1) -> "ShortDirectionThreshold":
        """From the top eigenvalue at each endpoint optimum: fraction x their mean."""
        vals = torch.as_tensor(top_eigs, dtype=torch.float64).reshape(-1)
        if vals.numel() == 0:
            raise ValueError("top_eigs must hold at least one endpoint's top eigenvalue")
        if not bool(torch.isfinite(vals).all()) or not bool((vals > 0).all()):
            raise ValueError(f"top_eigs must be finite and positive (optima have positive top curvature), got "
                             f"{vals.tolist()}")
        if not fraction > 0:
            raise ValueError(f"fraction must be > 0, got {fraction!r}")
        ref = float(vals.mean())
        return cls(value=fraction * ref, fraction=float(fraction), reference_top=ref)

    def __float__(self) -> float:
        return float(self.value)


def count_short_directions(f: LossFn, theta: torch.Tensor, threshold: float | ShortDirectionThreshold,
                           k0: int = 32, k_max: int | None = None, *, tol: float = 1e-3,
                           hvp_fn: MatVec | None = None, seed: int = 0) -> CountResult:
    """How many Hessian eigenvalues of f at theta exceed ``threshold`` (the short directions).

    Computes the top k eigenvalues (k = k0, doubling, capped at k_max, default D) until the k-th
    falls below the threshold; the linearized HVP is built once and reused across the doublings.
    ``exact`` is False if k_max was reached with all k eigenvalues still above the threshold.
    """
    theta = _check_theta(theta)
    D = theta.numel()
    thr = float(threshold)
    if not math.isfinite(thr):
        raise ValueError(f"threshold must be finite, got {threshold!r}")
    if not isinstance(k0, int) or k0 < 1:
        raise ValueError(f"k0 must be a positive integer, got {k0!r}")
    k_max = D if k_max is None else min(int(k_max), D)
    if k_max < 1:
        raise ValueError(f"k_max must be >= 1, got {k_max!r}")
    mv = hvp_fn or make_hvp(f, theta)
    k = min(k0, k_max)
    while True:
        ev = top_eigenvalues(f, theta, k, tol, hvp_fn=mv, seed=seed)
        count = int((ev > thr).sum())
        if count < k or k == D:
            return CountResult(count, ev, thr, True, k)
        if k >= k_max:
            return CountResult(count, ev, thr, False, k)
        k = min(2 * k, k_max)


@dataclass(frozen=True)
class CountProfile:
    """Short-direction counts at points along a path for several threshold fractions.

    counts[i, j] / exact[i, j]: point i, threshold thresholds[j] (fractions[j] x reference top).
    """

    fractions: tuple[float, ...]
    thresholds: tuple[ShortDirectionThreshold, ...]
    counts: torch.Tensor
    exact: torch.Tensor
    top: torch.Tensor
    results: tuple[CountResult, ...] = field(repr=False, default=())

    def table(self) -> str:
        """A plain-text table: one row per point, one column per fraction (a * marks lower bounds)."""
        head = "point  lambda_max  " + "  ".join(f"f={fr:g} (>{t.value:.3g})" for fr, t in zip(self.fractions, self.thresholds))
        rows = [head]
        for i in range(self.counts.shape[0]):
            cells = "  ".join(f"{int(c)}{'' if bool(e) else '*'}".rjust(len(f"f={fr:g} (>{t.value:.3g})"))
                              for c, e, fr, t in zip(self.counts[i], self.exact[i], self.fractions, self.thresholds))
            rows.append(f"{i:5d}  {float(self.top[i]):10.4g}  {cells}")
        return "\n".join(rows)


def count_profile(fs: LossFn | Sequence[LossFn], thetas: Sequence[torch.Tensor] | torch.Tensor,
                  fractions: Sequence[float] = (0.1, 0.05, 0.01), *, endpoint_top: Sequence[float] | None = None,
                  k0: int = 32, k_max: int | None = None, tol: float = 1e-3, seed: int = 0) -> CountProfile:
    """Short-direction counts along a path, side by side for several threshold fractions.

    The thresholds are ``ShortDirectionThreshold.of(endpoint_top, fraction)``, with endpoint_top
    defaulting to the top eigenvalue at the first and last point (the endpoint optima). One count
    per point at the smallest threshold yields every eigenvalue above it; the larger thresholds are
    counted from the same eigenvalues. ``fs`` is one loss for all points or one per point.
    """
    thetas = list(thetas)
    if not thetas:
        raise ValueError("thetas must hold at least one point")
    fs = list(fs) if isinstance(fs, (list, tuple)) else [fs] * len(thetas)
    if len(fs) != len(thetas):
        raise ValueError(f"fs must be one loss or one per point: got {len(fs)} losses for {len(thetas)} points")
    fractions = tuple(float(x) for x in fractions)
    if not fractions or any(not x > 0 for x in fractions):
        raise ValueError(f"fractions must be a non-empty sequence of positive numbers, got {fractions!r}")
    hvps = [make_hvp(f, th) for f, th in zip(fs, thetas)]
    tops: list[float | None] = [None] * len(thetas)

    def top_at(i: int) -> float:
        if tops[i] is None:
            tops[i] = float(top_eigenvalues(fs[i], thetas[i], 1, tol, hvp_fn=hvps[i], seed=seed)[0])
        return tops[i]

    if endpoint_top is None:
        endpoint_top = [top_at(0), top_at(len(thetas) - 1)] if len(thetas) > 1 else [top_at(0)]
    thresholds = tuple(ShortDirectionThreshold.of(endpoint_top, fr) for fr in fractions)
    lowest = min(t.value for t in thresholds)
    counts = torch.zeros(len(thetas), len(fractions), dtype=torch.long)
    exact = torch.zeros(len(thetas), len(fractions), dtype=torch.bool)
    top = torch.zeros(len(thetas), dtype=torch.float64)
    results = []
    for i, (f, th) in enumerate(zip(fs, thetas)):
        r = count_short_directions(f, th, lowest, k0, k_max, tol=tol, hvp_fn=hvps[i], seed=seed)
        results.append(r)
        top[i] = float(r.eigenvalues[0])
        for j, t in enumerate(thresholds):
            c = int((r.eigenvalues > t.value).sum())
            counts[i, j] = c
            exact[i, j] = r.exact or c < r.k
    return CountProfile(fractions, thresholds, counts, exact, top, tuple(results))


# ----------------------------------------------------------------------------------------------
# Stochastic Lanczos quadrature and Hutchinson's trace
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpectralDensity:
    """An SLQ estimate of the Hessian eigenvalue density: for probe vector j, Gauss quadrature
    nodes[j] (Ritz values of its Lanczos tridiagonal) with weights[j] (squared first components of
    the Ritz vectors, summing to 1). The density is  phi(t) ~ (1/n) sum_j sum_i weights[j, i]
    delta(t - nodes[j, i]), normalized to 1; multiply by D for eigenvalue counts."""

    nodes: torch.Tensor
    weights: torch.Tensor
    dim: int

    def count_above(self, threshold: float) -> float:
        """Estimated number of eigenvalues > threshold: D x mean_j sum_{i: node > t} weight."""
        mass = (self.weights * (self.nodes > threshold)).sum(-1).mean()
        return float(self.dim * mass)

    def count_above_stderr(self, threshold: float) -> float:
        """Standard error of ``count_above`` across the probe vectors."""
        per = self.dim * (self.weights * (self.nodes > threshold)).sum(-1)
        n = per.numel()
        return float(per.std(unbiased=True) / math.sqrt(n)) if n > 1 else float("nan")

    def trace(self) -> float:
        """Estimated trace: D x mean_j sum_i weight x node."""
        return float(self.dim * (self.weights * self.nodes).sum(-1).mean())

    def smoothed(self, grid: torch.Tensor, sigma: float) -> torch.Tensor:
        """The density convolved with a Gaussian of width sigma, evaluated on ``grid``."""
        g = grid.to(torch.float64).reshape(-1, 1, 1)
        k = torch.exp(-0.5 * ((g - self.nodes) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
        return (k * self.weights).sum(-1).mean(-1)


def slq_density(f: LossFn, theta: torch.Tensor, n_vectors: int, lanczos_steps: int, *, seed: int = 0,
                hvp_fn: MatVec | None = None) -> SpectralDensity:
    """Stochastic Lanczos quadrature (Ubaru, Chen & Saad 2017; Ghorbani et al. 2019).

    For each of ``n_vectors`` Rademacher probes v (|v| = 1) run ``lanczos_steps`` Lanczos steps
    (full re-orthogonalization) to get the tridiagonal T = Q diag(t) Q^T; then
    v^T g(H) v ~ sum_i Q[0, i]^2 g(t_i) (Gauss quadrature, exact for polynomials of degree
    < 2 x steps), and tr g(H) = D E[v^T g(H) v]. With g = 1[t > threshold] this estimates counts.
    """
    theta = _check_theta(theta)
    D = theta.numel()
    if not isinstance(n_vectors, int) or n_vectors < 1:
        raise ValueError(f"n_vectors must be a positive integer, got {n_vectors!r}")
    if not isinstance(lanczos_steps, int) or lanczos_steps < 1:
        raise ValueError(f"lanczos_steps must be a positive integer, got {lanczos_steps!r}")
    m = min(lanczos_steps, D)
    mv = _as_f64_matvec(hvp_fn or make_hvp(f, theta))
    gen = torch.Generator().manual_seed(seed)
    nodes, weights = [], []
    for _ in range(n_vectors):
        v = (torch.randint(0, 2, (D,), generator=gen, dtype=torch.float64) * 2 - 1) / math.sqrt(D)
        v = v.to(theta.device)
        V = torch.empty(m, D, dtype=torch.float64, device=theta.device)
        V[0] = v
        alpha = torch.zeros(m, dtype=torch.float64)
        betas = torch.zeros(max(m - 1, 0), dtype=torch.float64)
        steps = m
        for j in range(m):
            w = mv(V[j])
            alpha[j] = torch.dot(w, V[j]).cpu()
            w, _ = _orthogonalize(w, V[:j + 1])
            if j == m - 1:
                break
            b = float(w.norm())
            if b <= 1e-10 * max(float(alpha[:j + 1].abs().max()), 1e-300):
                steps = j + 1  # invariant subspace: quadrature is exact with j + 1 nodes
                break
            betas[j] = b
            V[j + 1] = w / b
        Tm = torch.diag(alpha[:steps]) + torch.diag(betas[:steps - 1], 1) + torch.diag(betas[:steps - 1], -1)
        t, Q = torch.linalg.eigh(Tm)
        wts = Q[0] ** 2
        nodes.append(torch.nn.functional.pad(t, (0, m - steps)))
        weights.append(torch.nn.functional.pad(wts, (0, m - steps)))
    return SpectralDensity(torch.stack(nodes), torch.stack(weights), D)


@dataclass(frozen=True)
class TraceEstimate:
    """Hutchinson estimate of tr H: mean of v^T H v over n Rademacher probes, with its std error."""

    mean: float
    stderr: float
    n: int

    def __float__(self) -> float:
        return self.mean


def hutchinson_trace(f: LossFn, theta: torch.Tensor, n: int, *, seed: int = 0,
                     hvp_fn: MatVec | None = None) -> TraceEstimate:
    """Hutchinson's estimator tr H = E[v^T H v] for Rademacher v (entries +-1), n probes.

    Unbiased; its variance is 2 (||H||_F^2 - sum_i H_ii^2) / n, reported as ``stderr``.
    """
    theta = _check_theta(theta)
    D = theta.numel()
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    mv = _as_f64_matvec(hvp_fn or make_hvp(f, theta))
    gen = torch.Generator().manual_seed(seed)
    vals = torch.empty(n, dtype=torch.float64)
    for i in range(n):
        v = (torch.randint(0, 2, (D,), generator=gen, dtype=torch.float64) * 2 - 1).to(theta.device)
        vals[i] = torch.dot(v, mv(v)).cpu()
    stderr = float(vals.std(unbiased=True) / math.sqrt(n)) if n > 1 else float("nan")
    return TraceEstimate(float(vals.mean()), stderr, n)

"""Top Hessian eigenvalues by thick-restart Lanczos (the eigen-solver behind every curvature count).

Lanczos builds an orthonormal Krylov basis V (m x D) of the Hessian H (applied through
Hessian-vector products, ``hvp``) with

    H V^T = V^T T + beta v_{m+1} e_m^T,      T = V H V^T  (m x m, tridiagonal before restarts),

and takes the eigenpairs (theta_i, V^T y_i) of T (Ritz pairs). A Ritz pair has residual
||H u_i - theta_i u_i|| = beta |y_{m,i}| (free from the recurrence), and the Ritz value is within the
residual of an eigenvalue (|theta - lambda| <= residual, and <= residual^2 / gap), so the solver stops
as soon as the top k residuals are below tol x |theta_i|.

Design choices (benchmarks/RESULTS.md): a thick-restart Lanczos in torch (full re-orthogonalization,
residual stop) needs as many products as ARPACK (200 vs 202 at k = 100 on the digits MLP) and stops
as soon as the top k Ritz pairs converge. Every solve (basis, Gram-Schmidt, the projected matrix)
runs in float64 whatever the product dtype. ``method="eigsh"`` (scipy ARPACK on the same products) and
``method="dense"`` remain available for comparison. With BLAS at 2 threads on a loaded 2-core machine
both were 10-30x slower: pin threads (conftest.py does, per xdist worker).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .hvp import LossFn, MatVec, _as_f64_matvec, _check_product, _check_theta, _describe, dense_hessian, make_hvp

__all__ = ["LanczosConfig", "EigResult", "lanczos_top", "top_eigenvalues"]


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
                device=None, start: torch.Tensor | None = None) -> EigResult:
    """The k algebraically largest eigenpairs of a symmetric operator by thick-restart Lanczos.

    Lanczos builds an orthonormal Krylov basis V (m x D) with H V^T = V^T T + beta v_{m+1} e_m^T
    and takes the eigenpairs (theta_i, V^T y_i) of the projected m x m matrix T = V H V^T (Ritz
    pairs). Each new vector is re-orthogonalized against all of V (twice), and the column of T is
    the projection itself, so T stays exact after restarts. Restart (Wu & Simon 2000): keep the p
    best Ritz vectors and beta * (last components) as the coupling to v_{m+1}, continue from
    v_{m+1}. Stop when the top k residuals beta |y_{m,i}| pass ``cfg.tol``. A breakdown (beta ~ 0:
    V spans an invariant subspace) continues from a fresh random vector orthogonal to V.
    ``matvec`` takes and returns float64 (D,) tensors; ``product_dtype`` only sets the noise floor. ``start``: the
    first basis vector (as eigsh's v0; default a random one from ``cfg.seed``), e.g. the sum of a nearby point's
    Ritz vectors along a path (``benchmarks/bench_curvature.py --path-warm-start`` measures what that saves).
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
    if start is None:
        v = rand_vec()
    else:
        v = torch.as_tensor(start).detach().reshape(-1).to(device=device, dtype=f64)
        if v.numel() != D or not bool(torch.isfinite(v).all()) or not float(v.norm()) > 0:
            raise ValueError(f"start must be a finite nonzero vector of D = {D} values, got shape "
                             f"{tuple(torch.as_tensor(start).shape)}")
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
        w = _check_product(matvec(V[m]).to(f64), matvecs + 1)
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
    if method not in ("lanczos", "eigsh", "dense"):
        raise ValueError(f"method must be 'lanczos', 'eigsh' or 'dense', got {method!r}")
    try:
        return _top_eigenvalues(f, theta, k, tol, return_eigenvectors, method, hvp_fn, cfg, seed)
    except FloatingPointError as e:
        if " at theta (" in str(e):
            raise
        raise FloatingPointError(f"{e} (at {_describe(theta)})") from e


def _top_eigenvalues(f, theta, k, tol, return_eigenvectors, method, hvp_fn, cfg, seed):
    D = theta.numel()
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


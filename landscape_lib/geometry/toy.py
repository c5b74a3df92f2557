"""The toy n-wedge landscape of Fort & Jastrzebski (§3.2 and the rebuttal).

Every n-tuple of axes carries one n-wedge: the coordinate subspace spanned by those axes. The
surrogate loss of a configuration P in R^D is its L2 distance to the nearest wedge,

    L(P) = sqrt( sum_{i in S(P)} Q_i^2 ),   Q = P R,   S(P) = indices of the D - n smallest |Q_i|,

where R is an optional orthogonal rotation of the whole landscape (C17). S is found with
``torch.topk`` (O(D) selection), not a full sort. ``squared_loss`` = L^2 squares the selected
coordinates directly, so its Hessian is exactly 2 * diag(1_S) in the rotated frame: use it for
curvature, because differentiating |x| at an exact zero gives sign(0) = 0 and silently drops curvature.

Gradients: L is differentiable wherever L > 0 and S is unique; at L = 0 the gradient of ``loss`` is
defined as 0 (a subgradient), so optimizers stop there instead of producing NaN.
"""

from __future__ import annotations

import itertools

import torch

_BRUTE_FORCE_MAX_D = 16


def _check_dims(D: int, n: int) -> None:
    if not isinstance(D, int) or isinstance(D, bool) or D <= 0:
        raise ValueError(f"D must be a positive integer, got {D!r}")
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= D:
        raise ValueError(f"n must be an integer with 0 <= n <= D = {D}, got {n!r}")


def random_rotation(D: int, seed: int = 0, dtype=torch.float64, device=None) -> torch.Tensor:
    """A Haar-random orthogonal D x D matrix (QR of a Gaussian with the sign fix)."""
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(D, D, generator=g, dtype=torch.float64)
    Q, Rr = torch.linalg.qr(A)
    Q = Q * torch.sign(torch.diagonal(Rr)).unsqueeze(0)
    return Q.to(dtype=dtype, device=device)


class WedgeLandscape:
    """Union of all axis-aligned n-dimensional coordinate subspaces of R^D (optionally rotated).

    Parameters
    ----------
    D: dimension of the space (> 0).
    n: number of long directions of each wedge (0 <= n <= D); s = D - n short directions.
    rotation: None (axis-aligned), "random" (Haar, from ``seed``) or a D x D orthogonal matrix.
    """

    def __init__(self, D: int, n: int, rotation=None, seed: int = 0):
        _check_dims(D, n)
        self.D, self.n, self.seed = D, n, seed
        if rotation is None:
            self.R = None
        elif isinstance(rotation, str):
            if rotation != "random":
                raise ValueError(f"rotation must be None, 'random' or a D x D orthogonal matrix, got {rotation!r}")
            self.R = random_rotation(D, seed)
        else:
            R = torch.as_tensor(rotation, dtype=torch.float64)
            if R.shape != (D, D):
                raise ValueError(f"rotation must have shape ({D}, {D}), got {tuple(R.shape)}")
            if not torch.allclose(R.T @ R, torch.eye(D, dtype=R.dtype), atol=1e-8):
                raise ValueError("rotation must be orthogonal (R^T R = I to 1e-8)")
            self.R = R

    @property
    def s(self) -> int:
        """Number of short directions, D - n."""
        return self.D - self.n

    def __repr__(self) -> str:
        rot = "axis-aligned" if self.R is None else "rotated"
        return f"WedgeLandscape(D={self.D}, n={self.n}, {rot})"

    # -- frames -------------------------------------------------------------------------------
    def _check(self, P: torch.Tensor, name: str = "P") -> torch.Tensor:
        P = torch.as_tensor(P)
        if not P.is_floating_point():
            P = P.to(torch.get_default_dtype())
        if P.ndim == 0 or P.shape[-1] != self.D:
            raise ValueError(f"{name} must have shape (..., D={self.D}), got {tuple(P.shape)}")
        if not torch.isfinite(P).all():
            raise ValueError(f"{name} must be finite (found NaN or inf)")
        return P

    def to_frame(self, P: torch.Tensor) -> torch.Tensor:
        """Coordinates in the frame where the wedges are axis-aligned: Q = P R."""
        return P if self.R is None else P @ self.R.to(P)

    def from_frame(self, Q: torch.Tensor) -> torch.Tensor:
        return Q if self.R is None else Q @ self.R.to(Q).T

    def short_index(self, P: torch.Tensor) -> torch.Tensor:
        """Indices (in the wedge frame) of the D - n smallest |Q_i|: the nearest wedge's short axes."""
        Q = self.to_frame(self._check(P))
        return torch.topk(Q.detach().abs(), self.s, dim=-1, largest=False, sorted=False).indices

    # -- loss ---------------------------------------------------------------------------------
    def squared_loss(self, P: torch.Tensor) -> torch.Tensor:
        """L(P)^2 = sum of squares of the D - n smallest |Q_i|; smooth, Hessian 2 diag(1_S) (in frame)."""
        P = self._check(P)
        Q = self.to_frame(P)
        idx = torch.topk(Q.detach().abs(), self.s, dim=-1, largest=False, sorted=False).indices
        return torch.gather(Q, -1, idx).square().sum(-1)

    def squared_loss_and_grad(self, P: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L^2, its gradient) without autograd: the gradient is 2 Q_S on the selected coordinates (in
        frame), 0 elsewhere. For fast batched optimization (C2)."""
        Q = self.to_frame(self._check(P))
        idx = torch.topk(Q.abs(), self.s, dim=-1, largest=False, sorted=False).indices
        QS = torch.gather(Q, -1, idx)
        return QS.square().sum(-1), self.from_frame(torch.zeros_like(Q).scatter_(-1, idx, 2 * QS))

    def loss(self, P: torch.Tensor) -> torch.Tensor:
        """L(P): distance to the nearest n-wedge, shape P.shape[:-1]; gradient 0 where L = 0."""
        sq = self.squared_loss(P)
        pos = sq > 0
        return torch.where(pos, torch.sqrt(torch.where(pos, sq, torch.ones_like(sq))), torch.zeros_like(sq))

    def full_sort_loss(self, P: torch.Tensor) -> torch.Tensor:
        """The paper's formula with a full sort: sqrt(sum(sorted(|P|)[:D-n]^2)). Reference for benchmarks."""
        Q = self.to_frame(self._check(P))
        return torch.sort(Q.abs(), dim=-1).values[..., : self.s].square().sum(-1).sqrt()

    def brute_force_loss(self, P: torch.Tensor) -> torch.Tensor:
        """min over all n-subsets T of the distance from P to the wedge spanned by T (D <= 16 only)."""
        P = self._check(P)
        if self.D > _BRUTE_FORCE_MAX_D:
            raise ValueError(f"brute_force_loss needs D <= {_BRUTE_FORCE_MAX_D}, got D = {self.D}")
        Q = self.to_frame(P)
        best = None
        for T in itertools.combinations(range(self.D), self.n):
            mask = torch.ones(self.D, dtype=torch.bool, device=Q.device)
            mask[list(T)] = False
            dist = Q[..., mask].square().sum(-1).sqrt()
            best = dist if best is None else torch.minimum(best, dist)
        return best

    # -- geometry -----------------------------------------------------------------------------
    def long_axes(self, P: torch.Tensor) -> torch.Tensor:
        """Boolean mask (..., D) of the nearest wedge's n long axes (in the wedge frame)."""
        idx = self.short_index(P)
        mask = torch.ones(idx.shape[:-1] + (self.D,), dtype=torch.bool, device=idx.device)
        return mask.scatter(-1, idx, False)

    def nearest_point(self, P: torch.Tensor) -> torch.Tensor:
        """Projection of P onto its nearest wedge: zero the D - n smallest coordinates (in frame)."""
        P = self._check(P)
        Q = self.to_frame(P)
        return self.from_frame(Q * self.long_axes(P).to(Q.dtype))

    def descend(self, P: torch.Tensor, target: float) -> torch.Tensor:
        """Exact gradient flow of L from P until L = target * L(P) (0 <= target <= 1).

        The gradient of L is Q_S / |Q_S| on the short coordinates and 0 elsewhere, so gradient flow
        shrinks the short coordinates uniformly and they stay the smallest: the flow ends at
        P with Q_S scaled by ``target`` (target = 0 gives ``nearest_point``).
        """
        if not 0.0 <= float(target) <= 1.0:
            raise ValueError(f"target must be in [0, 1], got {target!r}")
        P = self._check(P)
        Q = self.to_frame(P)
        long = self.long_axes(P).to(Q.dtype)
        return self.from_frame(Q * (long + (1 - long) * float(target)))

    def pinned_count(self, P: torch.Tensor, rtol: float = 1e-2) -> torch.Tensor:
        """Number of wedge-frame coordinates pinned near zero: |Q_i| <= rtol * RMS(Q).

        This counts the directions in which P sits inside a thin wedge: D - n on one wedge, and
        2(D - n) - overlap on the intersection of two (the paper's "2s" argument, §3.1). ``rtol``
        (1e-2) separates the short coordinates of points at loss ~1e-3 from the long ones.
        """
        Q = self.to_frame(self._check(P))
        scale = Q.square().mean(-1, keepdim=True).sqrt().clamp_min(torch.finfo(Q.dtype).tiny)
        return (Q.abs() <= rtol * scale).sum(-1)

    def hessian_count(self, P: torch.Tensor, threshold: float = 1.0) -> int:
        """Eigenvalues of the dense Hessian of ``squared_loss`` at a single P above ``threshold``.

        The Hessian is 2 R diag(1_S) R^T, so the count is D - n wherever the selection S is unique;
        at a wedge intersection the tie among the zero coordinates is broken by ``topk``.
        """
        P = self._check(P).detach().to(torch.float64)
        if P.ndim != 1:
            raise ValueError(f"P must be a single point of shape (D,), got {tuple(P.shape)}")
        H = torch.func.hessian(self.squared_loss)(P)
        return int((torch.linalg.eigvalsh(H) > threshold).sum())

    def intersection_point(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        """A point on both A's and B's nearest wedges: A's frame coordinates on the common long axes."""
        A, B = self._check(A, "A"), self._check(B, "B")
        common = self.long_axes(A) & self.long_axes(B)
        return self.from_frame(self.to_frame(A) * common.to(A.dtype))


def random_points(D: int, k: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    """k random initial configurations, components i.i.d. N(0, 1) ("initialize it at random component-wise")."""
    _check_dims(D, 0)
    g = torch.Generator().manual_seed(seed)
    return torch.randn(k, D, generator=g, dtype=dtype)



# -- generalized and null landscapes ----------------------------------------------------------------
# Each landscape draws from its own stream, seed + _STREAM: with ``seed`` itself its first numbers would be
# those of ``random_points(D, k, seed)``, i.e. the experiment's initial points would lie in its first
# subspace, or along its first cosine's wave vector.
_STREAM = 7_000_003

def _orthonormal_complement(B: torch.Tensor) -> torch.Tensor:
    """Orthonormal rows (D - n, D) spanning the orthogonal complement of the row space of B (n, D)."""
    n, D = B.shape
    Q, _ = torch.linalg.qr(B.T, mode="complete")
    return Q[:, n:].T.contiguous()


class SubspaceLandscape:
    """The toy loss generalized (C17): the L2 distance to the nearest of K random n-dimensional linear
    subspaces of R^D, in mutually non-orthogonal frames (§3.2: "our conclusions are not dependent on
    this, nor on their exact mutual orientations or numbers").

    Subspace k is spanned by the rows of ``bases[k]`` (n x D, i.i.d. Gaussian from ``seed`` unless given);
    ``normals[k]`` (s x D, orthonormal) spans its orthogonal complement, so the squared distance is
    d_k(P)^2 = |normals[k] P|^2. With the K = C(D, n) coordinate subspaces it is ``WedgeLandscape(D, n)``.
    Gradients: as ``WedgeLandscape``: through the nearest subspace (argmin detached); 0 where L = 0.
    """

    def __init__(self, D: int, n: int, K: int, seed: int = 0, bases: torch.Tensor | None = None):
        _check_dims(D, n)
        if bases is None:
            if not isinstance(K, int) or isinstance(K, bool) or K < 1:
                raise ValueError(f"K (number of subspaces) must be a positive integer, got {K!r}")
            g = torch.Generator().manual_seed(_STREAM + seed)
            bases = torch.randn(K, n, D, generator=g, dtype=torch.float64)
        bases = torch.as_tensor(bases, dtype=torch.float64)
        if bases.ndim != 3 or bases.shape[1:] != (n, D):
            raise ValueError(f"bases must have shape (K, n={n}, D={D}), got {tuple(bases.shape)}")
        self.D, self.n, self.K, self.seed = D, n, bases.shape[0], seed
        self.bases = bases
        self.normals = torch.stack([_orthonormal_complement(b) for b in bases]) if n < D else \
            torch.zeros(self.K, 0, D, dtype=torch.float64)

    @property
    def s(self) -> int:
        return self.D - self.n

    def __repr__(self) -> str:
        return f"SubspaceLandscape(D={self.D}, n={self.n}, K={self.K}, seed={self.seed})"

    def _check(self, P, name: str = "P") -> torch.Tensor:
        P = torch.as_tensor(P)
        if not P.is_floating_point():
            P = P.to(torch.get_default_dtype())
        if P.ndim == 0 or P.shape[-1] != self.D:
            raise ValueError(f"{name} must have shape (..., D={self.D}), got {tuple(P.shape)}")
        return P

    def squared_distances(self, P: torch.Tensor) -> torch.Tensor:
        """|normals[k] P|^2 for every k: shape (..., K)."""
        P = self._check(P)
        Z = torch.einsum("ksd,...d->...ks", self.normals.to(P), P)
        return Z.square().sum(-1)

    def nearest_index(self, P: torch.Tensor) -> torch.Tensor:
        return self.squared_distances(P.detach()).argmin(-1)

    def squared_loss(self, P: torch.Tensor) -> torch.Tensor:
        P = self._check(P)
        N = self.normals.to(P)[self.nearest_index(P)]  # (..., s, D)
        return torch.einsum("...sd,...d->...s", N, P).square().sum(-1)

    def squared_loss_and_grad(self, P: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L^2, its gradient 2 N_k^T N_k P) for a batch (K', D), without autograd."""
        P = self._check(P)
        N = self.normals.to(P)[self.nearest_index(P)]
        z = torch.einsum("...sd,...d->...s", N, P)
        return z.square().sum(-1), 2 * torch.einsum("...sd,...s->...d", N, z)

    def loss(self, P: torch.Tensor) -> torch.Tensor:
        sq = self.squared_loss(P)
        pos = sq > 0
        return torch.where(pos, torch.sqrt(torch.where(pos, sq, torch.ones_like(sq))), torch.zeros_like(sq))

    def brute_force_loss(self, P: torch.Tensor) -> torch.Tensor:
        """min over k of min_theta |P - theta bases[k]| by least squares on the raw bases (a reference
        computed without ``normals``)."""
        P = self._check(P)
        flat = P.reshape(-1, self.D)
        best = None
        for B in self.bases:
            theta = torch.linalg.lstsq(B.T, flat.T).solution  # (n, N)
            dist = (flat - (B.T @ theta).T).norm(dim=-1)
            best = dist if best is None else torch.minimum(best, dist)
        return best.reshape(P.shape[:-1])

    def nearest_point(self, P: torch.Tensor) -> torch.Tensor:
        P = self._check(P)
        N = self.normals.to(P)[self.nearest_index(P)]
        return P - torch.einsum("...sd,...s->...d", N, torch.einsum("...sd,...d->...s", N, P))

    def descend(self, P: torch.Tensor, target: float) -> torch.Tensor:
        """Gradient flow of L from P toward its nearest subspace until L = target x L(P): the normal
        component scaled by ``target`` (exact while that subspace stays the nearest, as it does here:
        its distance only shrinks while the others' change by at most the distance moved)."""
        if not 0.0 <= float(target) <= 1.0:
            raise ValueError(f"target must be in [0, 1], got {target!r}")
        P = self._check(P)
        return P - (1 - float(target)) * (P - self.nearest_point(P))

    def wedge_id(self, P: torch.Tensor) -> torch.Tensor:
        """Which wedge is nearest (for 'do A and B lie on different wedges')."""
        return self.nearest_index(P)

    def exact_minimize(self, P0: torch.Tensor, M: torch.Tensor, iters: int = 50) -> tuple[torch.Tensor, float]:
        """Converged minimization of L on the hyperplane theta M + P0 (as ``toy_exact_minimize``):
        alternate k <- nearest subspace, theta <- argmin |N_k (theta M + P0)| by least squares."""
        P0 = self._check(P0, "P0")
        P, best, k = P0, float(self.loss(P0)), None
        for _ in range(iters):
            k_new = int(self.nearest_index(P))
            if k is not None and k_new == k:
                break
            k = k_new
            N = self.normals[k].to(P0)
            theta = torch.linalg.lstsq((N @ M.T), -(N @ P0).unsqueeze(-1), driver="gelsd").solution.squeeze(-1)
            cand = theta @ M + P0
            val = float(self.loss(cand))
            if val >= best and P is not P0:
                break
            P, best = cand, min(best, val)
        return P, best


class QuadraticWell:
    """A smooth landscape without wedges (the C11 null): f(P) = 1/2 sum_i lam_i P_i^2 with lam_i
    log-uniform on [lo, hi] (seeded), one minimum at 0. A Haar rotation of it would change nothing the
    C11 probes measure (isotropic probes and an isotropic Gaussian start), so it is kept diagonal."""

    def __init__(self, D: int, seed: int = 0, lo: float = 1e-2, hi: float = 1.0):
        _check_dims(D, 0)
        if not 0 < lo <= hi:
            raise ValueError(f"need 0 < lo <= hi, got lo={lo!r}, hi={hi!r}")
        g = torch.Generator().manual_seed(_STREAM + seed)
        u = torch.rand(D, generator=g, dtype=torch.float64)
        self.D, self.lam = D, torch.exp(torch.log(torch.tensor(lo, dtype=torch.float64)) * (1 - u)
                                        + torch.log(torch.tensor(hi, dtype=torch.float64)) * u)

    def __repr__(self) -> str:
        return f"QuadraticWell(D={self.D})"

    def loss(self, P: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.lam.to(P) * P.square()).sum(-1)

    def descend(self, P: torch.Tensor, target: float, iters: int = 200) -> torch.Tensor:
        """Exact gradient flow P_i(t) = P_i exp(-lam_i t), stopped at f = target x f(P) (bisection on t)."""
        if not 0.0 < float(target) <= 1.0:
            raise ValueError(f"target must be in (0, 1], got {target!r}")
        f0 = float(self.loss(P))
        lo, hi = 0.0, 1.0
        while float(self.loss(P * torch.exp(-self.lam * hi))) > target * f0:
            hi *= 2
        for _ in range(iters):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if float(self.loss(P * torch.exp(-self.lam * mid))) > target * f0 else (lo, mid)
        return P * torch.exp(-self.lam * hi)


class CosineLandscape:
    """A smooth landscape without wedges whose curvature varies from point to point (the C8/C10 null):
    f(P) = 1/K sum_k (1 - cos(w_k . P + phi_k)), w_k ~ N(0, I/D), phi_k ~ U[0, 2 pi), K = 2D by default.
    Its Hessian is W^T diag(cos(W P + phi) / K) W, so a count of eigenvalues above a threshold can rise or
    fall along a path: nothing about the landscape's form fixes it."""

    def __init__(self, D: int, K: int | None = None, seed: int = 0):
        _check_dims(D, 0)
        K = 2 * D if K is None else K
        g = torch.Generator().manual_seed(_STREAM + seed)
        self.D, self.K = D, K
        self.W = torch.randn(K, D, generator=g, dtype=torch.float64) / D ** 0.5
        self.phi = 2 * torch.pi * torch.rand(K, generator=g, dtype=torch.float64)

    def __repr__(self) -> str:
        return f"CosineLandscape(D={self.D}, K={self.K})"

    def loss(self, P: torch.Tensor) -> torch.Tensor:
        return (1 - torch.cos(P @ self.W.to(P).T + self.phi.to(P))).mean(-1)

    def hessian(self, P: torch.Tensor) -> torch.Tensor:
        """The exact Hessian at a single P, (D, D)."""
        W = self.W.to(P)
        c = torch.cos(W @ P + self.phi.to(P)) / self.K
        return W.T @ (c.unsqueeze(1) * W)

    def eigenvalues(self, P: torch.Tensor) -> torch.Tensor:
        return torch.linalg.eigvalsh(self.hessian(P.detach()))

    def minima(self, I: torch.Tensor, steps: int = 3000, lr: float = 1e-2) -> torch.Tensor:
        """Local minima reached by Adam (lr cosine-decayed to lr/100) from each row of I."""
        X = I.detach().clone().requires_grad_(True)
        opt = torch.optim.Adam([X], lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=lr / 100)
        for _ in range(steps):
            opt.zero_grad()
            self.loss(X).sum().backward()
            opt.step()
            sched.step()
        return X.detach()

"""Geometry of a loss landscape around and between points, given the loss as a function of theta.

Modules (import them directly; this package imports nothing, so ``import landscape_lib`` stays cheap):

- ``toy``: the toy n-wedge landscape (Fort & Jastrzebski §3.2): loss = L2 distance to the nearest
  n-wedge, its exact gradient, Hessian counts and gradient flow.
- ``connectors``: paths between optima on a batched loss: straight lines, the §4.2 hyperplane tunnel,
  m-connectors (§4.3), path losses, deviation cosines, labels along a path.
- ``probes``: random directions (Gaussian, filter-normalized), the loss along many directions x distances
  in one batched call, the radial tunnel's width (C14) and isotropy (C11).
- ``asymmetry``: loss profiles L(w + l u), l in [-p, p], the asymmetric-valley rule, which side is sharp,
  the fraction of asymmetric directions, the extended SGD -> SWA line (A1-A6).
- ``subspace``: optimization on random d-dimensional hyperplanes P = theta M + P0.
- ``intrinsic``: intrinsic dimension d90 (Li et al. 2018) by training in random subspaces.
- ``radial``: radius growth and radial share of the motion |w_T| / |w_0|, angles between optima.
- ``hvp``: Hessian-vector products H v = d/dt grad f(theta + t v) (forward-over-reverse), dense Hessian.
- ``lanczos``: the top-k Hessian eigenvalues by thick-restart Lanczos (float64 solve).
- ``short_directions``: how many eigenvalues exceed fraction x the endpoints' top eigenvalue
  (``DECLARED_FRACTION = 0.1``), at a point and along a path.
- ``spectral``: the Hessian's spectral density (stochastic Lanczos quadrature) and trace (Hutchinson).
"""

"""Measurement protocols: how one sample of a declared case is measured, and how a case is plotted.

Each protocol is a function ``sample(lab, label, sample, **params_and_definition) -> dict`` returning
the decided metrics and other numbers of one independent sample (a seed, a pair of optima, a toy
shape), plus arrays for plots under keys starting with "_"; and a ``plot(samples, title)`` that draws
the case. The declared cases (``verdicts/cases.py``) name a protocol; nothing else measures. Every
sample is cached by the lab under (protocol, configuration, parameters, definition, sample, code
version), so a sample shared by two claims (the C5 and C6 tunnels) is measured once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

import torch

from ..geometry import connectors as cn
from ..geometry import radial
from ..geometry.toy import CosineLandscape, WedgeLandscape, random_points
from . import real as rx
from . import toy as tx


@dataclass(frozen=True)
class Protocol:
    name: str
    sample: Callable[..., dict]
    plot: Callable[[list, str], Any] | None = None
    doc: str = ""


PROTOCOLS: dict[str, Protocol] = {}


def protocol(name: str, plot=None):
    def wrap(fn):
        PROTOCOLS[name] = Protocol(name, fn, plot, (fn.__doc__ or "").strip())
        return fn
    return wrap


def _plots():
    from ..report import plots

    return plots


def _first(samples):
    return samples[0]


# -- toy ----------------------------------------------------------------------------------------
def _c1_errors(land: WedgeLandscape, P: torch.Tensor, reference) -> dict:
    scale = P.norm(dim=-1).clamp_min(1e-300)
    L = land.loss(P)
    return {"max_rel_err_brute": float(((L - reference(P)).abs() / scale).max()),
            "max_rel_err_nearest": float(((L - (P - land.nearest_point(P)).norm(dim=-1)).abs() / scale).max())}


@protocol("toy.wedge_distance")
def toy_wedge_distance(lab, label, sample, rotation=None, reference="brute-force", points=200):
    """C1: the toy loss against the brute-force distance over all n-subsets and against |P - nearest|,
    at 200 points spread over 6 decades of norm; ``reference="single-wedge"`` compares with the distance
    to one fixed wedge (the first n axes) instead."""
    D, n, seed = sample
    land = WedgeLandscape(D, n, rotation=rotation, seed=seed)
    P = random_points(D, points, seed=seed) * torch.logspace(-3, 3, points, dtype=torch.float64).unsqueeze(1)
    ref = land.brute_force_loss if reference == "brute-force" else (lambda X: X[..., n:].norm(dim=-1))
    return _c1_errors(land, P, ref)


def _plot_c2(samples, title):
    m = samples[0]
    return _plots().sweep(m["_d"], m["_ratio"], xlabel="hyperplane dimension d", ylabel="reached loss / start loss",
                          title=title, vline=m["D_minus_n"], vlabel="D-n")


@protocol("toy.hyperplane_threshold", plot=_plot_c2)
def toy_hyperplane_threshold(lab, label, sample, D, n, solver="exact", predicted_offset=0, landscape="wedges"):
    """C2: d_lim, the window D-n +/- 3, and the re-draw spread at D-n-5. ``solver="adam-squared"`` (the
    primary): Adam on the squared loss over a grid of d, 3 draws each; ``exact`` / ``adam``: bisection.
    ``landscape="point"``: the same measurement on the distance to one point (no wedges), against D - n."""
    if landscape not in ("wedges", "point"):
        raise ValueError(f"landscape must be 'wedges' or 'point', got {landscape!r}")
    land = WedgeLandscape(D, n if landscape == "wedges" else 0)
    if solver == "adam-squared":
        return tx.hyperplane_threshold_adam(land, sample, s=D - n)
    predicted = None if not predicted_offset else D - n + predicted_offset
    return tx.hyperplane_threshold(land, sample, solver=solver, draws=3 if solver == "exact" else 1,
                                   predicted=predicted)


def _plot_line(samples, title):
    m = samples[0]
    t, y = m["_line"]
    return _plots().lines(t, {"straight line": y}, xlabel="t (A -> B)", ylabel="loss", logy=True, title=title,
                          hlines={"endpoints": m["endpoint_loss"]})


def _plot_path(samples, title):
    m = samples[0]
    return _plots().path_losses(*m["_line"], *m["_path"], title=title)


def _plot_cos(samples, title):
    return _plots().cosine_matrix(samples[0]["_cos"], title=title)


@protocol("toy.tunnel", plot=_plot_path)
def toy_tunnel(lab, label, sample, D, n, path="paper", same_wedge=False, pair="independent"):
    """C4-C6 on the toy: two toy optima, the straight line, and a connector (``path``: midpoint = §3.3's
    single hyperplane at the midpoint, paper = the §4.2 hyperplane tunnel with k = 10 nodes, intersection =
    A -> a point on both wedges -> B, straight = the line itself); ``pair="same-basin"``: an optimum and
    its re-descent after a 1% move (the controls)."""
    return tx.tunnel_experiment(WedgeLandscape(D, n), sample, path=path, same_wedge=same_wedge, pair=pair)


def _plot_counts(samples, title):
    m = samples[0]
    return _plots().sweep(m["_t"], m["_counts"], xlabel="t along the path", ylabel="short directions", title=title,
                          logy=False)


@protocol("toy.tunnel_counts", plot=_plot_counts)
def toy_tunnel_counts(lab, label, sample, D, n, path, count, same_wedge=False, pair="independent",
                      landscape="wedges"):
    """C8 on the toy: short-direction counts at 5 points of a path (count = hessian: eigenvalues of the
    squared loss's Hessian above 1.0 = half its top eigenvalue 2; pinned: coordinates pinned at 0).
    ``pair="same-basin"``: an optimum and its re-descent after a 1% move; ``landscape="cosine"``: the same
    tunnel between two minima of a smooth landscape without wedges, exact Hessian counts (the controls).
    The path is cached apart from the count, so the hessian and pinned cases share it."""
    if landscape == "cosine":
        if (path, count) != ("paper", "hessian"):
            raise ValueError(f"landscape='cosine' takes path='paper', count='hessian', got {path!r}, {count!r}")
        return tx.smooth_tunnel_counts(CosineLandscape(D, seed=sample), sample)
    land = WedgeLandscape(D, n)
    pts = lab.cached("toy_path", ("tunnel_points", D, n, sample, path, pair, same_wedge),
                     lambda: tx.tunnel_points(land, sample, path, same_wedge=same_wedge, pair=pair),
                     f"toy tunnel points D={D} n={n} seed={sample} {path} {pair}")
    return tx.tunnel_count_profile(land, sample, path, count, path_points=pts)


def _plot_vs_m(samples, title):
    m = samples[0]
    return _plots().sweep(m["_m"], m["_counts"], xlabel="m (connector between m+1 optima)",
                          ylabel="short directions at the middle", logy=False, title=title)


@protocol("toy.connector_counts", plot=_plot_vs_m)
def toy_connector_counts(lab, label, sample, D, n, construction, count, same_wedge=False, pair="independent",
                         landscape="wedges"):
    """C10 on the toy: the count at the middle of m-connectors, m = 1..4 (``pair``, ``landscape`` as for
    ``toy.tunnel_counts``; the connectors are cached apart from the count)."""
    if landscape == "cosine":
        if (construction, count) != ("paper", "hessian"):
            raise ValueError("landscape='cosine' takes construction='paper', count='hessian', "
                             f"got {construction!r}, {count!r}")
        return tx.smooth_connector_counts(CosineLandscape(D, seed=sample), sample)
    land = WedgeLandscape(D, n)
    pts = lab.cached("toy_connectors", ("connector_points", D, n, sample, construction, pair, same_wedge),
                     lambda: tx.connector_points(land, sample, construction, 4, same_wedge, pair),
                     f"toy m-connectors D={D} n={n} seed={sample} {construction} {pair}")
    return tx.m_connector_counts(land, sample, construction, count, m_max=4, points=pts)


def _plot_hist(samples, title):
    return _plots().histogram(samples[0]["_inc"], xlabel="L(P0 + a v) - L(P0)", title=title)


@protocol("toy.isotropy", plot=_plot_hist)
def toy_isotropy(lab, label, sample, D, n):
    """C11 on the toy: 256 random unit probes of length 1 from a point near a wedge, and the same probes
    on a smooth quadratic of the same D (the null: ``cv_null``, ``cv_minus_null``)."""
    return tx.isotropy(WedgeLandscape(D, n), sample)


def _toy_sample(lab, protocol_name: str, kw: dict, seed: int) -> dict:
    """A toy protocol's sample under the key ``verdicts.run.measure`` uses, so a case that measured it
    already (e.g. C4/line-D100, seed 2) serves it from the cache."""
    proto = PROTOCOLS[protocol_name]
    return lab.cached("sample", (protocol_name, "toy", None, kw, seed),
                      lambda: proto.sample(lab, "toy", seed, **kw), f"{protocol_name} on toy, sample {seed}")


@protocol("toy.rotation")
def toy_rotation(lab, label, sample, D, n, other="rotation"):
    """C17: the toy verdicts (C2 exact, C4, C5, C6, C11; ``measure.toy.C17_EXPERIMENTS``) on the
    axis-aligned wedges and on ``other``: ``subspaces`` (sample = (seed, K): K random n-subspaces in
    mutually non-orthogonal frames), ``rotation`` (one global Haar rotation) or ``n0`` (no wedges)."""
    from ..geometry.toy import SubspaceLandscape

    seed, K = (sample, None) if isinstance(sample, int) else tuple(sample)
    if other == "subspaces":
        land = SubspaceLandscape(D, n, K, seed=seed)
    elif other == "rotation":
        land = WedgeLandscape(D, n, rotation="random", seed=1000 + seed)
    elif other == "n0":
        land = WedgeLandscape(D, 0)
    else:
        raise ValueError(f"other must be 'subspaces', 'rotation' or 'n0', got {other!r}")
    base = {name: _toy_sample(lab, proto, {"D": D, "n": n, **kw}, seed)
            for name, (proto, kw) in tx.C17_EXPERIMENTS.items()}
    m = tx.compare_verdicts(base, {name: tx.run_experiment(land, name, seed) for name in tx.C17_EXPERIMENTS})
    return {**m, "K": K or 0, "verdicts": "; ".join(f"{k}: {v}" for k, v in m["verdicts"].items())}


@protocol("random.halves")
def random_halves(lab, label, sample, vectors=9, D=1000):
    """The C6 halves statistic on independent Gaussian vectors (a null: no tunnel at all)."""
    g = torch.Generator().manual_seed(sample)
    V = torch.randn(vectors, D, generator=g, dtype=torch.float64)
    return cn.halves_alignment(cn.cosine_matrix(V))


# -- real networks ------------------------------------------------------------------------------
def _plot_d90(samples, title):
    m = samples[0]
    return _plots().sweep(m["_d"], m["_acc"], xlabel="subspace dimension d", ylabel="test accuracy", logy=False,
                          title=title, vline=m["count"], vlabel="short directions")


@protocol("net.d90_vs_count", plot=_plot_d90)
def net_d90_vs_count(lab, label, sample, fraction):
    """C3: d90 (subspace training from the init to 90% of the optimum's test accuracy; cached once per
    optimum and shared by every threshold) against the count of Hessian eigenvalues above ``fraction`` x
    the top one at the optimum."""
    opt = lab.optima(label)[sample]
    prob = lab.problem(label)
    key = (lab.config_key(label), lab.spec.k, sample)
    d = lab.cached("d90", key, lambda: rx.d90_sweep(prob, opt.theta_init, opt.test_acc), f"d90 of optimum {sample}")
    top = lab.cached("top_eigenvalue", key, lambda: rx.top_eigenvalue(prob, opt.theta))
    count = rx.count_at(prob, opt.theta, fraction * top, k_max=min(1200, prob.D))
    return {"ratio": max(d["d90"], count) / max(1, min(d["d90"], count)), "count": count, "fraction": fraction,
            "top_eigenvalue": top, **d}


def _pair(lab, label, pair):
    """The two endpoints of a sample: optima (i, j), or ("neighbour", i): optimum i and its same-basin
    neighbour (moved by 5% of its norm and re-descended to the same loss)."""
    ops, prob = lab.optima(label), lab.problem(label)
    if pair[0] == "neighbour":
        i = pair[1]
        return prob.theta(ops[i].theta), prob.theta(lab.neighbour(label, i))
    return prob.theta(ops[pair[0]].theta), prob.theta(ops[pair[1]].theta)


@protocol("net.line", plot=_plot_line)
def net_line(lab, label, sample):
    """C4: the training loss on the straight line between two optima (41 points); the wall also in
    nats above the ends and as a fraction of the chance-level loss ln(classes)."""
    import math

    prob = lab.problem(label)
    A, B = _pair(lab, label, tuple(sample))
    line = cn.straight(prob.train_losses, A, B, k=20, per_piece=2)
    ends = 0.5 * float(line.loss[0] + line.loss[-1])
    chance = math.log(prob.data.num_classes)
    return {"wall_ratio": line.max_loss / ends, "wall_height": line.max_loss - ends,
            "wall_over_chance": (line.max_loss - ends) / chance, "line_max": line.max_loss, "endpoint_loss": ends,
            "chance_loss": chance, "_line": (line.t.tolist(), line.loss.tolist())}


def _tunnel_for(lab, label, pair, nodes, refine=0):
    if pair[0] == "neighbour":
        return lab.neighbour_tunnel(label, pair[1], nodes)
    return lab.tunnel(label, pair[0], pair[1], nodes, refine)


@protocol("net.tunnel", plot=_plot_path)
def net_tunnel(lab, label, sample, nodes="budget", refined=False):
    """C5, C6: the §4.2 tunnel between two optima against the straight line; deviations' halves.
    ``refined=False`` is the paper's algorithm; ``refined=True`` adds 2 rounds of adaptive refinement
    (a node at the worst piece's midpoint), the variant."""
    A, B = _pair(lab, label, tuple(sample))
    path = _tunnel_for(lab, label, tuple(sample), nodes, refine=2 if refined else 0)
    return rx.tunnel_metrics(lab.problem(label), A, B, path)


def _plot_switch(samples, title):
    m = next((s for s in samples if s.get("_a")), None)
    if m is None:
        return None
    return _plots().label_agreement(m["_t"], m["_a"], m["_b"], title=title)


@protocol("net.label_switch", plot=_plot_switch)
def net_label_switch(lab, label, sample, inputs, nodes="budget"):
    """C7: predicted labels along the tunnel on inputs where A and B disagree: the distance of the
    fraction agreeing with B from the claimed shape min(2t, 1), against the straight line's (the null)."""
    A, B = _pair(lab, label, tuple(sample))
    m = rx.label_switch(lab.problem(label), _tunnel_for(lab, label, tuple(sample), nodes), inputs)
    if m.get("_a"):
        m["shape_error"] = rx.shape_error(m["_t"], m["_b"])
        m["shape_error_null"] = rx.shape_error(m["_lt"], m["_lb"])
        m["shape_gain_over_null"] = m["shape_error_null"] - m["shape_error"]
    return m


def _plot_profile(samples, title):
    m = samples[0]
    return _plots().count_profile(m["_t"], m["_counts"], title=title)


@protocol("net.tunnel_counts", plot=_plot_profile)
def net_tunnel_counts(lab, label, sample, nodes="budget"):
    """C8: short-direction counts at 5 nodes of the tunnel (0.1, 0.05, 0.01 x the endpoints' mean top
    eigenvalue, one absolute threshold along the path), each node's training loss, and the excess over
    the count noise (Lanczos start vector, same-basin neighbour) measured for this configuration."""
    path = _tunnel_for(lab, label, tuple(sample), nodes)
    prob = lab.problem(label)
    m = rx.short_direction_profile(prob, path)
    idx = torch.linspace(0, len(path.nodes) - 1, 5).round().long().unique()
    losses = prob.train_losses(path.nodes[idx]).tolist()
    noise = lab.count_noise(label)["count_noise"]
    return {**m, "mid_loss": losses[len(losses) // 2], "endpoint_loss": 0.5 * (losses[0] + losses[-1]),
            "count_noise": noise, "mid_excess_over_noise": m["mid_excess"] - noise}


@protocol("net.m_connector")
def net_m_connector(lab, label, sample, m, nodes="budget", points="star", steps=None):
    """C9: an m-connector between the optima ``sample`` (m + 1 of them): optimized points of their convex
    hull (``points``: star = the centroid and the midpoints towards each optimum; centroid = the centroid
    only), decided over the whole connector. ``steps=0``: the un-optimized points (the control)."""
    if len(sample) != m + 1:
        raise ValueError(f"an m-connector with m = {m} joins m + 1 = {m + 1} optima; sample {sample} has {len(sample)}")
    ops, prob = lab.optima(label), lab.problem(label)
    O = torch.stack([ops[i].theta for i in sample])
    cfg = rx.PathConfig() if steps is None else dataclasses.replace(rx.PathConfig(), steps=steps)
    meas, _ = rx.m_connector_metrics(prob, O, nodes, cfg, points=points)
    return meas


def _plot_vs_m(samples, title):
    m = samples[0]
    return _plots().sweep(m["_m"], m["_counts"], xlabel="m (connector between m+1 optima)",
                          ylabel="short directions at the middle", logy=False, title=title)


@protocol("net.connector_counts", plot=_plot_vs_m)
def net_connector_counts(lab, label, sample, nodes="loss-matched", same_basin=False):
    """C10: counts at the middle of m-connectors over the first m + 1 optima of ``sample``, m = 1..len-1,
    middles loss-matched to the optima (equal-loss comparison); growth beyond the count noise.
    ``same_basin``: an optimum and same-basin neighbours of it instead of independent optima."""
    ops, prob = lab.optima(label), lab.problem(label)
    if same_basin:
        i = sample[0]
        pts = torch.stack([ops[i].theta] + [lab.neighbour(label, i, seed=s) for s in range(1, len(sample))])
        order = list(range(len(sample)))
    else:
        pts = torch.stack([o.theta for o in ops])
        order = list(sample)
    m = rx.connector_counts(prob, pts, order, m_max=len(order) - 1, nodes=nodes)
    noise = lab.count_noise(label)["count_noise"]
    return {**m, "count_noise": noise, "growth_over_noise": m["growth"] - noise}


def _plot_radius(samples, title):
    h = samples[0].get("_history")
    if not h:
        return None
    return _plots().lines(h["step"], {"radius |w|": h["radius"], "|w - w0|": h["dist_from_init"]}, xlabel="step",
                          ylabel="norm", title=title)


@protocol("net.radial_motion", plot=_plot_radius)
def net_radial_motion(lab, label, sample, definition="norm-change", fraction=0.1):
    """C12: radius growth and the radial share of the displacement from the init after ``fraction`` of
    training, beside the null (a random displacement of the same length from the same init)."""
    opt = lab.optima(label)[sample]
    h = opt.history
    hist = {k: list(map(float, h[k])) for k in ("step", "radius", "dist_from_init")}
    return {**rx.radial_at(opt.theta_init, opt.theta, hist, fraction, definition, seed=sample), "_history": hist}


@protocol("net.optima_cosines")
def net_optima_cosines(lab, label, sample):
    """C13: cosines between the independent optima ``sample``; beside them the nulls: the cosines of
    their initializations and of their displacements theta_T - theta_0."""
    ops = [lab.optima(label)[i] for i in sample]
    cos = radial.pairwise_cosines([o.theta for o in ops])
    init = radial.pairwise_cosines([o.theta_init for o in ops])
    disp = radial.pairwise_cosines([o.theta - o.theta_init for o in ops])
    return {"max_abs_cos": max(abs(c) for c in cos), "mean_cos": sum(cos) / len(cos), "pairs": len(cos),
            "max_abs_cos_null_init": max(abs(c) for c in init),
            "displacement_max_abs_cos": max(abs(c) for c in disp), "_cos": cos}


@protocol("net.one_run_cosine")
def net_one_run_cosine(lab, label, sample):
    """C13's control: an optimum and its same-basin neighbour (the same measurement; it would hold if
    the move and re-descent landed in a near-orthogonal tunnel)."""
    opt = lab.optima(label)[sample]
    nb = lab.neighbour(label, sample)
    cos = radial.pairwise_cosines([opt.theta, nb])[0]
    disp = radial.pairwise_cosines([opt.theta - opt.theta_init, nb - opt.theta_init])[0]
    return {"max_abs_cos": abs(cos), "displacement_max_abs_cos": abs(disp)}


LR_LOW, LR_HIGH = 3e-3, 3e-2


@protocol("net.lr_counts")
def net_lr_counts(lab, label, sample, threshold="shared"):
    """C15: short directions at optima trained with lr 3e-3 vs 3e-2 (same seed, both to the same target
    loss: an equal-loss comparison), one shared threshold or each optimum's own; the drop beyond the count
    noise of this configuration."""
    base = lab.config(label)
    low = lab.optima(dataclasses.replace(base, lr=LR_LOW), k=4)[sample]
    high = lab.optima(dataclasses.replace(base, lr=LR_HIGH), k=4)[sample]
    m = rx.lr_counts(lab.problem(label), low.theta, high.theta, threshold)
    noise = lab.count_noise(label)["count_noise"]
    return {**m, "loss_low_lr": low.train_loss, "loss_high_lr": high.train_loss, "count_noise": noise,
            "count_drop_over_noise": m["count_drop"] - noise}


from . import protocols_dynamics  # noqa: E402,F401
from . import protocols_asymmetry  # noqa: E402,F401

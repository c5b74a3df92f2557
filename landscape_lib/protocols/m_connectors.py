"""m-connectors (§4.3): low-loss points joining m + 1 optima at once (C9), and their middles on the toy
model (the points C10 counts short directions at).

Protocols: ``net_m_connector`` (C9), ``toy_m_connector`` (C9's positive control on the toy model). The
connector is optimized points of the optima's convex hull (star: the centroid and the midpoints towards each
optimum; centroid: the centroid only), decided over the whole connector (the optimized points and the straight
pieces from them to each optimum).
"""

from __future__ import annotations

import dataclasses
import math

import torch

from ..geometry import connectors as cn
from ..geometry.toy import WedgeLandscape
from ..nets.problem import Problem
from ..types import Sample
from .endpoints import pair_optima, toy_optima
from .tunnels import NODE_DEFINITIONS, PathConfig


def m_connector_metrics(problem: Problem, optima: torch.Tensor, nodes: str = "budget",
                        cfg: PathConfig = PathConfig(), points: str = "centroid") -> tuple[Sample, cn.MConnector]:
    """C9: the optimized middle of the m-connector between the rows of ``optima`` (m + 1 of them).

    connector_ratio = the highest loss on the whole connector (the optimized middle and the straight pieces
    from it to each optimum) / the optima's mean loss, as C5 decides a tunnel (claims/RULES.md #2); its absolute
    twin connector_max_over_chance = the same highest loss / ln C (the chance-level loss);
    centroid_fraction = the highest loss on the straight pieces from the middle to each optimum / the
    un-optimized centroid's loss ("far below the centroid", the null: the centroid itself)."""
    O = problem.theta(optima)
    meas, mc = connector_metrics(problem.train_losses, O, nodes, cfg, points)
    meas.metrics["connector_max_over_chance"] = max(mc.middle_loss, mc.max_piece_loss) / math.log(
        problem.data.num_classes)
    return meas, mc


def connector_metrics(loss_fn, optima: torch.Tensor, nodes: str = "budget", cfg: PathConfig = PathConfig(),
                      points: str = "centroid") -> tuple[Sample, cn.MConnector]:
    """The C9 measurement on any batched loss (a network's ``train_losses``, the toy's ``loss``): the
    m-connector of ``connectors.m_connector`` between the rows of ``optima`` and

        connector_ratio   = max(middle loss, highest loss on the pieces) / mean loss of the optima,
        centroid_fraction = highest loss on the pieces / loss of the un-optimized centroid (the null)."""
    if nodes not in NODE_DEFINITIONS:
        raise ValueError(f"nodes must be one of {NODE_DEFINITIONS}, got {nodes!r}")
    ends = float(loss_fn(optima).mean())
    mc = cn.m_connector(loss_fn, optima, cfg.connector(ends if nodes == "loss-matched" else None), points=points)
    worst = max(mc.middle_loss, mc.max_piece_loss)
    return (Sample(metrics={"connector_ratio": worst / ends, "centroid_fraction": mc.max_piece_loss / mc.centroid_loss,
                            "m": mc.m, "endpoint_loss": ends, "middle_loss": mc.middle_loss,
                            "max_piece_loss": mc.max_piece_loss, "drift": mc.drift},
                   nulls={"centroid_loss": mc.centroid_loss}), mc)


def net_m_connector(lab, label, sample, m, nodes="budget", points="star", steps=None) -> Sample:
    """C9: an m-connector between the optima ``sample`` (m + 1 of them): optimized points of their convex
    hull (``points``: star = the centroid and the midpoints towards each optimum; centroid = the centroid
    only), decided over the whole connector. ``steps=0``: the un-optimized points (the control)."""
    if len(sample) != m + 1:
        raise ValueError(f"an m-connector with m = {m} joins m + 1 = {m + 1} optima; sample {sample} has {len(sample)}")
    ops, prob = lab.optima(label), lab.problem(label)
    O = torch.stack([ops[i].theta for i in sample])
    cfg = PathConfig() if steps is None else dataclasses.replace(PathConfig(), steps=steps)
    meas, _ = m_connector_metrics(prob, O, nodes, cfg, points=points)
    return meas


def intersection_connector(land: WedgeLandscape, optima: torch.Tensor, per_piece: int = PathConfig().per_piece
                           ) -> tuple[torch.Tensor, float]:
    """The toy's own m-connector: X = optima[0] on the long axes common to every optimum's nearest wedge, a
    point of their intersection, joined to each optimum by a straight piece. Both ends of piece i lie within
    optimum i's wedge W_i up to its residual, and the distance to a linear subspace is convex along a segment,
    so L <= dist(., W_i) <= max(L(o_i), 0) there: a low-loss connector exists by construction.
    Returns (X, the highest loss on the pieces)."""
    common = land.long_axes(optima).all(0)
    X = land.from_frame(land.to_frame(optima[0]) * common.to(optima.dtype))
    worst = 0.0
    for o in optima:
        _, L = cn.evaluate_path(land.loss, torch.stack([o, X]), torch.tensor([0.0, 1.0], dtype=o.dtype), per_piece)
        worst = max(worst, float(L.max()))
    return X, worst


def toy_m_connector(lab, label, sample, D, n, m, nodes="budget", points="star") -> Sample:
    """C9 on the toy (the positive control): m + 1 toy optima (independent N(0, I) inits, gradient flow to
    1e-3 x their loss, ``endpoints.toy_optima``) whose nearest wedges, n-dimensional coordinate subspaces,
    share a common intersection; the net primary's connector and metrics (``connector_metrics``, the same
    ``PathConfig``) on the toy loss. Beside them, ``planted_connector_ratio``: the highest loss on the toy's
    own connector through that intersection (``intersection_connector``) / the optima's mean loss, and
    ``common_long_axes``, the intersection's dimension."""
    land = WedgeLandscape(D, n)
    O = toy_optima(land, m + 1, sample)
    meas, _ = connector_metrics(land.loss, O, nodes, PathConfig(), points)
    _, planted = intersection_connector(land, O)
    meas.metrics["planted_connector_ratio"] = planted / meas.metrics["endpoint_loss"]
    meas.metrics["common_long_axes"] = int(land.long_axes(O).all(0).sum())
    return meas


def connector_middles(loss_fn, optima: torch.Tensor, m_max: int, steps: int = 1000, lr: float = 1e-2):
    """The optimized centroids of the m-connectors m = 1..m_max between optima[: m + 1], all in one batched
    run: the algorithm of ``connectors.m_connector(points="centroid")`` (Adam from the centroid, gradient
    projected off the simplex's span and the position re-projected after every step, the best point
    kept), with each row's own simplex basis zero-padded to m_max rows. Returns (middles, their losses)."""
    D = optima.shape[1]
    U = torch.zeros(m_max, m_max, D, dtype=optima.dtype)
    for m in range(1, m_max + 1):
        U[m - 1, :m] = cn.simplex_basis(optima[: m + 1])
    X0 = torch.stack([optima[: m + 1].mean(0) for m in range(1, m_max + 1)])
    X = cn.optimize_constrained(loss_fn, X0, U, steps, lr)
    with torch.no_grad():
        return X, loss_fn(X).tolist()


def connector_points(land: WedgeLandscape, seed: int, construction: str, m_max: int = 4, same_wedge: bool = False,
                     pair: str = "independent"):
    """(optima, the middles of the m-connectors m = 1..m_max, their losses) for C10."""
    if same_wedge:
        optima = toy_optima(land, m_max + 1, seed, same_wedge=True)
    else:
        optima = pair_optima(land, m_max + 1, seed, pair)
    if construction == "paper":
        mids, losses = connector_middles(land.loss, optima, m_max)
    elif construction == "intersection":
        mids = []
        for m in range(1, m_max + 1):
            common = land.long_axes(optima[: m + 1]).all(0)
            mids.append(land.from_frame(land.to_frame(optima[0]) * common.to(optima.dtype)))
        mids = torch.stack(mids)
        losses = land.loss(mids).tolist()
    else:
        raise ValueError(f"construction must be 'paper' or 'intersection', got {construction!r}")
    return optima, mids, losses

"""m-connectors (§4.3): low-loss points joining m + 1 optima at once (C9), and their middles on the toy
model (the points C10 counts short directions at).

Protocol: ``net_m_connector`` (C9). On a network the connector is optimized points of the optima's convex
hull (star: the centroid and the midpoints towards each optimum; centroid: the centroid only), decided over
the whole connector (the optimized points and the straight pieces from them to each optimum).
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
    if nodes not in NODE_DEFINITIONS:
        raise ValueError(f"nodes must be one of {NODE_DEFINITIONS}, got {nodes!r}")
    O = problem.theta(optima)
    ends = float(problem.train_losses(O).mean())
    mc = cn.m_connector(problem.train_losses, O, cfg.connector(ends if nodes == "loss-matched" else None),
                        points=points)
    worst = max(mc.middle_loss, mc.max_piece_loss)
    chance = math.log(problem.data.num_classes)
    return (Sample(metrics={"connector_ratio": worst / ends, "centroid_fraction": mc.max_piece_loss / mc.centroid_loss,
                            "connector_max_over_chance": worst / chance,
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

"""The end-to-end positive controls of C8 and C10 build their paths with the network primaries' own algorithm.

``planted_tunnel_counts(path="primary")`` and ``planted_connector_counts(middles="primary")`` must measure what
``net_tunnel_counts`` (C8/budget) and ``net_connector_counts`` (C10/loss-matched) measure when handed the same
problem and optima: the same builder functions called with the same arguments (``build_tunnel`` with the
``PathConfig`` that ``Lab.tunnel`` uses; ``connector_counts`` -> ``m_connector_metrics`` with the primary's
nodes), hence, the builders being deterministic, exactly the same counts. The primaries run here on a stand-in
lab whose optima are the planted wedges' (D = 30, s = 5 short axes), through the real ``Lab.tunnel``.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest
import torch

from landscape_lib.nets import config as net_config
from landscape_lib.protocols import short_direction_counts as sd
from landscape_lib.protocols import tunnels
from landscape_lib.protocols.lab import Lab
from landscape_lib.types import Role
from landscape_lib.verdicts.cases import short_direction_counts as cases

D, S = 30, 5


class PlantedLab:
    """A lab whose one configuration is a planted landscape: ``optima`` are the given points, ``problem`` the
    ``PlantedProblem``, ``cached`` builds every time, ``count_noise`` is the given value; ``tunnel`` is
    ``Lab.tunnel`` itself (the primary's path builder and its settings)."""

    tunnel = Lab.tunnel

    def __init__(self, prob, optima: torch.Tensor, noise: int):
        self.prob, self.ops, self.noise = prob, [SimpleNamespace(theta=o) for o in optima], noise
        self.spec = SimpleNamespace(k=len(optima))

    def optima(self, label):
        return self.ops

    def problem(self, label):
        return self.prob

    def config(self, label):
        return None

    def cached(self, kind, parts, build, describe="", version=None):
        return build()

    def count_noise(self, label, i=0):
        return {"count_noise": self.noise}


def spy(monkeypatch, owners, name):
    """Replace ``name`` in each module of ``owners`` with one recorder that calls the original; returns its calls,
    each as {parameter: value}, defaults filled in."""
    original = getattr(owners[0], name)
    for m in owners[1:]:
        assert getattr(m, name) is original, f"{m.__name__}.{name} is not {owners[0].__name__}.{name}"
    calls = []

    sig = inspect.signature(original)

    def record(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        calls.append(dict(bound.arguments))
        return original(*args, **kwargs)

    for m in owners:
        monkeypatch.setattr(m, name, record)
    return calls


def same_args(a: dict, b: dict) -> bool:
    """Equal arguments; two PlantedProblems are equal when their landscapes are (the same wedges and width)."""
    if a.keys() != b.keys():
        return False
    for k in a:
        u, v = a[k], b[k]
        if isinstance(u, sd.PlantedProblem):
            lu, lv = u.loss.__self__, getattr(v.loss, "__self__", None)
            ok = isinstance(lv, sd.PlantedWedges) and torch.equal(lu.masks, lv.masks) and lu.tau == lv.tau
        elif isinstance(u, torch.Tensor):
            ok = isinstance(v, torch.Tensor) and torch.equal(u, v)
        else:
            ok = u == v
        if not ok:
            return False
    return True


@pytest.mark.parametrize("seed", [0, 1])
def test_primary_tunnel_is_built_and_counted_as_c8_budget(monkeypatch, seed):
    """Both call ``build_tunnel(problem, A, B, "budget", PathConfig())`` once, and count the same 5 nodes."""
    monkeypatch.setattr(net_config, "config_hash", lambda cfg: "planted")
    calls = spy(monkeypatch, [tunnels, sd], "build_tunnel")
    land = sd.PlantedWedges(sd.planted_short_sets(D, S, 2, seed))
    A, B = land.optima(seed)
    noise = sd._planted_noise(sd.PlantedProblem(land.loss, D), A, land.neighbour(A, 0))

    pos = sd.planted_tunnel_counts(None, "toy", seed, D=D, s=S, path="primary", nodes="budget")
    prim = sd.net_tunnel_counts(PlantedLab(sd.PlantedProblem(land.loss, D), torch.stack([A, B]), noise),
                                "planted", (0, 1), nodes="budget")

    assert len(calls) == 2 and same_args(calls[0], calls[1])
    assert calls[1]["nodes"] == "budget" and calls[1]["cfg"] == tunnels.PathConfig(refine=0) == tunnels.PathConfig()
    assert calls[1]["base"] is None
    assert pos.arrays["counts"] == prim.arrays["counts"]
    for k in prim.metrics:
        assert pos.metrics[k] == prim.metrics[k], k


@pytest.mark.parametrize("seed", [0, 2])
def test_primary_connectors_are_built_and_counted_as_c10_loss_matched(monkeypatch, seed):
    """Both call ``connector_counts`` with optimized middles (none given) and ``m_connector_metrics`` once per m
    with the primary's "loss-matched" nodes, and count the same middles."""
    counts_calls = spy(monkeypatch, [sd], "connector_counts")
    mc_calls = spy(monkeypatch, [sd], "m_connector_metrics")
    m_max = 3
    land = sd.PlantedWedges(sd.planted_short_sets(D, S, m_max + 1, seed))
    O = land.optima(seed)
    noise = sd._planted_noise(sd.PlantedProblem(land.loss, D), O[0], land.neighbour(O[0], 0))

    pos = sd.planted_connector_counts(None, "toy", seed, D=D, s=S, m_max=m_max, middles="primary",
                                      nodes="loss-matched")
    prim = sd.net_connector_counts(PlantedLab(sd.PlantedProblem(land.loss, D), O, noise), "planted",
                                   tuple(range(m_max + 1)), nodes="loss-matched")

    assert len(counts_calls) == 2 and same_args(counts_calls[0], counts_calls[1])
    assert counts_calls[1]["middles"] is None and counts_calls[1]["nodes"] == "loss-matched"
    assert len(mc_calls) == 2 * m_max
    for a, b in zip(mc_calls[:m_max], mc_calls[m_max:]):
        assert same_args(a, b) and a["nodes"] == "loss-matched" and a["cfg"] == tunnels.PathConfig()
    assert pos.arrays["counts"] == prim.arrays["counts"]
    for k in prim.metrics:
        assert pos.metrics[k] == prim.metrics[k], k


def test_end_to_end_positives_match_their_primaries_declarations():
    """Same definition (nodes) as the network primary, same samples as the hand-built positive, same planted
    landscape parameters; each primary names both of its positives."""
    by = {(c.claim, c.name): c for c in cases.CASES}
    for claim, primary, hand, e2e in (("C8", "budget", "positive-planted-intersection",
                                       "positive-planted-primary-tunnel"),
                                      ("C10", "loss-matched", "positive-planted-intersections",
                                       "positive-planted-primary-connectors")):
        p, h, e = by[claim, primary], by[claim, hand], by[claim, e2e]
        assert p.role == Role.PRIMARY and h.role == e.role == Role.POSITIVE
        assert set(p.positives) == {hand, e2e}
        assert dict(e.definition) == dict(p.definition)
        assert e.protocol is h.protocol and e.samples == h.samples and len(e.samples) == len(p.samples)
        assert e.decision == h.decision == p.decision and e.rule == h.rule == p.rule
        assert {k: v for k, v in e.params.items() if k not in ("path", "middles")} == dict(h.params)

"""C1 (§3.2): the toy surrogate loss is the L2 distance to the nearest n-wedge."""

import pytest
import torch

from landscape_lib import verdict
from landscape_lib.geometry.toy import WedgeLandscape, random_points

CASES = [(6, 3, 0), (10, 7, 1), (12, 6, 2), (12, 0, 3), (12, 12, 4)]


def _errors(land: WedgeLandscape, P: torch.Tensor, reference) -> dict:
    scale = P.norm(dim=-1).clamp_min(1e-300)
    L = land.loss(P)
    return {"max_rel_err_brute": float(((L - reference(P)).abs() / scale).max()),
            "max_rel_err_nearest": float(((L - (P - land.nearest_point(P)).norm(dim=-1)).abs() / scale).max())}


@pytest.mark.claim("C1")
@pytest.mark.parametrize("D,n,seed", CASES, ids=[f"D{D}-n{n}-seed{s}" for D, n, s in CASES])
@pytest.mark.parametrize("rotation", [None, "random"], ids=["aligned", "rotated"])
def test_C1_toy_loss_is_wedge_distance(D, n, seed, rotation, request):
    land = WedgeLandscape(D, n, rotation=rotation, seed=seed)
    P = random_points(D, 200, seed=seed) * torch.logspace(-3, 3, 200, dtype=torch.float64).unsqueeze(1)
    measured = _errors(land, P, land.brute_force_loss)
    verdict.check_claim("C1", request.node.callspec.id, measured,
                  config={"D": D, "n": n, "seed": seed, "rotation": rotation or "none", "points": 200})


@pytest.mark.claim("C1")
@pytest.mark.control
def test_C1_control_single_wedge_is_not_the_loss():
    """One wedge only: the distance to the fixed subspace of the first n axes is not the toy loss."""
    land = WedgeLandscape(10, 7)
    P = random_points(10, 200, seed=0)
    measured = _errors(land, P, lambda X: X[..., 7:].norm(dim=-1))
    verdict.check_claim("C1", "D10-n7-single-wedge", measured, control=True, config={"D": 10, "n": 7, "reference": "one wedge"})

"""Training in random subspaces and d90 (landscape_lib.geometry.intrinsic) on a tiny digits MLP."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

from landscape_lib.geometry.intrinsic import D90Result, SubspaceResult, d90, sparse_projection, subspace_map, train_in_subspace


@pytest.fixture(scope="module")
def problem():
    """A 64-12-10 tanh MLP (D = 910) on 600 / 400 sklearn digits; its full-space test accuracy."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(X), generator=g)
    X = torch.tensor(X, dtype=torch.float32)[perm] / 16.0
    y = torch.tensor(y)[perm]
    Xtr, ytr, Xte, yte = X[:600], y[:600], X[600:1000], y[600:1000]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 12), nn.Tanh(), nn.Linear(12, 10))
    names = [k for k, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    sizes = [p.numel() for p in model.parameters()]
    P0 = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def params(P):
        return {k: t.view(s) for k, t, s in zip(names, P.split(sizes), shapes)}

    def loss_fn(P):
        return F.cross_entropy(functional_call(model, params(P), (Xtr,)), ytr)

    def acc_fn(P):
        with torch.no_grad():
            return float((functional_call(model, params(P), (Xte,)).argmax(1) == yte).float().mean())

    P = P0.clone().requires_grad_(True)
    opt = torch.optim.Adam([P], lr=0.02)
    for _ in range(300):
        opt.zero_grad()
        loss_fn(P).backward()
        opt.step()
    full_acc = acc_fn(P.detach())
    assert full_acc > 0.9
    return loss_fn, acc_fn, P0, full_acc


def test_subspace_map_orthonormal_and_sparse():
    P0 = torch.zeros(400, dtype=torch.float64)
    dense = subspace_map(P0, 7, seed=1)
    M = torch.stack([dense(e) for e in torch.eye(7, dtype=torch.float64)])
    torch.testing.assert_close(M @ M.T, torch.eye(7, dtype=torch.float64))
    Mt = sparse_projection(30, 400, seed=2, dtype=torch.float64)
    assert Mt.is_sparse and Mt.shape == (400, 30)
    density = Mt._nnz() / (400 * 30)
    assert 0.5 / 20 < density < 2 / 20  # ~ 1/sqrt(D) = 1/20
    norms = Mt.to_dense().norm(dim=0) ** 2
    assert abs(float(norms.mean()) - 1) < 0.25
    sp = subspace_map(P0 + 1, 30, seed=2, sparse=True)
    th = torch.randn(30, dtype=torch.float64)
    torch.testing.assert_close(sp(th), Mt.to_dense() @ th + 1)


def test_train_in_subspace_learns(problem):
    loss_fn, acc_fn, P0, full_acc = problem
    r0 = float(loss_fn(P0))
    r = train_in_subspace(loss_fn, acc_fn, P0, 200, steps=150, lr=0.05, seed=0)
    assert isinstance(r, SubspaceResult) and r.d == 200 and r.steps == 150
    assert r.train_loss < 0.5 * r0 and r.test_acc > 0.6
    rs = train_in_subspace(loss_fn, acc_fn, P0, 200, steps=150, lr=0.05, seed=0, sparse=True)
    assert rs.sparse and rs.train_loss < 0.5 * r0 and rs.test_acc > 0.6
    # Same seed, same subspace, same result; full-space dimension is allowed.
    again = train_in_subspace(loss_fn, acc_fn, P0, 200, steps=150, lr=0.05, seed=0)
    assert again.test_acc == r.test_acc
    assert train_in_subspace(loss_fn, acc_fn, P0, P0.numel(), steps=5, lr=0.05).d == P0.numel()


def test_d90_found_and_monotone_ish(problem):
    loss_fn, acc_fn, P0, full_acc = problem
    D = P0.numel()
    res = d90(loss_fn, acc_fn, P0, full_acc, d_grid=(4, 16, 64, 256), seeds=(0, 1), steps=150, lr=0.05)
    assert isinstance(res, D90Result)
    assert res.d90 is not None and 1 <= res.d90 <= D
    assert res.target == pytest.approx(0.9 * full_acc)
    lo, hi = res.bracket
    assert hi == res.d90 and hi - lo <= 1
    assert res.mean_acc(res.d90) >= res.target
    if lo > 0:
        assert res.mean_acc(lo) < res.target
    # Monotone-ish: accuracy grows with d up to seed noise; the ends are far apart.
    ds = sorted(res.accuracies)
    means = [res.mean_acc(d) for d in ds]
    assert means[-1] > means[0]
    slack = 2 * res.max_spread + 0.05
    assert all(b >= a - slack for a, b in zip(means, means[1:]))
    assert set(res.spread) == set(res.accuracies) and all(len(a) == 2 for a in res.accuracies.values())
    # Within the bisection's bracket the passing and failing d sit on either side of d90.
    assert all(res.mean_acc(d) < res.target for d in ds if d < lo)


def test_d90_unreachable_gives_none(problem):
    loss_fn, acc_fn, P0, full_acc = problem
    res = d90(loss_fn, acc_fn, P0, 1.0, d_grid=(1, 2), fraction=1.0, steps=10, lr=0.01)
    assert res.d90 is None and res.bracket == (2, None)


@pytest.mark.parametrize("bad", [0, -3, 911, 2.5, True])
def test_bad_d_raises_naming_d(problem, bad):
    loss_fn, acc_fn, P0, full_acc = problem
    assert P0.numel() == 910
    with pytest.raises(ValueError, match=r"\bd\b"):
        train_in_subspace(loss_fn, acc_fn, P0, bad, steps=1)
    with pytest.raises(ValueError, match=r"\bd\b"):
        d90(loss_fn, acc_fn, P0, full_acc, d_grid=(4, bad), steps=1)


def test_other_bad_input(problem):
    loss_fn, acc_fn, P0, full_acc = problem
    with pytest.raises(ValueError, match="steps"):
        train_in_subspace(loss_fn, acc_fn, P0, 4, steps=0)
    with pytest.raises(ValueError, match="lr"):
        train_in_subspace(loss_fn, acc_fn, P0, 4, steps=1, lr=0.0)
    with pytest.raises(ValueError, match="full_acc"):
        d90(loss_fn, acc_fn, P0, 0.0, d_grid=(4,), steps=1)
    with pytest.raises(ValueError, match="d_grid"):
        d90(loss_fn, acc_fn, P0, 0.9, d_grid=(), steps=1)
    with pytest.raises(ValueError, match="P0"):
        train_in_subspace(loss_fn, acc_fn, P0.reshape(2, -1), 4, steps=1)

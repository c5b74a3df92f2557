"""landscape_lib.nets.params.FlatModel: flat views, exact agreement with the module, torch.func transforms."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import grad, jvp, vmap

from landscape_lib.nets.models import build_model
from landscape_lib.nets.params import FlatModel


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    m = build_model("mlp", (1, 3, 3), 4, hidden=(5, 3), activation="tanh")
    X = torch.randn(12, 1, 3, 3, dtype=torch.float64)
    y = torch.randint(0, 4, (12,))
    return m, FlatModel(m, dtype=torch.float64), X, y


def test_flat_layout(tiny):
    m, f, X, y = tiny
    assert f.D == sum(p.numel() for p in m.parameters()) == 9 * 5 + 5 + 5 * 3 + 3 + 3 * 4 + 4
    th = f.theta0()
    assert torch.equal(th, torch.nn.utils.parameters_to_vector(m.parameters()).double())
    p = f.unflatten(th)
    assert list(p) == [n for n, _ in m.named_parameters()]
    assert all(p[n].shape == q.shape for n, q in m.named_parameters())
    assert torch.equal(f.flatten(p), th)
    th2 = f.theta0()
    th2[0] = 123.0
    assert f.theta0()[0] != 123.0  # theta0 returns a copy


def test_logits_and_loss_match_module(tiny):
    m, f, X, y = tiny
    md = copy.deepcopy(m).double()
    th = f.theta0()
    with torch.no_grad():
        assert torch.allclose(f.logits(th, X), md(X), atol=1e-12)
        assert torch.allclose(f.loss(th, X, y), F.cross_entropy(md(X), y), atol=1e-12)
        assert f.accuracy(th, X, y) == (md(X).argmax(1) == y).double().mean().item()
    assert f.logits(th, X.float()).dtype == torch.float64  # X is cast to theta's dtype


def test_never_mutates_caller(tiny):
    m, f, X, y = tiny
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    th = f.theta0() + 1.0
    g = grad(lambda t: f.loss(t, X, y))(th)
    assert g.shape == (f.D,)
    assert all(torch.equal(before[n], p) for n, p in m.named_parameters())
    assert all(p.grad is None for p in m.parameters())
    with torch.no_grad():
        next(m.parameters()).add_(5.0)
    assert torch.equal(f.theta0()[:3], before[next(iter(before))].reshape(-1)[:3].double())  # deep copy


def test_hvp_matches_dense_hessian(tiny):
    _, f, X, y = tiny
    th = f.theta0() + 0.1 * torch.randn(f.D, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    L = lambda t: f.loss(t, X, y)  # noqa: E731
    H = torch.autograd.functional.hessian(L, th)
    V = torch.randn(3, f.D, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    for v in V:
        hv = jvp(grad(L), (th,), (v,))[1]
        assert torch.allclose(hv, H @ v, atol=1e-12, rtol=1e-10)
    hvs = vmap(lambda v: jvp(grad(L), (th,), (v,))[1])(V)
    assert torch.allclose(hvs, V @ H, atol=1e-12, rtol=1e-10)
    assert torch.allclose(H, H.T, atol=1e-12)


def test_batched_matches_loop(tiny):
    _, f, X, y = tiny
    g = torch.Generator().manual_seed(3)
    ths = f.theta0() + 0.3 * torch.randn(4, f.D, dtype=torch.float64, generator=g)
    loop = torch.stack([f.loss(t, X, y) for t in ths])
    assert torch.allclose(f.batched_loss(ths, X, y), loop, atol=1e-12)
    assert torch.allclose(f.batched_loss(ths, X, y, chunk_size=3), loop, atol=1e-12)
    assert torch.allclose(f.batched_logits(ths, X)[2], f.logits(ths[2], X), atol=1e-12)
    Xk = torch.randn(4, 7, 1, 3, 3, dtype=torch.float64, generator=g)
    yk = torch.randint(0, 4, (4, 7), generator=g)
    per = f.batched_loss(ths, Xk, yk, per_member=True)
    assert torch.allclose(per, torch.stack([f.loss(ths[k], Xk[k], yk[k]) for k in range(4)]), atol=1e-12)
    gv = vmap(grad(lambda t: f.loss(t, X, y)))(ths)
    gl = torch.stack([grad(lambda s: f.loss(s, X, y))(t) for t in ths])
    assert torch.allclose(gv, gl, atol=1e-12)


def test_autograd_backward_through_theta(tiny):
    _, f, X, y = tiny
    th = f.theta0().requires_grad_(True)
    f.loss(th, X, y).backward()
    assert torch.allclose(th.grad, grad(lambda t: f.loss(t, X, y))(f.theta0()), atol=1e-14)


def test_bad_theta_shape(tiny):
    _, f, X, y = tiny
    with pytest.raises(ValueError, match=r"theta must have shape \(D,\)"):
        f.loss(torch.zeros(f.D + 1, dtype=torch.float64), X, y)
    with pytest.raises(ValueError, match=r"thetas must have shape \(K, D\)"):
        f.batched_loss(torch.zeros(f.D, dtype=torch.float64), X, y)
    with pytest.raises(ValueError, match="module must be a torch.nn.Module"):
        FlatModel("mlp")


def test_batch_norm_uses_batch_statistics():
    torch.manual_seed(0)
    m = build_model("mlp", (4,), 3, hidden=(6,), batch_norm=True)
    f = FlatModel(m, dtype=torch.float64)
    X = torch.randn(32, 4, dtype=torch.float64)
    y = torch.randint(0, 3, (32,))
    th = f.theta0()
    ref = copy.deepcopy(m).double().train()
    assert torch.allclose(f.logits(th, X), ref(X), atol=1e-12)  # train-mode BN = batch statistics
    assert torch.equal(m.net[1].running_mean, torch.zeros(6))  # caller's running stats untouched
    assert torch.equal(f.module.net[1].running_mean, torch.zeros(6))
    # exact population statistics from one pass
    st = f.bn_stats(th, X)
    pre = X @ m.net[0].weight.double().T + m.net[0].bias.double()
    assert torch.allclose(st["net.1.running_mean"].double(), pre.mean(0), atol=1e-6)
    assert torch.allclose(st["net.1.running_var"].double(), pre.var(0, unbiased=True), atol=1e-6)
    ev = f.eval_logits(th, X, st)
    assert torch.allclose(ev, f.logits(th, X), atol=0.05)  # unbiased vs biased variance only
    assert not torch.allclose(f.eval_logits(th, X), f.logits(th, X), atol=1e-3)  # default running stats (0, 1)
    ths = torch.stack([th, th + 0.1])
    assert torch.allclose(f.batched_loss(ths, X, y)[1], f.loss(th + 0.1, X, y), atol=1e-12)
    vmap(grad(lambda t: f.loss(t, X, y)))(ths)


def test_dropout_deterministic_unless_train():
    torch.manual_seed(0)
    m = build_model("mlp", (4,), 3, hidden=(50,), dropout=0.5)
    f = FlatModel(m)
    X, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    th = f.theta0()
    assert torch.equal(f.loss(th, X, y), f.loss(th, X, y))
    state = torch.get_rng_state()
    a = f.loss(th, X, y, train=True, seed=1)
    assert torch.equal(state, torch.get_rng_state())  # the caller's RNG is restored
    assert torch.equal(a, f.loss(th, X, y, train=True, seed=1))
    assert not torch.equal(a, f.loss(th, X, y, train=True, seed=2))
    assert not torch.equal(a, f.loss(th, X, y))
    bl = f.batched_loss(torch.stack([th, th]), X, y, train=True, seed=1)
    assert bl[0] != bl[1]  # each member draws its own masks


def test_to_module_roundtrip(tiny):
    _, f, X, y = tiny
    th = f.theta0() * 2
    mod = f.to_module(th)
    with torch.no_grad():
        assert torch.allclose(mod(X), f.logits(th, X), atol=1e-12)


@pytest.mark.parametrize("shape", [(7, 3), (2, 5, 10), (3, 2, 4, 6)])
def test_cross_entropy_is_torchs_at_any_batch_shape(shape):
    from landscape_lib.nets.params import cross_entropy

    g = torch.Generator().manual_seed(0)
    z = torch.randn(shape, dtype=torch.float64, generator=g) * 30  # large logits: logsumexp must stay stable
    y = torch.randint(0, shape[-1], shape[:-1], generator=g)
    ref = F.cross_entropy(z.reshape(-1, shape[-1]), y.reshape(-1), reduction="none").view(shape[:-1]).mean(-1)
    assert torch.allclose(cross_entropy(z, y), ref, rtol=1e-13, atol=1e-13)
    v = torch.randn(shape, dtype=torch.float64, generator=g)
    f = lambda t: cross_entropy(t, y).sum()  # noqa: E731
    g_ref = lambda t: F.cross_entropy(t.reshape(-1, shape[-1]), y.reshape(-1), reduction="none").view(  # noqa: E731
        shape[:-1]).mean(-1).sum()
    assert torch.allclose(jvp(grad(f), (z,), (v,))[1], jvp(grad(g_ref), (z,), (v,))[1], atol=1e-12)


def test_softmax_regression_batched_fast_path_equals_vmap():
    """The one-product path for SoftmaxRegression gives vmap's logits, losses and gradients (shared and
    per-member inputs); other models, and subclasses, keep vmap."""
    torch.manual_seed(0)
    m = build_model("softmax", (1, 3, 3), 4)
    f = FlatModel(m, dtype=torch.float64)
    slow = FlatModel(m, dtype=torch.float64)
    slow._affine = None
    assert f.batched_fast and not slow.batched_fast
    assert not FlatModel(build_model("mlp", (1, 3, 3), 4, hidden=(5,))).batched_fast
    th = (f.theta0() + 0.1 * torch.randn(5, f.D, dtype=torch.float64)).requires_grad_(True)
    X = torch.randn(7, 1, 3, 3, dtype=torch.float64)
    Xk = torch.randn(5, 7, 1, 3, 3, dtype=torch.float64)
    y, yk = torch.randint(0, 4, (7,)), torch.randint(0, 4, (5, 7))
    assert torch.allclose(f.batched_logits(th, X), slow.batched_logits(th, X), atol=1e-13)
    assert torch.allclose(f.batched_logits(th, Xk, per_member=True), slow.batched_logits(th, Xk, per_member=True),
                          atol=1e-13)
    g1 = torch.autograd.grad(f.batched_loss(th, X, y).sum(), th)[0]
    g2 = torch.autograd.grad(slow.batched_loss(th, X, y).sum(), th)[0]
    assert torch.allclose(g1, g2, atol=1e-13)
    assert torch.allclose(f.batched_loss(th, Xk, yk, per_member=True), slow.batched_loss(th, Xk, yk, per_member=True),
                          atol=1e-13)


@pytest.mark.parametrize("opts", [dict(hidden=(5, 3), activation="tanh"), dict(hidden=(4,), activation="relu"),
                                  dict(hidden=(4,), activation="tanh", dropout=0.3),
                                  dict(hidden=(5, 3), activation="tanh", batch_norm=True)],
                         ids=["tanh", "relu", "dropout", "batch-norm"])
def test_direct_path_is_functional_call_bit_for_bit(opts):
    """The library's MLP and SoftmaxRegression skip functional_call (``_direct_plan``): the same ops on the
    same views, so logits, gradients, HVPs and vmapped batches are *equal*, not close; batch norm and
    other modules (a CNN, a subclass) keep functional_call."""
    torch.manual_seed(0)
    for m in (build_model("mlp", (1, 3, 3), 4, **opts), build_model("softmax", (1, 3, 3), 4)):
        f, slow = FlatModel(m), FlatModel(m)
        slow._plan = None
        assert f._plan is not None
        th = f.theta0() + 0.1 * torch.randn(f.D)
        X, y = torch.randn(7, 1, 3, 3), torch.randint(0, 4, (7,))
        assert torch.equal(f.logits(th, X), slow.logits(th, X))
        assert torch.equal(grad(f.loss)(th, X, y), grad(slow.loss)(th, X, y))
        v = torch.randn(f.D)
        hv = lambda g: jvp(grad(lambda t: g.loss(t, X, y)), (th,), (v,))[1]  # noqa: E731
        assert torch.equal(hv(f), hv(slow))
        ths, Xk = th + 0.1 * torch.randn(3, f.D), torch.randn(3, 7, 1, 3, 3)
        same = lambda g: vmap(lambda t, x: g.logits(t, x), in_dims=(0, 0))(ths, Xk)  # noqa: E731
        assert torch.equal(same(f), same(slow))
    assert FlatModel(build_model("simple_cnn", (1, 3, 3), 4))._plan is None
    with pytest.raises(ValueError, match="theta must have shape"):
        f.logits(torch.zeros(3), X)


@pytest.mark.parametrize("hidden", [(5,), (5, 3)], ids=["one-bn", "two-bn"])
def test_direct_eval_and_recomputed_bn_are_functional_call_bit_for_bit(hidden):
    """Eval-mode logits (given running statistics) and the "recomputed" batch-norm definition (statistics
    re-estimated at each theta by one pass over the training data) along ``_direct_plan`` equal the
    ``functional_call`` + forward-hook path exactly: for one point, vmapped points, statistics on the
    evaluated data itself or on other data, and the interpolated and frozen definitions too."""
    from landscape_lib.nets.batchnorm import DEFINITIONS, bn_logits

    torch.manual_seed(0)
    m = build_model("mlp", (1, 3, 3), 4, hidden=hidden, batch_norm=True)
    f, slow = FlatModel(m), FlatModel(m)
    slow._plan = None
    th = f.theta0() + 0.1 * torch.randn(f.D)
    X, Xs = torch.randn(7, 1, 3, 3), torch.randn(9, 1, 3, 3)
    bufs = f.bn_stats(th, Xs)
    assert torch.equal(f.eval_logits(th, X, bufs), slow.eval_logits(th, X, bufs))
    assert torch.equal(f.eval_logits(th, X), slow.eval_logits(th, X))
    thetas = th + 0.1 * torch.randn(5, f.D)
    line = (thetas[0], thetas[0] + 2 * (thetas[1] - thetas[0]))
    on_line = line[0] + torch.linspace(-0.5, 1.5, 5).unsqueeze(1) * (line[1] - line[0])
    for definition in DEFINITIONS:
        pts = on_line if definition == "interpolated" else thetas
        kw = {"stats_X": Xs, "buffers": bufs, "line": line} if definition != "batch" else {}
        if definition != "frozen":
            kw.pop("buffers", None)
        for stats in (Xs, X):
            if "stats_X" in kw:
                kw["stats_X"] = stats
            a, b = bn_logits(f, pts, X, definition, chunk=2, **kw), bn_logits(slow, pts, X, definition, chunk=2, **kw)
            assert torch.equal(a, b), definition
    # and what the module's own running-statistic update (bn_stats: momentum=None, one pass) gives, to round-off
    assert torch.allclose(f.recomputed_logits(th, X, X), slow.eval_logits(th, X, slow.bn_stats(th, X)), atol=1e-6)


@pytest.mark.parametrize("opts", [dict(hidden=(5, 3), activation="tanh"), dict(hidden=(4,), activation="relu"),
                                  dict(hidden=(4,), activation="tanh", dropout=0.3)], ids=["tanh", "relu", "dropout"])
def test_member_plan_is_vmap_bit_for_bit(opts):
    """K members of the library's MLP run as one ``bmm`` per layer (``_member_logits``), not through vmap:
    logits (shared and per-member inputs, chunked), the gradient of the batched loss (what a tunnel's step
    takes) and, with ``member_grads=True``, each member's ``vmap(grad(loss + l2/2 |theta|^2))`` (what training
    takes) are *equal* to the vmap path's. Batch norm, and dropout in train mode, keep vmap."""
    torch.manual_seed(0)
    m = build_model("mlp", (1, 3, 3), 4, **opts)
    f, slow = FlatModel(m), FlatModel(m)
    slow._members = False
    assert f.member_grads_exact and not slow.member_grads_exact
    ths = f.theta0() + 0.1 * torch.randn(5, f.D)
    X, y = torch.randn(7, 1, 3, 3), torch.randint(0, 4, (7,))
    Xk, yk = torch.randn(5, 7, 1, 3, 3), torch.randint(0, 4, (5, 7))
    assert torch.equal(f.batched_logits(ths, X), slow.batched_logits(ths, X))
    assert torch.equal(f.batched_logits(ths, X, chunk_size=2), slow.batched_logits(ths, X))
    assert torch.equal(f.batched_logits(ths, Xk, per_member=True, chunk_size=2),
                       slow.batched_logits(ths, Xk, per_member=True))

    def dloss(g, **kw):
        t = ths.clone().requires_grad_(True)
        return torch.autograd.grad(g.batched_loss(t, **kw).sum(), t)[0]

    assert torch.equal(dloss(f, X=X, y=y), dloss(slow, X=X, y=y))
    l2 = 1e-3

    def objective(t, xb, yb):
        ce = slow.loss(t, xb, yb)
        return ce + 0.5 * l2 * t.pow(2).sum(), ce

    for shared in (True, False):
        ref = vmap(grad(objective, has_aux=True), in_dims=(0, None if shared else 0, None if shared else 0))(
            ths, X if shared else Xk, y if shared else yk)[0]
        t = ths.clone().requires_grad_(True)
        ce = f.batched_loss(t, X if shared else Xk, y if shared else yk, per_member=not shared, member_grads=True)
        assert torch.equal(torch.autograd.grad((ce + 0.5 * l2 * t.pow(2).sum(1)).sum(), t)[0], ref)
    assert not FlatModel(build_model("mlp", (1, 3, 3), 4, hidden=(4,), batch_norm=True)).member_grads_exact
    if f.has_dropout:
        a = f.batched_logits(ths[:1].expand(3, -1), X, train=True, seed=0)
        assert not torch.equal(a[0], a[1])  # per-member masks: vmap's randomness="different"


def test_batch_norm_logits_over_a_large_data_set_are_chunked_with_the_same_numbers(monkeypatch):
    """With data chunks of 4 examples and at most 8 member-examples per call, every BN definition of a SimpleCNN
    with batch norm gives the one-pass numbers (float64: equal to round-off), and the member chunk shrinks to one."""
    from landscape_lib.nets import batchnorm as bnm

    torch.manual_seed(0)
    m = build_model("simple_cnn", (1, 8, 8), 3, batch_norm=True, width=0.25)
    f = FlatModel(m, dtype=torch.float64)
    th = f.theta0() + 0.05 * torch.randn(f.D, dtype=torch.float64)
    X, Xs = torch.randn(11, 1, 8, 8), torch.randn(13, 1, 8, 8)
    thetas = th + 0.05 * torch.randn(3, f.D, dtype=torch.float64)
    line = (thetas[0], thetas[1])
    on_line = line[0] + torch.linspace(-0.5, 1.5, 3, dtype=torch.float64).unsqueeze(1) * (line[1] - line[0])
    cases = {"frozen": dict(ref_theta=th, stats_X=Xs), "recomputed": dict(stats_X=Xs),
             "interpolated": dict(line=line, stats_X=Xs), "batch": {}}
    whole = {d: bnm.bn_logits(f, on_line if d == "interpolated" else thetas, X, d, **kw) for d, kw in cases.items()}
    monkeypatch.setattr(bnm, "DATA_CHUNK", 4)
    monkeypatch.setattr(bnm, "EXAMPLES_PER_CALL", 8)
    assert bnm.member_chunk(16, 13) == 1 and bnm.member_chunk(16, 4) == 2
    for d, kw in cases.items():
        got = bnm.bn_logits(f, on_line if d == "interpolated" else thetas, X, d, **kw)
        assert got.shape == whole[d].shape == (3, 11, 3)
        assert torch.allclose(got, whole[d], rtol=1e-12, atol=1e-12), d

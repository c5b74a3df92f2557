"""The batched loss's two speed-ups against what they replace, side by side in one process.

1. ``params.cross_entropy`` (logsumexp - gather) vs ``torch.nn.functional.cross_entropy`` (log_softmax +
   nll_loss) on the logits of K members, forward + backward: on a CPU, log_softmax over a 10-wide last
   dimension is slow.
2. SoftmaxRegression's one-product batched logits (``FlatModel._affine_logits``) vs the generic vmap over
   ``functional_call`` (``torch.func``), forward + backward of the batched training loss.
3. The digits MLP's batched training loss (vmap; the path every tunnel step takes) before / after 1.
4. ``FlatModel``'s direct path for the library's MLP / SoftmaxRegression (the module's own ops on views into
   theta) vs ``torch.func.functional_call``, bit-identical numbers: a full-batch step at one theta (d90,
   re-descents), a minibatch step of 5 members (vmap(grad), SGD runs), and a Hessian-vector product.
5. The batch-norm MLP's loss at 43 points under the "recomputed" definition (statistics re-estimated at every
   point from the training data: the A-claims' profiles) and "frozen" (eval mode, given statistics): the
   forward-hook pass through ``functional_call`` vs ``FlatModel.recomputed_logits`` / the direct eval path,
   bit-identical (asserted).
6. The MLP's K members as one ``bmm`` per layer (``FlatModel._member_logits``) vs vmap over the single-theta
   forward, bit-identical (asserted): a tunnel's step (9 nodes, full batch, forward + backward), a training
   step's per-member gradients (12 members x 32, ``member_grads=True`` vs ``vmap(grad(...))``), and the loss
   at 43 points without gradient (probes, path evaluation).
7. The Fashion-MNIST SimpleCNN's K members (the full tier's ``cnn-fashion``, 28x28, D = 16,938): vmap over the
   single-theta forward vs a loop over the members (``FlatModel._loop_members``, a CPU), same numbers up to
   rounding (asserted): the loss at 8 points over 1,000 images without gradient, and a tunnel-like step (9
   nodes x 250 images, forward + backward). Skipped (with a line saying so) without the npm data file.

Interleaved repeats, one thread, medians (the machines are noisy); ratio = before / after (> 1: faster).

    python benchmarks/bench_losses.py [--quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from landscape_lib.protocols.lab import tier_spec_for  # noqa: E402
from landscape_lib.nets.params import cross_entropy  # noqa: E402
from landscape_lib.nets.problem import Problem  # noqa: E402


def torch_ce(logits, y):
    K, N, C = logits.shape
    return F.cross_entropy(logits.reshape(K * N, C), y.reshape(K * N), reduction="none").view(K, N).mean(1)


def timed(fns: dict, repeats: int, inner: int) -> dict:
    out = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                f()
            out[k].append((time.perf_counter() - t0) / inner * 1e3)
    return {k: statistics.median(v) for k, v in out.items()}


def step(loss, X):
    def run():
        X.grad = None
        loss(X).sum().backward()
    return run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few repeats (a smoke run for the tests)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    repeats, inner = (2, 2) if args.quick else (15, 10)
    spec = tier_spec_for("quick")
    print(f"bench_losses: torch={torch.__version__} threads=1 repeats={repeats}x{inner} (median ms per fwd+bwd)")
    print(f"{'what':<72} {'K':>3} {'before_ms':>10} {'after_ms':>9} {'ratio':>6}")
    rows = []
    for label, K in (("mlp-digits", 9), ("softmax-digits", 12)):
        prob = Problem.of(dataclasses.replace(spec.resolve(label), seed=0))
        flat, Xtr, y = prob.flat, prob.data.X_train, prob.data.y_train
        X = (flat.theta0().repeat(K, 1) + 0.01 * torch.randn(K, flat.D, generator=torch.Generator().manual_seed(0))
             ).requires_grad_(True)
        logits = flat.batched_logits(X.detach(), Xtr).clone().requires_grad_(True)
        yk = y.expand(K, -1)
        assert torch.allclose(cross_entropy(logits, yk), torch_ce(logits, yk), atol=1e-5)
        r = timed({"before": step(lambda L: torch_ce(L, yk), logits), "after": step(lambda L: cross_entropy(L, yk),
                                                                                     logits)}, repeats, inner)
        rows.append((f"cross-entropy of {label} logits", K, r))
        if flat.batched_fast:
            slow = Problem.of(dataclasses.replace(spec.resolve(label), seed=0))
            slow.flat._affine = None
            assert torch.allclose(prob.train_losses(X), slow.train_losses(X), atol=1e-5)
            r = timed({"before": step(slow.train_losses, X), "after": step(prob.train_losses, X)}, repeats, inner)
            rows.append((f"{label} batched loss: vmap vs one product", K, r))
        else:
            r = timed({"before": step(lambda P: torch_ce(flat.batched_logits(P, Xtr), yk), X),
                       "after": step(prob.train_losses, X)}, repeats, inner)
            rows.append((f"{label} batched loss, old vs new CE", K, r))
    from torch.func import grad, jvp, vmap

    for label in ("mlp-digits", "mlp-bn"):
        cfg = spec.resolve("mlp-digits")
        cfg = dataclasses.replace(cfg, seed=0, batch_norm=label == "mlp-bn")
        fast, slow = Problem.of(cfg), Problem.of(cfg)
        slow.flat._plan = None
        th = fast.flat.theta0().clone().requires_grad_(True)
        K, B = 5, 64
        ths = fast.flat.theta0().repeat(K, 1) + 0.01 * torch.randn(K, fast.D, generator=torch.Generator().manual_seed(1))
        Xb = fast.data.X_train[:K * B].reshape(K, B, *fast.data.X_train.shape[1:])
        yb = fast.data.y_train[:K * B].view(K, B)
        v = torch.randn(fast.D, generator=torch.Generator().manual_seed(2))

        def single(p):
            return step(lambda t: p.train_loss(t[0]).unsqueeze(0), th.unsqueeze(0).detach().requires_grad_(True))

        def mini(p):
            g = vmap(grad(lambda t, x, y: p.flat.loss(t, x, y)))
            return lambda: g(ths, Xb, yb)

        def hvp(p):
            return lambda: jvp(grad(p.train_loss), (th.detach(),), (v,))

        for what, make in (("full-batch step, one theta", single), (f"minibatch step, {K} x {B}", mini),
                           ("Hessian-vector product", hvp)):
            r = timed({"before": make(slow), "after": make(fast)}, repeats, inner)
            rows.append((f"{label} {what}: functional_call vs direct", 1, r))
    from landscape_lib.nets.batchnorm import bn_losses

    cfg = dataclasses.replace(spec.resolve("mlp-digits"), seed=0, batch_norm=True)
    fast, slow = Problem.of(cfg), Problem.of(cfg)
    slow.flat._plan = None
    Xtr, y = fast.data.X_train, fast.data.y_train
    pts = fast.flat.theta0() + 0.1 * torch.randn(43, fast.D, generator=torch.Generator().manual_seed(3))
    bufs = fast.flat.bn_stats(pts[0], Xtr)
    for definition, kw in (("recomputed", {"stats_X": Xtr}), ("frozen", {"buffers": bufs})):
        def losses(p, kw=kw, definition=definition):
            with torch.no_grad():
                return bn_losses(p.flat, pts, Xtr, y, definition, **kw)
        assert torch.equal(losses(fast), losses(slow))
        r = timed({"before": lambda: losses(slow), "after": lambda: losses(fast)}, repeats, max(1, inner // 5))
        rows.append((f"mlp-bn loss at 43 points, BN {definition}: functional_call vs direct", 43, r))
    cfg = dataclasses.replace(spec.resolve("mlp-digits"), seed=0)
    fast, slow = Problem.of(cfg), Problem.of(cfg)
    slow.flat._members = False
    Xtr, y = fast.data.X_train, fast.data.y_train
    gen = torch.Generator().manual_seed(4)
    nodes = fast.flat.theta0() + 0.01 * torch.randn(9, fast.D, generator=gen)
    K, B = 12, 32
    members = fast.flat.theta0() + 0.01 * torch.randn(K, fast.D, generator=gen)
    idx = torch.randint(0, len(y), (K, B), generator=gen)
    Xb, yb = Xtr[idx], y[idx]
    pts = fast.flat.theta0() + 0.1 * torch.randn(43, fast.D, generator=gen)

    def tunnel_step(p):
        t = nodes.clone().requires_grad_(True)
        return torch.autograd.grad(p.train_losses(t).sum(), t)[0]

    def member_grads(p):
        if p is slow:
            return vmap(grad(lambda t, x, yy: p.flat.loss(t, x, yy)))(members, Xb, yb)
        t = members.clone().requires_grad_(True)
        return torch.autograd.grad(p.flat.batched_loss(t, Xb, yb, per_member=True, member_grads=True).sum(), t)[0]

    def no_grad_losses(p):
        with torch.no_grad():
            return p.train_losses(pts, chunk=64)

    for what, fn, k in (("tunnel step, 9 nodes x full batch", tunnel_step, 9),
                        (f"training gradients, {K} members x {B}", member_grads, K),
                        ("loss at 43 points, no gradient", no_grad_losses, 43)):
        assert torch.equal(fn(fast), fn(slow)), what
        r = timed({"before": lambda fn=fn: fn(slow), "after": lambda fn=fn: fn(fast)}, repeats, inner)
        rows.append((f"mlp-digits {what}: vmap vs bmm per layer", k, r))
    rows += conv_rows(repeats, max(1, inner // 5))
    for what, K, r in rows:
        print(f"{what:<72} {K:>3} {r['before']:>10.2f} {r['after']:>9.2f} {r['before'] / r['after']:>6.2f}")
    return 0


def conv_rows(repeats: int, inner: int) -> list:
    """Section 7: the cnn-fashion SimpleCNN's members, vmap vs a loop (interleaved, same process)."""
    from landscape_lib.nets.data import DatasetUnavailable

    cfg = dataclasses.replace(tier_spec_for("full").configs["cnn-fashion"], seed=0)
    try:
        fast = Problem.of(cfg)
    except DatasetUnavailable as e:
        print(f"(section 7 skipped: {str(e).splitlines()[0][:100]})")
        return []
    slow = Problem.of(cfg)
    slow.flat._loop_members = False
    gen = torch.Generator().manual_seed(5)
    X, y = fast.data.X_train[:1000], fast.data.y_train[:1000]
    pts = fast.flat.theta0() + 0.01 * torch.randn(8, fast.D, generator=gen)
    nodes = fast.flat.theta0() + 0.01 * torch.randn(9, fast.D, generator=gen)

    def no_grad(p):
        with torch.no_grad():
            return p.flat.batched_loss(pts, X, y)

    def step_(p):
        t = nodes.clone().requires_grad_(True)
        return torch.autograd.grad(p.flat.batched_loss(t, X[:250], y[:250]).sum(), t)[0]

    out = []
    for what, fn, k in (("loss at 8 points over 1,000 images, no gradient", no_grad, 8),
                        ("tunnel-like step, 9 nodes x 250 images", step_, 9)):
        assert torch.allclose(fn(fast), fn(slow), rtol=1e-4, atol=1e-6), what
        r = timed({"before": lambda fn=fn: fn(slow), "after": lambda fn=fn: fn(fast)}, repeats, inner)
        out.append((f"cnn-fashion {what}: vmap vs a loop over members", k, r))
    return out


if __name__ == "__main__":
    sys.exit(main())

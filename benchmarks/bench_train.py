"""Batched (train_many, vmap over K stacked parameter vectors) vs sequential (K calls of train) training time.

Same process, same config, a fixed number of steps (target_loss=None) so both paths do the same work:

    python benchmarks/bench_train.py [--quick] [--steps N] [--model mlp|simple_cnn] [--threads T] [--device D]

ratio = sequential seconds / batched seconds (> 1: batching pays); ratio_looped is the same for
train_many(vectorize=False) (batched optimizer, per-member gradient loop). The library's MLP (no batch norm)
is batched as one ``bmm`` per layer with vmap's gradients bit for bit (``FlatModel.member_grads_exact``),
other models through vmap. On a CPU the full-batch step of a small network is compute-bound and the ratios
stay near 1 (vmap over convolutions is slower than the loop); minibatch steps are overhead-bound and batching
pays; on a GPU the step is launch-bound and the ratio should grow with K. vmap_s: train_many with vmap's
gradients for the MLP too (the path before the ``bmm`` per layer; the same optima, bit for bit); vmap/bat > 1:
the ``bmm`` path is faster.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from landscape_lib.nets.config import TrainConfig  # noqa: E402
from landscape_lib.nets.params import FlatModel  # noqa: E402
from landscape_lib.nets.problem import Problem  # noqa: E402
from landscape_lib.nets.training import train, train_many  # noqa: E402


@contextlib.contextmanager
def _vmap_only():
    """train_many's batched gradients through ``vmap(grad(...))`` (the path before the MLP's ``bmm`` per layer)."""
    saved = FlatModel.member_grads_exact
    FlatModel.member_grads_exact = property(lambda self: False)
    try:
        yield
    finally:
        FlatModel.member_grads_exact = saved


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few steps only (a smoke run for the tests)")
    ap.add_argument("--steps", type=int, default=None, help="training steps per optimum (default 300; quick 10)")
    ap.add_argument("--model", default="mlp", choices=["mlp", "simple_cnn", "softmax"])
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--ks", default="1,4,8", help="comma-separated K values")
    ap.add_argument("--batch-size", type=int, default=None, help="minibatch size (default: full batch)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    steps = args.steps if args.steps is not None else (10 if args.quick else 300)
    cfg = TrainConfig(model=args.model, dataset=args.dataset, max_steps=steps, target_loss=None,
                      device=args.device, log_every=max(steps, 1), batch_size=args.batch_size)
    train(dataclasses.replace(cfg, max_steps=2))  # warm-up: imports, data load, first-call overheads
    train_many(dataclasses.replace(cfg, max_steps=2), [0, 1])
    print(f"bench_train: model={args.model} dataset={args.dataset} steps={steps} threads={args.threads} "
          f"batch_size={args.batch_size or 'full'} device={args.device} torch={torch.__version__}")
    exact = Problem.of(cfg).flat.member_grads_exact
    print(f"{'K':>4} {'sequential_s':>13} {'batched_s':>10} {'ratio':>7} {'looped_s':>9} {'ratio_looped':>12} "
          f"{'seq_ms/step/opt':>16} {'bat_ms/step/opt':>16} {'vmap_s':>7} {'vmap/bat':>9}")
    for K in [int(k) for k in args.ks.split(",")]:
        seeds = list(range(K))
        t0 = time.perf_counter()
        for s in seeds:
            train(dataclasses.replace(cfg, seed=s))
        seq = time.perf_counter() - t0
        t0 = time.perf_counter()
        train_many(cfg, seeds)
        bat = time.perf_counter() - t0
        t0 = time.perf_counter()
        train_many(cfg, seeds, vectorize=False)
        loop = time.perf_counter() - t0
        vm = float("nan")
        if exact:
            t0 = time.perf_counter()
            with _vmap_only():
                train_many(cfg, seeds)
            vm = time.perf_counter() - t0
        per = 1e3 / (K * max(steps, 1))
        print(f"K={K:<2} {seq:13.3f} {bat:10.3f} {seq / bat:7.2f} {loop:9.3f} {seq / loop:12.2f} "
              f"{seq * per:16.3f} {bat * per:16.3f} {vm:7.3f} {vm / bat:9.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Batched probes (``probes.loss_along``: directions x distances as one flat batch) vs a Python loop over directions.

Same process, same model, same points: the digits MLP (D = 2,410) at its initialization, 64 random unit
directions x 8 distances (512 full-batch training losses):

    python benchmarks/bench_probes.py [--quick] [--repeats R] [--threads T] [--device D]

batched: ``loss_along(problem.train_losses, theta, U, a)`` (vmap over parameter vectors, chunks of
``--chunk`` points). loop: for each direction u, ``problem.train_losses(theta + a u)`` (its 8 distances in
one vmapped call), the loop the batched call replaces. point-loop (reported, not in the ratio): one
``train_loss`` call per point. One untimed warm-up each, then ``--repeats`` rounds interleaved
round-robin; ratio = median loop seconds / median batched seconds (> 1: batching pays).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from landscape_lib.geometry.probes import loss_along, random_unit_directions  # noqa: E402
from landscape_lib.nets.config import TrainConfig  # noqa: E402
from landscape_lib.nets.problem import Problem  # noqa: E402


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 directions x 4 distances, 1 repeat (a smoke run)")
    ap.add_argument("--dirs", type=int, default=64)
    ap.add_argument("--dists", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--chunk", type=int, default=128, help="points per batched loss call")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    n_dirs, n_dist, reps = (8, 4, 1) if args.quick else (args.dirs, args.dists, args.repeats)
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        prob = Problem.of(TrainConfig(model="mlp", dataset="digits", device=args.device))
        theta = prob.flat.theta0().to(prob.flat.device)
        U = random_unit_directions(n_dirs, prob.D, seed=0, dtype=theta.dtype, device=theta.device)
        a = torch.linspace(0.5, 4.0, n_dist, dtype=theta.dtype, device=theta.device)
        batched_fn = lambda T: prob.train_losses(T, chunk=args.chunk)  # noqa: E731

        def batched():
            return loss_along(batched_fn, theta, U, a, chunk=args.chunk)

        def loop():
            with torch.no_grad():
                return torch.stack([prob.train_losses(theta + a.unsqueeze(1) * U[i], chunk=n_dist)
                                    for i in range(n_dirs)])

        def point_loop():
            with torch.no_grad():
                return torch.tensor([[float(prob.train_loss(theta + aj * U[i])) for aj in a] for i in range(n_dirs)])

        def sync():
            if theta.device.type == "cuda":
                torch.cuda.synchronize()

        fns = {"batched": batched, "loop": loop, "point_loop": point_loop}
        out = {k: f() for k, f in fns.items()}  # warm-up, and the values to compare
        times = {k: [] for k in fns}
        for _ in range(reps):
            for k, f in fns.items():
                sync()
                t0 = time.perf_counter()
                f()
                sync()
                times[k].append(time.perf_counter() - t0)
        med = {k: statistics.median(v) for k, v in times.items()}
        diff = max(float((out["batched"] - out["loop"]).abs().max()),
                   float((out["batched"].cpu() - out["point_loop"].to(out["batched"].dtype)).abs().max()))
        row = {"D": prob.D, "n_dirs": n_dirs, "n_dist": n_dist, "repeats": reps, "batched_s": med["batched"],
               "loop_s": med["loop"], "point_loop_s": med["point_loop"], "ratio": med["loop"] / med["batched"],
               "ratio_point_loop": med["point_loop"] / med["batched"], "max_abs_diff": diff}
        print(f"bench_probes: mlp digits D={prob.D} {n_dirs} directions x {n_dist} distances, chunk={args.chunk}, "
              f"threads={args.threads}, device={args.device}, torch={torch.__version__}, {reps} interleaved repeats")
        print(f"  batched (loss_along)        median {med['batched'] * 1e3:9.1f} ms")
        print(f"  loop over directions        median {med['loop'] * 1e3:9.1f} ms   "
              f"ratio loop/batched = {row['ratio']:.2f}x")
        print(f"  loop over points            median {med['point_loop'] * 1e3:9.1f} ms   "
              f"ratio = {row['ratio_point_loop']:.2f}x")
        print(f"  max |batched - loop| = {diff:.2e}")
        return row
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main()

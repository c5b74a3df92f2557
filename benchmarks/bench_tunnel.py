"""Tunnel nodes optimized in one batched run vs one node after another (k = 8 segments), same process.

    python benchmarks/bench_tunnel.py [--quick] [--threads 1]

Both paths run the same projected Adam (``connectors.optimize_constrained``) for the same number of
steps from the same starting points; the sequential path calls it once per node. Prints seconds,
the ratio sequential / batched, and the max difference between the nodes the two paths find.
"""

from __future__ import annotations

import argparse
import time

import torch

from landscape_lib.geometry import connectors as cn


def _nodes_seq(loss_fn, X0, U, steps, lr):
    return torch.cat([cn.optimize_constrained(loss_fn, x.unsqueeze(0), U, steps, lr) for x in X0])


def bench(name, loss_fn, A, B, k=8, steps=300, lr=1e-2, repeats=3):
    u = ((B - A) / (B - A).norm()).unsqueeze(0)
    X0 = cn.linear_path(A, B, torch.linspace(0, 1, k + 1, dtype=A.dtype)[1:-1])
    cn.optimize_constrained(loss_fn, X0[:1], u, 5, lr)  # warm-up
    tb, ts = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        Xb = cn.optimize_constrained(loss_fn, X0, u, steps, lr)
        tb.append(time.perf_counter() - t)
        t = time.perf_counter()
        Xs = _nodes_seq(loss_fn, X0, u, steps, lr)
        ts.append(time.perf_counter() - t)
    tb, ts = sorted(tb)[len(tb) // 2], sorted(ts)[len(ts) // 2]
    diff = float((Xb - Xs).abs().max() / Xs.abs().max())
    return {"problem": name, "k": k, "steps": steps, "batched_s": tb, "sequential_s": ts, "speedup": ts / tb,
            "max_rel_diff": diff}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="toy only, 100 steps")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from landscape_lib.geometry.toy import WedgeLandscape, random_points

    land = WedgeLandscape(1000, 900)
    A, B = (land.descend(p, 1e-3) for p in random_points(1000, 2, seed=0))
    steps = 100 if args.quick else 300
    rows = [bench("toy D=1000 n=900", land.loss, A, B, steps=steps)]
    if not args.quick:
        from landscape_lib.protocols.lab import tier_spec_for
        from landscape_lib.nets.problem import Problem
        from landscape_lib.nets.training import train_many

        cfg = tier_spec_for("quick").configs["mlp-digits"]
        ops = train_many(cfg, [0, 1])
        prob = Problem.of(cfg)
        rows.append(bench("MLP 64-32-10 on digits (D=2410)", prob.train_losses, prob.theta(ops[0].theta),
                          prob.theta(ops[1].theta), steps=steps))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"{'problem':34} {'k':>3} {'steps':>5} {'batched s':>10} {'sequential s':>13} {'seq/batched':>11} {'max rel diff':>12}")
    for r in rows:
        print(f"{r['problem']:34} {r['k']:>3} {r['steps']:>5} {r['batched_s']:>10.3f} {r['sequential_s']:>13.3f} "
              f"{r['speedup']:>10.2f}x {r['max_rel_diff']:>12.2e}")
    return rows


if __name__ == "__main__":
    main()

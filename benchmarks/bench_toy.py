"""Toy loss: topk selection (landscape_lib) vs the paper's full-sort formula, same process.

    python benchmarks/bench_toy.py [--quick]

Prints seconds per evaluation (best of 5) and the ratio full-sort / topk for D = 1e5, 1e6, 1e7 (n = 0.9 D).
"""

from __future__ import annotations

import argparse
import time

import torch

from landscape_lib.geometry.toy import WedgeLandscape


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run(sizes, repeats: int = 5) -> list[dict]:
    rows = []
    for D in sizes:
        land = WedgeLandscape(D, int(0.9 * D))
        P = torch.randn(D, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        a, b = land.loss(P), land.full_sort_loss(P)
        assert torch.allclose(a, b, rtol=1e-12), (a, b)
        t_topk = best_of(lambda: land.loss(P), repeats)
        t_sort = best_of(lambda: land.full_sort_loss(P), repeats)
        rows.append({"D": D, "topk_s": t_topk, "sort_s": t_sort, "speedup": t_sort / t_topk})
    return rows


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="D = 1e4, 1e5 only")
    args = ap.parse_args(argv)
    sizes = [10**4, 10**5] if args.quick else [10**5, 10**6, 10**7]
    rows = run(sizes)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"{'D':>10} {'topk (s)':>12} {'full sort (s)':>14} {'sort/topk':>10}")
    for r in rows:
        print(f"{r['D']:>10} {r['topk_s']:>12.5f} {r['sort_s']:>14.5f} {r['speedup']:>9.2f}x")
    return rows


if __name__ == "__main__":
    main()

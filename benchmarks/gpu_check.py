"""A lent GPU turned into numbers in minutes (``make gpu-check``): the GPU against this machine's CPU path, as ratios.

1. environment: torch, the GPU, and the numerical policy in force (``numerics.gpu``: TF32 off, deterministic cuDNN);
2. K optima trained batched (``train_many``, one vmapped run) against K sequential runs, on the GPU: the ratio,
   and the largest parameter difference between the two (they are the same networks up to rounding);
3. curvature: the top-20 Hessian eigenvalues of the SimpleCNN (the curvature benchmark's CNN row) on the GPU and
   on the CPU: seconds of each, the ratio, and the largest relative difference of the eigenvalues;
4. a CPU-built and a GPU-built sample of the same claim cases (``--claims``, a ``-k`` expression; default a few
   seconds' worth): each case's verdict and metrics on both, the largest relative difference per case, against
   the declared tolerance ``TOLERANCE``.

Works with whatever torch the machine has, and with the data that travels with the working tree (scikit-learn's
digits). ``--cpu`` runs it all on the CPU (a smoke test of the script). Results go to ``--out`` (JSON and text).

    python benchmarks/gpu_check.py [--out DIR] [--cpu] [--claims EXPR] [--k K] [--steps N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from landscape_lib import numerics  # noqa: E402

TOLERANCE = 1e-3  # relative: a GPU-built measurement agrees with the CPU-built one to this


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


def batched_vs_sequential(device: str, k: int, steps: int) -> dict:
    from landscape_lib.nets.training import train, train_many
    from landscape_lib.protocols.lab import tier_spec_for

    cfg = dataclasses.replace(tier_spec_for("quick").configs["mlp-digits"], device=device, target_loss=None,
                              max_steps=steps, log_every=steps)
    seeds = list(range(k))
    train_many(cfg, seeds[:1])
    t0 = time.perf_counter()
    many = train_many(cfg, seeds)
    t_many = time.perf_counter() - t0
    t0 = time.perf_counter()
    one = [train(dataclasses.replace(cfg, seed=s)) for s in seeds]
    t_one = time.perf_counter() - t0
    diff = max(float((a.theta - b.theta).abs().max()) for a, b in zip(many, one))
    return {"k": k, "steps": steps, "batched_s": t_many, "sequential_s": t_one, "ratio": t_one / t_many,
            "max_abs_param_diff": diff}


def curvature(device: str) -> dict:
    from landscape_lib.geometry.lanczos import top_eigenvalues
    from landscape_lib.nets.config import TrainConfig
    from landscape_lib.nets.problem import Problem

    out = {}
    for dev in dict.fromkeys(["cpu", device]):
        cfg = TrainConfig(model="simple_cnn", dataset="digits", device=dev)
        prob = Problem.of(cfg)
        th = prob.flat.theta0()
        top_eigenvalues(prob.train_loss, th, 2)
        t0 = time.perf_counter()
        ev = top_eigenvalues(prob.train_loss, th, 20).cpu()
        out[dev] = {"seconds": time.perf_counter() - t0, "eigenvalues": ev.tolist()}
    if device != "cpu":
        a, b = out["cpu"]["eigenvalues"], out[device]["eigenvalues"]
        out["ratio_cpu_over_gpu"] = out["cpu"]["seconds"] / out[device]["seconds"]
        out["max_rel_diff"] = max(_rel(x, y) for x, y in zip(a, b))
    return out


def claims_on(device: str, select: str, cache_dir: Path) -> dict:
    from landscape_lib.run import check_claims

    t0 = time.perf_counter()
    led = check_claims(tier="quick", device=device, select=select, cache_dir=cache_dir)
    return {"seconds": time.perf_counter() - t0,
            "rows": {r["id"]: {"verdict": str(r["verdict"]), "measured": r["measured"]} for r in led.rows}}


def compare(cpu: dict, gpu: dict) -> dict:
    out = {}
    for cid, a in cpu["rows"].items():
        b = gpu["rows"].get(cid)
        if b is None:
            continue
        diffs = []
        for k, v in a["measured"].items():
            w = b["measured"].get(k)
            vs = v if isinstance(v, list) else [v]
            ws = w if isinstance(w, list) else [w]
            for x, y in zip(vs, ws):
                if isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(x) and math.isfinite(y):
                    diffs.append(_rel(float(x), float(y)))
        worst = max(diffs, default=0.0)
        out[cid] = {"cpu": a["verdict"], "gpu": b["verdict"], "max_rel_diff": worst,
                    "within_tolerance": worst <= TOLERANCE and a["verdict"] == b["verdict"]}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="reports/gpu-check", help="folder for gpu-check.json and gpu-check.txt")
    ap.add_argument("--cpu", action="store_true", help="run everything on the CPU (a smoke test of the script)")
    ap.add_argument("--claims", default="C4 and mlp-digits or C13 and mlp-digits or C12 and mlp-digits",
                    help="-k expression of the quick-tier cases built on both devices")
    ap.add_argument("--k", type=int, default=8, help="optima trained batched vs sequentially")
    ap.add_argument("--steps", type=int, default=300, help="training steps per optimum in part 2")
    a = ap.parse_args(argv)
    if not a.cpu and not torch.cuda.is_available():
        print("gpu_check: no CUDA device (torch.cuda.is_available() is False); --cpu runs the script on the CPU",
              file=sys.stderr)
        return 2
    device = "cpu" if a.cpu else "cuda"
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    kind = numerics.gpu(device)
    res = {"torch": torch.__version__, "device": device, "device_kind": kind,
           "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
           "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "tf32_cudnn": torch.backends.cudnn.allow_tf32,
           "numerics": numerics.describe()}
    print(json.dumps(res), flush=True)
    res["batched_vs_sequential"] = batched_vs_sequential(device, a.k, a.steps)
    print("batched vs sequential:", json.dumps(res["batched_vs_sequential"]), flush=True)
    res["curvature"] = curvature(device)
    print("curvature:", json.dumps({k: v for k, v in res["curvature"].items() if k != "cpu" and k != device}),
          flush=True)
    cpu = claims_on("cpu", a.claims, out / "cache-cpu")
    gpu = claims_on(device, a.claims, out / f"cache-{device}")
    res["claims"] = {"cpu_s": cpu["seconds"], "device_s": gpu["seconds"], "cases": compare(cpu, gpu),
                     "tolerance": TOLERANCE}
    lines = [f"{cid}: cpu {c['cpu']}, {device} {c['gpu']}, max rel diff {c['max_rel_diff']:.2e}"
             f"{'' if c['within_tolerance'] else '  ** OUTSIDE TOLERANCE **'}" for cid, c in res["claims"]["cases"].items()]
    print("\n".join(lines), flush=True)
    (out / "gpu-check.json").write_text(json.dumps(res, indent=1, default=str))
    (out / "gpu-check.txt").write_text("\n".join([json.dumps({k: v for k, v in res.items() if k != "claims"},
                                                             default=str)] + lines) + "\n")
    return 0 if all(c["within_tolerance"] for c in res["claims"]["cases"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())

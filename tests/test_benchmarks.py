"""The benchmarks run and their paths agree (no timing is asserted: the machines are noisy)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_toy_quick_agrees_with_full_sort():
    rows = _load("bench_toy").main(["--quick"])
    assert [r["D"] for r in rows] == [10**4, 10**5] and all(r["topk_s"] > 0 for r in rows)


def test_bench_tunnel_quick_batched_equals_sequential():
    rows = _load("bench_tunnel").main(["--quick"])
    assert rows[0]["max_rel_diff"] < 1e-9


def test_bench_losses_quick_runs_and_paths_agree():
    assert _load("bench_losses").main(["--quick"]) == 0  # asserts the old and new paths agree inside


def test_gpu_check_runs_on_the_cpu(tmp_path):
    mod = _load("gpu_check")
    assert mod.main(["--cpu", "--out", str(tmp_path), "--k", "2", "--steps", "10", "--claims", "C1 and toy"]) == 0
    import json

    res = json.loads((tmp_path / "gpu-check.json").read_text())
    assert res["device_kind"] == "cpu" and res["batched_vs_sequential"]["max_abs_param_diff"] < 1e-4
    assert res["claims"]["cases"] and all(c["within_tolerance"] for c in res["claims"]["cases"].values())

"""The suite's command line: bad options fail clearly; a user's own model and data run the claims, and
the CI-regression workflow (--baseline-update, rerun, edit, stale) guards them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SELECT = "(C4 and line and not chance and not control) or (C13 and optima) or baselines_match"
OWN = ["--model", "tests.factories:relu_mlp", "--dataset", "tests.factories:blobs"]
LABEL = "tests.factories.relu_mlp-tests.factories.blobs"


def _pytest(*args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANDSCAPE_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--reports-dir", str(tmp_path),
                           "--alluredir", str(tmp_path / "allure"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


def test_unknown_tier_and_device_are_usage_errors(tmp_path):
    out = _pytest("--tier", "huge", "--collect-only", "-q", "claims", tmp_path=tmp_path)
    assert out.returncode == 4 and "tier must be one of ['quick', 'full', 'paper'], got 'huge'" in out.stderr
    out = _pytest("--device", "tpu", "--collect-only", "-q", "claims", tmp_path=tmp_path)
    assert out.returncode == 4 and "--device must be one of auto, cpu, cuda" in out.stderr


def test_own_model_baseline_update_then_guard(tmp_path):
    """The README's three commands: run, --baseline-update, commit; then CI guards the baseline: an
    edited verdict, a band the metric leaves, and a stale entry each turn the rerun red, naming it."""
    base = tmp_path / "baselines"
    common = ["claims", "-q", "-k", SELECT, *OWN, "--cache-dir", str(tmp_path / "cache"), "--baseline-dir", str(base)]
    out = _pytest(*common, "--baseline-update", tmp_path=tmp_path)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    path = base / f"quick-{LABEL}.json"
    line, optima = f"C4/{LABEL}/line", f"C13/{LABEL}/optima"
    assert f"added {line}" in out.stdout and path.exists(), out.stdout[-3000:]
    original = json.loads(path.read_text())
    assert set(original["cases"]) == {line, optima}

    out = _pytest(*common, tmp_path=tmp_path)
    assert out.returncode == 0, out.stdout[-4000:]

    edited = json.loads(path.read_text())
    v = edited["cases"][line]["verdict"]
    edited["cases"][line]["verdict"] = "refuted" if v != "refuted" else "holds"
    path.write_text(json.dumps(edited))
    out = _pytest(*common, tmp_path=tmp_path)
    assert out.returncode == 1
    assert f"REGRESSION: verdict {v}, expected {edited['cases'][line]['verdict']} ({path})" in out.stdout, \
        out.stdout[-4000:]

    edited = json.loads(json.dumps(original))
    edited["cases"][optima]["metrics"]["max_abs_cos"] = [100.0, 101.0]
    path.write_text(json.dumps(edited))
    out = _pytest(*common, tmp_path=tmp_path)
    assert out.returncode == 1 and "max_abs_cos = " in out.stdout and "outside its band [100, 101]" in out.stdout, \
        out.stdout[-4000:]

    edited = json.loads(json.dumps(original))
    edited["cases"][f"C4/{LABEL}/no-such-case"] = {"verdict": "holds", "metrics": {}}
    path.write_text(json.dumps(edited))
    out = _pytest(*common, tmp_path=tmp_path)
    assert out.returncode == 1 and f"{path}: C4/{LABEL}/no-such-case" in out.stdout, out.stdout[-4000:]


def test_a_factory_that_returns_no_module_is_a_clear_error(tmp_path):
    out = _pytest("claims", "-q", "-k", "C13 and optima", "--model", "tests.factories:not_a_module",
                  "--cache-dir", str(tmp_path / "cache"), tmp_path=tmp_path)
    assert out.returncode == 1
    assert "nn.Module" in out.stdout, out.stdout[-3000:]

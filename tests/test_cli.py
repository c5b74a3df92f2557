"""The suite's command line: bad options fail clearly; a user's own model and data run the claims."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pytest(*args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANDSCAPE_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--reports-dir", str(tmp_path),
                           "--alluredir", str(tmp_path / "allure"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_unknown_tier_and_device_are_usage_errors(tmp_path):
    out = _pytest("--tier", "huge", "--collect-only", "-q", "claims", tmp_path=tmp_path)
    assert out.returncode == 4 and "tier must be one of ['quick', 'full', 'paper'], got 'huge'" in out.stderr
    out = _pytest("--device", "tpu", "--collect-only", "-q", "claims", tmp_path=tmp_path)
    assert out.returncode == 4 and "--device must be one of auto, cpu, cuda" in out.stderr


def test_bring_your_own_model_and_data(tmp_path):
    out = _pytest("claims/test_c13_optima_orthogonal.py", "-q", "-k", "test_C13_optima_orthogonal",
                  "--model", "tests.factories:tiny_mlp", "--dataset", "tests.factories:blobs",
                  "--cache-dir", str(tmp_path / "cache"), tmp_path=tmp_path)
    assert "tests.factories:tiny_mlp-tests.factories:blobs" in out.stdout, out.stdout + out.stderr
    assert out.returncode in (0, 1), out.stdout + out.stderr
    assert "C13" in (tmp_path / "claims.md").read_text()


def test_a_factory_that_returns_no_module_is_a_clear_error(tmp_path):
    out = _pytest("claims/test_c13_optima_orthogonal.py", "-q", "-k", "test_C13_optima_orthogonal",
                  "--model", "tests.factories:not_a_module", "--cache-dir", str(tmp_path / "cache"), tmp_path=tmp_path)
    assert out.returncode == 1
    assert "nn.Module" in out.stdout, out.stdout[-3000:]

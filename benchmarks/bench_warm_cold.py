"""Cold vs warm wall time of the quick tier's claims, side by side in one run.

Runs ``pytest claims --tier quick -n 2`` twice against one fresh, empty measurement cache: the first run
(cold) trains every optimum and measures every tunnel, count profile, d90 sweep and connector; the second
(warm) finds them all in the cache. Goal: warm <= 1/5 of cold. Usage:

    .venv/bin/python benchmarks/bench_warm_cold.py [extra pytest args, e.g. -k C4]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(cache: Path, reports: Path, extra: list[str]) -> tuple[float, int, str]:
    cmd = [sys.executable, "-m", "pytest", "claims", "--tier", "quick", "-n", "2", "-q", "-p", "no:cacheprovider",
           "--cache-dir", str(cache), "--reports-dir", str(reports), "--alluredir", str(reports / "allure"), *extra]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    tail = [line for line in out.stdout.splitlines() if " passed" in line or " failed" in line]
    return time.perf_counter() - t0, out.returncode, tail[-1] if tail else out.stdout[-300:]


def main(extra: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="landscape-bench-") as tmp:
        cache, reports = Path(tmp) / "cache", Path(tmp) / "reports"
        cold, rc1, s1 = run(cache, reports, extra)
        warm, rc2, s2 = run(cache, reports, extra)
    print(f"cold: {cold:7.1f} s  ({s1.strip()})")
    print(f"warm: {warm:7.1f} s  ({s2.strip()})")
    print(f"warm / cold = {warm / cold:.3f}  (goal <= 0.2)  -> cold is {cold / warm:.1f}x the warm run")
    return 0 if rc1 == rc2 == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The mutation test: each mutant of ``tests/mutants.py`` (a no-op tunnel optimizer, a metric stuck at 0, a protocol
that is never measurable, labels shuffled before training, Hessian-vector products that return zeros) breaks the
measurement of the cases it declares, and every one of those cases must turn red against the shipped baselines.

Each mutant runs in a subprocess on an empty throwaway cache (the cache keys on code, not on a runtime patch) and on
its declared cases only, so that the whole test stays a few minutes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# mutant -> the cases whose measurement it breaks (each must fail against its baseline)
BREAKS = {
    "noop-tunnel-optimizer": ("C5/toy/nodes10-D100", "C6/toy/nodes10-D100"),
    "metric-stuck-at-zero": ("C11/toy/D1000", "C11/toy/D10000"),
    "always-not-measurable": ("C1/toy/aligned", "C4/toy/line-D100", "C17/toy/control-n0", "C4/toy/positive-line-D100"),
    "labels-shuffled": ("C13/mlp-digits/optima",),
    "zero-hvp": ("C15/softmax-digits/control-softmax", "C8/toy/positive-planted-intersection",
                 "C3/toy/positive-planted-quadratic"),
}
POSITIVE_BROKEN = ("C4/toy/positive-line-D100", "C8/toy/positive-planted-intersection")


@pytest.mark.slow
@pytest.mark.parametrize("mutant", sorted(BREAKS))
def test_each_mutant_turns_every_case_it_breaks_red(mutant, tmp_path):
    ids = BREAKS[mutant]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANDSCAPE_MUTANT": mutant, "LANDSCAPE_THREADS": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.mutants",
           *[f"claims/test_claims.py::test_case[{i}]" for i in ids], "--cache-dir", str(tmp_path / "cache"),
           "--reports-dir", str(tmp_path / "reports"), "--alluredir", str(tmp_path / "allure")]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    failed = set(re.findall(r"FAILED claims/test_claims.py::test_case\[([^\]]+)\]", out.stdout))
    survived = [i for i in ids if i not in failed]
    assert not survived, (f"mutant {mutant!r} left these cases green (the measurement cannot see the break): "
                          f"{survived}\n" + out.stdout[-3000:])


def test_every_mutant_declares_the_cases_it_breaks():
    from tests.mutants import MUTANTS

    assert set(BREAKS) == set(MUTANTS) and all(BREAKS.values())
    assert set(POSITIVE_BROKEN) <= {i for ids in BREAKS.values() for i in ids}, "a mutant must break a positive control"

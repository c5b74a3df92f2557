"""Every verdict change in a shipped baseline is logged: in this repository's history, each commit that changes a
case's verdict in ``claims/baselines/`` must come with claims/RULES.md lines (added since the previous commit that
touched the baselines) naming that case by its id. Commits before this check was introduced are exempt."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from landscape_lib.verdicts.baselines import verdict_changes

ROOT = Path(__file__).resolve().parents[1]
THIS = "tests/test_rules_log.py"


def _git(*args) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def _show(commit: str, path: str):
    try:
        return json.loads(_git("show", f"{commit}:{path}"))
    except (subprocess.CalledProcessError, json.JSONDecodeError):
        return None


def unlogged_verdict_changes() -> list[str]:
    """'<commit>: <case id> a -> b' for every verdict change since the cutoff without a RULES.md line naming it."""
    first = _git("log", "--diff-filter=A", "--format=%H", "--", THIS).split()
    if not first:
        return []
    cutoff = first[-1]
    commits = _git("rev-list", "--reverse", f"{cutoff}^..HEAD", "--", "claims/baselines").split()
    out = []
    previous = cutoff + "^"
    for c in commits:
        files = [f for f in _git("diff", "--name-only", f"{c}^", c, "--", "claims/baselines").split() if f.endswith(".json")]
        added = "\n".join(line[1:] for line in _git("diff", previous, c, "--", "claims/RULES.md").splitlines()
                          if line.startswith("+") and not line.startswith("+++"))
        for f in files:
            for cid, a, b in verdict_changes(_show(f"{c}^", f), _show(c, f)):
                if cid not in added:
                    out.append(f"{c[:10]}: {cid} {a} -> {b}")
        previous = c
    return out


def test_every_verdict_change_in_a_baseline_is_logged_in_rules_md():
    try:
        _git("rev-parse", "HEAD")
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("not a git checkout: no history to read")
    if _git("rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("a shallow clone: the history this check reads is not there")
    missing = unlogged_verdict_changes()
    assert not missing, ("baseline verdicts changed in these commits without a claims/RULES.md entry naming the case "
                         "(log: date, before -> after, why, results seen):\n" + "\n".join(missing))


def test_verdict_changes_lists_cases_whose_verdict_moved():
    old = {"cases": {"C1/toy/a": {"verdict": "holds"}, "C1/toy/b": {"verdict": "refuted"}}}
    new = {"cases": {"C1/toy/a": {"verdict": "inconclusive"}, "C1/toy/b": {"verdict": "refuted"},
                     "C1/toy/c": {"verdict": "holds"}}}
    assert verdict_changes(old, new) == [("C1/toy/a", "holds", "inconclusive")]
    assert verdict_changes(None, new) == []

"""Baselines: the expected outcome of every case, per tier and configuration, kept apart from the claims.

One JSON file per tier x configuration (``<dir>/<tier>-<configuration>.json``)::

    {"tier": "quick", "configuration": "mlp-digits", "rel_tol": 0.2,
     "cases": {"C8/mlp-digits/budget": {"verdict": "refuted", "metrics": {"mid_excess": [-27.0, -19.5]}}, ...}}

Entries are keyed by the case id (``types.case_id``), the spelling the terminal, the ledger and Allure use.

A case *regresses* when its verdict differs from the expected one, or a decided metric leaves its band.
The band of a metric is value +/- max(seed-to-seed spread, REL_TOL x |value|, ABS_TOL), where the spread is
the standard deviation of the per-sample values. With no baseline entry for a case (a configuration of
your own), the default expectation applies: a claim case must hold and a control must not.
``update`` rewrites the entries of the cases that ran and reports what changed (in the manner of
syrupy's ``--snapshot-update``); ``stale`` lists entries that match no declared case.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from dataclasses import dataclass
from pathlib import Path

from ..types import Role, Verdict

REL_TOL = 0.2
# the floor of a band: a decided metric below ~1e-6 is float32 round-off (eps 1.2e-7), e.g. a barrier of 1e-9
ABS_TOL = 1e-6
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "claims" / "baselines"


def path_for(directory, tier: str, label: str) -> Path:
    return Path(directory) / f"{tier}-{label}.json"


def load(directory, tier: str, label: str) -> dict | None:
    p = path_for(directory, tier, label)
    if not p.exists():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"baseline {p} is not valid JSON: {e}") from None
    if not isinstance(data.get("cases"), dict):
        raise ValueError(f"baseline {p} has no 'cases' object")
    return data


def band(value: float, values=()) -> list[float]:
    """[lo, hi] around ``value``: the larger of the samples' spread, REL_TOL x |value| and ABS_TOL."""
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    half = max(spread, REL_TOL * abs(value), ABS_TOL)
    return [value - half, value + half]


@dataclass(frozen=True)
class Expectation:
    verdict: str
    metrics: dict
    source: str  # the baseline file, or "default"


def expectation(baseline: dict | None, key: str, role: Role, source: str) -> Expectation:
    """What the baseline expects of case ``key``; without an entry, a control is expected refuted and any
    other case to hold."""
    entry = (baseline or {}).get("cases", {}).get(key)
    if entry is None:
        return Expectation(Verdict.REFUTED if role == Role.CONTROL else Verdict.HOLDS, {}, "default (no baseline entry)")
    return Expectation(entry["verdict"], entry.get("metrics", {}), source)


def regressions(exp: Expectation, verdict: str, decided: list[dict]) -> list[str]:
    """What differs from the expectation: the verdict, or a decided metric outside its band.
    With the default expectation a control passes unless it holds (refuted or inconclusive are fine)."""
    out = []
    if exp.source.startswith("default"):
        if verdict == "error":
            out.append("the measurement errored")
        elif exp.verdict == "holds" and verdict != "holds":
            out.append(f"verdict {verdict}, expected holds (no baseline entry)")
        elif exp.verdict == "refuted" and verdict == "holds":
            out.append("the control holds: the measurement does not discriminate (no baseline entry)")
        return out
    if verdict != exp.verdict:
        out.append(f"verdict {verdict}, expected {exp.verdict} ({exp.source})")
    for d in decided:
        b = exp.metrics.get(d["metric"])
        v = d.get("value")
        if b is None or v is None:
            continue
        if not (isinstance(v, (int, float)) and math.isfinite(v) and b[0] <= v <= b[1]):
            out.append(f"{d['metric']} = {v:.6g} outside its band [{b[0]:.6g}, {b[1]:.6g}] ({exp.source})")
    return out


def entry_for(row: dict) -> dict:
    metrics = {d["metric"]: band(d["value"], d.get("values", ())) for d in row["decided"]
               if isinstance(d.get("value"), (int, float)) and math.isfinite(d["value"])}
    return {"verdict": row["verdict"], "metrics": metrics}


def update(directory, tier: str, rows: list[dict], declared: dict[str, set]) -> list[str]:
    """Rewrite the baselines of the configurations in ``rows`` (ledger rows of this run); keep entries
    of declared cases that did not run; drop entries that match no declared case. ``declared`` maps a
    configuration label to the set of its declared case ids. Returns a line per change."""
    changes = []
    by_label: dict[str, list[dict]] = {}
    for r in rows:
        by_label.setdefault(r["configuration"], []).append(r)
    for label, rs in sorted(by_label.items()):
        p = path_for(directory, tier, label)
        old = load(directory, tier, label) or {"cases": {}}
        cases = {k: v for k, v in old["cases"].items() if k in declared.get(label, set())}
        for k in sorted(set(old["cases"]) - set(cases)):
            changes.append(f"{p.name}: removed stale {k}")
        for r in sorted(rs, key=lambda r: r["id"]):
            if r["verdict"] == Verdict.ERROR:
                changes.append(f"{p.name}: {r['id']} errored; its entry is left as it was")
                continue
            new = entry_for(r)
            prev = cases.get(r["id"])
            if prev is None:
                changes.append(f"{p.name}: added {r['id']} ({new['verdict']})")
            elif prev.get("verdict") != new["verdict"]:
                changes.append(f"{p.name}: {r['id']} verdict {prev.get('verdict')} -> {new['verdict']}")
            else:
                moved = [m for m, b in new["metrics"].items() if prev.get("metrics", {}).get(m) != b]
                if moved:
                    changes.append(f"{p.name}: {r['id']} bands moved: {', '.join(moved)}")
            cases[r["id"]] = new
        data = {"tier": tier, "configuration": label, "rel_tol": REL_TOL,
                "band": f"value +/- max(sample std, rel_tol x |value|, {ABS_TOL:g})", "cases": dict(sorted(cases.items()))}
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        os.replace(tmp, p)
    return changes


def stale(directory, tier: str, declared: dict[str, set]) -> list[str]:
    """Entries of this tier's baselines (for the configurations in ``declared``) that match no case."""
    out = []
    for label, keys in sorted(declared.items()):
        data = load(directory, tier, label)
        if data is None:
            continue
        for k in sorted(set(data["cases"]) - keys):
            out.append(f"{path_for(directory, tier, label)}: {k}")
    return out

"""Baselines: the expected outcome of every case, per tier and configuration, kept apart from the claims.

One JSON file per tier x configuration (``<dir>/<tier>-<configuration>.json``)::

    {"tier": "quick", "configuration": "mlp-digits", "rel_tol": 0.2,
     "cases": {"C8/mlp-digits/budget": {"verdict": "refuted", "metrics": {"mid_excess_over_noise": [-31.1, -22.3]},
                                        "diagnostics": {"mid_loss": [...]}, "measurable": [6, 6]}, ...}}

Entries are keyed by the case id (``types.case_id``), the spelling the terminal, the ledger and Allure use.

What a baseline guards is the measurement, not round-off: a case *regresses* when

* its verdict differs from the expected one;
* a decided statistic leaves its band, value +/- max(3 SE, REL_TOL x |value|, the check's noise floor), SE the
  standard error of the decided statistic (s / sqrt(n) of the per-sample values; a protocol's own interval's
  half-width / 1.96);
* a diagnostic the verdict rests on (``Claim.diagnostics``: node losses, distances travelled, the loss bottom's
  position, disagreement counts, ...) leaves its band, the same rule on its per-sample values;
* fewer or more of its samples are measurable than when it was recorded (``measurable``: [k, n]).

With no baseline entry for a case (a configuration of your own), the default expectation applies: a claim case
must hold and a control must not. ``update`` rewrites the entries of the cases that ran and reports what changed
(in the manner of syrupy's ``--snapshot-update``); a *verdict* change is written only when it is accepted
(``--accept-verdict-changes``), otherwise the old entry stays and the change is reported, prominently, as not
written. ``stale`` lists entries that match no declared case.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..types import Role, Verdict

REL_TOL = 0.2
SE_BAND = 3.0
# the floor of a band: a decided metric below ~1e-6 is float32 round-off (eps 1.2e-7), e.g. a barrier of 1e-9
ABS_TOL = 1e-6
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "claims" / "baselines"  # this repository's (tests read it)
USER_DIR = "landscape-baselines"


def default_dir(root=None) -> Path:
    """Where baselines live for a project rooted at ``root`` (default: the working folder): its
    ``claims/baselines/`` when it has one (this repository), else ``<root>/landscape-baselines/`` -- never the
    installed package's own files."""
    root = Path.cwd() if root is None else Path(root)
    repo = root / "claims" / "baselines"
    return repo if repo.is_dir() else root / USER_DIR
BAND_RULE = f"value +/- max({SE_BAND:g} SE, rel_tol x |value|, the check's noise floor, {ABS_TOL:g})"


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


def _se(values, ci=None, value=None) -> float:
    vals = [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if len(vals) > 1:
        return statistics.stdev(vals) / math.sqrt(len(vals))
    if ci and value is not None and all(isinstance(x, (int, float)) and math.isfinite(x) for x in ci):
        return max(value - ci[0], ci[1] - value) / 1.96
    return 0.0


def band(value: float, values=(), floor: float = 0.0, ci=None) -> list[float]:
    """[lo, hi] around ``value``: the larger of SE_BAND standard errors, REL_TOL x |value|, ``floor`` and ABS_TOL."""
    half = max(SE_BAND * _se(values, ci, value), REL_TOL * abs(value), floor, ABS_TOL)
    return [value - half, value + half]


@dataclass(frozen=True)
class Expectation:
    verdict: str
    metrics: dict
    source: str  # the baseline file, or "default"
    diagnostics: dict = field(default_factory=dict)
    measurable: list | None = None


def expectation(baseline: dict | None, key: str, role: Role, source: str) -> Expectation:
    """What the baseline expects of case ``key``; without an entry, a control is expected refuted and any
    other case to hold."""
    entry = (baseline or {}).get("cases", {}).get(key)
    if entry is None:
        return Expectation(Verdict.REFUTED if role == Role.CONTROL else Verdict.HOLDS, {}, "default (no baseline entry)")
    return Expectation(entry["verdict"], entry.get("metrics", {}), source, entry.get("diagnostics", {}),
                       entry.get("measurable"))


def _mean(v):
    if isinstance(v, (list, tuple)):
        vals = [float(x) for x in v if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)]
        return (sum(vals) / len(vals), vals) if vals else (None, [])
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v), [float(v)]
    return None, []


def diagnostics_of(row: dict, names) -> dict:
    """The named diagnostics of a row: name -> (mean over samples, per-sample values)."""
    scalars = {**(row.get("measured") or {}), **(row.get("nulls") or {})}
    out = {}
    for n in names:
        m, vals = _mean(scalars.get(n))
        if m is not None:
            out[n] = (m, vals)
    return out


def measurable(row: dict) -> list[int]:
    """[measurable samples, samples] of a row (from its checks' n, or none when nothing was decided)."""
    n = int(row.get("samples") or 0)
    got = max((int(d.get("n") or 0) for d in row.get("decided") or []), default=0)
    if not row.get("decided") and str(row.get("reason", "")).startswith("not measurable"):
        got = 0
    return [got, n]


def regressions(exp: Expectation, verdict: str, decided: list[dict], row: dict | None = None,
                diagnostics=()) -> list[str]:
    """What differs from the expectation: the verdict, a decided statistic or a diagnostic outside its band, the
    number of measurable samples. With the default expectation a control passes unless it holds (refuted or
    inconclusive are fine)."""
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
    if row is not None:
        for name, (m, _) in diagnostics_of(row, exp.diagnostics).items():
            b = exp.diagnostics[name]
            if not b[0] <= m <= b[1]:
                out.append(f"diagnostic {name} = {m:.6g} outside its band [{b[0]:.6g}, {b[1]:.6g}] ({exp.source})")
        missing = [n for n in exp.diagnostics if n not in diagnostics_of(row, exp.diagnostics)]
        if missing and verdict != Verdict.ERROR:
            out.append(f"diagnostic(s) {missing} no longer measured ({exp.source})")
        if exp.measurable is not None and verdict != Verdict.ERROR and measurable(row) != list(exp.measurable):
            k, n = measurable(row)
            out.append(f"{k} of {n} samples measurable, expected {exp.measurable[0]} of {exp.measurable[1]} "
                       f"({exp.source})")
    return out


def entry_for(row: dict, diagnostics=()) -> dict:
    metrics = {d["metric"]: band(d["value"], d.get("values", ()), d.get("floor") or 0.0, d.get("ci"))
               for d in row["decided"] if isinstance(d.get("value"), (int, float)) and math.isfinite(d["value"])}
    entry = {"verdict": row["verdict"], "metrics": metrics}
    diags = {n: band(m, vals) for n, (m, vals) in diagnostics_of(row, diagnostics).items()}
    if diags:
        entry["diagnostics"] = diags
    entry["measurable"] = measurable(row)
    if row.get("reason") and row["verdict"] != Verdict.HOLDS:
        entry["why"] = str(row["reason"])[:300]
    return entry


def update(directory, tier: str, rows: list[dict], declared: dict[str, set], diagnostics: dict | None = None,
           accept_verdict_changes: bool = False) -> list[str]:
    """Rewrite the baselines of the configurations in ``rows`` (ledger rows of this run); keep entries of
    declared cases that did not run; drop entries that match no declared case. ``declared`` maps a
    configuration label to the set of its declared case ids; ``diagnostics`` a claim id to its diagnostics.
    A verdict change is written only with ``accept_verdict_changes``; otherwise the old entry stays and the
    change is reported as not written. Returns a line per change."""
    diagnostics = diagnostics or {}
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
            new = entry_for(r, diagnostics.get(r["claim"], ()))
            prev = cases.get(r["id"])
            if prev is None:
                changes.append(f"{p.name}: added {r['id']} ({new['verdict']})")
            elif prev.get("verdict") != new["verdict"]:
                if not accept_verdict_changes:
                    changes.append(f"VERDICT CHANGE NOT WRITTEN: {p.name}: {r['id']} {prev.get('verdict')} -> "
                                   f"{new['verdict']} (rerun with --accept-verdict-changes, and log it in "
                                   f"claims/RULES.md)")
                    continue
                changes.append(f"VERDICT CHANGE: {p.name}: {r['id']} {prev.get('verdict')} -> {new['verdict']}")
            else:
                moved = [m for m, b in new["metrics"].items() if prev.get("metrics", {}).get(m) != b]
                if moved:
                    changes.append(f"{p.name}: {r['id']} bands moved: {', '.join(moved)}")
            cases[r["id"]] = new
        data = {"tier": tier, "configuration": label, "rel_tol": REL_TOL, "band": BAND_RULE,
                "cases": dict(sorted(cases.items()))}
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        os.replace(tmp, p)
    return changes


def verdict_changes(old: dict | None, new: dict | None) -> list[tuple[str, str, str]]:
    """(case id, old verdict, new verdict) for every case whose verdict differs between two baseline files."""
    a, b = (old or {}).get("cases", {}), (new or {}).get("cases", {})
    return [(k, a[k].get("verdict"), b[k].get("verdict")) for k in sorted(set(a) & set(b))
            if a[k].get("verdict") != b[k].get("verdict")]


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

"""The claims ledger: one row per claim x case, written by every test, merged across xdist workers.

Each process appends rows to ``<reports>/.ledger/rows-<worker>.jsonl``; the controlling process
merges them at the end of the session into ``claims.json`` and ``claims.md``, adding a
"not-measured" row for every declared claim that no test measured.

claims.json::

    {"tier": ..., "device": ..., "env": {...}, "summary": "...",
     "rows": [{"claim": "C2", "case": "D1000-n900-seed0", "verdict": "holds", "measured": {...},
               "threshold": {...}, "rule": "...", "seconds": 0.1, ...}]}

Verdicts: holds | refuted | refuted-as-expected (a negative control that failed as predicted) |
not-measured | error.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

from .. import registry

VERDICTS = ("holds", "refuted", "refuted-as-expected", "not-measured", "error")


def rows_dir(reports: Path) -> Path:
    return Path(reports) / ".ledger"


def reset(reports: Path) -> None:
    """Forget the partial rows of an earlier session (called once, by the controlling process)."""
    d = rows_dir(reports)
    d.mkdir(parents=True, exist_ok=True)
    for f in d.glob("rows-*.jsonl"):
        f.unlink()


def append(reports: Path, row: dict) -> None:
    """Append one row for this process (one line of JSON, written with a single write call)."""
    if row.get("verdict") not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {row.get('verdict')!r}")
    d = rows_dir(reports)
    d.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(d / f"rows-{worker}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, default=_jsonable, sort_keys=True) + "\n")


def _jsonable(x):
    try:
        return float(x)
    except Exception:
        return str(x)


def collect(reports: Path) -> list[dict]:
    rows = []
    for f in sorted(rows_dir(reports).glob("rows-*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def summarize(rows: list[dict]) -> str:
    """One line: claims that hold on every case, on some (mixed), on none; errors; not measured; controls."""
    per = claim_verdicts(rows)
    counts = {v: 0 for v in ("holds", "mixed", "refuted", "error", "not-measured")}
    for v in per.values():
        counts[v] += 1
    ctrl = [r for r in rows if r.get("control")]
    ok = sum(r["verdict"] == "refuted-as-expected" for r in ctrl)
    return (f"{counts['holds']} hold, {counts['mixed']} mixed (hold on some cases, refuted on others), "
            f"{counts['refuted']} refuted, {counts['error']} error, {counts['not-measured']} not yet measured; "
            f"negative controls: {ok}/{len(ctrl)} refuted as expected")


def claim_verdicts(rows: list[dict]) -> dict[str, str]:
    """Per claim over its non-control cases: error if any errored, else holds (all hold), refuted (none
    holds), mixed, or not-measured."""
    per: dict[str, str] = {}
    for cid in registry.CLAIMS:
        vs = {r["verdict"] for r in rows if r["claim"] == cid and not r.get("control")} - {"not-measured"}
        if not vs:
            per[cid] = "not-measured"
        elif "error" in vs:
            per[cid] = "error"
        elif vs == {"holds"}:
            per[cid] = "holds"
        elif "holds" not in vs:
            per[cid] = "refuted"
        else:
            per[cid] = "mixed"
    return per


def merge(reports: Path, header: dict) -> dict:
    """Write claims.json and claims.md from all workers' rows; returns the ledger."""
    rows = collect(reports)
    measured = {r["claim"] for r in rows}
    for cid, c in registry.CLAIMS.items():
        if cid not in measured:
            rows.append({"claim": cid, "case": "-", "verdict": "not-measured", "measured": {},
                         "threshold": {ch.metric: ch.threshold for ch in c.checks}, "rule": c.rule,
                         "seconds": 0.0, "control": False,
                         "note": "declared; measured by a later issue" if c.measured_by is None
                         else "not selected in this run"})
    key = {cid: i for i, cid in enumerate(registry.CLAIMS)}
    rows.sort(key=lambda r: (key.get(r["claim"], 999), bool(r.get("control")), r["case"]))
    ledger = {**header, "generated": time.strftime("%Y-%m-%d %H:%M:%S"), "summary": summarize(rows), "rows": rows}
    reports = Path(reports)
    reports.mkdir(parents=True, exist_ok=True)
    _atomic_write(reports / "claims.json", json.dumps(ledger, indent=1, default=_jsonable))
    _atomic_write(reports / "claims.md", to_markdown(ledger))
    return ledger


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def fmt(x) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, (int, float)):
        x = float(x)
        if not math.isfinite(x):
            return str(x)
        if x == int(x) and abs(x) < 1e6:
            return str(int(x))
        return f"{x:.3g}"
    return str(x)


def measured_text(row: dict) -> str:
    metrics = [c.metric for c in registry.CLAIMS[row["claim"]].checks] if row["claim"] in registry.CLAIMS else []
    m = row.get("measured", {})
    return ", ".join(f"{k}={fmt(m[k])}" for k in metrics if k in m)


def to_markdown(ledger: dict) -> str:
    lines = [f"# Claims ledger — tier {ledger.get('tier')}, device {ledger.get('device')}", "",
             f"**{ledger['summary']}**", "", f"generated {ledger['generated']}", "",
             "| claim | case | control | verdict | measured | rule | s |",
             "|---|---|---|---|---|---|---|"]
    for r in ledger["rows"]:
        lines.append(f"| {r['claim']} | {r['case']} | {'yes' if r.get('control') else ''} | {r['verdict']} | "
                     f"{measured_text(r)} | {r.get('rule', '')} | {fmt(round(r.get('seconds', 0.0), 2))} |")
    return "\n".join(lines) + "\n"


def table(ledger: dict, width: int = 120) -> str:
    """The verdict table printed at the end of a pytest run."""
    out = [f"{'claim':5} {'case':34} {'verdict':20} measured"]
    for r in ledger["rows"]:
        case = r["case"] + (" [control]" if r.get("control") else "")
        out.append(f"{r['claim']:5} {case[:34]:34} {r['verdict']:20} {measured_text(r)}"[:width])
    out.append(ledger["summary"])
    return "\n".join(out)

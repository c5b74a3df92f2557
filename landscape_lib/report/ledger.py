"""The claims ledger on disk: one row per case x configuration (``verdicts.row.Row``), written by every test
process, merged across xdist workers into ``claims.json`` and ``claims.md``.

Each process appends rows to ``<reports>/.ledger/rows-<worker>.jsonl``; the controlling process merges
them at the end of the session. Each claim's headline is decided by ``verdicts.headline`` (its primary
verdicts; see there); this module only writes and renders it (``report.tables`` formats the headline
entries every renderer shares).

claims.json::

    {"tier": ..., "device": ..., "summary": "...",
     "claims": {"C8": {"verdict": "refuted", "primary": ["C8/mlp-digits/budget", ...],
                       "per_configuration": {"mlp-digits": "refuted", "toy": "refuted"},
                       "variants": {"agree": 1, "total": 5}, "controls": {"refuted": 2, "total": 3, "held": []},
                       "ci": [lo, hi] | null}, ...},
     "rows": [Row.as_dict(), ...]}
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..run import Ledger
from ..types import CASE_VERDICTS, Role
from ..verdicts.claims import CLAIMS
from . import tables


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
    if row.get("verdict") not in CASE_VERDICTS:
        raise ValueError(f"verdict must be one of {[str(v) for v in CASE_VERDICTS]}, got {row.get('verdict')!r}")
    d = rows_dir(reports)
    d.mkdir(parents=True, exist_ok=True)
    with open(d / f"rows-{part_name()}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, default=_jsonable, sort_keys=True) + "\n")


def part_name() -> str:
    """This process's part of the ledger: host and worker (``<host>-gw0``, ``<host>-main``), so several machines
    can write into one shared reports folder and be merged."""
    import socket

    host = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in socket.gethostname()) or "host"
    return f"{host}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


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


def merge(reports: Path, header: dict) -> dict:
    """Write claims.json and claims.md from all workers' rows; returns the ledger."""
    rows = collect(reports)
    order = {cid: i for i, cid in enumerate(CLAIMS)}
    role = {Role.PRIMARY: 0, Role.REPLICATION: 1, Role.VARIANT: 2, Role.CONTROL: 3, Role.POSITIVE: 4}
    rows.sort(key=lambda r: (order.get(r["claim"], 999), r["configuration"], role.get(r.get("role"), 3), r["case"]))
    ledger = Ledger.of(rows, {**header, "generated": time.strftime("%Y-%m-%d %H:%M:%S")}).as_dict()
    reports = Path(reports)
    reports.mkdir(parents=True, exist_ok=True)
    _atomic_write(reports / "claims.json", json.dumps(ledger, indent=1, default=_jsonable))
    _atomic_write(reports / "claims.md", to_markdown(ledger))
    return ledger


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def to_markdown(ledger: dict) -> str:
    lines = [f"# Claims ledger — tier {ledger.get('tier')}, device {ledger.get('device')}", "",
             f"**{ledger['summary']}**", "", f"generated {ledger.get('generated', '')}", "",
             "## Headline (primary cases only)", "",
             "| claim | verdict (in the claim's scope) | per configuration | toy replication | variants agreeing | "
             "negative controls refuted | positive controls held | power | statement |",
             "|---|---|---|---|---|---|---|---|---|"]
    for e in tables.headline_entries(ledger["claims"], ledger.get("settings")):
        why = f" — {e['why']}" if e["why"] else ""
        repl = f"{e['replication']}" + (f" ({e['replication_why']})" if e["replication_why"] else "")
        lines.append(f"| {e['claim']} | **{e['verdict']}**{why} | {e['per_configuration']} | {repl} | {e['variants']} | "
                     f"{e['controls']} | {e['positives']} | {e['power']} | {e['statement']} |")
    lines += ["", "## Every case", "",
              "| id | role | verdict | measured [interval] | rule | expected | s |", "|---|---|---|---|---|---|---|"]
    for r in ledger["rows"]:
        lines.append(f"| {r['id']} | {r.get('role')} | {r['verdict']} | {tables.measured_text(r)} | {r.get('rule', '')} | "
                     f"{r.get('expected', '')} | {tables.fmt(round(r.get('seconds', 0.0), 2))} |")
    return "\n".join(lines) + "\n"


def table(ledger: dict, width: int = 140) -> str:
    """The verdict table printed at the end of a pytest run: every case, then the headline, then the summary
    (the headline is the last thing printed)."""
    out = [f"{'case':42} {'role':8} {'verdict':13} measured"]
    for r in ledger["rows"]:
        out.append(f"{r['id'][:42]:42} {r.get('role', ''):8} {r['verdict']:13} {tables.measured_text(r)}"[:width])
    out += ["", "headline (each claim in its scope, on its primary cases; settings: "
            + "; ".join(f"{k} = {v}" for k, v in (ledger.get("settings") or {}).items()) + "):"]
    for e in tables.headline_entries(ledger["claims"], ledger.get("settings")):
        out.append(tables.headline_line(e))
    out.append(ledger["summary"])
    return "\n".join(out)

"""The claims ledger: one row per case x configuration (``verdicts.run.Row``), written by every test
process, merged across xdist workers into ``claims.json`` and ``claims.md``.

Each process appends rows to ``<reports>/.ledger/rows-<worker>.jsonl``; the controlling process merges
them at the end of the session. The headline counts claims by their **primary** verdicts only: per
claim, the worst primary verdict over its configurations (error > refuted > inconclusive > holds, the
aggregation declared in claims/RULES.md), made *inconclusive* when the primaries hold but a control of the
claim holds too (the measurement does not discriminate); variants are shown beside it as "k of n variants agree";
controls as "k of n refuted" with those that held named.

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

from ..verdicts.claims import CLAIMS
from ..verdicts.decide import VERDICTS
from . import tables

SEVERITY = ("error", "refuted", "inconclusive", "holds")


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


def worst(verdicts) -> str:
    vs = set(verdicts)
    for v in SEVERITY:
        if v in vs:
            return v
    return "not-measured"


def claim_summaries(rows: list[dict]) -> dict[str, dict]:
    """Per claim: the headline (primary) verdict, per configuration, variants agreeing, controls."""
    out = {}
    for cid, claim in CLAIMS.items():
        mine = [r for r in rows if r["claim"] == cid]
        prim = [r for r in mine if r.get("role") == "primary"]
        per_conf = {}
        for r in prim:
            per_conf.setdefault(r["configuration"], []).append(r["verdict"])
        per_conf = {k: worst(v) for k, v in sorted(per_conf.items())}
        verdict = worst(per_conf.values()) if prim else "not-measured"
        variants = [r for r in mine if r.get("role") == "variant"]
        agree = sum(r["verdict"] == per_conf.get(r["configuration"], verdict) for r in variants)
        ctrl = [r for r in mine if r.get("role") == "control"]
        held = [r["id"] for r in ctrl if r["verdict"] == "holds"]
        note = ""
        if verdict == "holds" and held:
            verdict = "inconclusive"
            note = (f"the primary cases hold, but the control {', '.join(held)} holds too: the measurement does not "
                    f"discriminate (claims/RULES.md)")
        cis = [r.get("ci") for r in prim if r.get("ci")]
        out[cid] = {"verdict": verdict, "note": note, "statement": claim.statement, "section": claim.section,
                    "primary": [r["id"] for r in prim], "per_configuration": per_conf,
                    "variants": {"agree": agree, "total": len(variants)},
                    "controls": {"refuted": sum(r["verdict"] == "refuted" for r in ctrl), "total": len(ctrl),
                                 "held": held,
                                 "inconclusive": [r["id"] for r in ctrl if r["verdict"] == "inconclusive"]},
                    "ci": cis[0] if len(cis) == 1 else None,
                    "measured_by": claim.measured_by}
    return out


def summarize(claims: dict[str, dict], rows: list[dict]) -> str:
    """One line: claims by primary verdict; controls; regressions against the baselines."""
    counts = {v: 0 for v in ("holds", "refuted", "inconclusive", "error", "not-measured")}
    for c in claims.values():
        counts[c["verdict"]] += 1
    ctrl = [r for r in rows if r.get("role") == "control"]
    held = sum(r["verdict"] == "holds" for r in ctrl)
    reg = sum(bool(r.get("regression")) for r in rows)
    return (f"primary verdicts: {counts['holds']} hold, {counts['refuted']} refuted, {counts['inconclusive']} "
            f"inconclusive, {counts['error']} error, {counts['not-measured']} not measured; controls: "
            f"{sum(r['verdict'] == 'refuted' for r in ctrl)}/{len(ctrl)} refuted, {held} held (measurement does "
            f"not discriminate); {reg} regression(s) against the baselines")


def merge(reports: Path, header: dict) -> dict:
    """Write claims.json and claims.md from all workers' rows; returns the ledger."""
    rows = collect(reports)
    order = {cid: i for i, cid in enumerate(CLAIMS)}
    role = {"primary": 0, "variant": 1, "control": 2}
    rows.sort(key=lambda r: (order.get(r["claim"], 999), r["configuration"], role.get(r.get("role"), 3), r["case"]))
    claims = claim_summaries(rows)
    ledger = {**header, "generated": time.strftime("%Y-%m-%d %H:%M:%S"), "summary": summarize(claims, rows),
              "claims": claims, "rows": rows}
    reports = Path(reports)
    reports.mkdir(parents=True, exist_ok=True)
    _atomic_write(reports / "claims.json", json.dumps(ledger, indent=1, default=_jsonable))
    _atomic_write(reports / "claims.md", to_markdown(ledger))
    return ledger


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


fmt = tables.fmt


def headline_lines(ledger: dict) -> list[str]:
    out = []
    for cid, c in ledger["claims"].items():
        conf = ", ".join(f"{k}: {v}" for k, v in c["per_configuration"].items())
        v, ct = c["variants"], c["controls"]
        out.append(f"{cid:4} {c['verdict']:13} {conf[:48]:48} variants {v['agree']}/{v['total']} agree; "
                   f"controls {ct['refuted']}/{ct['total']} refuted" + (f", HELD: {len(ct['held'])}" if ct["held"] else ""))
    return out


def to_markdown(ledger: dict) -> str:
    lines = [f"# Claims ledger — tier {ledger.get('tier')}, device {ledger.get('device')}", "",
             f"**{ledger['summary']}**", "", f"generated {ledger['generated']}", "",
             "## Headline (primary cases only)", "",
             "| claim | verdict | per configuration | variants agreeing | controls refuted | statement |",
             "|---|---|---|---|---|---|"]
    for cid, c in ledger["claims"].items():
        conf = "; ".join(f"{k}: {v}" for k, v in c["per_configuration"].items())
        lines.append(f"| {cid} | **{c['verdict']}** | {conf} | {c['variants']['agree']}/{c['variants']['total']} | "
                     f"{c['controls']['refuted']}/{c['controls']['total']} | {c['statement']} |")
    lines += ["", "## Every case", "",
              "| id | role | verdict | measured [interval] | rule | expected | s |", "|---|---|---|---|---|---|---|"]
    for r in ledger["rows"]:
        lines.append(f"| {r['id']} | {r.get('role')} | {r['verdict']} | {tables.measured_text(r)} | {r.get('rule', '')} | "
                     f"{r.get('expected', '')} | {fmt(round(r.get('seconds', 0.0), 2))} |")
    return "\n".join(lines) + "\n"


def table(ledger: dict, width: int = 140) -> str:
    """The verdict table printed at the end of a pytest run: the headline, then every case."""
    out = ["headline (primary cases):"] + headline_lines(ledger) + ["", f"{'case':42} {'role':8} {'verdict':13} measured"]
    for r in ledger["rows"]:
        out.append(f"{r['id'][:42]:42} {r.get('role', ''):8} {r['verdict']:13} {tables.measured_text(r)}"[:width])
    out.append(ledger["summary"])
    return "\n".join(out)

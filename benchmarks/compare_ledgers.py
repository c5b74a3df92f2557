"""Compare two claims ledgers (``reports/claims.json``): every verdict and every measured value that differs.

    python benchmarks/compare_ledgers.py OLD.json NEW.json [--rtol 0]

A row is matched by its case id (``<claim>/<configuration>/<case>``). Compared per row: the verdict, each
decided check (value, interval, status), and every measured number, null and protocol interval (a
ledger's ``measured``, ``nulls`` and ``intervals`` are read as one flat mapping, so a ledger written before
nulls and intervals had fields of their own compares with one written after). Per claim: the headline
verdict. Run times, plots, repro lines and baseline expectations are not measurements and are ignored.
Exits 1 when anything differs (or a row is missing on one side), 0 otherwise; ``--rtol`` allows a relative
tolerance on numbers (default 0: equal to the last bit).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def flat_measured(row: dict) -> dict:
    """measured, nulls and intervals of a row as one mapping (intervals under '<metric>_ci')."""
    out = dict(row.get("measured") or {})
    out.update(row.get("nulls") or {})
    for k, v in (row.get("intervals") or {}).items():
        out[f"{k}_ci"] = list(v)
    out.pop("plot_error", None)
    out.pop("traceback", None)
    return out


def _same(a, b, rtol: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        a, b = float(a), float(b)
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b or (rtol > 0 and abs(a - b) <= rtol * max(abs(a), abs(b)))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], rtol) for k in a)
    return a == b


def _checks(row: dict) -> dict:
    return {f"{d['metric']} {d['op']} {d['threshold']}": d for d in row.get("decided") or []}


def compare(old: dict, new: dict, rtol: float = 0.0) -> list[str]:
    """Every difference between two ledgers, one line each ('' list: identical measurements)."""
    diffs: list[str] = []
    a = {r["id"]: r for r in old.get("rows", [])}
    b = {r["id"]: r for r in new.get("rows", [])}
    for rid in sorted(a.keys() - b.keys()):
        diffs.append(f"{rid}: only in the old ledger")
    for rid in sorted(b.keys() - a.keys()):
        diffs.append(f"{rid}: only in the new ledger")
    for rid in sorted(a.keys() & b.keys()):
        ra, rb = a[rid], b[rid]
        if ra["verdict"] != rb["verdict"]:
            diffs.append(f"{rid}: verdict {ra['verdict']} -> {rb['verdict']}")
        ca, cb = _checks(ra), _checks(rb)
        for k in sorted(ca.keys() ^ cb.keys()):
            diffs.append(f"{rid}: check {k!r} only in the {'old' if k in ca else 'new'} ledger")
        for k in sorted(ca.keys() & cb.keys()):
            for f in ("value", "ci", "status", "values"):
                if not _same(ca[k].get(f), cb[k].get(f), rtol):
                    diffs.append(f"{rid}: check {k!r} {f} {ca[k].get(f)!r} -> {cb[k].get(f)!r}")
        ma, mb = flat_measured(ra), flat_measured(rb)
        for k in sorted(ma.keys() ^ mb.keys()):
            diffs.append(f"{rid}: measured {k!r} only in the {'old' if k in ma else 'new'} ledger")
        for k in sorted(ma.keys() & mb.keys()):
            if not _same(ma[k], mb[k], rtol):
                diffs.append(f"{rid}: measured {k!r} {ma[k]!r} -> {mb[k]!r}")
    for cid in sorted(set(old.get("claims", {})) | set(new.get("claims", {}))):
        va = (old.get("claims", {}).get(cid) or {}).get("verdict")
        vb = (new.get("claims", {}).get(cid) or {}).get("verdict")
        if va != vb:
            diffs.append(f"{cid}: headline {va} -> {vb}")
    return diffs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--rtol", type=float, default=0.0, help="relative tolerance on numbers (default 0)")
    args = p.parse_args(argv)
    old = json.loads(args.old.read_text(encoding="utf-8"))
    new = json.loads(args.new.read_text(encoding="utf-8"))
    diffs = compare(old, new, args.rtol)
    n = len({r["id"] for r in old.get("rows", [])} | {r["id"] for r in new.get("rows", [])})
    for d in diffs:
        print(d)
    print(f"{n} rows compared: {len(diffs)} difference(s)" + (f" (rtol {args.rtol:g})" if args.rtol else ""))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())

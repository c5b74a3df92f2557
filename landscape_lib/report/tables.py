"""The one place that renders a case's measured-vs-threshold table (text, Markdown, HTML), the assertion
message built around it, and the headline entries (one per claim) every headline table is drawn from. Every
sink (terminal, ledger Markdown, Allure, claims page) calls these; none formats a rule on its own.
"""

from __future__ import annotations

import html as _html
import json
import math

MARK = {"holds": "holds", "refuted": "REFUTED", "inconclusive": "inconclusive", "error": "ERROR"}


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
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(fmt(v) for v in x) + "]"
    return str(x)


def interval_text(d: dict) -> str:
    ci = d.get("ci")
    return f"[{fmt(ci[0])}, {fmt(ci[1])}]" if ci else "-"


def check_lines(row: dict) -> list[dict]:
    """One dict per decided check: metric, value, interval, n, rule, status, why."""
    return [{"metric": d["metric"], "value": fmt(d.get("value")), "interval": interval_text(d), "n": d.get("n", 0),
             "rule": f"{d['op']} {fmt(d['threshold'])}", "status": d["status"], "why": d.get("why", "")}
            for d in row.get("decided", [])]


def text(row: dict) -> str:
    lines = []
    for c in check_lines(row):
        lines.append(f"  {c['metric']} = {c['value']} {c['interval']} (n={c['n']})   rule {c['rule']}   "
                     f"{MARK.get(c['status'], c['status'])}   ({c['why']})")
    nulls = row.get("nulls") or {}
    if nulls:
        lines.append("  null: " + ", ".join(f"{k}={fmt(v)}" for k, v in nulls.items()))
    return "\n".join(lines)


def markdown(row: dict) -> str:
    out = ["| metric | measured | interval | n | rule | verdict | why |", "|---|---|---|---|---|---|---|"]
    for c in check_lines(row):
        out.append(f"| {c['metric']} | {c['value']} | {c['interval']} | {c['n']} | {c['rule']} | "
                   f"{'**' + c['status'] + '**' if c['status'] != 'holds' else c['status']} | "
                   f"{c['why'].replace('|', '/')} |")
    return "\n".join(out)


def html(row: dict) -> str:
    e = _html.escape
    cells = "".join(
        f"<tr class='{e(c['status'])}'><td>{e(c['metric'])}</td><td>{e(c['value'])}</td><td>{e(c['interval'])}</td>"
        f"<td>{c['n']}</td><td>{e(c['rule'])}</td><td>{e(c['status'])}</td><td>{e(c['why'])}</td></tr>"
        for c in check_lines(row))
    return ("<table class='checks'><tr><th>metric</th><th>measured</th><th>interval</th><th>n</th><th>rule</th>"
            f"<th>verdict</th><th>why this threshold</th></tr>{cells}</table>")


def measured_text(row: dict) -> str:
    """Compact 'metric=value [lo, hi]' for the decided metrics (the terminal table)."""
    return ", ".join(f"{c['metric']}={c['value']}{' ' + c['interval'] if c['interval'] != '-' else ''}"
                     for c in check_lines(row))


def message(row: dict, claim) -> str:
    """The assertion message: verdict vs expectation, measured vs threshold, configuration, quote, repro."""
    role = row.get("role", "")
    head = (f"{row['claim']} {claim.slug} [{row['configuration']}/{row['case']}] ({role}): {row['verdict'].upper()}"
            f"{' — ' + row['reason'] if row.get('reason') else ''}")
    parts = [head]
    for r in row.get("regression", []):
        parts.append(f"REGRESSION: {r}")
    parts += [f"claim: {claim.statement}", f"decision: {row.get('statistic', '')}", "measured vs threshold:",
              text(row) or "  (nothing decided)"]
    if row.get("holds_if"):
        parts.append(f"this control would have held if: {row['holds_if']}")
    cfg = {"params": row.get("params", {}), "definition": row.get("definition", {}), "samples": row.get("sample_ids")}
    parts += [f"configuration: {json.dumps(cfg, default=str, sort_keys=True)}",
              f"paper ({claim.section}): \"{claim.quote}\""]
    if row.get("error"):
        parts.append(f"error: {row['error']}")
    if row.get("repro"):
        parts.append(f"repro: {row['repro']}")
    return "\n".join(parts)


def verdict_text(verdict: str, qualifier: str = "") -> str:
    """A verdict as the headline says it: "refuted (power not shown)", "inconclusive", ..."""
    return f"{verdict} ({qualifier})" if qualifier else str(verdict)


def headline_entries(claims: dict, settings: dict | None = None) -> list[dict]:
    """One entry per claim of a ledger's ``claims`` (``verdicts.headline``, as dicts): claim, verdict (with its
    qualifier), why, the scope and its verdict per configuration (named by its setting), the replication's verdict
    and why, variants agreeing ("k/n"), controls refuted ("k/n"), the controls that held, and the statement. The
    terminal, Markdown and HTML headlines are drawn from these."""
    settings = settings or {}
    out = []
    for cid, c in claims.items():
        v, ct = c.get("variants") or {"agree": 0, "total": 0}, c.get("controls") or {"refuted": 0, "total": 0}
        pos = c.get("positives") or {"held": 0, "total": 0}
        per = c.get("per_configuration") or {}
        repl = c.get("replication") or None
        out.append({"claim": cid, "verdict": verdict_text(c["verdict"], c.get("qualifier", "")),
                    "bare_verdict": c["verdict"], "why": c.get("why", ""), "scope": c.get("scope", ""),
                    "per_configuration": ", ".join(f"{k}: {x}" for k, x in per.items()),
                    "setting": "; ".join(settings.get(k, k) for k in per),
                    "replication": repl["verdict"] if repl else "", "replication_why": (repl or {}).get("why", ""),
                    "variants": f"{v['agree']}/{v['total']}", "controls": f"{ct['refuted']}/{ct['total']}",
                    "positives": f"{pos['held']}/{pos['total']}", "positives_failed": list(pos.get("failed") or []),
                    "power": power_text(c.get("power") or []),
                    "held": len(ct.get("held") or []), "statement": c.get("statement", ""), "note": c.get("note", "")})
    return out


def headline_line(e: dict) -> str:
    """One claim's headline as text: the verdict in its scope and setting, why, and the replication's."""
    scope = {"networks": "networks", "toy": "toy model"}.get(e["scope"], e["scope"])
    head = f"{e['claim']:4} {e['verdict']:27} {scope}"
    if e["per_configuration"]:
        head += f" [{e['per_configuration']}]"
    if e["bare_verdict"] == "refuted":
        head += " -- not reproduced in this setting"
    if e["why"]:
        head += f" -- {e['why']}"
    if e["replication"]:
        head += f" | toy replication: {e['replication']}" + (f" ({e['replication_why']})" if e["replication_why"] else "")
    head += f" | negative controls refuted {e['controls']}, positive controls held {e['positives']}"
    return head


def power_text(power: list[dict]) -> str:
    """The primaries' power in words: per mean check, the smallest effect detectable with 80% power at its n,
    and, against a planted effect, the samples it needs."""
    out = []
    for p in power:
        s = f"{p['id'].rsplit('/', 1)[-1]} {p['metric']}: detects >= {fmt(p['detectable'])} at n = {p['n']}"
        if p.get("planted") is not None:
            s += f"; planted {fmt(p['planted'])} needs n >= {p['needed']}" if p.get("needed") else \
                f"; planted {fmt(p['planted'])} not detectable"
        out.append(s)
    return "; ".join(dict.fromkeys(out))

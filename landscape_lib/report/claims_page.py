"""``reports/claims.html``: the claims ledger as one static page (no Node, no network, no script).

Built from ``reports/claims.json`` (``ledger.merge``) and the registry: the summary line, the verdict
table with the measured numbers against each threshold, and one section per claim with the paper's
quote, section, rule (and why each threshold), control and the plots. Plot links are relative to
``reports/`` (``row["plot"]``), so the page and ``plots/`` travel together.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from . import ledger as ledger_mod
from .. import registry

VERDICT_STYLE = {
    "holds": ("#1a7f37", "#dafbe1"),
    "refuted": ("#9a3412", "#ffedd5"),
    "mixed": ("#7c2d12", "#fef3c7"),
    "refuted-as-expected": ("#0e7490", "#cffafe"),
    "not-measured": ("#57606a", "#eaeef2"),
    "error": ("#b91c1c", "#fee2e2"),
}

CSS = """
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1400px;margin:0 auto;padding:20px 28px 60px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px}h3{font-size:16px;margin:0 0 4px}
.env{color:#57606a;font-size:12.5px}.summary{font-size:16px;font-weight:600;margin:14px 0 6px;padding:10px 14px;
background:#fff;border:1px solid #d0d7de;border-radius:6px}
.counts span{margin-right:8px}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border:1px solid #d0d7de;padding:5px 7px;vertical-align:top;text-align:left}
th{background:#f0f3f6;position:sticky;top:0;z-index:1}
tr.control td{background:#fbfcfd}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px;white-space:nowrap}
.m{white-space:nowrap}.ok{color:#1a7f37}.bad{color:#b91c1c}.extra{color:#57606a;font-size:12px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f0f3f6;padding:1px 4px;border-radius:4px;
overflow-wrap:anywhere}
td code{display:inline-block;margin:1px 0}
td.case{min-width:110px;max-width:230px}
details.repro summary{cursor:pointer;color:#0969da;font-size:12px;margin-top:4px}
details.repro code{display:block;font-size:11px;margin-top:3px}
#glance td:nth-child(3){max-width:560px}
.ctl{color:#57606a}
tr.not-measured td{color:#6e7781;font-size:12px;padding-top:3px;padding-bottom:3px}
img.thumb{width:150px;border:1px solid #d0d7de;background:#fff}
.claim{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:14px 18px;margin:14px 0}
.claim .meta{color:#57606a;font-size:12.5px;margin-bottom:6px}
blockquote{margin:8px 0;padding:6px 12px;border-left:4px solid #d0d7de;color:#24292f;background:#f6f8fa;
font-style:italic}
.plots img{max-width:560px;width:100%;border:1px solid #d0d7de;margin:6px 10px 0 0}
.plots figure{display:inline-block;margin:0 10px 10px 0;vertical-align:top}
figcaption{font-size:12px;color:#57606a}
.why{color:#57606a}.reason{font-size:12px;max-width:280px}
"""


def pill(verdict: str, control: bool = False) -> str:
    """A coloured verdict badge; a negative control that holds is a suite defect and shows as one."""
    if control and verdict == "holds":
        fg, bg = VERDICT_STYLE["error"]
        return (f'<span class="pill verdict-control-holds" style="color:{fg};background:{bg}" '
                f'title="a negative control must come out refuted">control holds: suite defect</span>')
    fg, bg = VERDICT_STYLE.get(verdict, ("#1f2328", "#eaeef2"))
    return f'<span class="pill verdict-{escape(verdict)}" style="color:{fg};background:{bg}">{escape(verdict)}</span>'


def _measured_cells(row: dict) -> str:
    claim = registry.CLAIMS.get(row.get("claim"))
    measured = row.get("measured") or {}
    parts = []
    metrics = set()
    if claim is not None:
        for c in claim.checks:
            metrics.add(c.metric)
            if c.metric not in measured:
                continue
            try:
                value = float(measured[c.metric])
                ok = c.passes(value)
            except (TypeError, ValueError):
                value, ok = measured[c.metric], False
            cls, mark = ("ok", "&#10003;") if ok else ("bad", "&#10007;")
            if row.get("control"):  # a control is meant to fail its checks: no alarm colours
                cls = "ctl"
            parts.append(f'<div class="m"><b>{escape(c.metric)}</b> = {escape(ledger_mod.fmt(value))} '
                         f'<span class="{cls}">{mark} {escape(c.op)} {escape(ledger_mod.fmt(c.threshold))}</span></div>')
    extra = {k: v for k, v in measured.items() if k not in metrics}
    if extra:
        parts.append('<div class="extra">' + ", ".join(f"{escape(str(k))}={escape(ledger_mod.fmt(v))}"
                                                      for k, v in extra.items()) + "</div>")
    if row.get("error"):
        parts.append(f'<div class="bad">{escape(str(row["error"]))}</div>')
    if row.get("note") and not measured:
        parts.append(f'<div class="extra">{escape(str(row["note"]))}</div>')
    return "".join(parts)


def _plot_src(row: dict, embed_root: Path | None) -> str | None:
    p = row.get("plot")
    if not p:
        return None
    if embed_root is not None:
        import base64

        f = Path(p) if Path(p).is_absolute() else embed_root / p
        if f.exists():
            return "data:image/png;base64," + base64.b64encode(f.read_bytes()).decode("ascii")
    return Path(p).as_posix()


def render(led: dict, *, embed_root: Path | None = None) -> str:
    """The HTML page for a ledger dict (as in claims.json). ``embed_root``: inline the plots from there."""
    rows = led.get("rows", [])
    summary = led.get("summary") or ledger_mod.summarize(rows)
    env_keys = ("tier", "device", "torch", "numpy", "python", "platform", "generated")
    env = " · ".join(f"{k} <b>{escape(str(led[k]))}</b>" for k in env_keys if led.get(k) not in (None, ""))
    per = ledger_mod.claim_verdicts(rows) if rows else {}
    counts = {}
    for v in per.values():
        counts[v] = counts.get(v, 0) + 1
    count_html = "".join(f"<span>{pill(v)} {n} claim{'s' if n != 1 else ''}</span>" for v, n in counts.items())

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>landscape-claims: claims ledger</title>", f"<style>{CSS}</style></head><body><main>",
           "<h1>landscape-claims — claims ledger</h1>",
           "<div class=\"env\">Fort &amp; Jastrzebski 2019 (Large Scale Structure of Neural Network Loss "
           "Landscapes) · He, Huang &amp; Yuan 2019 (Asymmetric Valleys)</div>",
           f'<div class="env">{env}</div>' if env else "",
           f'<div class="summary" id="summary">{escape(summary)}</div>',
           f'<div class="counts">{count_html}</div>' if count_html else "",
           "<h2>Claims at a glance</h2>",
           '<table id="glance"><thead><tr><th>claim</th><th>verdict</th><th>statement</th><th>paper</th>'
           "<th>cases: holds / refuted / error</th><th>negative controls refuted</th></tr></thead><tbody>"]
    for cid, c in registry.CLAIMS.items():
        crow = [r for r in rows if r.get("claim") == cid and r.get("verdict") != "not-measured"]
        cases = [r for r in crow if not r.get("control")]
        ctrl = [r for r in crow if r.get("control")]
        n = {v: sum(r.get("verdict") == v for r in cases) for v in ("holds", "refuted", "error")}
        ctrl_ok = sum(r.get("verdict") == "refuted-as-expected" for r in ctrl)
        ctrl_cls = "ok" if ctrl_ok == len(ctrl) else "bad"
        out.append(
            f'<tr data-claim="{escape(cid)}"><td><a href="#{escape(cid)}"><b>{escape(cid)}</b></a></td>'
            f"<td>{pill(per.get(cid, 'not-measured'))}</td><td>{escape(c.statement)}</td>"
            f'<td class="extra">{escape(c.paper.split(",")[0])}, {escape(c.section)}</td>'
            f"<td>{(str(n['holds']) + ' / ' + str(n['refuted']) + ' / ' + str(n['error'])) if cases else ''}</td>"
            f'<td>{f"<span class={ctrl_cls}>{ctrl_ok}/{len(ctrl)}</span>" if ctrl else ""}</td></tr>')
    out.append("</tbody></table>")

    out += ["<h2>Every measurement</h2>",
            '<table id="verdicts"><thead><tr><th>claim</th><th>case</th><th>control</th><th>verdict</th>'
            "<th>measured vs rule (threshold)</th><th>known refutation</th><th>s</th><th>plot</th></tr></thead><tbody>"]
    for r in rows:
        cid = str(r.get("claim", ""))
        claim = registry.CLAIMS.get(cid)
        src = _plot_src(r, embed_root)
        plot = (f'<a href="{escape(src)}"><img class="thumb" src="{escape(src)}" loading="lazy" '
                f'alt="{escape(cid)} plot"></a>' if src else "")
        secs = r.get("seconds")
        repro = (f'<details class="repro"><summary>repro</summary><code>{escape(str(r["repro"]))}</code></details>'
                 if r.get("repro") else "")
        out.append(
            f'<tr class="{"control" if r.get("control") else "claim"} {escape(str(r.get("verdict", "")))}" '
            f'data-claim="{escape(cid)}">'
            f'<td><a href="#{escape(cid)}"><b>{escape(cid)}</b></a>'
            f'{"<br><span class=extra>" + escape(claim.slug) + "</span>" if claim else ""}</td>'
            f"<td class=\"case\">{escape(str(r.get('case', '')))}{repro}</td>"
            f"<td>{'yes' if r.get('control') else ''}</td>"
            f"<td>{pill(str(r.get('verdict', '')), bool(r.get('control')))}</td>"
            f"<td>{_measured_cells(r) or '<code>' + escape(str(r.get('rule', ''))) + '</code>'}</td>"
            f'<td class="reason">{escape(str(r.get("known_refutation") or ""))}</td>'
            f"<td>{escape(ledger_mod.fmt(round(float(secs), 2))) if isinstance(secs, (int, float)) and secs else ''}</td>"
            f"<td>{plot}</td></tr>")
    out.append("</tbody></table>")

    out.append("<h2>Claims</h2>")
    for cid, c in registry.CLAIMS.items():
        crow = [r for r in rows if r.get("claim") == cid]
        verdict = per.get(cid, "not-measured")
        checks = "".join(f"<li><code>{escape(ch.describe())}</code> <span class=\"why\">— {escape(ch.why)}</span></li>"
                         for ch in c.checks)
        figs = []
        for r in crow:
            src = _plot_src(r, embed_root)
            if src:
                cap = f"{r.get('case', '')}{' (control)' if r.get('control') else ''}: {r.get('verdict', '')}"
                figs.append(f'<figure><a href="{escape(src)}"><img src="{escape(src)}" loading="lazy" '
                            f'alt="{escape(cid)} {escape(cap)}"></a><figcaption>{escape(cap)}</figcaption></figure>')
        cases = ", ".join(f"{escape(str(r.get('case')))}{' (control)' if r.get('control') else ''}: "
                          f"{pill(str(r.get('verdict')), bool(r.get('control')))}" for r in crow if r.get("verdict") != "not-measured")
        out.append(
            f'<section class="claim" id="{escape(cid)}"><h3>{escape(cid)} {pill(verdict)} '
            f"<code>{escape(c.slug)}</code></h3>"
            f'<div class="meta">{escape(c.paper)}, {escape(c.section)}'
            f'{" · measured by " + escape(c.measured_by) if c.measured_by else ""}</div>'
            f"<div><b>{escape(c.statement)}</b></div><blockquote>{escape(c.quote)}</blockquote>"
            f"<div><b>Metric:</b> {escape(c.metric)}</div><div><b>Rule</b> (holds when all pass):<ul>{checks}</ul></div>"
            f"<div><b>Negative control:</b> {escape(c.control)}</div>"
            f'{"<div><b>Definitions:</b> " + escape(c.definitions) + "</div>" if c.definitions else ""}'
            f'{"<div><b>Refutations declared:</b><ul>" + "".join(f"<li><code>{escape(x.case)}</code>: {escape(x.reason)}</li>" for x in c.refutations) + "</ul></div>" if c.refutations else ""}'
            f'{"<div><b>Cases:</b> " + cases + "</div>" if cases else ""}'
            f'{"<div class=plots>" + "".join(figs) + "</div>" if figs else ""}</section>')
    out.append("</main></body></html>")
    return "\n".join(x for x in out if x)


def placeholder_ledger(reason: str) -> dict:
    """A ledger with every declared claim not measured (when claims.json does not exist yet)."""
    rows = [{"claim": cid, "case": "-", "verdict": "not-measured", "measured": {}, "rule": c.rule,
             "seconds": 0.0, "control": False, "note": reason} for cid, c in registry.CLAIMS.items()]
    return {"summary": ledger_mod.summarize(rows) + f" ({reason})", "rows": rows}


def write(reports, *, embed: bool = False, out: Path | None = None) -> Path:
    """Write ``<reports>/claims.html`` from ``<reports>/claims.json``; returns its path."""
    reports = Path(reports)
    src = reports / "claims.json"
    if src.exists():
        led = json.loads(src.read_text(encoding="utf-8"))
    else:
        led = placeholder_ledger(f"no {src} yet: run `make verify`")
    out = Path(out) if out else reports / "claims.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(led, embed_root=reports if embed else None), encoding="utf-8")
    return out

"""``reports/claims.html``: the claims ledger as one static page (no Node, no network, no script).

Built from ``reports/claims.json`` (``ledger.merge``; the headline decided by ``verdicts.headline``) and the
claims (``verdicts.claims``):

1. the summary line (the ledger's headline counts);
2. the headline table, one row per claim: statement, the **primary** verdict, the verdict per
   configuration, the primary interval, how many variants agree, how many controls are refuted — a
   control that *held* is shown as a finding (the measurement does not discriminate);
3. per claim: the paper's quote, section, rule (and why each threshold), then every case (primary
   first, then variants, then controls) with its measured-vs-threshold table (``report.tables``),
   what would have made a control hold, regressions against the baseline, and its plot.

Plot links are relative to ``reports/`` (``row["plot"]``), so the page and ``plots/`` travel together.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from ..run import Ledger
from ..verdicts.claims import CLAIMS
from . import tables

VERDICT_STYLE = {  # (text, background)
    "holds": ("#116329", "#dafbe1"),
    "refuted": ("#a40e26", "#ffebe9"),
    "inconclusive": ("#7d4e00", "#fff8c5"),
    "error": ("#ffffff", "#cf222e"),
    "not-measured": ("#57606a", "#eaeef2"),
}
ROLE_ORDER = {"primary": 0, "replication": 1, "variant": 2, "control": 3}
ROLE_TEXT = {"primary": "primary", "replication": "toy replication", "variant": "variant", "control": "control",
             "positive": "positive control"}

CSS = """
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1400px;margin:0 auto;padding:20px 28px 60px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:30px 0 8px}h3{font-size:16px;margin:0 0 4px}
h4{font-size:14px;margin:16px 0 6px;color:#57606a;text-transform:uppercase;letter-spacing:.03em}
.env{color:#57606a;font-size:12.5px}
.summary{font-size:16px;font-weight:600;margin:14px 0 6px;padding:10px 14px;background:#fff;border:1px solid #d0d7de;
border-radius:6px}
.counts{margin:8px 0 4px}.counts span.c{margin-right:14px;font-size:14px}
.legend{color:#57606a;font-size:12.5px;margin:6px 0 0}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border:1px solid #d0d7de;padding:5px 7px;vertical-align:top;text-align:left}
th{background:#f0f3f6}
#headline th{position:sticky;top:0;z-index:1}
#headline td.stmt{min-width:190px;max-width:360px}
#headline td.meas{max-width:460px;font-size:12.5px}#headline td.meas .conf{white-space:normal}
#headline td.ctl{min-width:150px;max-width:280px}#headline td.var{white-space:nowrap}
#headline tr.not-measured td{color:#6e7781;font-size:12px;padding-top:3px;padding-bottom:3px}
.pill{display:inline-block;padding:1px 9px;border-radius:10px;font-weight:600;font-size:12px;white-space:nowrap}
.pill.big{font-size:13px;padding:2px 11px}
.conf{white-space:nowrap;display:block;margin:1px 0}.conf .k{color:#57606a;font-size:12px}
.ok{color:#116329}.bad{color:#a40e26;font-weight:600}.muted{color:#6e7781;font-size:12px}
.finding{display:block;margin-top:3px;padding:2px 6px;border-radius:4px;background:#fff1e5;color:#953800;
border:1px solid #ffb77c;font-weight:600;font-size:12px}
.findings{background:#fff1e5;border:1px solid #ffb77c;border-radius:6px;padding:8px 14px;margin:12px 0}
.findings.reg{background:#ffebe9;border-color:#ff8182}
.findings b{color:#953800}.findings.reg b{color:#a40e26}
.findings ul{margin:4px 0 0 0;padding-left:20px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f0f3f6;padding:1px 4px;border-radius:4px;
overflow-wrap:anywhere}
.claim{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:14px 18px;margin:16px 0}
.claim .meta{color:#57606a;font-size:12.5px;margin-bottom:6px}
blockquote{margin:8px 0;padding:6px 12px;border-left:4px solid #d0d7de;color:#24292f;background:#f6f8fa;
font-style:italic}
.case{border:1px solid #d0d7de;border-left:5px solid #d0d7de;border-radius:4px;padding:8px 12px;margin:8px 0;
background:#fff}
.case.v-holds{border-left-color:#1a7f37}.case.v-refuted{border-left-color:#cf222e}
.case.v-inconclusive{border-left-color:#d4a72c}.case.v-error{border-left-color:#82071e}
.case.control{background:#fbfcfd}.case.control.v-refuted{border-left-color:#0e7490}
.case.control.v-holds{border-left-color:#bc4c00;background:#fff8f2}
.case.control table.checks tr.refuted td:nth-child(6){color:#0e7490}
.case.control table.checks tr.holds td:nth-child(6){color:#bc4c00}
.case .head{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.case .id{font-weight:600}.case .role{color:#57606a;font-size:12px;text-transform:uppercase}
.case .reason{color:#57606a;font-size:12.5px}
.case .body{display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start;margin-top:6px}
.case .tbl{flex:1 1 640px;min-width:0}
.case img{width:380px;max-width:100%;border:1px solid #d0d7de;background:#fff}
table.checks{width:auto;min-width:60%}
table.checks tr.holds td:nth-child(6){color:#116329;font-weight:600}
table.checks tr.refuted td:nth-child(6){color:#a40e26;font-weight:600}
table.checks tr.inconclusive td:nth-child(6){color:#7d4e00;font-weight:600}
table.checks tr.error td:nth-child(6){color:#82071e;font-weight:600}
.note{font-size:12.5px;margin-top:4px}
.vnote{font-size:11.5px;color:#953800;margin-top:4px;max-width:260px}
.claim>.vnote{max-width:none;font-size:12.5px;margin:2px 0 6px}
.regression{color:#a40e26;font-weight:600;font-size:12.5px;margin-top:4px}
details.more summary{cursor:pointer;color:#0969da;font-size:12px;margin-top:4px}
details.more code{display:block;font-size:11px;margin-top:3px;white-space:pre-wrap}
ul.rule{margin:4px 0}.why{color:#57606a}
"""


def pill(verdict: str, *, big: bool = False, label: str | None = None) -> str:
    """A coloured verdict badge."""
    fg, bg = VERDICT_STYLE.get(verdict, ("#1f2328", "#eaeef2"))
    text = label or verdict.replace("-", " ")
    return (f'<span class="pill{" big" if big else ""} verdict-{escape(verdict)}" '
            f'style="color:{fg};background:{bg}">{escape(text)}</span>')


def control_pill(verdict: str) -> str:
    """A control's badge: refuted is what a control must be (calm), holds is a finding (alarm)."""
    if verdict == "holds":
        return ('<span class="pill verdict-holds control-holds" style="color:#fff;background:#bc4c00" '
                'title="a negative control must not hold">CONTROL HOLDS</span>')
    return (f'<span class="pill verdict-{escape(verdict)}" style="color:#0e7490;background:#cffafe" '
            f'title="a negative control must not hold">{escape(verdict)} (as a control must)</span>')


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


def _anchor(row_id: str) -> str:
    return "case-" + "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in row_id)


def _short_reason(r: dict) -> str:
    """A row's reason, its first part (a reason may repeat per sample); the full reason is on the case."""
    parts = list(dict.fromkeys(p.strip() for p in str(r.get("reason") or "").split(";") if p.strip()))
    return parts[0] + (f" (+{len(parts) - 1} more)" if len(parts) > 1 else "") if parts else ""


def _interval(c: dict, prim: list[dict]) -> str:
    """Each primary case's decided values with their intervals (``metric=value [lo, hi]``)."""
    parts = []
    confs = {r["configuration"] for r in prim}
    for r in prim:
        txt = tables.measured_text(r) or _short_reason(r)
        if txt:
            name = (r["configuration"] if len(confs) == len(prim) else r["case"] if len(confs) == 1
                    else f'{r["configuration"]}/{r["case"]}')
            conf = f'<span class="k">{escape(name)}:</span> ' if len(prim) > 1 else ""
            parts.append(f'<span class="conf">{conf}{escape(txt)}</span>')
    if not parts and c.get("ci"):
        return escape(tables.interval_text({"ci": c["ci"]}))
    return "".join(parts)


def _note(c: dict) -> str:
    """Why the headline is what it is, when it is not a plain hold (does not discriminate, premise not met,
    depends on a constant, too few samples, not significant after Holm, ...)."""
    return f'<div class="vnote">{escape(c["why"])}</div>' if c.get("why") else ""


def _replication_cell(c: dict) -> str:
    r = c.get("replication")
    if not r:
        return '<span class="muted">none</span>'
    return pill(r["verdict"]) + (f'<div class="vnote">{escape(r["why"])}</div>' if r.get("why") else "")


def _controls_cell(c: dict, *, links: bool = True) -> str:
    ct = c["controls"]
    if not ct["total"]:
        return '<span class="muted">none</span>'
    cls = "ok" if ct["refuted"] == ct["total"] else "bad" if ct["held"] else ""
    out = f'<span class="{cls}">{ct["refuted"]} of {ct["total"]} refuted</span>'
    for rid in ct["held"]:
        href = f' href="#{escape(_anchor(rid))}"' if links else ""
        out += (f'<a class="finding"{href} title="a negative control held">'
                f'control HOLDS: {escape(rid)} — the measurement does not discriminate</a>')
    for rid in ct.get("inconclusive", []):
        out += f'<span class="conf muted">inconclusive: {escape(rid)}</span>'
    return out


def _positives_cell(c: dict, *, links: bool = True) -> str:
    """Positive controls held of total (must hold), those that did not, and the primaries' power."""
    pos = c.get("positives") or {"held": 0, "total": 0}
    if not pos.get("total"):
        out = '<span class="muted">none (power not shown)</span>'
    else:
        cls = "ok" if pos["held"] == pos["total"] else "bad"
        out = f'<span class="{cls}">{pos["held"]} of {pos["total"]} held</span>'
        for rid in pos.get("failed") or []:
            href = f' href="#{escape(_anchor(rid))}"' if links else ""
            out += (f'<a class="finding"{href} title="a positive control did not hold">'
                    f'positive FAILS: {escape(rid)} — the measurement cannot see the planted effect</a>')
    power = tables.power_text(c.get("power") or [])
    if power:
        out += f'<details class="muted"><summary>power (80%)</summary>{escape(power)}</details>'
    return out


def _case_html(r: dict, embed_root: Path | None) -> str:
    role, verdict = r.get("role", ""), r.get("verdict", "")
    held = role == "control" and verdict == "holds"
    if role == "control" and verdict in ("holds", "refuted"):
        badge = control_pill(verdict)
    else:
        badge = pill(verdict)
    src = _plot_src(r, embed_root)
    plot = (f'<a href="{escape(src)}"><img src="{escape(src)}" loading="lazy" '
            f'alt="{escape(r.get("id", ""))} plot"></a>' if src else "")
    notes = []
    if held:
        notes.append('<div class="regression">The control holds: the measurement does not discriminate the claim '
                     "from its control.</div>")
    if role == "control" and r.get("holds_if"):
        notes.append(f'<div class="note"><b>Would have held if:</b> {escape(r["holds_if"])}</div>')
    if role == "positive":
        notes.append(f'<div class="note"><b>Planted (must hold):</b> {escape(r.get("planted", ""))}</div>')
        if verdict != "holds":
            notes.append('<div class="regression">The positive control does not hold: the measurement cannot see '
                         "the planted effect, so it cannot refute the claim.</div>")
    if r.get("positives"):
        notes.append('<div class="note"><b>Matched positive controls:</b> '
                     + ", ".join(escape(c) for c in r["positives"]) + "</div>")
    if r.get("controls"):
        notes.append('<div class="note"><b>Matched negative controls:</b> '
                     + ", ".join(escape(c) for c in r["controls"]) + "</div>")
    for s in r.get("sensitivity") or []:
        pairs = ", ".join(f"{escape(str(v))}: {pill(x)}" for v, x in zip(s["values"], s["verdicts"]))
        flip = (f' <span class="bad">flips: {escape(s["flip"])}</span>' if s.get("flip")
                else ' <span class="ok">the same verdict across the range</span>')
        notes.append(f'<div class="note sens"><b>Sensitivity to {escape(s["constant"])}</b> '
                     f'(declared {escape(str(s["declared"]))}): {pairs}{flip}'
                     f'<div class="muted">{escape(s["why"])}</div></div>')
    if r.get("note"):
        notes.append(f'<div class="note muted">{escape(r["note"])}</div>')
    for reg in r.get("regression") or []:
        notes.append(f'<div class="regression">REGRESSION: {escape(reg)}</div>')
    if not r.get("regression") and r.get("expected"):
        notes.append(f'<div class="note muted">baseline: expected {escape(r["expected"])} '
                     f'({escape(str(r.get("baseline") or "default"))}) — matches</div>')
    if r.get("error"):
        notes.append(f'<div class="regression">error: {escape(str(r["error"]))}</div>')
    cfg = {k: r[k] for k in ("params", "definition", "sample_ids") if r.get(k)}
    more = []
    if r.get("statistic"):
        more.append(f"decision: {r['statistic']}, {r.get('samples', 0)} sample(s)")
    if cfg:
        more.append("configuration: " + json.dumps(cfg, default=str, sort_keys=True))
    if isinstance(r.get("seconds"), (int, float)):
        more.append(f"seconds: {tables.fmt(round(float(r['seconds']), 2))}")
    if r.get("repro"):
        more.append(f"repro: {r['repro']}")
    details = (f'<details class="more"><summary>decision, configuration, repro</summary>'
               f'<code>{escape(chr(10).join(more))}</code></details>' if more else "")
    table = tables.html(r) if r.get("decided") else '<span class="muted">nothing decided</span>'
    return (f'<div class="case {escape(role)} v-{escape(verdict)}" id="{escape(_anchor(r.get("id", "")))}" '
            f'data-role="{escape(role)}" data-verdict="{escape(verdict)}">'
            f'<div class="head"><span class="role">{escape(ROLE_TEXT.get(role, role))}</span>'
            f'<span class="id">{escape(r.get("id", ""))}</span>{badge}'
            f'{"<span class=reason>" + escape(r["reason"]) + "</span>" if r.get("reason") else ""}</div>'
            f'<div class="body"><div class="tbl">{table}{"".join(notes)}{details}</div>{plot}</div></div>')


LEGEND = ('<div class="legend">The verdict of a claim comes from its <b>primary</b> cases in the claim\'s scope '
          "(the paper's protocol at the threshold declared before measuring; every configuration must hold). It is "
          "inconclusive when a premise is unmet, when a matched control holds or departs the same way (does not "
          "discriminate), or when a declared sweep of a constant the paper never fixed flips it; a refutation must "
          "survive Holm's correction over the claim's checks. The toy replication of a network claim has its own "
          "column. Variants are sensitivity analyses; controls are the same measurement where the paper's "
          "mechanism is absent and must not hold.</div>")


def headline_table(claims: dict, rows: list[dict], *, links: bool = True) -> str:
    """The headline table: one row per claim (primary verdict, per configuration, interval, variants, controls)."""
    def a(href: str, text: str) -> str:
        return f'<a href="#{escape(href)}">{text}</a>' if links else text

    out = ['<table id="headline"><thead><tr><th>claim</th><th>statement</th><th>verdict (the claim\'s scope)</th>'
           "<th>per configuration</th><th>primary measured [interval]</th><th>toy replication</th>"
           "<th>variants agreeing</th><th>negative controls</th><th>positive controls (must hold)</th></tr></thead><tbody>"]
    for cid, c in claims.items():
        claim = CLAIMS.get(cid)
        verdict = c["verdict"]
        prim = [r for r in rows if r.get("claim") == cid and r.get("role") == "primary"]
        per = "".join(f'<span class="conf"><span class="k">{escape(k)}</span> {pill(v)}</span>'
                      for k, v in c.get("per_configuration", {}).items())
        v = c.get("variants", {"agree": 0, "total": 0})
        variants = (f'{v["agree"]} of {v["total"]} agree' if v["total"] else '<span class="muted">none</span>')
        statement = c.get("statement") or (claim.statement if claim else "")
        if verdict == "not-measured":
            out.append(f'<tr class="not-measured" data-claim="{escape(cid)}"><td>{a(cid, escape(cid))}</td>'
                       f'<td class="stmt">{escape(statement)}</td><td>{pill(verdict)}</td><td colspan="6"></td></tr>')
            continue
        label = tables.verdict_text(verdict, c.get("qualifier", ""))
        out.append(
            f'<tr data-claim="{escape(cid)}" data-verdict="{escape(verdict)}"><td>{a(cid, "<b>" + escape(cid) + "</b>")}'
            f"</td><td class=\"stmt\">{escape(statement)}<div class=\"muted\">about: {escape(c.get('scope', ''))}</div></td>"
            f"<td>{pill(verdict, big=True, label=label)}{_note(c)}</td><td>{per}</td>"
            f"<td class=\"meas\">{_interval(c, prim)}</td><td>{_replication_cell(c)}</td>"
            f"<td class=\"var\">{variants}</td><td class=\"ctl\">{_controls_cell(c, links=links)}</td>"
            f"<td class=\"ctl\">{_positives_cell(c, links=links)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def headline_page(led: dict) -> str:
    """A small standalone HTML page: the summary, the counts and the headline table (for the Allure report)."""
    rows = led.get("rows", [])
    claims, summary = _headline(led)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><style>{CSS}main{{padding:8px}}</style>'
            f"</head><body><main>{_counts(claims)}{headline_table(claims, rows, links=False)}"
            f'<div class="summary">{escape(summary)}</div>{LEGEND}</main></body></html>')


def _counts(claims: dict) -> str:
    counts: dict[str, int] = {}
    for c in claims.values():
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    order = ("holds", "refuted", "inconclusive", "error", "not-measured")
    html = "".join(f'<span class="c">{pill(v)} <b>{counts[v]}</b> claim{"s" if counts[v] != 1 else ""}</span>'
                   for v in order if counts.get(v))
    return f'<div class="counts" id="counts">{html}</div>' if html else ""


def render(led: dict, *, embed_root: Path | None = None) -> str:
    """The HTML page for a ledger dict (as in claims.json). ``embed_root``: inline the plots from there."""
    rows = led.get("rows", [])
    claims, summary = _headline(led)
    env_keys = ("tier", "device", "torch", "numpy", "python", "platform", "numerics", "generated")
    env = " · ".join(f"{k} <b>{escape(str(led[k]))}</b>" for k in env_keys if led.get(k) not in (None, ""))
    settings = led.get("settings") or {}
    if settings:
        env += ('<div class="env">settings (a verdict is about the setting it was measured in): '
                + " · ".join(f"<b>{escape(k)}</b> = {escape(v)}" for k, v in settings.items()) + "</div>")
    held = [r for r in rows if r.get("role") == "control" and r.get("verdict") == "holds"]
    blind = [r for r in rows if r.get("role") == "positive" and r.get("verdict") != "holds"]
    regressed = [r for r in rows if r.get("regression")]

    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>landscape-claims: claims ledger</title>", f"<style>{CSS}</style></head><body><main>",
           "<h1>landscape-claims — claims ledger</h1>",
           "<div class=\"env\">Fort &amp; Jastrzebski 2019 (Large Scale Structure of Neural Network Loss "
           "Landscapes) · He, Huang &amp; Yuan 2019 (Asymmetric Valleys)</div>",
           f'<div class="env">{env}</div>' if env else "",
           f'<div class="summary" id="summary">{escape(summary)}</div>',
           _counts(claims)]
    if held:
        out.append('<div class="findings" id="controls-held"><b>Finding: controls that HOLD</b> — on these cases the '
                   "measurement does not tell the claim from its negative control, so the claim's verdict there "
                   "says little:<ul>" + "".join(
                       f'<li><a href="#{escape(_anchor(r["id"]))}">{escape(r["id"])}</a>: '
                       f'{escape(tables.measured_text(r))}'
                       f'{" — would have held if " + escape(r["holds_if"]) if r.get("holds_if") else ""}</li>'
                       for r in held) + "</ul></div>")
    if blind:
        out.append('<div class="findings" id="positives-failed"><b>Finding: positive controls that do NOT hold</b> — '
                   "on these planted cases the measurement cannot see the paper's mechanism, so it cannot refute the "
                   "claim:<ul>" + "".join(
                       f'<li><a href="#{escape(_anchor(r["id"]))}">{escape(r["id"])}</a> ({escape(r["verdict"])}): '
                       f'{escape(tables.measured_text(r))} — planted: {escape(r.get("planted", ""))}</li>'
                       for r in blind) + "</ul></div>")
    if regressed:
        out.append('<div class="findings reg" id="regressions"><b>Regressions against the baselines</b> (these tests '
                   "failed):<ul>" + "".join(
                       f'<li><a href="#{escape(_anchor(r["id"]))}">{escape(r["id"])}</a>: '
                       f'{escape("; ".join(r["regression"]))}</li>' for r in regressed) + "</ul></div>")

    out += ["<h2>Headline: the primary verdict of each claim</h2>", LEGEND, headline_table(claims, rows)]

    out.append("<h2>Claims and every case</h2>")
    measured = [cid for cid, c in claims.items() if c["verdict"] != "not-measured"]
    unmeasured = [cid for cid in claims if cid not in measured]
    for cid in measured + unmeasured:
        c = claims[cid]
        if cid == (unmeasured or [None])[0]:
            out.append(f"<h2>Not measured at this tier ({len(unmeasured)})</h2>")
        claim = CLAIMS.get(cid)
        mine = sorted((r for r in rows if r.get("claim") == cid),
                      key=lambda r: (ROLE_ORDER.get(r.get("role"), 3), r.get("configuration", ""), r.get("case", "")))
        head = f'<h3>{escape(cid)} {pill(c["verdict"], big=True)}'
        if claim is not None:
            head += f" <code>{escape(claim.slug)}</code>"
        head += "</h3>"
        parts = [f'<section class="claim" id="{escape(cid)}">', head, _note(c)]
        if claim is not None:
            checks = "".join(f"<li><code>{escape(ch.describe())}</code> <span class=\"why\">— {escape(ch.why)}</span></li>"
                             for ch in claim.checks)
            parts += [f'<div class="meta">{escape(claim.paper)}, {escape(claim.section)}</div>',
                      f"<div><b>{escape(claim.statement)}</b></div><blockquote>{escape(claim.quote)}</blockquote>",
                      f"<div><b>Metric:</b> {escape(claim.metric)}</div>",
                      f'<div><b>Rule</b> (holds when every check holds):<ul class="rule">{checks}</ul></div>',
                      f"<div><b>Negative control:</b> {escape(claim.negative_control)}</div>",
                      f'{"<div><b>Definitions:</b> " + escape(claim.definitions) + "</div>" if claim.definitions else ""}']
        if not mine:
            parts.append('<div class="muted">not measured at this tier</div>')
        for role, title in (("primary", "Primary"), ("replication", "Toy replication"), ("variant", "Variants"),
                            ("control", "Controls")):
            rs = [r for r in mine if r.get("role") == role]
            if rs:
                parts.append(f"<h4>{title} ({len(rs)})</h4>" + "".join(_case_html(r, embed_root) for r in rs))
        parts.append("</section>")
        out.append("".join(p for p in parts if p))
    out.append("</main></body></html>")
    return "\n".join(x for x in out if x)


def _headline(led: dict) -> tuple[dict, str]:
    """The ledger's claims and summary line (decided from its rows when a ledger lacks them)."""
    if led.get("claims") and led.get("summary"):
        return led["claims"], led["summary"]
    d = Ledger.of(led.get("rows", [])).as_dict()
    return led.get("claims") or d["claims"], led.get("summary") or d["summary"]


def placeholder_ledger(reason: str) -> dict:
    """A ledger with every declared claim not measured (when claims.json does not exist yet)."""
    d = Ledger.of([]).as_dict()
    return {"summary": d["summary"] + f" ({reason})", "claims": d["claims"], "rows": []}


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

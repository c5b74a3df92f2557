"""The one assertion helper of every claim test.

``check_claim(claim_id, case, measured, config=..., control=...)`` applies the claim's declared rule
(``registry``) to the measured numbers, writes the ledger row, attaches everything to the Allure
result (title, quote, parameters, measured-vs-threshold table, JSON, plot) and raises an
AssertionError whose message says: measured vs threshold, configuration, the paper's quote and a
repro line. A negative control (``control=True``) must come out refuted; if it holds, that fails.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import registry
from .report import ledger


@dataclass
class Context:
    """Per-session facts the helper needs (set by conftest.py)."""

    reports: Path = Path("reports")
    tier: str = "quick"
    device: str = "cpu"
    repro: str = ""  # set per test: the command that reruns it
    started: float = field(default_factory=time.perf_counter)


CONTEXT = Context()


@dataclass(frozen=True)
class Outcome:
    claim: registry.Claim
    case: str
    holds: bool
    rows: list
    control: bool

    @property
    def verdict(self) -> str:
        if self.control:
            return "holds" if self.holds else "refuted-as-expected"
        return "holds" if self.holds else "refuted"


def table_text(outcome: Outcome, measured: dict) -> str:
    lines = []
    for c, value, ok in outcome.rows:
        lines.append(f"  {c.metric} = {ledger.fmt(value)}   rule {c.op} {ledger.fmt(c.threshold)}   "
                     f"{'pass' if ok else 'FAIL'}   ({c.why})")
    extra = {k: v for k, v in measured.items() if k not in {c.metric for c in outcome.claim.checks}}
    if extra:
        lines.append("  also: " + ", ".join(f"{k}={ledger.fmt(v)}" for k, v in extra.items()))
    return "\n".join(lines)


def message(outcome: Outcome, measured: dict, config: dict) -> str:
    c = outcome.claim
    head = f"{c.id} {c.slug} [{outcome.case}]{' (negative control)' if outcome.control else ''}: {outcome.verdict.upper()}"
    if outcome.control and outcome.holds:
        head += " — the control was expected to be refuted: the measurement cannot tell the claim apart"
    return "\n".join([
        head,
        f"claim: {c.statement}",
        "measured vs threshold:",
        table_text(outcome, measured),
        f"configuration: {json.dumps(config, default=str, sort_keys=True)}",
        f"paper ({c.section}): \"{c.quote}\"",
        f"repro: {CONTEXT.repro}" if CONTEXT.repro else "",
    ]).rstrip()


def _allure(outcome: Outcome, measured: dict, config: dict, plot, seconds: float) -> None:
    try:
        import allure
    except ImportError:  # pragma: no cover - allure-pytest is a dependency
        return
    c = outcome.claim
    try:
        allure.dynamic.title(f"{c.id} {'[control] ' if outcome.control else ''}{c.statement} [{outcome.case}]")
        table = "| metric | measured | rule | | why |\n|---|---|---|---|---|\n" + "".join(
            f"| {ch.metric} | {ledger.fmt(v)} | {ch.op} {ledger.fmt(ch.threshold)} | {'pass' if ok else '**FAIL**'} | "
            f"{ch.why.replace('|', '/')} |\n" for ch, v, ok in outcome.rows)
        allure.dynamic.description(
            f"**{c.paper}**, {c.section}\n\n> {c.quote}\n\n**Rule:** {c.rule}\n\n"
            f"**Measured ({outcome.verdict}):**\n\n{table}\n\n"
            f"{'**Negative control:** ' + c.control if outcome.control else ''}\n\n"
            f"{('**Definitions:** ' + c.definitions) if c.definitions else ''}")
        allure.dynamic.label("claim", c.id)
        allure.dynamic.label("section", c.section)
        allure.dynamic.label("verdict", outcome.verdict)
        allure.dynamic.epic(c.paper.split(",")[0])
        allure.dynamic.feature(f"{c.id} {c.slug}")
        allure.dynamic.story("negative control" if outcome.control else "claim")
        allure.dynamic.tag(c.id, CONTEXT.tier)
        allure.dynamic.parameter("tier", CONTEXT.tier)
        for k, v in sorted(config.items()):
            allure.dynamic.parameter(str(k), str(v))
        rows = "".join(f"<tr><td>{ch.metric}</td><td>{ledger.fmt(v)}</td><td>{ch.op} {ledger.fmt(ch.threshold)}</td>"
                       f"<td>{'pass' if ok else 'FAIL'}</td><td>{ch.why}</td></tr>" for ch, v, ok in outcome.rows)
        html = ("<style>body,table{font-family:sans-serif;font-size:13px}td,th{border:1px solid #ccc;padding:4px}"
                "table{border-collapse:collapse}</style>"
                f"<h3>{c.id}: {outcome.verdict}</h3><table border=1 cellpadding=4><tr><th>metric</th><th>measured"
                f"</th><th>threshold</th><th></th><th>why this threshold</th></tr>{rows}</table>")
        allure.attach(html, name="measured vs threshold", attachment_type=allure.attachment_type.HTML)
        allure.attach(json.dumps({"claim": c.id, "case": outcome.case, "verdict": outcome.verdict,
                                  "measured": measured, "config": config, "seconds": seconds}, indent=1, default=str),
                      name="measurements.json", attachment_type=allure.attachment_type.JSON)
        if plot is not None:
            allure.attach.file(str(plot), name=f"{c.id} plot", attachment_type=allure.attachment_type.PNG)
    except Exception:  # allure not active (no --alluredir): nothing to attach to
        pass


def check_claim(claim_id: str, case: str, measured: dict, *, config: dict | None = None, control: bool = False,
          plot=None, seconds: float | None = None) -> Outcome:
    """Decide ``claim_id`` on ``case`` by its declared rule, record it everywhere, assert.

    ``plot``: a matplotlib Figure (saved to reports/plots/) or a path to a PNG. Keys of ``measured``
    starting with "_" (arrays kept for plots) are left out of the ledger.
    """
    claim = registry.get(claim_id)
    config = dict(config or {})
    measured = {k: v for k, v in measured.items() if not k.startswith("_")}
    holds, rows = claim.evaluate(measured)
    outcome = Outcome(claim, case, holds, rows, control)
    seconds = float(seconds if seconds is not None else time.perf_counter() - CONTEXT.started)
    plot_path = _save_plot(plot, claim_id, case, control)
    _allure(outcome, measured, config, plot_path, seconds)
    ledger.append(CONTEXT.reports, {
        "claim": claim_id, "case": case, "control": control, "verdict": outcome.verdict,
        "measured": measured, "threshold": {c.metric: c.threshold for c in claim.checks}, "rule": claim.rule,
        "config": config, "seconds": round(seconds, 3), "tier": CONTEXT.tier,
        "plot": str(plot_path.relative_to(CONTEXT.reports)) if plot_path else None,
        "repro": CONTEXT.repro,
        "known_refutation": (r.reason if (r := claim.refutation_for(case)) else None),
    })
    text = message(outcome, measured, config)
    if control:
        assert not holds, text
    else:
        assert holds, text
    return outcome


def _save_plot(plot, claim_id: str, case: str, control: bool) -> Path | None:
    if plot is None:
        return None
    out = Path(CONTEXT.reports) / "plots"
    out.mkdir(parents=True, exist_ok=True)
    if isinstance(plot, (str, Path)):
        return Path(plot)
    path = out / f"{claim_id}-{case}{'-control' if control else ''}.png".replace("/", "_")
    plot.savefig(path, dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(plot)
    return path

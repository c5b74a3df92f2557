"""Fast tests of the reporting layer: plots, claims.html, the Allure result of a case (attach_row's
content), verdicts as Allure statuses, categories, environment, the tracking-script detector and
report.cli's paths that need no Node (no browser, no npm). Built on a small synthetic ledger
(``synthetic_rows``), never on a real run."""

from __future__ import annotations

import base64
import json
import re

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from landscape_lib.report import allure as allure_meta
from landscape_lib.report import claims_page as claims_html
from landscape_lib.report import cli as report_cli
from landscape_lib.report import ledger, tables
from landscape_lib.report import plots as report
from landscape_lib.verdicts import decide as dc
from landscape_lib.verdicts.claims import CLAIMS
from landscape_lib.run import Ledger
from landscape_lib.types import Role, Sample
from landscape_lib.verdicts.row import Row

matplotlib.use("Agg")

# -- a synthetic ledger -----------------------------------------------------------------------------

# (claim, configuration, case, role, outcome, samples, expected verdict, extra fields). The samples are made
# from the claim's declared checks (``_samples``), so the ledger follows the claims as they change.
SYNTHETIC = [
    ("C4", "mlp-digits", "line", "primary", "holds", 3, None,
     {"plot": "plots/C4__mlp-digits__line.png", "controls": ["control-line"]}),
    ("C4", "toy", "control-same-wedge-D100", "control", "refuted", 3, None,
     {"holds_if": "the line between two optima of one wedge rose 10x above them"}),
    ("C4", "softmax-digits", "control-line", "control", "holds", 3, "holds",
     {"holds_if": "the convex model's line rose 10x above its ends"}),
    ("C8", "mlp-digits", "budget", "primary", "refuted", 3, "refuted", {}),
    ("C8", "mlp-digits", "loss-matched", "variant", "holds", 3, None, {}),
    ("C8", "toy", "paper-pinned-D100", "replication", "holds", 3, None, {}),
    ("C11", "mlp-digits", "optimum-gaussian-a0.1", "primary", "inconclusive", 3, "inconclusive", {}),
    ("C13", "mlp-digits", "pairs", "primary", "refuted", 3, "holds", {}),  # a regression
    ("C12", "mlp-digits", "radius", "primary", "error", 3, None, {}),  # a metric missing: an error
]


def _value(check, ok: bool, i: int) -> float:
    """A value on the claimed side of the check (``ok``) or the other, a little different per sample ``i``."""
    t, op = check.threshold, check.op
    if op == "==":
        return t if ok else t + 1 + i
    up = op in (">", ">=")
    if t > 0:
        return t * ((2 + 0.2 * i) if ok == up else (0.5 - 0.05 * i))
    step = max(abs(t), 1.0) * (1 + 0.2 * i)
    return t + step if ok == up else t - step


def _samples(claim, outcome: str, n: int) -> list[dict]:
    """``n`` samples of every metric of ``claim`` whose decision is ``outcome``: refuted (the first check
    fails on every sample), inconclusive (it fails on one sample of several), error (a metric missing)."""
    out = []
    for i in range(n):
        s = {}
        for j, c in enumerate(claim.checks):
            fail = j == 0 and (outcome == "refuted" or (outcome == "inconclusive" and i == 0))
            s[c.metric] = _value(c, not fail, i)
        if outcome == "error":
            s.pop(claim.checks[0].metric)
        out.append(s)
    return out


def synthetic_rows(tier: str = "quick") -> list[dict]:
    """Ledger rows (``Row.as_dict()``) decided by ``verdicts.decide`` from made-up samples, with their
    baseline comparison: every verdict, role, a control that holds, a regression and an error."""
    rows = []
    for cid, conf, case, role, outcome, n, expected, extra in SYNTHETIC:
        claim = CLAIMS[cid]
        samples = _samples(claim, outcome, n)
        d = dc.decide(claim.checks, [Sample(x) for x in samples], claim.statistic)
        assert d.verdict == outcome, (cid, case, d)
        exp = expected or ("refuted" if role == "control" else "holds")
        regression = []
        if d.verdict == "error":
            regression = ["the measurement errored"]
        elif d.verdict != exp:
            regression = [f"verdict {d.verdict}, expected {exp} (claims/baselines/{tier}-{conf}.json)"]
        metrics = sorted({k for s in samples for k in s})
        measured = {k: [s.get(k) for s in samples] if n > 1 else samples[0].get(k) for k in metrics}
        row = Row(claim=cid, case=case, configuration=conf, role=Role(role), verdict=d.verdict, reason=d.reason,
                  decided=[c.as_dict() for c in d.checks], statistic=claim.statistic.describe(),
                  samples=n, ci=list(d.ci) if d.ci else None, measured=measured, rule=claim.rule,
                  params={"D": 100} if conf == "toy" else {}, definition={"nodes": case} if cid == "C8" else {},
                  sample_ids=list(range(n)), expected=exp,
                  baseline=f"claims/baselines/{tier}-{conf}.json", regression=regression, seconds=1.25, tier=tier,
                  repro=f"pytest 'claims/test_claims.py::test_case[{cid}/{conf}/{case}]' --tier {tier}",
                  error=d.reason if d.verdict == "error" else "")
        for k, v in extra.items():
            setattr(row, k, v)
        rows.append(row.as_dict())
    return rows


def synthetic_ledger(reports=None, tier: str = "quick") -> dict:
    """A claims.json as ``ledger.merge`` writes it (into ``reports`` when given)."""
    rows = synthetic_rows(tier)
    if reports is not None:
        ledger.reset(reports)
        for r in rows:
            ledger.append(reports, r)
        return ledger.merge(reports, {"tier": tier, "device": "cpu", "torch": "2.x"})
    return Ledger.of(rows, {"tier": tier, "device": "cpu"}).as_dict()


def by_id(rows, rid):
    return next(r for r in rows if r["id"] == rid)


def test_synthetic_ledger_has_every_verdict_and_role():
    rows = synthetic_rows()
    got = {(r["role"], r["verdict"], bool(r["regression"])) for r in rows}
    assert {("primary", "holds", False), ("primary", "refuted", False), ("primary", "inconclusive", False),
            ("control", "refuted", False), ("control", "holds", False), ("variant", "holds", False),
            ("replication", "holds", False),
            ("primary", "refuted", True), ("primary", "error", True)} <= got, got


# -- plots ------------------------------------------------------------------------------------------

t = np.linspace(0, 1, 11)
PLOTS = {
    "lines": lambda: report.lines(t, {"a": t, "b": t ** 2}, xlabel="x", ylabel="y", title="lines",
                                  hlines={"thr": 0.5}, vlines={"mid": 0.5}),
    "path_losses": lambda: report.path_losses(t, 1 + t, t, 1 + 0 * t, title="paths", extra={"other": (t, 2 + t)}),
    "cosine_matrix": lambda: report.cosine_matrix(np.eye(4), title="cos"),
    "sweep": lambda: report.sweep([1, 2, 3], [1.0, 0.1, 0.01], xlabel="d", ylabel="loss", title="s", vline=2,
                                  vlabel="D-n"),
    "histogram": lambda: report.histogram(np.random.default_rng(0).normal(size=50), xlabel="x", title="h"),
    "bars": lambda: report.bars(["a", "b"], [1, 2], ylabel="y", title="b"),
    "label_agreement": lambda: report.label_agreement(t, 1 - t, t, title="C7", crossing=0.5),
    "count_profile": lambda: report.count_profile(t, {"1e-1": 5 + 3 * np.sin(np.pi * t), "1": 4 + np.sin(np.pi * t)},
                                                  title="C8", endpoints={"endpoints": 5}),
    "count_vs_m": lambda: report.count_vs_m([1, 2, 4, 8], [10, 14, 20, 31], title="C10", control=[10, 10, 10, 10]),
    "width_vs_hyperparam": lambda: report.width_vs_hyperparam([1e-3, 1e-2, 1e-1], [1.0, 2.0, 1.5], name="lr",
                                                              title="C14", rising_until=1e-2, spread=[0.1, 0.2, 0.1]),
    "swa_bars": lambda: report.swa_bars({"high lr": {"snapshots": 0.1, "SWA": 2.0},
                                         "low lr": {"snapshots": 0.1, "SWA": 0.08, "ensemble": 0.07}}, title="C16"),
    "valley_profile": lambda: report.valley_profile(t, t ** 2, 3 * t ** 2, title="A1", interval=(0.2, 0.8)),
    "loss_surface": lambda: report.loss_surface(np.linspace(-2, 2, 9), np.linspace(-1, 1, 7),
                                                np.add.outer(np.linspace(-1, 1, 7) ** 2, np.linspace(-2, 2, 9) ** 2),
                                                title="A4", points={"SGD": (0.1, 0.0), "SWA": (0.5, 0.1)},
                                                arrows={"u": ((0.1, 0.0), (1.0, 0.2))}, logz=True),
}


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_plot_functions_return_figures(name, tmp_path):
    import matplotlib.pyplot as plt

    fig = PLOTS[name]()
    assert isinstance(fig, Figure)
    assert fig.axes and fig.axes[0].get_title()
    fig.savefig(tmp_path / "p.png", dpi=40)
    plt.close(fig)
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"




# -- claims.html ------------------------------------------------------------------------------------

def test_claims_html_headline_then_every_case(tmp_path):
    led = synthetic_ledger(tmp_path)
    page = claims_html.write(tmp_path)
    assert page == tmp_path / "claims.html"
    html = page.read_text()
    assert escape_(led["summary"]) in html
    assert html.index('id="summary"') < html.index('id="headline"') < html.index('class="claim"')
    head = html[html.index('id="headline"'):html.index("</table>", html.index('id="headline"'))]
    rows = re.findall(r'<tr data-claim="([^"]+)" data-verdict="([^"]+)"', head)
    # C4's primary holds, but its matched control holds too: the measurement does not discriminate
    assert dict(rows) == {"C4": "inconclusive", "C8": "refuted", "C11": "inconclusive", "C12": "error",
                          "C13": "refuted"}
    assert dict(rows) == {cid: c["verdict"] for cid, c in led["claims"].items() if c["verdict"] != "not-measured"}
    assert len(re.findall(r'<tr class="not-measured"', head)) == len(CLAIMS) - 5
    c8 = head[head.index('data-claim="C8"'):head.index("</tr>", head.index('data-claim="C8"'))]
    assert "mlp-digits" in c8 and "verdict-refuted" in c8 and "verdict-holds" in c8  # the toy replication holds
    assert "refuted (power not shown)" in c8
    assert "0 of 1 agree" in c8  # the loss-matched variant holds where the primary is refuted
    c4 = head[head.index('data-claim="C4"'):head.index("</tr>", head.index('data-claim="C4"'))]
    if led["claims"]["C4"].get("note"):
        assert escape_(led["claims"]["C4"]["note"]) in c4
    assert "1 of 2 refuted" in c4 and "control HOLDS: C4/softmax-digits/control-line" in c4
    assert claims_html.escape(tables.measured_text(by_id(led["rows"], "C4/mlp-digits/line"))) in c4  # value [interval]
    assert "does not discriminate" in c4
    # the finding and the regression are called out above the table
    assert 'id="controls-held"' in html and 'id="regressions"' in html
    assert "verdict refuted, expected holds" in html
    # every case, primary first, with the one table renderer's output, holds_if and plot
    for r in led["rows"]:
        assert f'id="case-{r["id"].replace("/", "-")}"' in html
        if r["decided"]:
            assert tables.html(r) in html
    sec = html[html.index('<section class="claim" id="C4"'):html.index("</section>", html.index('id="C4"'))]
    assert sec.index("Primary (1)") < sec.index("Controls (2)")
    assert "Would have held if:</b> the convex model&#x27;s line rose 10x" in sec
    assert 'src="plots/C4__mlp-digits__line.png"' in sec
    for c in CLAIMS.values():
        assert f'id="{c.id}"' in html and escape_(c.quote) in html and escape_(c.section) in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")


def escape_(s):
    return claims_html.escape(s)


def test_claims_html_variants_and_controls_counts_come_from_the_ledger():
    led = synthetic_ledger()
    c8 = led["claims"]["C8"]
    assert c8["verdict"] == "refuted" and c8["per_configuration"] == {"mlp-digits": "refuted"}
    assert c8["replication"]["verdict"] == "holds" and c8["qualifier"] == "power not shown"
    html = claims_html.render(led)
    assert f'{c8["variants"]["agree"]} of {c8["variants"]["total"]} agree' in html


def test_claims_html_headline_shows_why_a_primary_decided_nothing():
    led = synthetic_ledger()
    r = by_id(led["rows"], "C11/mlp-digits/optimum-gaussian-a0.1")
    r.update(decided=[], reason="not measurable: only 8 inputs disagree; only 5 inputs disagree")
    html = claims_html.render(led)
    head = html[html.index('id="headline"'):]
    c11 = head[head.index('data-claim="C11"'):head.index("</tr>", head.index('data-claim="C11"'))]
    assert "not measurable: only 8 inputs disagree (+1 more)" in c11
    assert 'class="meas"' in c11  # the measured column wraps: the table fits the page


def test_claims_html_without_claims_json_lists_every_claim_unmeasured(tmp_path):
    html = claims_html.write(tmp_path).read_text()
    assert "run `make verify`" in html
    assert f"{len(CLAIMS)} not measured" in html
    assert len(re.findall(r'<tr class="not-measured"', html)) == len(CLAIMS)


def test_claims_html_can_inline_plots(tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "C4__mlp-digits__line.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    html = claims_html.render(synthetic_ledger(), embed_root=tmp_path)
    assert "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode() in html


# -- one case's Allure result ---------------------------------------------------------------------------

def test_allure_title_labels_parameters_and_description():
    rows = synthetic_rows()
    r = by_id(rows, "C4/softmax-digits/control-line")
    claim = CLAIMS["C4"]
    assert allure_meta.row_title(r, claim) == f"C4/softmax-digits/control-line [control] {claim.statement}"
    labels = dict(allure_meta.row_labels(r, claim))
    assert labels == {"claim": "C4", "verdict": "holds", "role": "control", "configuration": "softmax-digits",
                      "case": "control-line", "baseline": "matches", "section": claim.section,
                      "epic": "Fort & Jastrzebski 2019", "feature": "C04 linear_path_wall",
                      "story": "4 controls (must not hold)"}
    # the tree sorts by name: claims C01 < C02 < C10, roles primary < variants < controls
    feats = sorted(f"{allure_meta.sortable_id(c.id)} {c.slug}" for c in CLAIMS.values() if c.id.startswith("C"))
    assert [f.split()[0] for f in feats] == [allure_meta.sortable_id(i) for i in sorted(
        (c.id for c in CLAIMS.values() if c.id.startswith("C")), key=lambda i: int(i[1:]))]
    assert sorted(allure_meta.ROLE_STORY.values()) == [allure_meta.ROLE_STORY[r] for r in (
        "primary", "replication", "variant", "control", "positive")]
    params = dict(allure_meta.row_parameters(by_id(rows, "C8/mlp-digits/budget")))
    assert params == {"tier": "quick", "configuration": "mlp-digits", "nodes": "budget", "samples": "[0, 1, 2]"}
    assert set(allure_meta.row_tags(r)) == {"C4", "quick", "control", "holds", "softmax-digits"}
    md = allure_meta.row_description(r, claim)
    assert f"> {claim.quote}" in md and claim.section in md and f"`{claim.rule}`" in md
    assert tables.markdown(r) in md
    assert "**This control would have held if:** the convex model's line rose 10x" in md
    assert "does not discriminate" in md
    reg = allure_meta.row_description(by_id(rows, "C13/mlp-digits/pairs"), "C13")
    assert "**Regression against the baseline:**" in reg and "- verdict refuted, expected holds" in reg
    assert dict(allure_meta.row_labels(by_id(rows, "C13/mlp-digits/pairs")))["baseline"] == "regression"
    html = allure_meta.table_html(r)
    assert tables.html(r) in html and "would have held if" in html


def test_attach_row_is_a_no_op_outside_an_allure_run():
    assert allure_meta.attach_row(synthetic_rows()[0], CLAIMS["C4"], None) is None  # no Allure run: nothing, no raise


# -- verdicts as Allure statuses -----------------------------------------------------------------------

@pytest.mark.parametrize("pytest_status, verdict, role, want", [
    ("passed", "holds", "primary", "passed"),
    ("passed", "refuted", "primary", "failed"),
    ("passed", "refuted", "variant", "failed"),
    ("passed", "inconclusive", "variant", "unknown"),
    ("passed", "error", "primary", "broken"),
    ("passed", "refuted", "control", "passed"),
    ("passed", "holds", "control", "failed"),
    ("passed", "inconclusive", "control", "unknown"),
    # a test that genuinely failed keeps its status: a regression, an error, a skip
    ("failed", "holds", "primary", "failed"),
    ("failed", "refuted", "control", "failed"),
    ("broken", "error", "primary", "broken"),
    ("skipped", "holds", "primary", "skipped"),
])
def test_verdict_status(pytest_status, verdict, role, want):
    assert allure_meta.verdict_status(pytest_status, verdict, role) == want


def _result(row, status="passed", message=None):
    res = {"uuid": "u-" + row["id"].replace("/", "-"), "name": "test_case", "status": status,
           "labels": [{"name": n, "value": v} for n, v in allure_meta.row_labels(row)],
           "attachments": []}
    if message:
        res["statusDetails"] = {"message": message, "trace": "tb"}
    return res


def test_rewrite_result_shows_the_verdict_and_keeps_real_failures():
    rows = synthetic_rows()
    ref = allure_meta.rewrite_result(_result(by_id(rows, "C8/mlp-digits/budget")), by_id(rows, "C8/mlp-digits/budget"))
    assert ref["status"] == "failed"
    c8 = CLAIMS["C8"].checks[0]
    assert ref["statusDetails"]["message"].startswith("REFUTED claim: it does not reproduce on this case. refuted: "
                                                      f"{c8.describe()}")
    assert "As in its baseline (claims/baselines/quick-mlp-digits.json), so the test passed." in ref["statusDetails"]["message"]
    assert tables.text(by_id(rows, "C8/mlp-digits/budget")) in ref["statusDetails"]["message"]
    ctl = by_id(rows, "C4/softmax-digits/control-line")
    held = allure_meta.rewrite_result(_result(ctl), ctl)
    assert held["status"] == "failed" and held["statusDetails"]["message"].startswith("CONTROL HOLDS")
    assert "would have held if" in held["statusDetails"]["message"]
    inc = by_id(rows, "C11/mlp-digits/optimum-gaussian-a0.1")
    assert allure_meta.rewrite_result(_result(inc), inc)["status"] == "unknown"
    ok = by_id(rows, "C4/toy/control-same-wedge-D100")
    assert allure_meta.rewrite_result(_result(ok), ok) == _result(ok)  # a refuted control passes as it is
    reg = by_id(rows, "C13/mlp-digits/pairs")
    msg = tables.message(reg, CLAIMS["C13"])
    failed = _result(reg, "failed", "AssertionError: " + msg)
    assert allure_meta.rewrite_result(failed, reg) == failed  # a regression keeps its failure and message
    plain = {"uuid": "x", "status": "passed", "labels": [{"name": "suite", "value": "tests"}]}
    assert allure_meta.rewrite_result(plain) is plain  # a library test is left alone


def test_rewrite_results_copies_and_maps_every_result(tmp_path):
    rows = synthetic_rows()
    src, dst = tmp_path / "results", tmp_path / "copy"
    src.mkdir()
    for r in rows:
        status = "broken" if r["verdict"] == "error" else "failed" if r["regression"] else "passed"
        res = _result(r, status, tables.message(r, CLAIMS[r["claim"]]) if status != "passed" else None)
        (src / f"{r['id'].replace('/', '_')}-attachment.json").write_text(json.dumps(r))
        res["attachments"] = [{"name": "row.json", "source": f"{r['id'].replace('/', '_')}-attachment.json",
                               "type": "application/json"}]
        (src / f"{res['uuid']}-result.json").write_text(json.dumps(res))
    (src / "environment.properties").write_text("tier=quick\n")
    before = {p.name: p.read_text() for p in src.iterdir()}
    counts = allure_meta.rewrite_results(src, dst)
    assert {p.name: p.read_text() for p in src.iterdir()} == before  # the pytest results are untouched
    assert (dst / "environment.properties").read_text() == "tier=quick\n"
    assert json.loads((dst / "categories.json").read_text()) == allure_meta.categories_allure2()
    got = {}
    for f in dst.glob("*-result.json"):
        res = json.loads(f.read_text())
        labels = {l["name"]: l["value"] for l in res["labels"]}
        got[f"{labels['claim']}/{labels['configuration']}/{labels['case']}"] = (
            res["status"], allure_meta.match_category(res["status"], res.get("statusDetails", {}).get("message", ""),
                                                      labels))
    assert got == {
        "C4/mlp-digits/line": ("passed", None),
        "C4/toy/control-same-wedge-D100": ("passed", None),
        "C4/softmax-digits/control-line": ("failed", allure_meta.CONTROL_HOLDS),
        "C8/mlp-digits/budget": ("failed", allure_meta.REFUTED),
        "C8/mlp-digits/loss-matched": ("passed", None),
        "C8/toy/paper-pinned-D100": ("passed", None),
        "C11/mlp-digits/optimum-gaussian-a0.1": ("unknown", allure_meta.INCONCLUSIVE),
        "C13/mlp-digits/pairs": ("failed", allure_meta.REGRESSION),
        "C12/mlp-digits/radius": ("broken", allure_meta.ERROR),
    }
    assert counts == {"passed": 4, "failed": 3, "unknown": 1, "broken": 1}
    # Allure 2 (categories.json, whole-message regexes) sorts the rewritten copy the same way
    for f in dst.glob("*-result.json"):
        res = json.loads(f.read_text())
        labels = {l["name"]: l["value"] for l in res["labels"]}
        msg = res.get("statusDetails", {}).get("message", "")
        a3 = allure_meta.match_category(res["status"], msg, labels)
        if res["status"] != "passed":
            assert allure_meta.match_category_allure2(res["status"], msg) == a3, (f.name, msg)


# -- categories ----------------------------------------------------------------------------------------

def test_categories_json_is_valid_allure2(tmp_path):
    path = allure_meta.write_categories(tmp_path)
    cats = json.loads(path.read_text())
    assert [c["name"] for c in cats] == [allure_meta.ERROR, allure_meta.REGRESSION, allure_meta.POSITIVE_FAILS,
                                         allure_meta.CONTROL_HOLDS, allure_meta.REFUTED, allure_meta.INCONCLUSIVE]
    for c in cats:
        assert set(c) <= {"name", "description", "matchedStatuses", "messageRegex", "traceRegex", "flaky"}
        assert c["matchedStatuses"] and set(c["matchedStatuses"]) <= {"failed", "broken", "passed", "skipped", "unknown"}
        if "messageRegex" in c:
            re.compile(c["messageRegex"])


def test_categories_sort_each_outcome():
    m = allure_meta.match_category
    lab = lambda verdict, role, baseline="matches": {"verdict": verdict, "role": role, "baseline": baseline}  # noqa: E731
    assert m("failed", "REFUTED claim: ...", lab("refuted", "primary")) == allure_meta.REFUTED
    assert m("failed", "REFUTED claim: ...", lab("refuted", "variant")) == allure_meta.REFUTED
    assert m("failed", "CONTROL HOLDS: ...", lab("holds", "control")) == allure_meta.CONTROL_HOLDS
    assert m("unknown", "INCONCLUSIVE: ...", lab("inconclusive", "primary")) == allure_meta.INCONCLUSIVE
    assert m("failed", "AssertionError: C13 ...\nREGRESSION: verdict refuted, expected holds",
             lab("refuted", "primary", "regression")) == allure_meta.REGRESSION
    # a control that holds against its baseline is first a regression
    assert m("failed", "x\nREGRESSION: the control holds", lab("holds", "control", "regression")) == allure_meta.REGRESSION
    assert m("broken", "ValueError: dataset missing", lab("error", "primary", "regression")) == allure_meta.ERROR
    assert m("passed", "", lab("holds", "primary")) is None
    assert m("skipped", "runs at tiers ('full',), not quick") is None
    rules = allure_meta.allure3_categories()
    assert [r["name"] for r in rules] == [c["name"] for c in allure_meta.CATEGORIES]
    assert all(r["groupBy"][0] == {"label": "feature"} for r in rules)
    by_name = {r["name"]: r for r in rules}
    assert by_name[allure_meta.REFUTED]["groupBy"] == [{"label": "feature"}, {"label": "story"}]
    json.dumps(rules)  # goes into a JSON config


def test_allure3_matchers_use_only_fields_allure_knows():
    known = {"statuses", "labels", "message", "trace", "flaky", "transitions", "environments"}
    for c in allure_meta.CATEGORIES:
        for mt in c["matchers"]:
            assert set(mt) <= known
            for rx in [mt.get("message", "")] + list(mt.get("labels", {}).values()):
                re.compile(rx)


def test_environment_properties_roundtrip(tmp_path):
    env = {"tier": "quick", "device": "cuda", "torch": "2.14.1", "dataset sizes": {"mnist": [60000, 10000]},
           "cache": "3 hits: 0 misses", "note": "a=b # not a comment\nsecond line", "unicode": "λ > 1"}
    path = allure_meta.write_environment(tmp_path, env)
    assert path.name == "environment.properties"
    back = allure_meta.read_environment(tmp_path)
    assert back == {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True) for k, v in env.items()}


def test_environment_from_ledger_header():
    env = allure_meta.environment_from_ledger({"tier": "quick", "device": "cpu", "torch": "2", "rows": [],
                                               "summary": "s", "env": {"cache_hits": 3}})
    assert env == {"tier": "quick", "device": "cpu", "torch": "2", "cache_hits": 3}


# -- tracking detector ---------------------------------------------------------------------------------

GTAG_FIXTURE = """<!DOCTYPE html><html><head><title>r</title></head><body>
    <div id="app"></div>
    <script   src="data:text/javascript;base64,%s"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {
          "report": "awesome",
          "single_file": "true"
        });
    </script>
    <script async>
      window.allureReportData = window.allureReportData || {};
    </script>
</body></html>
""" % base64.b64encode(b"const ga=(r)=>r; ga('x'); fetch('data/x');").decode()


def test_tracking_detector_finds_and_strips_gtag():
    found = report_cli.find_tracking(GTAG_FIXTURE)
    assert any("Google Tag Manager" in f for f in found) and any("gtag" in f for f in found)
    assert any("external script resource" in f for f in found)
    clean, removed = report_cli.strip_tracking(GTAG_FIXTURE)
    assert removed == 1
    assert report_cli.find_tracking(clean) == []
    assert "allureReportData" in clean and "data:text/javascript;base64," in clean  # the report itself stays


@pytest.mark.parametrize("snippet", [
    '<script src="https://plausible.io/js/script.js" data-domain="x"></script>',
    "<script>(function(i,s,o,g,r,a,m){})(window,document,'script','https://www.google-analytics.com/analytics.js',"
    "'ga');ga('create', 'UA-1', 'auto');</script>",
    '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Inter">',
    '<script src="//cdn.example.com/x.js"></script>',
    '<script>var _paq = window._paq || []; _paq.push(["trackPageView"]);</script>',
])
def test_tracking_detector_flags_other_trackers_and_network_resources(snippet):
    assert report_cli.find_tracking(f"<html><body>{snippet}</body></html>")


def test_tracking_detector_reads_inlined_code_but_not_report_data():
    bad = base64.b64encode(b"load('https://www.googletagmanager.com/gtm.js')").decode()
    assert report_cli.find_tracking(f'<script src="data:text/javascript;base64,{bad}"></script>')
    # claim text inside the base64 report data (even 'telemetry' or 'ga(') is not markup
    data = base64.b64encode(b'{"name": "telemetry ga(\'send\') googletagmanager.com"}').decode()
    assert report_cli.find_tracking(f'<script defer>d("data/x.json","{data}")</script>') == []


# -- report_cli without Node ---------------------------------------------------------------------------

def _fake_results(reports):
    res = reports / "allure-results"
    res.mkdir(parents=True)
    (res / "0000-result.json").write_text(json.dumps({"name": "x", "status": "passed", "uuid": "0000"}))
    return res


def test_report_cli_without_node_prints_how_and_exits_0(tmp_path, monkeypatch, capsys):
    _fake_results(tmp_path)
    monkeypatch.setattr(report_cli, "node_tools", lambda: (None, None))
    assert report_cli.main(["--reports", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "node and npm not found" in out and "install Node.js >= 20 and npm" in out and "make report" in out
    assert (tmp_path / "claims.html").exists()
    assert not (tmp_path / "allure-report").exists()


def test_report_cli_without_results_writes_claims_html_and_exits_0(tmp_path, capsys):
    assert report_cli.main(["--reports", str(tmp_path)]) == 0
    assert "no Allure results" in capsys.readouterr().out
    assert (tmp_path / "claims.html").exists()


def test_allure_config_is_single_file_with_categories_grouping_and_history(tmp_path):
    cfg = report_cli.allure_config(tmp_path / "out", name="n", history=tmp_path / "h.jsonl", variables={})
    awesome = cfg["plugins"]["awesome"]["options"]
    assert awesome["singleFile"] is True and awesome["reportName"] == "n" == cfg["name"]
    assert awesome["groupBy"] == ["epic", "feature", "story"]  # paper -> claim -> role
    assert awesome["charts"][0]["type"] == "currentStatus" and "passed = claim holds" in awesome["charts"][0]["title"]
    assert cfg["plugins"]["agent"] == {"enabled": False}
    assert [c["name"] for c in cfg["categories"]] == [c["name"] for c in allure_meta.CATEGORIES]
    assert cfg["historyPath"] == str(tmp_path / "h.jsonl") and cfg["appendHistory"] is True
    json.dumps(cfg)


def test_report_name_carries_the_ledger_summary():
    led = synthetic_ledger()
    name = report_cli.report_name(led, {"tier": "quick", "device": "cpu"})
    assert name == f"landscape-claims (tier quick, device cpu): {led['summary']}"
    assert name.split(": ", 1)[1].startswith("primary verdicts: 0 hold, 2 refuted, 2 inconclusive (")
    assert report_cli.report_name(None, {}) == "landscape-claims"


def test_package_json_pins_allure_3_exactly():
    pin = report_cli.pinned_allure_version()
    assert pin and re.fullmatch(r"3\.\d+\.\d+", pin), f"allure must be pinned to an exact 3.x version, got {pin!r}"
    lock = json.loads((report_cli.ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/allure"]["version"] == pin


def test_recorded_environment_merges_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    allure_meta.record_environment(tmp_path, cache_hits=2, dataset="mnist 60000/10000")
    allure_meta.record_environment(tmp_path, cache_hits=1)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    allure_meta.record_environment(tmp_path, cache_hits=4, dataset="mnist 60000/10000", sizes={"toy": 20})
    assert allure_meta.collected_environment(tmp_path) == {"cache_hits": 7, "dataset": "mnist 60000/10000",
                                                           "sizes": '{"toy": 20}'}
    allure_meta.reset_environment(tmp_path)
    assert allure_meta.collected_environment(tmp_path) == {}


def test_clean_results_removes_only_allure_files(tmp_path):
    for name in ("a-result.json", "b-container.json", "c-attachment.png", "categories.json",
                 "environment.properties", "keep.txt"):
        (tmp_path / name).write_text("x")
    assert allure_meta.clean_results(tmp_path) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert allure_meta.clean_results(tmp_path / "missing") == 0

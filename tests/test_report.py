"""Fast tests of the reporting layer: plots, claims.html, Allure categories/environment, the
tracking-script detector and report_cli's paths that need no Node (no browser, no npm)."""

from __future__ import annotations

import base64
import json
import re

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from landscape_lib import registry, verdict
from landscape_lib.report import allure as allure_meta
from landscape_lib.report import claims_page as claims_html
from landscape_lib.report import cli as report_cli
from landscape_lib.report import ledger
from landscape_lib.report import plots as report

matplotlib.use("Agg")


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

def _ledger_rows():
    return [
        {"claim": "C4", "case": "D20-n5", "control": False, "verdict": "holds", "measured": {"wall_ratio": 666.4,
         "extra_metric": 3}, "threshold": {"wall_ratio": 10.0}, "rule": "wall_ratio >= 10", "seconds": 0.82,
         "plot": "plots/C4-D20-n5.png", "repro": "pytest 'claims/test_c04.py::test[D20-n5]' --tier quick",
         "known_refutation": None},
        {"claim": "C4", "case": "same-wedge", "control": True, "verdict": "refuted-as-expected",
         "measured": {"wall_ratio": 1.0}, "rule": "wall_ratio >= 10", "seconds": 0.1},
        {"claim": "C11", "case": "D3-n2", "control": False, "verdict": "refuted", "measured": {"cv": 0.6,
         "min_increase": 0.2}, "rule": "cv <= 0.1 and min_increase > 0", "seconds": 0.3,
         "known_refutation": "in 3 dimensions <the well> is anisotropic"},
        {"claim": "C13", "case": "x", "control": False, "verdict": "error", "measured": {}, "rule": "max_abs_cos <= 0.2",
         "error": "ValueError: dataset missing", "seconds": 0.0},
        {"claim": "A1", "case": "-", "control": False, "verdict": "not-measured", "measured": {}, "rule": "",
         "seconds": 0.0, "note": "declared; measured by a later issue"},
    ]


def test_claims_html_has_summary_rows_quotes_and_plots(tmp_path):
    rows = _ledger_rows()
    led = {"tier": "quick", "device": "cpu", "torch": "2.x", "generated": "now", "summary": ledger.summarize(rows),
           "rows": rows}
    (tmp_path / "claims.json").write_text(json.dumps(led))
    page = claims_html.write(tmp_path)
    assert page == tmp_path / "claims.html"
    html = page.read_text()
    assert ledger.summarize(rows) in html
    assert html.count("<tr class=") == len(rows)
    assert "wall_ratio</b> = 666" in html and "&#10003;" in html  # measured vs threshold, pass mark
    assert "cv</b> = 0.6" in html and "&#10007;" in html
    assert "verdict-refuted-as-expected" in html and "verdict-refuted" in html and "verdict-error" in html
    assert "ValueError: dataset missing" in html
    assert "in 3 dimensions &lt;the well&gt; is anisotropic" in html  # escaped known refutation
    assert 'src="plots/C4-D20-n5.png"' in html
    assert "pytest &#x27;claims/test_c04.py::test[D20-n5]&#x27; --tier quick" in html
    for c in registry.CLAIMS.values():  # every claim's section with its quote and section
        assert f'id="{c.id}"' in html
        assert claims_html.escape(c.quote) in html and claims_html.escape(c.section) in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")


def test_claims_html_control_that_holds_is_flagged():
    html = claims_html.render({"rows": [{"claim": "C4", "case": "x", "control": True, "verdict": "holds",
                                         "measured": {"wall_ratio": 30}, "rule": "wall_ratio >= 10"}]})
    assert "control holds: suite defect" in html


def test_claims_html_without_claims_json_lists_every_claim_unmeasured(tmp_path):
    html = claims_html.write(tmp_path).read_text()
    assert "run `make verify`" in html
    assert f"0 hold, 0 mixed (hold on some cases, refuted on others), 0 refuted, 0 error, {len(registry.CLAIMS)} not yet measured" in html


def test_claims_html_can_inline_plots(tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "p.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    rows = [dict(_ledger_rows()[0], plot="plots/p.png")]
    html = claims_html.render({"rows": rows}, embed_root=tmp_path)
    assert "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode() in html


# -- Allure categories and environment -----------------------------------------------------------------

def _message(claim_id, case, measured, control=False):
    claim = registry.get(claim_id)
    holds, rows = claim.evaluate(measured)
    return verdict.message(verdict.Outcome(claim, case, holds, rows, control), measured, {})


def test_categories_json_is_valid_allure2(tmp_path):
    path = allure_meta.write_categories(tmp_path)
    cats = json.loads(path.read_text())
    names = [c["name"] for c in cats]
    assert names[0] == allure_meta.INFRA
    assert {allure_meta.REFUTED, allure_meta.CONTROL_HOLDS, allure_meta.XPASS, allure_meta.INFRA} <= set(names)
    for c in cats:
        assert set(c) <= {"name", "description", "matchedStatuses", "messageRegex", "traceRegex", "flaky"}
        assert c["matchedStatuses"] and set(c["matchedStatuses"]) <= {"failed", "broken", "passed", "skipped", "unknown"}
        if "messageRegex" in c:
            re.compile(c["messageRegex"])
    # Allure 2 matches the whole message: the refuted-xfail regex must fullmatch a real message
    refuted = "XFAIL C11 refuted on D3-n2: cv=0.6\n\nAssertionError: " + _message("C11", "D3-n2", {"cv": 0.6,
                                                                                                 "min_increase": 1})
    rx = next(c["messageRegex"] for c in cats if c["name"] == allure_meta.REFUTED)
    assert re.fullmatch(rx, refuted)


def test_allure3_categories_sort_each_outcome():
    refuted = _message("C11", "D3-n2", {"cv": 0.6, "min_increase": 1})
    assert refuted.startswith("C11 radial_tunnel_isotropic [D3-n2]: REFUTED")
    control_holds = _message("C4", "same-wedge", {"wall_ratio": 30}, control=True)
    assert "(negative control): HOLDS" in control_holds
    m = allure_meta.match_category
    # as allure-pytest records them
    assert m("skipped", "XFAIL C11 refuted on D3-n2: ...\n\nAssertionError: " + refuted) == allure_meta.REFUTED
    assert m("failed", "AssertionError: " + control_holds) == allure_meta.CONTROL_HOLDS
    assert m("failed", "", {"verdict": "holds", "story": "claim"}) == allure_meta.XPASS  # strict XPASS: no message
    assert m("failed", "[XPASS(strict)] C13 refuted on x") == allure_meta.XPASS
    assert m("failed", "AssertionError: " + refuted) == allure_meta.NEWLY_REFUTED
    assert m("broken", "ValueError: dataset missing") == allure_meta.INFRA
    assert m("skipped", "C1 is not run at tier quick") is None
    assert m("passed", "") is None
    rules = allure_meta.allure3_categories()
    assert [r["name"] for r in rules] == [c["name"] for c in allure_meta.CATEGORIES]
    json.dumps(rules)  # goes into a JSON config


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


def test_allure_config_is_single_file_with_categories_and_history(tmp_path):
    cfg = report_cli.allure_config(tmp_path / "out", name="n", history=tmp_path / "h.jsonl", variables={})
    awesome = cfg["plugins"]["awesome"]["options"]
    assert awesome["singleFile"] is True
    assert cfg["plugins"]["agent"] == {"enabled": False}
    assert [c["name"] for c in cfg["categories"]] == [c["name"] for c in allure_meta.CATEGORIES]
    assert cfg["historyPath"] == str(tmp_path / "h.jsonl") and cfg["appendHistory"] is True
    json.dumps(cfg)


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

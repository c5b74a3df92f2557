"""The reports, opened in headless Chromium: what a reader sees.

A small synthetic claims session (``test_report.synthetic_rows``: every verdict and role, a control
that holds, a regression against the baseline and an error) runs in a temporary directory in a
subprocess: each test calls ``report.allure.attach_row`` and passes or fails as the claims tests do
(fails on a regression, errors on an error). ``report.cli`` turns it into the single-file Allure report
and claims.html; Chromium opens both from file:// with every host name unresolvable (so anything
needing the network would show). The Allure overview must show the claim counts (the report name is
the ledger's summary) and the verdicts as statuses; a refuted claim must read as refuted, not as
skipped; the categories must sort the results by meaning. Screenshots go to reports/*-screenshot.png.

Skipped, with the reason, when Chromium or Node/npm is not installed.
"""

from __future__ import annotations

import html as html_mod
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from landscape_lib.report import allure as allure_meta
from landscape_lib.report import cli as report_cli
from landscape_lib.verdicts.claims import CLAIMS
from tests.test_report import synthetic_rows

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "reports"

SAMPLE_CONFTEST = '''
import json
from pathlib import Path
from landscape_lib.report import ledger

REPORTS = Path(__file__).parent / "reports"

def pytest_configure(config):
    ledger.reset(REPORTS)

def pytest_sessionfinish(session):
    ledger.merge(REPORTS, {"tier": "quick", "device": "cpu", "torch": "2.x", "numpy": "2.x"})
'''

SAMPLE_TESTS = '''
"""Synthetic claim cases: record each row as the claims tests do, then pass or fail as they do."""
import json
from pathlib import Path

import pytest

from landscape_lib.report import allure as allure_sink
from landscape_lib.report import ledger, tables
from landscape_lib.verdicts.claims import get

HERE = Path(__file__).parent
ROWS = json.loads((HERE / "rows.json").read_text())


@pytest.mark.parametrize("claim_case", ROWS, ids=[f"{r['claim']}:{r['configuration']}:{r['case']}" for r in ROWS])
def test_case(claim_case):
    row = claim_case
    claim = get(row["claim"])
    png = HERE / "reports" / row["plot"] if row.get("plot") else None
    ledger.append(HERE / "reports", row)
    allure_sink.attach_row(row, claim, png)
    if row["verdict"] == "error":
        raise RuntimeError(row["error"])
    if row["regression"]:
        raise AssertionError(tables.message(row, claim))
'''

# Opens every attachment of the shown test result (Allure shows them collapsed): used for the
# screenshot/DOM copy only, never in the report itself.
EXPAND_ATTACHMENTS = ("<script>setTimeout(function(){document.querySelectorAll("
                      "'[data-testid=\"test-result-attachment-header\"] > button').forEach("
                      "function(b){b.click()})},1500)</script>")


def chromium() -> str | None:
    for c in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(c) if not c.startswith("/") else (c if os.access(c, os.X_OK) else None)
        if p:
            return p
    return None


def need_browser():
    if chromium() is None:
        pytest.skip("headless Chromium not found (apt-get install chromium)")


def need_node():
    node, npm = report_cli.node_tools()
    if node is None or npm is None:
        pytest.skip("Node.js/npm not found: " + report_cli.NODE_HINT)


def browse(url: str, *, screenshot: Path | None = None, size=(1300, 1900), budget_ms: int = 10000) -> str:
    """Open ``url`` in headless Chromium with the network unreachable; returns the DOM (and writes a PNG).

    Every launch gets a fresh profile: the report keeps UI state (open attachments) in localStorage.
    """
    def run(extra):
        with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
            cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                   "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
                   "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={size[0]},{size[1]}",
                   f"--virtual-time-budget={budget_ms}", *extra, url]
            return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)

    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        run([f"--screenshot={screenshot}"])
        assert screenshot.exists() and screenshot.stat().st_size > 10_000, f"no screenshot of {url}"
    return run(["--dump-dom"]).stdout


@pytest.fixture(scope="module")
def sample_reports(tmp_path_factory) -> Path:
    """Run the synthetic claims session and build its reports; returns the reports dir."""
    need_node()
    d = tmp_path_factory.mktemp("claims-run")
    (d / "conftest.py").write_text(textwrap.dedent(SAMPLE_CONFTEST))
    (d / "test_sample_claims.py").write_text(textwrap.dedent(SAMPLE_TESTS))
    rows = synthetic_rows()
    (d / "rows.json").write_text(json.dumps(rows))
    reports = d / "reports"
    from landscape_lib.report import plots

    fig = plots.lines([0, 0.5, 1], {"straight line": [1, 260, 1]}, xlabel="t", ylabel="loss", logy=True,
                      title="C4 toy D=100: loss along the straight line")
    (reports / "plots").mkdir(parents=True)
    fig.savefig(reports / "plots" / "C4__mlp-digits__line.png", dpi=60)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "MPLBACKEND": "Agg"}
    env.pop("PYTEST_XDIST_WORKER", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                          "-p", "no:xdist", "-p", "no:landscape_lib.pytest_plugin", f"--alluredir={reports / 'allure-results'}", "test_sample_claims.py"],
                         cwd=d, env=env, capture_output=True, text=True, timeout=300)
    # the regression fails, the error errors (an exception in the test: broken), the rest pass
    assert "2 failed, 7 passed" in run.stdout, f"sample session:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    try:
        report_cli.ensure_allure(report_cli.node_tools()[1])
    except (subprocess.CalledProcessError, RuntimeError, OSError) as e:
        pytest.skip(f"could not install the pinned Allure from npm (offline?): {e}")
    cli = subprocess.run([sys.executable, "-m", "landscape_lib.report.cli", "--reports", str(reports),
                          "--history", "none"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert cli.returncode == 0, f"report.cli failed:\n{cli.stdout}\n{cli.stderr}"
    index = reports / "allure-report" / "index.html"
    lines = cli.stdout.strip().splitlines()
    assert str(index.resolve()) in lines, cli.stdout
    assert lines[-1].startswith("primary verdicts:"), "the headline is the last thing the report prints:\n" + cli.stdout
    assert "Allure statuses from verdicts: 1 broken, 3 failed, 4 passed, 1 unknown" in cli.stdout, cli.stdout
    return reports


def visible_text(dom: str) -> str:
    """The DOM's text, including iframe ``srcdoc`` documents (Allure renders descriptions in one)."""
    text = re.sub(r"<style\b[\s\S]*?</style>|<script\b[\s\S]*?</script>", " ", dom)
    text = re.sub(r"<[^>]+>", " ", html_mod.unescape(re.sub(r"<[^>]+>", lambda m: " " + m.group(0) + " ", text)))
    return re.sub(r"\s+", " ", html_mod.unescape(text))


def _result_id(reports: Path, name_start: str) -> str:
    by_id = json.loads((reports / "allure-report" / "test-results.json").read_text())["byId"]
    ids = [k for k, v in by_id.items() if v["name"].startswith(name_start)]
    assert ids, f"no result named {name_start!r}: {[v['name'] for v in by_id.values()]}"
    return ids[0]


def _summary(reports: Path) -> str:
    return json.loads((reports / "claims.json").read_text())["summary"]


def test_allure_results_carry_the_row(sample_reports):
    """attach_row inside a running test: title, labels, parameters, the three attachments."""
    results = sample_reports / "allure-results"
    got = {}
    for f in results.glob("*-result.json"):
        res = json.loads(f.read_text())
        labels = {l["name"]: l["value"] for l in res["labels"]}
        got[res["name"]] = (res["status"], labels, {p["name"]: p["value"] for p in res.get("parameters", [])},
                            {a["name"] for a in res.get("attachments", [])}, res.get("description", ""))
    status, labels, params, atts, desc = got["C8/mlp-digits/budget [primary] " + _statement("C8")]
    assert status == "passed"  # pytest: the verdict matches the baseline
    assert labels["verdict"] == "refuted" and labels["role"] == "primary" and labels["feature"] == "C08 tunnel_short_dirs"
    assert labels["epic"] == "Fort & Jastrzebski 2019" and labels["story"] == "1 primary (headline)"
    # allure-pytest shows a value as its repr; the case parameter (a long repr in the suite) shows the id
    assert params == {"claim_case": "'C8/mlp-digits/budget'", "tier": "'quick'", "configuration": "'mlp-digits'",
                      "nodes": "'budget'", "samples": "'[0, 1, 2]'"}
    assert atts == {allure_meta.TABLE_ATTACHMENT, allure_meta.ROW_ATTACHMENT}
    c8 = CLAIMS["C8"]
    assert f"| {c8.checks[0].metric} |" in desc and f"> {c8.quote}" in desc
    assert "C4 plot" in got["C4/mlp-digits/line [primary] " + _statement("C4")][3]
    assert got["C13/mlp-digits/pairs [primary] " + _statement("C13")][0] == "failed"
    assert got["C12/mlp-digits/radius [primary] " + _statement("C12")][0] == "broken"


def _statement(cid):
    return CLAIMS[cid].statement


def test_allure_overview_shows_claim_counts_and_verdict_statuses(sample_reports):
    need_browser()
    index = sample_reports / "allure-report" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert report_cli.find_tracking(html) == [], "tracking/network resources in the report"
    assert not re.search(r"<(?:script|link)\b[^>]*(?:src|href)=[\"']?(?!data:)[^\"' >]+\.(?:js|css)", html), \
        "the single-file report references a separate .js/.css file"
    assert 'src="data:text/javascript;base64,' in html and "iVBORw0KGgo" in html  # app and plot inlined
    dom = browse(index.as_uri(), screenshot=SHOTS / "report-screenshot.png", size=(1400, 1700))
    text = visible_text(dom)
    assert _summary(sample_reports) in text, "the ledger's summary is not the report's name"
    # the verdicts as statuses: 4 passed (2 claims hold, 1 variant holds, 1 control refuted), 3 failed
    # (refuted claim, control that holds, the regression), 1 broken (error), 1 unknown (inconclusive)
    by_id = json.loads((sample_reports / "allure-report" / "test-results.json").read_text())["byId"]
    statuses = sorted(v["status"] for v in by_id.values())
    assert statuses == sorted(["passed"] * 4 + ["failed"] * 3 + ["broken", "unknown"]), statuses
    assert "skipped" not in statuses


def test_allure_refuted_claim_reads_as_refuted(sample_reports):
    need_browser()
    index = sample_reports / "allure-report" / "index.html"
    rid = _result_id(sample_reports, "C8/mlp-digits/budget")
    shot_html = index.with_name("screenshot.html")
    shot_html.write_text(index.read_text(encoding="utf-8").replace("</body>", EXPAND_ATTACHMENTS + "</body>"),
                         encoding="utf-8")
    dom = browse(f"{shot_html.as_uri()}#{rid}", screenshot=SHOTS / "report-case-screenshot.png")
    text = visible_text(dom)
    assert "C8/mlp-digits/budget [primary] The number of short (high-curvature) directions peaks" in text
    assert "REFUTED claim: it does not reproduce on this case" in text
    assert "the number of short directions should be higher in the middle" in text, "the paper's quote"
    assert CLAIMS["C8"].checks[0].metric in text and "Rule:" in text
    assert "measured vs threshold" in text and "row.json" in text


def test_allure_categories_say_what_each_result_means(sample_reports):
    need_browser()
    index = sample_reports / "allure-report" / "index.html"
    text = visible_text(browse(f"{index.as_uri()}#categories", size=(1300, 1400)))
    for name in (allure_meta.REFUTED, allure_meta.CONTROL_HOLDS, allure_meta.REGRESSION, allure_meta.INCONCLUSIVE,
                 allure_meta.ERROR):
        assert name in text, name
    assert "Refuted claim (scientific result)" not in text and "XFAIL" not in text
    meta = visible_text(browse(index.as_uri(), size=(1300, 1000)))
    assert "tier" in meta and "torch" in meta, "the run's environment is not shown"


def test_claims_html_in_browser(sample_reports):
    need_browser()
    page = sample_reports / "claims.html"
    dom = browse(page.as_uri(), screenshot=SHOTS / "claims-screenshot.png", size=(1400, 1300), budget_ms=3000)
    text = visible_text(dom)
    assert _summary(sample_reports) in text
    assert "Headline: the primary verdict of each claim" in text
    assert "control HOLDS: C4/softmax-digits/control-line" in text
    assert "REGRESSION: verdict refuted, expected holds" in text
    assert re.search(r'<img src="data:image/png;base64,', dom), "claims.html inlines its plots (one portable file)"

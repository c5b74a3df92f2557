"""The claims ledger (rows merged across workers, the headline) and the one renderer of a case's table
and assertion message."""

import json

import pytest

from landscape_lib.report import ledger, tables
from landscape_lib.types import Role, Sample
from landscape_lib.verdicts import decide as dc
from landscape_lib.verdicts.claims import get
from landscape_lib.verdicts.row import Row


def _row(claim="C4", case="line", role="primary", verdict="holds", value=50.0, label="mlp-digits", **kw):
    d = dc.decide(get(claim).checks, [Sample({"wall_ratio": value})], dc.EXACT)
    return Row(claim=claim, case=case, configuration=label, role=Role(role), verdict=verdict or d.verdict,
               reason=d.reason, decided=[c.as_dict() for c in d.checks], statistic=dc.EXACT.describe(), samples=1,
               rule=get(claim).rule, repro="pytest 'x::y' --tier quick", **kw).as_dict()


def test_rows_from_several_workers_merge_into_one_ledger(tmp_path, monkeypatch):
    ledger.reset(tmp_path)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    ledger.append(tmp_path, _row())
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    ledger.append(tmp_path, _row(case="ctl", role="control", verdict="refuted", value=1.0))
    led = ledger.merge(tmp_path, {"tier": "quick", "device": "cpu"})
    assert [r["id"] for r in led["rows"]] == ["C4/mlp-digits/line", "C4/mlp-digits/ctl"]
    data = json.loads((tmp_path / "claims.json").read_text())
    assert data["claims"]["C4"]["verdict"] == "holds"
    assert data["claims"]["C4"]["primary"] == ["C4/mlp-digits/line"]
    assert data["claims"]["C4"]["controls"] == {"refuted": 1, "total": 1, "held": [], "inconclusive": []}
    assert data["claims"]["C1"]["verdict"] == "not-measured"
    assert data["summary"].startswith("primary verdicts: 1 hold, 0 refuted, 0 inconclusive, 0 error, 22 not measured")
    md = (tmp_path / "claims.md").read_text()
    assert "| C4 | **holds** | mlp-digits: holds |  | 0/0 | 1/1 |" in md
    text = ledger.table(led)
    assert "C4/mlp-digits/line" in text and "wall_ratio=50" in text
    assert text.splitlines()[-1] == data["summary"] and "headline (each claim in its scope" in text  # the headline last


def test_reset_forgets_an_earlier_session(tmp_path):
    ledger.append(tmp_path, _row())
    ledger.reset(tmp_path)
    assert ledger.collect(tmp_path) == []


def test_a_row_with_an_unknown_verdict_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="verdict must be one of"):
        ledger.append(tmp_path, {**_row(), "verdict": "mixed"})


def test_the_message_says_measured_vs_expected_configuration_quote_and_repro():
    row = _row(verdict="refuted", value=2.0, regression=["verdict refuted, expected holds (no baseline entry)"],
               params={"k": 20}, sample_ids=[[0, 1]])
    msg = tables.message(row, get("C4"))
    assert "C4 linear_path_wall [mlp-digits/line] (primary): REFUTED" in msg
    assert "REGRESSION: verdict refuted, expected holds (no baseline entry)" in msg
    assert "wall_ratio = 2 [2, 2] (n=1)   rule >= 10   REFUTED" in msg
    assert '"params": {"k": 20}' in msg and "paper (§2, §3.1, Fig 1)" in msg
    assert "repro: pytest 'x::y' --tier quick" in msg


def test_the_table_renders_intervals_in_every_format():
    d = dc.decide(get("C8").checks, [Sample({"mid_excess_over_noise": v}) for v in (1.0, 2.0, 3.0)], dc.MEAN95)
    row = Row(claim="C8", case="x", configuration="m", role=Role.PRIMARY, verdict=d.verdict,
              decided=[c.as_dict() for c in d.checks]).as_dict()
    assert "(n=3)" in tables.text(row) and "[-0.484, 4.48]" in tables.text(row)
    assert "| mid_excess_over_noise | 2 | [" in tables.markdown(row)
    assert "<table class='checks'>" in tables.html(row)


def test_compare_ledgers_lists_every_difference(tmp_path):
    """benchmarks/compare_ledgers.py: identical ledgers give no line; a verdict, a decided value, a measured value
    and a null that differ each give one; an old ledger's nulls inside ``measured`` compare with a new one's
    ``nulls`` field."""
    import copy
    import importlib.util

    spec = importlib.util.spec_from_file_location("compare_ledgers", ledger.__file__.replace(
        "landscape_lib/report/ledger.py", "benchmarks/compare_ledgers.py"))
    cmp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cmp)
    row = {**_row(), "measured": {"wall_ratio": 50.0, "line_max": 1.0}, "nulls": {"cv_null": 0.5},
           "intervals": {"x": [0.1, 0.2]}}
    old = {"rows": [{**row, "measured": {"wall_ratio": 50.0, "line_max": 1.0, "cv_null": 0.5, "x_ci": [0.1, 0.2]},
                     "nulls": {}, "intervals": {}}], "claims": {"C4": {"verdict": "holds"}}}
    new = {"rows": [row], "claims": {"C4": {"verdict": "holds"}}}
    assert cmp.compare(old, new) == []
    changed = copy.deepcopy(new)
    r = changed["rows"][0]
    r["verdict"], r["measured"]["line_max"], r["nulls"]["cv_null"] = "refuted", 1.5, 0.6
    r["decided"][0]["value"] = 51.0
    changed["claims"]["C4"]["verdict"] = "refuted"
    diffs = cmp.compare(new, changed)
    assert len(diffs) == 5 and any("verdict holds -> refuted" in d for d in diffs)
    assert any("'line_max' 1.0 -> 1.5" in d for d in diffs) and any("C4: headline holds -> refuted" in d for d in diffs)
    assert cmp.compare(new, changed, rtol=0.5) == [d for d in diffs if "verdict" in d or "status" in d or "headline" in d]
    (tmp_path / "a.json").write_text(json.dumps(new))
    (tmp_path / "b.json").write_text(json.dumps(changed))
    assert cmp.main([str(tmp_path / "a.json"), str(tmp_path / "a.json")]) == 0
    assert cmp.main([str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 1

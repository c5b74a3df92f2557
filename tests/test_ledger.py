"""The claims ledger and the verdict helper: rows, merging across workers, verdicts, messages."""

import json

import pytest

from landscape_lib import registry, verdict
from landscape_lib.report import ledger


@pytest.fixture
def reports(tmp_path, monkeypatch):
    monkeypatch.setattr(verdict.CONTEXT, "reports", tmp_path)
    monkeypatch.setattr(verdict.CONTEXT, "repro", "pytest 'x::y' --tier quick")
    ledger.reset(tmp_path)
    return tmp_path


def test_check_holds_refuted_and_controls(reports):
    out = verdict.check_claim("C4", "case-a", {"wall_ratio": 50.0}, config={"k": 1})
    assert out.verdict == "holds"
    with pytest.raises(AssertionError) as e:
        verdict.check_claim("C4", "case-b", {"wall_ratio": 2.0})
    msg = str(e.value)
    assert "C4 linear_path_wall [case-b]: REFUTED" in msg and "wall_ratio = 2" in msg and "FAIL" in msg
    assert "paper (§2, §3.1, Fig 1)" in msg and "repro: pytest 'x::y' --tier quick" in msg
    verdict.check_claim("C4", "ctrl", {"wall_ratio": 1.0}, control=True)
    with pytest.raises(AssertionError, match="negative control.*HOLDS"):
        verdict.check_claim("C4", "ctrl-bad", {"wall_ratio": 100.0}, control=True)
    rows = ledger.collect(reports)
    assert [r["verdict"] for r in rows] == ["holds", "refuted", "refuted-as-expected", "holds"]


def test_missing_metric_is_an_error_not_a_verdict(reports):
    with pytest.raises(KeyError, match="lacks metric 'wall_ratio'"):
        verdict.check_claim("C4", "x", {"other": 1.0})


def test_merge_adds_not_measured_and_summarizes(reports, monkeypatch):
    verdict.check_claim("C4", "a", {"wall_ratio": 50.0})
    with pytest.raises(AssertionError):
        verdict.check_claim("C1", "b", {"max_rel_err_brute": 1.0, "max_rel_err_nearest": 0.0})
    verdict.check_claim("C1", "c", {"max_rel_err_brute": 0.0, "max_rel_err_nearest": 0.0})
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    verdict.check_claim("C4", "d", {"wall_ratio": 60.0})
    led = ledger.merge(reports, {"tier": "quick", "device": "cpu"})
    data = json.loads((reports / "claims.json").read_text())
    assert data["summary"] == led["summary"]
    assert led["summary"].startswith("1 hold, 1 mixed")
    assert {r["case"] for r in data["rows"] if r["claim"] == "C4"} == {"a", "d"}
    assert all(r["verdict"] == "not-measured" for r in data["rows"] if r["claim"] == "A6")
    assert "| C4 | a |" in (reports / "claims.md").read_text()


def test_registry_is_complete_and_consistent():
    assert list(registry.CLAIMS) == [f"C{i}" for i in range(1, 18)] + [f"A{i}" for i in range(1, 7)]
    slugs = [c.slug for c in registry.CLAIMS.values()]
    assert len(set(slugs)) == len(slugs)
    for c in registry.CLAIMS.values():
        assert c.quote and c.section and c.checks and c.control
        assert all(ch.why for ch in c.checks)
    with pytest.raises(ValueError, match="claim_id must be one of"):
        registry.get("C99")
    with pytest.raises(ValueError, match="tier must be one of"):
        registry.check_tier("huge")
    with pytest.raises(ValueError, match="Check.op must be one of"):
        registry.Check("x", "~", 1.0, "why")


def test_refutation_patterns_match_cases():
    c = registry.get("C5")
    assert c.refutation_for("toy-D100-n80-seed0-paper") is not None
    assert c.refutation_for("toy-D100-n80-seed0-intersection") is None

"""A claims run as plain code, without pytest: ``run.check_claims`` returns the ledger (rows and headline)."""

from landscape_lib.run import check_claims, selected
from landscape_lib.types import Verdict
from landscape_lib.verdicts.cases import CASES


def test_check_claims_works_without_pytest(tmp_path):
    seen = []
    led = check_claims(tier="quick", claims=["C1"], cache_dir=tmp_path / "cache", progress=lambda r: seen.append(r.id))
    ids = [r["id"] for r in led.rows]
    assert ids == seen == ["C1/toy/aligned", "C1/toy/rotated", "C1/toy/control-single-wedge", "C1/toy/positive-planted"]
    assert led.claims["C1"].verdict == Verdict.HOLDS and led.claims["C4"].verdict == Verdict.NOT_MEASURED
    assert all(r["regression"] == [] and r["expected"] for r in led.rows)  # as the shipped baseline expects
    assert led.summary.startswith("primary verdicts: 1 hold, 0 refuted") and led.as_dict()["claims"]["C1"]["primary"]


def test_selected_says_why_a_case_does_not_run_at_a_tier():
    rows = selected("quick", {"mlp-digits": None})
    assert len(rows) == sum(len(c.labels(["mlp-digits"])) for c in CASES)
    why = {c.id(label): w for c, label, w in rows}
    assert why["C2/toy/adam-squared-D1000"] == "C2/toy/adam-squared-D1000 runs at tiers ('full', 'paper'), not quick"
    assert why["C4/mlp-digits/line"] == ""

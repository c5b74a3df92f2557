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


def test_a1_runs_on_a_user_s_own_model(tmp_path):
    """The asymmetric-valley claims measure a user's --model: A1's primary on the user's network is decided (with
    the claim's controls on softmax-digits and its positive control), never "not measured"."""
    led = check_claims(tier="quick", model="tests.factories:tiny_mlp", claims=["A1"], cache_dir=tmp_path / "cache",
                       baseline_dir=tmp_path / "baselines")
    label = "tests.factories.tiny_mlp-digits"
    rows = {r["id"]: r for r in led.rows}
    assert set(rows) == {f"A1/{label}/net", "A1/softmax-digits/control-softmax",
                         "A1/softmax-digits/control-quadratic", "A1/softmax-digits/positive-planted-valley"}
    primary = rows[f"A1/{label}/net"]
    assert primary["verdict"] not in ("error", "not measured"), primary
    assert primary["samples"] == 5 and primary["ci"] and led.claims["A1"].verdict != Verdict.NOT_MEASURED

"""The verdict machinery: decide (pure), declared cases, baselines, the ledger's headline."""

import json
import math

import pytest

from landscape_lib.report import ledger
from landscape_lib.verdicts import baselines, cases, decide as dc
from landscape_lib.verdicts.decide import Check, Statistic

GT0 = Check("x", ">", 0.0, "test")


def _d(values, stat=dc.POINT, check=GT0):
    return dc.decide([check], [{check.metric: v} for v in values], stat)


def test_point_rule_holds_and_refuted():
    assert _d([1.0]).verdict == "holds"
    assert _d([-1.0]).verdict == "refuted"
    assert _d([0.0]).verdict == "refuted"  # '>' is strict


def test_range_statistic_splits_to_inconclusive():
    assert _d([1.0, 2.0]).verdict == "holds"
    assert _d([-1.0, -2.0]).verdict == "refuted"
    d = _d([-1.0, 2.0])
    assert d.verdict == "inconclusive" and d.ci == (-1.0, 2.0)


def test_bootstrap_mean_interval_decides_three_ways():
    mean = Statistic("mean", 0.95)
    assert _d([1.0, 1.1, 0.9, 1.2, 1.05, 0.95], mean).verdict == "holds"
    assert _d([-1.0, -1.1, -0.9, -1.2, -1.05, -0.95], mean).verdict == "refuted"
    d = _d([-1.0, 1.0, -0.5, 0.5, 0.1, -0.1], mean)
    assert d.verdict == "inconclusive"
    lo, hi = d.ci
    assert lo < 0 < hi


def test_bootstrap_is_deterministic():
    mean = Statistic("mean", 0.95)
    vals = [0.3, -0.2, 0.5, 0.1, 0.05]
    assert _d(vals, mean).ci == _d(vals, mean).ci


def test_identical_samples_give_a_degenerate_interval():
    d = _d([2.0, 2.0, 2.0], Statistic("mean"))
    assert d.verdict == "holds" and d.ci == (2.0, 2.0)


def test_proportion_uses_the_exact_binomial_interval():
    c = Check("asym", ">=", 0.5, "test")
    d = dc.decide([c], [{"asym": v} for v in [1] * 50], Statistic("proportion"))
    assert d.checks[0].value == 1.0
    lo, hi = d.ci
    assert hi == 1.0 and math.isclose(lo, 0.025 ** (1 / 50), rel_tol=1e-6)  # Clopper-Pearson, k = n
    assert d.verdict == "holds"


def test_equality_rule():
    eq = Check("x", "==", 0, "exact")
    assert _d([0, 0], check=eq).verdict == "holds"
    assert _d([1, 2], check=eq).verdict == "refuted"
    assert _d([-1, 1], check=eq).verdict == "inconclusive"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None, "text"])
def test_non_finite_or_missing_metric_is_an_error_never_a_verdict(bad):
    samples = [{"x": 1.0}, {"x": bad} if bad is not None else {}]
    d = dc.decide([GT0], samples, dc.POINT)
    assert d.verdict == "error"
    assert "x" in d.reason


def test_not_measurable_samples_are_inconclusive_with_reason():
    d = dc.decide([GT0], [{dc.NOT_MEASURABLE: "only 7 inputs disagree"}], dc.POINT)
    assert d.verdict == "inconclusive" and "7 inputs" in d.reason
    d = dc.decide([GT0], [{dc.NOT_MEASURABLE: "too few"}, {"x": 1.0}], dc.POINT)
    assert d.verdict == "holds" and "not measurable" in d.reason


def test_check_and_statistic_reject_bad_input():
    with pytest.raises(ValueError, match="op"):
        Check("x", "=>", 0, "")
    with pytest.raises(ValueError, match="threshold"):
        Check("x", ">", float("nan"), "")
    with pytest.raises(ValueError, match="Statistic.name"):
        Statistic("mode")
    with pytest.raises(ValueError, match="level"):
        Statistic("mean", 1.5)


# -- declared cases -------------------------------------------------------------------------------------
def test_declared_cases_are_valid_and_have_primaries():
    cases.validate()
    measured = {c.claim for c in cases.CASES}
    for cid in measured:
        assert any(c.primary for c in cases.for_claim(cid)), cid
    for c in cases.CASES:
        if c.control:
            assert c.holds_if, f"control {c.claim}/{c.name} must say what would have made it hold"


def test_case_validation_names_the_problem():
    with pytest.raises(ValueError, match="claim"):
        cases.Case("C99", "x", "toy.isotropy")
    with pytest.raises(ValueError, match="control cannot be primary"):
        cases.Case("C1", "x", "toy.wedge_distance", primary=True, control=True)
    a = cases.Case("C1", "a", "toy.wedge_distance", primary=True, definition={"k": 1})
    b = cases.Case("C1", "b", "toy.wedge_distance", primary=True, definition={"k": 2})
    with pytest.raises(ValueError, match="differ in definition"):
        cases.validate([a, b])
    with pytest.raises(ValueError, match="duplicate"):
        cases.validate([a, a])


def test_every_case_names_a_known_protocol():
    from landscape_lib.measure.protocols import PROTOCOLS

    unknown = {c.protocol for c in cases.CASES} - set(PROTOCOLS)
    assert not unknown


# -- baselines ------------------------------------------------------------------------------------------
def _row(key="C4/line", verdict="refuted", value=3.0, values=(2.0, 4.0), label="cfg"):
    claim, case = key.split("/")
    return {"claim": claim, "case": case, "key": key, "configuration": label, "verdict": verdict,
            "decided": [{"metric": "wall_ratio", "value": value, "values": list(values)}]}


def test_band_is_the_larger_of_spread_and_relative_tolerance():
    assert baselines.band(10.0, [10.0]) == [8.0, 12.0]
    lo, hi = baselines.band(10.0, [0.0, 20.0])
    assert (lo, hi) == (0.0, 20.0)


def test_update_then_compare_then_edit_then_stale(tmp_path):
    changes = baselines.update(tmp_path, "quick", [_row()], {"cfg": {"C4/line"}})
    assert changes == ["quick-cfg.json: added C4/line (refuted)"]
    data = baselines.load(tmp_path, "quick", "cfg")
    exp = baselines.expectation(data, "C4/line", False, "f")
    assert baselines.regressions(exp, "refuted", _row()["decided"]) == []
    assert baselines.regressions(exp, "holds", _row()["decided"]) == ["verdict holds, expected refuted (f)"]
    moved = baselines.regressions(exp, "refuted", _row(value=100.0)["decided"])
    assert len(moved) == 1 and "wall_ratio = 100 outside its band" in moved[0]
    data["cases"]["C4/gone"] = {"verdict": "holds", "metrics": {}}
    (tmp_path / "quick-cfg.json").write_text(json.dumps(data))
    assert baselines.stale(tmp_path, "quick", {"cfg": {"C4/line"}}) == [f"{tmp_path / 'quick-cfg.json'}: C4/gone"]
    changes = baselines.update(tmp_path, "quick", [_row(verdict="holds")], {"cfg": {"C4/line"}})
    assert "quick-cfg.json: removed stale C4/gone" in changes
    assert "quick-cfg.json: C4/line verdict refuted -> holds" in changes


def test_default_expectation_without_a_baseline():
    claim = baselines.expectation(None, "C4/line", False, "f")
    control = baselines.expectation(None, "C4/control", True, "f")
    assert baselines.regressions(claim, "holds", []) == []
    assert baselines.regressions(claim, "refuted", []) == ["verdict refuted, expected holds (no baseline entry)"]
    assert baselines.regressions(control, "refuted", []) == []
    assert baselines.regressions(control, "inconclusive", []) == []
    assert "control holds" in baselines.regressions(control, "holds", [])[0]
    assert baselines.regressions(claim, "error", []) == ["the measurement errored"]


def test_a_corrupt_baseline_is_a_clear_error(tmp_path):
    (tmp_path / "quick-cfg.json").write_text("{not json")
    with pytest.raises(ValueError, match="quick-cfg.json is not valid JSON"):
        baselines.load(tmp_path, "quick", "cfg")


# -- the ledger's headline ------------------------------------------------------------------------------
def _lrow(claim, case, role, verdict, label="m"):
    return {"claim": claim, "case": case, "configuration": label, "role": role, "verdict": verdict,
            "id": f"{claim}/{label}/{case}", "decided": []}


def test_headline_is_the_worst_primary_and_variants_agree_count():
    rows = [_lrow("C5", "budget", "primary", "holds"), _lrow("C5", "paper", "primary", "refuted", "toy"),
            _lrow("C5", "lm", "variant", "holds"), _lrow("C5", "int", "variant", "holds", "toy"),
            _lrow("C5", "ctl", "control", "refuted")]
    s = ledger.claim_summaries(rows)["C5"]
    assert s["verdict"] == "refuted"
    assert s["per_configuration"] == {"m": "holds", "toy": "refuted"}
    assert s["variants"] == {"agree": 1, "total": 2}
    assert s["controls"]["refuted"] == 1 and s["controls"]["held"] == []


def test_a_control_that_holds_makes_a_holding_claim_inconclusive():
    rows = [_lrow("C15", "shared", "primary", "holds"), _lrow("C15", "softmax", "control", "holds", "softmax")]
    s = ledger.claim_summaries(rows)["C15"]
    assert s["verdict"] == "inconclusive" and "does not discriminate" in s["note"]
    assert s["controls"]["held"] == ["C15/softmax/softmax"]


def test_errors_dominate_the_headline():
    rows = [_lrow("C4", "line", "primary", "holds"), _lrow("C4", "line2", "primary", "error", "toy")]
    assert ledger.claim_summaries(rows)["C4"]["verdict"] == "error"


def test_a_given_interval_decides_and_a_missing_one_is_an_error():
    given = Statistic("given")
    assert dc.decide([GT0], [{"x": 0.5, "x_ci": [0.2, 0.8]}], given).verdict == "holds"
    assert dc.decide([GT0], [{"x": 0.5, "x_ci": [-0.2, 0.8]}], given).verdict == "inconclusive"
    assert dc.decide([GT0], [{"x": 0.5}], given).verdict == "error"


def test_measure_puts_off_a_sample_another_worker_is_building(tmp_path):
    """Busy-last: with sample 0's entry locked elsewhere, samples 1 and 2 are measured first, then 0
    (waited for); the result keeps the declared order."""
    import threading

    from filelock import FileLock

    from landscape_lib.cache import Cache, key_for
    from landscape_lib.measure.lab import MEASURE_VERSION, Lab, tier_spec_for
    from landscape_lib.measure.protocols import PROTOCOLS, protocol
    from landscape_lib.verdicts.run import measure

    order = []
    protocol("test.order")(lambda lab, label, sample: order.append(sample) or {"x": float(sample)})
    try:
        lab = Lab(tier_spec_for("quick"), Cache(tmp_path))
        case = cases.Case("C1", "order", "test.order", samples=(0, 1, 2))
        key = key_for("test.order", "toy", None, {}, 0, version=MEASURE_VERSION, prefix="sample")
        held, done = threading.Event(), threading.Event()

        def hold():
            with FileLock(str(lab.cache.lock_path(key)), timeout=0):
                held.set()
                done.wait(0.5)

        t = threading.Thread(target=hold)
        t.start()
        held.wait(10)
        got = measure(lab, case, "toy")
        t.join()
    finally:
        PROTOCOLS.pop("test.order", None)
    assert order == [1, 2, 0]
    assert [m["x"] for m in got] == [0.0, 1.0, 2.0]

"""The verdict machinery: decide (pure), declared cases, baselines, the headline."""

import json
import math

import pytest

from landscape_lib.types import Check, Role, Sample, Verdict
from landscape_lib.verdicts import baselines, cases, decide as dc
from landscape_lib.verdicts.case import Case
from landscape_lib.verdicts.decide import Statistic
from landscape_lib.verdicts.headline import decide_claims

GT0 = Check("x", ">", 0.0, "test")


def _s(**metrics):
    return Sample(metrics=metrics)


def _d(values, stat=dc.POINT, check=GT0):
    return dc.decide([check], [_s(**{check.metric: v}) for v in values], stat)


def test_point_rule_holds_and_refuted():
    assert _d([1.0]).verdict == Verdict.HOLDS
    assert _d([-1.0]).verdict == Verdict.REFUTED
    assert _d([0.0]).verdict == Verdict.REFUTED  # '>' is strict


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
    d = dc.decide([c], [_s(asym=v) for v in [1] * 50], Statistic("proportion"))
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
    samples = [_s(x=1.0), _s(x=bad) if bad is not None else _s()]
    d = dc.decide([GT0], samples, dc.POINT)
    assert d.verdict == Verdict.ERROR
    assert "x" in d.reason


def test_nulls_are_decidable_metrics_too():
    assert dc.decide([GT0], [Sample(nulls={"x": 1.0})], dc.POINT).verdict == "holds"


def test_not_measurable_samples_are_inconclusive_with_reason():
    d = dc.decide([GT0], [Sample(not_measurable="only 7 inputs disagree")], dc.POINT)
    assert d.verdict == "inconclusive" and "7 inputs" in d.reason
    d = dc.decide([GT0], [Sample(not_measurable="too few"), _s(x=1.0)], dc.POINT)
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
    with pytest.raises(ValueError, match="both metrics and nulls"):
        Sample(metrics={"x": 1}, nulls={"x": 2})


def test_a_given_interval_decides_and_a_missing_one_is_an_error():
    given = Statistic("given")
    assert dc.decide([GT0], [Sample({"x": 0.5}, intervals={"x": (0.2, 0.8)})], given).verdict == "holds"
    assert dc.decide([GT0], [Sample({"x": 0.5}, intervals={"x": (-0.2, 0.8)})], given).verdict == "inconclusive"
    assert dc.decide([GT0], [_s(x=0.5)], given).verdict == "error"


# -- declared cases -------------------------------------------------------------------------------------
def _proto(lab, label, sample):
    return Sample({"x": float(sample)})


def test_declared_cases_are_valid_and_have_primaries():
    cases.validate()
    for cid in {c.claim for c in cases.CASES}:
        assert any(c.role == Role.PRIMARY for c in cases.for_claim(cid)), cid
    for c in cases.CASES:
        if c.role == Role.CONTROL:
            assert c.holds_if, f"control {c.claim}/{c.name} must say what would have made it hold"


def test_case_validation_names_the_problem():
    with pytest.raises(ValueError, match="claim"):
        Case("C99", "x", _proto)
    with pytest.raises(ValueError, match="protocol must be a function"):
        Case("C1", "x", "toy.isotropy")
    with pytest.raises(ValueError, match="holds_if"):
        Case("C1", "x", _proto, role=Role.CONTROL)
    with pytest.raises(ValueError, match="tier must be one of"):
        Case("C1", "x", _proto, tiers=("huge",))
    a = Case("C1", "a", _proto, role=Role.PRIMARY, definition={"k": 1})
    b = Case("C1", "b", _proto, role=Role.PRIMARY, definition={"k": 2})
    with pytest.raises(ValueError, match="differ in definition"):
        cases.validate([a, b])
    with pytest.raises(ValueError, match="duplicate"):
        cases.validate([a, a])


def test_every_case_points_at_a_protocol_function_of_the_protocols_package():
    for c in cases.CASES:
        assert callable(c.protocol) and c.protocol.__module__.startswith("landscape_lib.protocols."), c
        assert c.id("cfg") == f"{c.claim}/cfg/{c.name}"


# -- baselines ------------------------------------------------------------------------------------------
def _row(key="C4/cfg/line", verdict="refuted", value=3.0, values=(2.0, 4.0), label="cfg"):
    claim, _, case = key.split("/")
    return {"claim": claim, "case": case, "id": key, "configuration": label, "verdict": verdict,
            "decided": [{"metric": "wall_ratio", "value": value, "values": list(values)}]}


def test_band_is_the_larger_of_spread_and_relative_tolerance():
    assert baselines.band(10.0, [10.0]) == [8.0, 12.0]
    lo, hi = baselines.band(10.0, [0.0, 20.0])
    assert (lo, hi) == (0.0, 20.0)


def test_update_then_compare_then_edit_then_stale(tmp_path):
    changes = baselines.update(tmp_path, "quick", [_row()], {"cfg": {"C4/cfg/line"}})
    assert changes == ["quick-cfg.json: added C4/cfg/line (refuted)"]
    data = baselines.load(tmp_path, "quick", "cfg")
    exp = baselines.expectation(data, "C4/cfg/line", Role.PRIMARY, "f")
    assert baselines.regressions(exp, "refuted", _row()["decided"]) == []
    assert baselines.regressions(exp, "holds", _row()["decided"]) == ["verdict holds, expected refuted (f)"]
    moved = baselines.regressions(exp, "refuted", _row(value=100.0)["decided"])
    assert len(moved) == 1 and "wall_ratio = 100 outside its band" in moved[0]
    data["cases"]["C4/cfg/gone"] = {"verdict": "holds", "metrics": {}}
    (tmp_path / "quick-cfg.json").write_text(json.dumps(data))
    assert baselines.stale(tmp_path, "quick", {"cfg": {"C4/cfg/line"}}) == [
        f"{tmp_path / 'quick-cfg.json'}: C4/cfg/gone"]
    changes = baselines.update(tmp_path, "quick", [_row(verdict="holds")], {"cfg": {"C4/cfg/line"}})
    assert "quick-cfg.json: removed stale C4/cfg/gone" in changes
    assert "quick-cfg.json: C4/cfg/line verdict refuted -> holds" in changes


def test_default_expectation_without_a_baseline():
    claim = baselines.expectation(None, "C4/cfg/line", Role.PRIMARY, "f")
    control = baselines.expectation(None, "C4/cfg/control", Role.CONTROL, "f")
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


def test_shipped_baselines_are_keyed_by_case_id():
    for p in baselines.DEFAULT_DIR.glob("*.json"):
        data = json.loads(p.read_text())
        for key in data["cases"]:
            assert key.split("/")[1] == data["configuration"], f"{p.name}: {key}"


# -- the headline ---------------------------------------------------------------------------------------
def _lrow(claim, case, role, verdict, label="m"):
    return {"claim": claim, "case": case, "configuration": label, "role": role, "verdict": verdict,
            "id": f"{claim}/{label}/{case}", "decided": []}


def test_headline_is_the_worst_primary_and_variants_agree_count():
    rows = [_lrow("C5", "budget", "primary", "holds"), _lrow("C5", "paper", "primary", "refuted", "toy"),
            _lrow("C5", "lm", "variant", "holds"), _lrow("C5", "int", "variant", "holds", "toy"),
            _lrow("C5", "ctl", "control", "refuted")]
    s = decide_claims(rows)["C5"]
    assert s.verdict == Verdict.REFUTED
    assert s.per_configuration == {"m": "holds", "toy": "refuted"}
    assert s.variants == {"agree": 1, "total": 2}
    assert s.controls["refuted"] == 1 and s.controls["held"] == []


def test_a_control_that_holds_makes_a_holding_claim_inconclusive():
    rows = [_lrow("C15", "shared", "primary", "holds"), _lrow("C15", "softmax", "control", "holds", "softmax")]
    s = decide_claims(rows)["C15"]
    assert s.verdict == "inconclusive" and "does not discriminate" in s.note
    assert s.controls["held"] == ["C15/softmax/softmax"]


def test_errors_dominate_the_headline_and_an_unmeasured_claim_says_so():
    rows = [_lrow("C4", "line", "primary", "holds"), _lrow("C4", "line2", "primary", "error", "toy")]
    claims = decide_claims(rows)
    assert claims["C4"].verdict == "error" and claims["C9"].verdict == Verdict.NOT_MEASURED


def test_measure_puts_off_a_sample_another_worker_is_building(tmp_path):
    """Busy-last: with sample 0's entry locked elsewhere, samples 1 and 2 are measured first, then 0
    (waited for); the result keeps the declared order."""
    import threading

    from filelock import FileLock

    from landscape_lib.cache import Cache, key_for
    from landscape_lib.protocols.lab import MEASURE_VERSION, Lab, tier_spec_for
    from landscape_lib.run import measure

    order = []

    def proto(lab, label, sample):
        order.append(sample)
        return Sample({"x": float(sample)})

    lab = Lab(tier_spec_for("quick"), Cache(tmp_path))
    case = Case("C1", "order", proto, samples=(0, 1, 2))
    name = f"{proto.__module__}.{proto.__qualname__}"
    key = key_for(name, "toy", None, {}, 0, version=MEASURE_VERSION, prefix="sample")
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
    assert order == [1, 2, 0]
    assert [s.metrics["x"] for s in got] == [0.0, 1.0, 2.0]

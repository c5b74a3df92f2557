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


def _d(values, stat=dc.EXACT, check=GT0):
    return dc.decide([check], [_s(**{check.metric: v}) for v in values], stat)


def test_exact_rule_holds_and_refuted():
    assert _d([1.0]).verdict == Verdict.HOLDS
    assert _d([-1.0]).verdict == Verdict.REFUTED
    assert _d([0.0]).verdict == Verdict.INCONCLUSIVE  # within the noise floor of the threshold: no certainty
    assert _d([1.0, 2.0]).verdict == "holds"


def test_every_sample_rule_needs_six_samples_and_splits_to_inconclusive():
    assert dc.RANGE.min_samples == 6 and dc.range_min_samples(0.9) == 5
    assert _d([1.0, 2.0, 3.0, 4.0, 5.0], dc.RANGE).verdict == "inconclusive"  # 5 samples: [min, max] covers 94%
    assert _d([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dc.RANGE).verdict == "holds"
    assert _d([-1.0] * 6, dc.RANGE).verdict == "refuted"
    d = _d([-1.0, 2.0, 1.0, 1.0, 1.0, 1.0], dc.RANGE)
    assert d.verdict == "inconclusive" and d.ci[0] < -1.0 < 2.0 < d.ci[1]


def test_mean_interval_decides_three_ways():
    mean = Statistic("mean", 0.95)
    assert _d([1.0, 1.1, 0.9, 1.2, 1.05, 0.95], mean).verdict == "holds"
    assert _d([-1.0, -1.1, -0.9, -1.2, -1.05, -0.95], mean).verdict == "refuted"
    d = _d([-1.0, 1.0, -0.5, 0.5, 0.1, -0.1], mean)
    assert d.verdict == "inconclusive"
    lo, hi = d.ci
    assert lo < 0 < hi


def test_mean_interval_is_student_t():
    from scipy import stats

    vals = [0.3, -0.2, 0.5, 0.1, 0.05]
    m, (lo, hi) = dc.interval(vals, Statistic("mean"))
    half = stats.t.ppf(0.975, 4) * stats.tstd(vals) / len(vals) ** 0.5
    assert m == pytest.approx(sum(vals) / 5) and (hi - lo) / 2 == pytest.approx(half)


def test_proportion_uses_the_exact_binomial_interval():
    c = Check("asym", ">=", 0.5, "test")
    d = dc.decide([c], [_s(asym=v) for v in [1] * 50], Statistic("proportion"))
    assert d.checks[0].value == 1.0
    lo, hi = d.ci
    assert hi == 1.0 and math.isclose(lo, 0.025 ** (1 / 50), rel_tol=1e-6)  # Clopper-Pearson, k = n
    assert d.verdict == "holds"


def test_equality_rule_within_the_noise_floor():
    eq = Check("x", "==", 0, "exact", floor=0.5)
    assert _d([0] * 6, dc.RANGE, eq).verdict == "holds"
    assert _d([1] * 6, dc.RANGE, eq).verdict == "refuted"
    assert _d([0, 1, 0, 0, 0, 0], dc.RANGE, eq).verdict == "inconclusive"
    assert _d([0.0], check=Check("x", "==", 0, "exact", floor=0.0)).verdict == "holds"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None, "text"])
def test_non_finite_or_missing_metric_is_an_error_never_a_verdict(bad):
    samples = [_s(x=1.0), _s(x=bad) if bad is not None else _s()]
    d = dc.decide([GT0], samples, dc.EXACT)
    assert d.verdict == Verdict.ERROR
    assert "x" in d.reason


def test_nulls_are_decidable_metrics_too():
    assert dc.decide([GT0], [Sample(nulls={"x": 1.0})], dc.EXACT).verdict == "holds"


def test_not_measurable_samples_are_inconclusive_with_reason():
    d = dc.decide([GT0], [Sample(not_measurable="only 7 inputs disagree")], dc.EXACT)
    assert d.verdict == "inconclusive" and "7 inputs" in d.reason
    d = dc.decide([GT0], [Sample(not_measurable="too few"), _s(x=1.0)], dc.EXACT)
    assert d.verdict == "holds" and "not measurable" in d.reason


def test_premises_are_decided_first():
    premise = Check("barrier", ">=", 0.1, "premise", kind="premise")
    claim = Check("x", ">", 0.0, "claim")
    mean = Statistic("mean")
    unmet = dc.decide([premise, claim], [_s(barrier=0.0, x=-1.0 - i / 10) for i in range(4)], mean)
    assert unmet.verdict == "inconclusive" and unmet.reason.startswith("premise not met") and unmet.premise_unmet
    met = dc.decide([premise, claim], [_s(barrier=0.5 + i / 10, x=-1.0 - i / 10) for i in range(4)], mean)
    assert met.verdict == "refuted" and met.checks[0].p_refute is None and met.checks[1].p_refute < 0.025


def test_an_unmet_premise_is_reported_with_what_was_tried_even_where_the_claim_is_not_measurable():
    premise = Check("descent", "<=", 0.0, "premise", kind="premise", tried="tried")
    claim = Check("x", ">", 0.0, "claim")
    mean = Statistic("mean")
    samples = [Sample(metrics={"descent": 1.0 + i / 10, "tried": "pre-training 3000, 6000 steps (the cap)"},
                      not_measurable="bottom at an end") for i in range(3)]
    d = dc.decide([premise, claim], samples, mean)
    assert d.verdict == "inconclusive" and d.premise_unmet, d.reason
    assert "tried: pre-training 3000, 6000 steps (the cap)" in d.reason and "not measurable" in d.reason
    d = dc.decide([premise, claim], [Sample(metrics={"descent": -1.0 - i / 10}, not_measurable="bottom at an end")
                                     for i in range(3)], mean)
    assert d.verdict == "inconclusive" and not d.premise_unmet and d.reason.startswith("not measurable")
    with pytest.raises(ValueError, match="tried"):
        Check("x", ">", 0.0, "claim", tried="tried")


def test_p_refute_matches_the_interval():
    mean = Statistic("mean")
    d = _d([-1.0, -1.1, -0.9, -1.2], mean)
    assert d.verdict == "refuted" and d.checks[0].p_refute < 0.025
    d = _d([1.0, 1.1, 0.9, 1.2], mean)
    assert d.checks[0].p_refute > 0.5
    assert _d([-1.0] * 6, dc.RANGE).checks[0].p_refute == 0.5 ** 6


def test_check_and_statistic_reject_bad_input():
    with pytest.raises(ValueError, match="op"):
        Check("x", "=>", 0, "")
    with pytest.raises(ValueError, match="threshold"):
        Check("x", ">", float("nan"), "")
    with pytest.raises(ValueError, match="floor"):
        Check("x", ">", 0, "", floor=-1.0)
    with pytest.raises(ValueError, match="kind"):
        Check("x", ">", 0, "", kind="hope")
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


def test_band_is_the_larger_of_three_standard_errors_relative_tolerance_and_floor():
    assert baselines.band(10.0, [10.0]) == [8.0, 12.0]
    lo, hi = baselines.band(10.0, [0.0, 20.0])  # SE = stdev / sqrt(2) = 10: 3 SE = 30
    assert (lo, hi) == pytest.approx((-20.0, 40.0))
    assert baselines.band(0.0, [0.0, 0.0], floor=0.5) == [-0.5, 0.5]
    assert baselines.band(1.0, [1.0], ci=(0.0, 2.0)) == pytest.approx([1 - 3 / 1.96, 1 + 3 / 1.96])


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
    assert changes[-1].startswith("VERDICT CHANGE NOT WRITTEN: quick-cfg.json: C4/cfg/line refuted -> holds")
    assert baselines.load(tmp_path, "quick", "cfg")["cases"]["C4/cfg/line"]["verdict"] == "refuted"
    changes = baselines.update(tmp_path, "quick", [_row(verdict="holds")], {"cfg": {"C4/cfg/line"}},
                               accept_verdict_changes=True)
    assert changes == ["VERDICT CHANGE: quick-cfg.json: C4/cfg/line refuted -> holds"]
    assert baselines.load(tmp_path, "quick", "cfg")["cases"]["C4/cfg/line"]["verdict"] == "holds"


def test_diagnostics_and_measurability_are_guarded():
    row = {**_row(), "samples": 3, "measured": {"wall_ratio": [3.0, 3.1, 2.9], "endpoint_loss": [1e-3, 1e-3, 1e-3]}}
    entry = baselines.entry_for(row, ("endpoint_loss",))
    assert entry["measurable"] == [0, 3] or entry["measurable"][1] == 3
    exp = baselines.Expectation(entry["verdict"], entry["metrics"], "f", entry["diagnostics"], entry["measurable"])
    assert baselines.regressions(exp, "refuted", row["decided"], row, ("endpoint_loss",)) == []
    moved = {**row, "measured": {**row["measured"], "endpoint_loss": [0.5, 0.5, 0.5]}}
    assert "diagnostic endpoint_loss" in baselines.regressions(exp, "refuted", row["decided"], moved)[0]


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
def _lrow(claim, case, role, verdict, label="m", value=1.0, values=(1.0, 1.1, 0.9), ci=(0.8, 1.2), status=None,
          p=0.5, metric="x", op=">", controls=(), reason="", sensitivity=()):
    check = {"metric": metric, "op": op, "threshold": 0.0, "kind": "claim", "value": value, "ci": list(ci),
             "values": list(values), "status": status or verdict, "p_refute": p, "statistic": "mean", "floor": 1e-6}
    return {"claim": claim, "case": case, "configuration": label, "role": role, "verdict": verdict,
            "id": f"{claim}/{label}/{case}", "decided": [check], "controls": list(controls), "reason": reason,
            "sensitivity": list(sensitivity)}


def test_headline_takes_the_scope_primaries_and_shows_the_replication_apart():
    rows = [_lrow("C5", "budget", "primary", "holds"), _lrow("C5", "paper", "replication", "refuted", "toy",
                                                            value=-1, ci=(-1.2, -0.8), p=1e-4),
            _lrow("C5", "lm", "variant", "holds"), _lrow("C5", "int", "variant", "holds", "toy"),
            _lrow("C5", "ctl", "control", "refuted", value=-1, ci=(-1.2, -0.8))]
    s = decide_claims(rows)["C5"]
    assert s.verdict == Verdict.HOLDS and s.per_configuration == {"m": "holds"}
    assert s.replication["verdict"] == "refuted" and s.variants == {"agree": 1, "total": 2}
    assert s.controls["refuted"] == 1 and s.controls["held"] == []


def test_a_matched_control_that_holds_means_the_measurement_does_not_discriminate():
    rows = [_lrow("C15", "shared", "primary", "holds", controls=("softmax",)),
            _lrow("C15", "softmax", "control", "holds", "softmax")]
    s = decide_claims(rows)["C15"]
    assert s.verdict == "inconclusive" and s.why.startswith("does not discriminate")
    assert s.controls["held"] == ["C15/softmax/softmax"]


def test_a_control_that_departs_the_same_way_makes_a_refutation_inconclusive():
    prim = _lrow("C8", "budget", "primary", "refuted", value=-26.7, ci=(-28.7, -24.0), p=1e-6, controls=("ctl",))
    same = _lrow("C8", "ctl", "control", "refuted", value=-22.7, ci=(-30.0, -15.0))
    apart = _lrow("C8", "ctl", "control", "refuted", value=-2.0, ci=(-3.0, -1.0))
    s = decide_claims([prim, same])["C8"]
    assert s.verdict == "inconclusive" and s.why.startswith("does not discriminate") and "departs the same way" in s.why
    s = decide_claims([prim, apart])["C8"]
    assert s.verdict == "refuted" and s.qualifier == "power not shown"


def _pos(name, verdict, value, ci):
    r = _lrow("C8", name, "positive", verdict, value=value, ci=ci, values=(value - 0.1, value, value + 0.1))
    return r


def test_a_positive_control_that_fails_means_the_measurement_cannot_refute():
    prim = _lrow("C8", "budget", "primary", "refuted", value=-2.0, ci=(-3.0, -1.0), values=(-2.5, -2.0, -1.5), p=1e-6)
    s = decide_claims([prim, _pos("planted", "inconclusive", 0.1, (-0.5, 0.7))])["C8"]
    assert s.verdict == "inconclusive" and s.why.startswith("cannot see the planted effect"), s.why
    assert s.positives == {"held": 0, "total": 1, "failed": ["C8/m/planted"]}
    s = decide_claims([prim, _pos("planted", "holds", 3.0, (2.5, 3.5))])["C8"]
    assert s.verdict == "refuted" and s.qualifier == "" and s.positives["held"] == 1
    assert s.power and s.power[0]["planted"] == 3.0 and s.power[0]["needed"] <= 3
    s = decide_claims([prim])["C8"]
    assert s.verdict == "refuted" and s.qualifier == "power not shown"


def test_a_primary_that_could_not_detect_the_planted_effect_is_underpowered():
    prim = _lrow("C8", "budget", "primary", "inconclusive", value=0.2, ci=(-2.0, 2.4), values=(-1.0, 0.2, 1.4),
                 status="inconclusive")
    s = decide_claims([prim, _pos("planted", "holds", 0.5, (0.4, 0.6))])["C8"]
    assert s.verdict == "inconclusive" and s.why.startswith("underpowered here (x: needs n >= "), s.why
    refuted = _lrow("C8", "budget", "primary", "refuted", value=-2.0, ci=(-3.5, -0.5), values=(-3.5, -2.0, -0.5), p=1e-6)
    s = decide_claims([refuted, _pos("planted", "holds", 0.5, (0.4, 0.6))])["C8"]
    assert s.verdict == "refuted" and s.power[0]["underpowered"], "a significant refutation is not undone by power"


def test_a_primary_and_a_control_both_at_the_null_share_no_departure():
    def at_null(case, role, **kw):
        r = _lrow("C10", case, role, "refuted", value=0.0, ci=(-1e-6, 1e-6), p=1e-6, op=">=", **kw)
        r["decided"][0].update(threshold=0.8, null=0.0)
        return r

    s = decide_claims([at_null("paper", "primary", controls=("ctl",)), at_null("ctl", "control")])["C10"]
    assert s.verdict == "refuted", s.why


def test_holm_keeps_a_refutation_only_when_it_survives_the_family():
    weak = _lrow("C9", "m1", "primary", "refuted", value=-0.1, ci=(-0.2, -0.01), p=0.02)
    others = [_lrow("C9", f"m{k}", "primary", "holds", p=0.9) for k in (2, 3)]
    s = decide_claims([weak, *others])["C9"]
    assert s.verdict == "inconclusive" and s.why.startswith("not significant after Holm over 3 checks")
    strong = _lrow("C9", "m1", "primary", "refuted", value=-1, ci=(-1.2, -0.8), p=1e-4)
    assert decide_claims([strong, *others])["C9"].verdict == "refuted"


def test_premises_sweeps_and_errors_say_why():
    unmet = _lrow("C16", "cyc", "primary", "inconclusive", reason="premise not met: barrier >= 0.1 is false")
    assert decide_claims([unmet])["C16"].why.startswith("premise not met")
    flip = _lrow("C3", "t", "primary", "refuted", value=-1, ci=(-1.2, -0.8), p=1e-4,
                 sensitivity=[{"constant": "threshold", "verdicts": ["holds", "refuted"], "flip": "holds at 0.01, "
                               "refuted at 0.1"}])
    s = decide_claims([flip])["C3"]
    assert s.verdict == "inconclusive" and s.why == "depends on threshold: holds at 0.01, refuted at 0.1 (on t)"
    rows = [_lrow("C4", "line", "primary", "holds"), _lrow("C4", "line2", "primary", "error", "toy")]
    claims = decide_claims(rows)
    assert claims["C4"].verdict == "error" and claims["C9"].verdict == Verdict.NOT_MEASURED


def test_holm_step_down():
    from landscape_lib.verdicts.headline import holm

    assert holm([0.001, 0.02, 0.03], alpha=0.025) == [True, False, False]
    assert holm([0.004, 0.009, 0.012], alpha=0.025) == [True, True, True]
    assert holm([]) == []


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

"""The helpers of landscape_lib/protocols/asymmetry.py (A1-A6): exact answers at toy sizes."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from landscape_lib.geometry.probes import loss_along, random_unit_directions
from landscape_lib.nets.models import build_model
from landscape_lib.protocols import asymmetry as av
from landscape_lib.nets.params import FlatModel

DT = torch.float64


def test_profile_grid_is_symmetric_geometric_and_ends_at_the_scale():
    ls = av.profile_grid(3.0)
    assert len(ls) == 43 and float(ls[21]) == 0.0
    assert torch.allclose(ls, -ls.flip(0))
    pos = ls[22:]
    assert float(pos[0]) == pytest.approx(0.03) and float(pos[-1]) == pytest.approx(3.0)
    assert torch.allclose(pos[1:] / pos[:-1], torch.full((20,), 10 ** 0.1, dtype=DT))


def _exp_profiles(a, n_dirs=8, D=3, scale=4.0):
    """f(P) = sum_i (e^{a x_i} - a x_i) / a^2: 1/2 |x|^2 to second order, sharp toward +x_i (a = 0: 1/2 |x|^2)."""
    f = (lambda P: 0.5 * P.pow(2).sum(-1)) if a == 0 else (lambda P: ((a * P).exp() - a * P).sum(-1) / a ** 2)
    U = random_unit_directions(n_dirs, D, seed=1)
    ls = av.profile_grid(scale)
    return ls, loss_along(f, torch.zeros(D, dtype=DT), U, ls), U


def test_declared_rule_follows_the_recipe():
    ls, L, _ = _exp_profiles(0.0)  # a quadratic: rise = l^2 / 2 on every direction
    rule, delta, rise, why = av.declared_rule(ls, L, chance=2.0)
    assert why == "" and delta == pytest.approx(0.2) and rule.c == pytest.approx(0.02)
    pos = ls[22:]
    k = int(((pos ** 2 / 2) >= 0.2 - 1e-9).nonzero()[0])  # l^2/2 >= Delta first at grid index k
    assert rule.p == float(pos[k]) and rule.r == float(pos[k - 3])
    assert torch.allclose(rise, pos ** 2 / 2, rtol=1e-6)


def test_declared_rule_not_measurable_off_the_grid():
    ls, L, _ = _exp_profiles(0.0, scale=0.1)  # rise at most 0.005 < Delta
    assert av.declared_rule(ls, L, 2.0)[0] is None
    ls, L, _ = _exp_profiles(0.0, scale=1000.0)  # Delta reached at the first grid point: no room for r
    rule, _, _, why = av.declared_rule(ls, L, 2.0)
    assert rule is None and "no room for r" in why
    s = av.profile_stats(ls, L, 2.0, 1000.0)
    assert s.not_measurable and "asym_fraction" not in s.metrics


def test_profile_stats_symmetric_quadratic_has_no_asymmetric_direction():
    ls, L, _ = _exp_profiles(0.0)
    s = av.profile_stats(ls, L, 2.0, 4.0).metrics
    assert s["asym_count"] == 0 and s["asym_fraction"] == 0.0 and s["fraction_ci_lo"] == 0.0
    assert s["max_margin_over_delta"] < 1e-9


def test_profile_stats_exp_valley_is_asymmetric_and_the_plotted_side_is_sharp():
    ls, L, U = _exp_profiles(3.0, n_dirs=16)
    r = av.profile_stats(ls, L, 2.0, 4.0)
    s, a = r.metrics, r.arrays
    assert s["asym_count"] > 0 and 0 < s["fraction_ci_lo"] <= s["asym_fraction"] <= s["fraction_ci_hi"]
    assert s["sharp_plus"] + s["sharp_minus"] == s["asym_count"]
    assert a["plus"][-1] > a["minus"][-1]  # the plotted +u is the sharp side
    j, sign = a["sharp"]
    assert sign in (1, -1) and 0 <= j < 16


def test_log_ratio_is_continuity_corrected():
    assert av.log_ratio(7, 7, 50) == 0.0
    assert av.log_ratio(0, 0, 50) == 0.0
    assert av.log_ratio(20, 10, 50) == pytest.approx(math.log(20.5 / 10.5))
    assert math.isfinite(av.log_ratio(0, 50, 50)) and av.log_ratio(0, 50, 50) < -4


def _line(f, t):
    return torch.as_tensor(t, dtype=DT), torch.as_tensor([f(x) for x in t], dtype=DT)


def test_side_contrast_parabola_is_zero_and_exp_valley_has_sides():
    t = torch.linspace(-1, 2, 31, dtype=DT).tolist()
    ls, L = _line(lambda x: (x - 0.4) ** 2, t)
    sc = av.side_contrast(ls, L, point=1.0)
    assert sc["contrast"] == pytest.approx(0.0, abs=1e-9) and sc["bottom"] == pytest.approx(0.4)
    # e^{3(x - 0.5)} - 3(x - 0.5): bottom 0.5, sharp for x > 0.5
    g = lambda x: math.exp(3 * (x - 0.5)) - 3 * (x - 0.5)  # noqa: E731
    ls, L = _line(g, t)
    flat = av.side_contrast(ls, L, point=0.0, window=0.5)  # left of the bottom: the flat side
    sharp = av.side_contrast(ls, L, point=1.0, window=0.5)
    assert flat["contrast"] < -0.1 and flat["on_flat_side"]
    assert sharp["contrast"] > 0.1 and not sharp["on_flat_side"]
    assert flat["contrast"] == pytest.approx(-sharp["contrast"], rel=1e-9)  # same bottom, same window
    assert av.side_contrast(ls, L, point=1.0)["window"] == pytest.approx(1.0)  # default: |point|
    ls, L = _line(lambda x: -x, t)  # monotone: the bottom at the end
    assert av.side_contrast(ls, L, point=1.0)["contrast"] is None


def test_least_squares_losses_and_sgd_match_autograd():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, 1, 2, 2, generator=g), torch.randint(0, 3, (40,), generator=g)
    q = av.LeastSquares(X, y, X[:10], y[:10], 3)
    assert q.D == 3 * 4 + 3 and q.chance == pytest.approx(1 / 3)
    th = torch.randn(q.D, generator=g, dtype=DT)
    W, b = th[:12].view(3, 4), th[12:]
    ref = 0.5 * ((X.flatten(1).double() @ W.T + b - F.one_hot(y, 3).double()) ** 2).sum(1).mean()
    assert float(q.losses(th[None])[0]) == pytest.approx(float(ref), rel=1e-12)
    # exactly quadratic: L(th + l u) - L(th - l u) = 2 l g.u
    u = torch.randn(q.D, generator=g, dtype=DT)
    u /= u.norm()
    thr = th.clone().requires_grad_(True)
    grad = torch.autograd.grad(q.losses(thr[None])[0], thr)[0]
    d = q.losses((th + 0.7 * u)[None]) - q.losses((th - 0.7 * u)[None])
    assert float(d[0]) == pytest.approx(2 * 0.7 * float(grad @ u), rel=1e-9)
    # one full-batch SGD step (batch 64 > N: every step sees a random permutation's first 40 = all points)
    step, _ = q.sgd(th, 0.05, 1, seed=0)
    assert torch.allclose(step, th - 0.05 * grad, rtol=1e-10, atol=1e-12)
    assert q.lr == min(av.LR, 1 / q.lam_max)


def test_one_neuron_is_the_logistic_loss_and_newton_finds_its_minimum():
    from landscape_lib.nets.data import load_dataset
    from landscape_lib.nets.problem import Problem

    m = build_model("one_neuron", (1,), 2)
    flat = FlatModel(m, dtype=DT)
    assert flat.D == 2 and flat.names == ["linear.weight", "linear.bias"]
    ds = load_dataset("gaussians", seed=3)
    th = torch.tensor([0.7, -0.2], dtype=DT)
    X, y = ds.X_train.double(), ds.y_train
    z = 0.7 * X.view(-1) - 0.2
    ref = F.binary_cross_entropy_with_logits(z, y.double())
    assert float(flat.loss(th, X, y)) == pytest.approx(float(ref), rel=1e-12)

    class P:  # the parts of a Problem neuron_minimum reads
        data = ds
    assert float(av._neuron_loss64(P)(th[None])[0]) == pytest.approx(float(ref), rel=1e-12)
    th_min = av.neuron_minimum(P, th)
    thr = th_min.clone().requires_grad_(True)
    g = torch.autograd.grad(av._neuron_loss64(P)(thr[None])[0], thr)[0]
    assert float(g.norm()) < 1e-10
    assert 1.5 < float(th_min[0]) < 2.6 and abs(float(th_min[1])) < 0.3  # Bayes: w = 2, b = 0
    with pytest.raises(ValueError, match="1-D inputs and 2 classes"):
        build_model("one_neuron", (2,), 2)
    assert Problem  # imported for its side effects only in the protocol


def test_cases_asymmetry_declare_one_primary_definition_per_configuration():
    from landscape_lib.types import Role
    from landscape_lib.verdicts.cases import asymmetry as cases_asymmetry
    from landscape_lib.verdicts.cases import validate

    cs = cases_asymmetry.CASES
    validate(cs)
    for c in cs:
        if c.claim in ("A1", "A2", "A3", "A5", "A6") and c.role == Role.PRIMARY:
            assert dict(c.definition) == {"bn": "recomputed"}
        if c.role == Role.CONTROL:
            assert c.holds_if
    bn_cases = {(c.claim, c.definition.get("bn")) for c in cs if c.claim in ("A1", "A2", "A3", "A6")
                and c.role != Role.CONTROL and c.params.get("model", "mlp-bn") == "mlp-bn"}
    for claim in ("A1", "A2", "A3", "A6"):
        assert {d for cl, d in bn_cases if cl == claim} == set(av.BN_DEFINITIONS)


# -- a user's own network ------------------------------------------------------------------------------
def test_net_is_the_case_s_configuration_retrained_by_the_declared_sgd():
    """On the repository's MLP, "net" / "net-bn" are exactly the MLP primaries' "mlp" / "mlp-bn" (same training
    configuration, so the same cache entries); on a user's model, the user's factory with its data set."""
    from landscape_lib.nets.config import config_hash
    from landscape_lib.protocols.lab import Lab, tier_spec_for

    lab = Lab(tier_spec_for("quick"), None)
    for net, mlp in (("net", "mlp"), ("net-bn", "mlp-bn")):
        got = av.sgd_config(lab, av.on_configuration(net, "mlp-digits"))
        assert config_hash(got) == config_hash(av.sgd_config(lab, mlp))
    user = Lab(tier_spec_for("quick", model="tests.factories:tiny_mlp", bn_model="tests.factories:relu_mlp"), None)
    label = "tests.factories.tiny_mlp-digits"
    assert list(user.spec.configs) == [label]
    cfg = av.sgd_config(user, av.on_configuration("net", label))
    assert (cfg.model, cfg.dataset, cfg.optimizer, cfg.lr, cfg.batch_size) == ("tests.factories:tiny_mlp", "digits",
                                                                                "sgd", av.LR, av.BATCH)
    assert av.sgd_config(user, av.on_configuration("net-bn", label)).model == "tests.factories:relu_mlp"
    assert av._n_seeds("net@" + label) == 10  # seeds 5..9 for A6's twin control, as the MLP's


def test_a6_on_a_user_model_needs_its_batch_norm_twin():
    from landscape_lib.protocols.lab import Lab, tier_spec_for

    lab = Lab(tier_spec_for("quick", model="tests.factories:tiny_mlp"), None)
    label = "tests.factories.tiny_mlp-digits"
    why = av.missing_twin(lab, label, {"models": ("net", "net-bn")})
    assert "no batch-norm twin" in why and "--bn-model package.module:factory" in why
    assert av.missing_twin(lab, label, {"model": "net"}) == ""
    with pytest.raises(ValueError, match="no batch-norm twin"):
        av.sgd_config(lab, av.on_configuration("net-bn", label))
    with pytest.raises(ValueError, match="bn_model must be 'package.module:factory', given together with model"):
        tier_spec_for("quick", bn_model="tests.factories:relu_mlp")
    with pytest.raises(ValueError, match="model must be one of"):
        av.sgd_config(lab, "net@")


def test_a_user_run_selects_the_user_cases_and_drops_the_replaced_configuration():
    from landscape_lib.protocols.lab import Lab, tier_spec_for
    from landscape_lib.run import selected

    lab = Lab(tier_spec_for("quick", model="tests.factories:tiny_mlp"), None)
    rows = {case.id(label): why for case, label, why in selected("quick", lab.spec.configs, lab=lab)}
    label = "tests.factories.tiny_mlp-digits"
    for claim in ("A1", "A2", "A3", "A5"):
        assert rows[f"{claim}/{label}/net"] == ""
    assert "no batch-norm twin" in rows[f"A6/{label}/net"]
    assert not any("/mlp-digits/" in cid for cid in rows)  # replaced by the user's configuration
    assert rows["A1/softmax-digits/control-softmax"] == "" and rows["A1/softmax-digits/positive-planted-valley"] == ""
    own = {case.id(label) for case, label, _ in selected("quick", Lab(tier_spec_for("quick"), None).spec.configs)}
    assert not any("/net" in cid for cid in own)  # the repository's own run has no user cases
    with_twin = Lab(tier_spec_for("quick", model="tests.factories:tiny_mlp", bn_model="tests.factories:relu_mlp"),
                    None)
    assert {case.id(lb): why for case, lb, why in selected("quick", with_twin.spec.configs, lab=with_twin)}[
        f"A6/{label}/net"] == ""


def test_a_user_s_batch_norm_twin_enters_the_configuration_s_key_and_unbound_names_are_refused():
    from landscape_lib.protocols.lab import Lab, tier_spec_for
    from landscape_lib.run import not_run

    label = "tests.factories.tiny_mlp-digits"
    plain = Lab(tier_spec_for("quick", model="tests.factories:tiny_mlp"), None)
    twin_a = Lab(tier_spec_for("quick", model="tests.factories:tiny_mlp", bn_model="tests.factories:relu_mlp"), None)
    twin_b = Lab(tier_spec_for("quick", model="tests.factories:tiny_mlp", bn_model="tests.factories:blobs"), None)
    keys = {plain.config_key(label) if isinstance(plain.config_key(label), str) else None,
            str(twin_a.config_key(label)), str(twin_b.config_key(label))}
    assert len(keys) == 3  # another --bn-model never serves A6's cached samples
    with pytest.raises(ValueError, match="bind it first"):
        av.sgd_config(plain, "net")
    skipped = not_run("quick", plain)
    assert skipped[f"A6/{label}/net"]["short"] == av.NO_TWIN and skipped[f"A6/{label}/net"]["role"] == "primary"

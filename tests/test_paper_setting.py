"""The full tier's paper setting: a stratified training subset, data-set losses in chunks, a convolutional
network's members in a loop on a CPU, and the per-case budget that says what a tier does not run."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from landscape_lib.nets.config import TrainConfig, config_hash
from landscape_lib.nets.data import Dataset, subset
from landscape_lib.nets.models import build_model
from landscape_lib.nets.params import FlatModel
from landscape_lib.nets.problem import Problem
from landscape_lib.protocols import cost
from landscape_lib.protocols.lab import FULL_TRAIN_SIZE, Lab, tier_spec_for
from landscape_lib.run import selected


def _toy_dataset(n=60, classes=3, shape=(1, 6, 6)):
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n) % classes
    return Dataset("toy", torch.randn(n, *shape, generator=g), y, torch.randn(9, *shape, generator=g),
                   torch.arange(9) % classes, classes, shape)


def test_subset_is_stratified_deterministic_and_keeps_the_test_set():
    ds = _toy_dataset()
    a, b = subset(ds, 30), subset(ds, 30)
    assert a.n_train == 30 and torch.equal(a.X_train, b.X_train)
    assert torch.bincount(a.y_train).tolist() == [10, 10, 10]
    assert a.X_test is ds.X_test and subset(ds, ds.n_train) is ds


@pytest.mark.parametrize("n", [1, 61, 2.5, True])
def test_subset_names_its_parameter(n):
    with pytest.raises(ValueError, match=r"train_size must be an integer in \[2, 60\]"):
        subset(_toy_dataset(), n)


def test_train_size_is_validated_and_enters_the_hash_only_when_set():
    with pytest.raises(ValueError, match="TrainConfig.train_size"):
        TrainConfig(train_size=0)
    base = TrainConfig()
    assert config_hash(base) == config_hash(dataclasses.replace(base, train_size=None))
    assert config_hash(base) != config_hash(dataclasses.replace(base, train_size=500))


def test_chunked_losses_equal_one_pass():
    cfg = TrainConfig(model="mlp", dataset="digits", hidden=(8,), dtype="float64")
    one = Problem.of(cfg)
    chunked = dataclasses.replace(one, data_chunk=100)
    thetas = one.flat.theta0() + 0.1 * torch.randn(5, one.D, generator=torch.Generator().manual_seed(1),
                                                  dtype=torch.float64)
    want = torch.stack([one.flat.loss(t, one.data.X_train, one.data.y_train) for t in thetas])
    assert torch.allclose(chunked.train_losses(thetas), want, rtol=1e-12, atol=0)
    assert torch.allclose(chunked.test_losses(thetas), one.test_losses(thetas), rtol=1e-12, atol=0)


def test_a_batch_norm_network_is_evaluated_in_one_pass():
    cfg = TrainConfig(model="mlp", dataset="digits", hidden=(8,), batch_norm=True, dtype="float64")
    one = Problem.of(cfg)
    chunked = dataclasses.replace(one, data_chunk=100)
    th = one.flat.theta0().unsqueeze(0)
    assert torch.equal(chunked.train_losses(th), one.flat.loss(th[0], one.data.X_train, one.data.y_train)[None])


def test_a_conv_net_on_cpu_runs_its_members_in_a_loop_with_vmaps_numbers():
    net = build_model("simple_cnn", (1, 8, 8), 3)
    flat = FlatModel(net, dtype=torch.float64)
    assert flat._loop_members
    X = torch.randn(7, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    thetas = flat.theta0() + 0.1 * torch.randn(3, flat.D, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    looped = flat.batched_logits(thetas, X)
    flat._loop_members = False
    assert torch.allclose(looped, flat.batched_logits(thetas, X), rtol=1e-10, atol=1e-12)


def test_the_full_tier_runs_the_fashion_cnn_on_a_declared_subset():
    spec = tier_spec_for("full")
    cfg = spec.configs["cnn-fashion"]
    assert (cfg.model, cfg.dataset, cfg.activation, cfg.optimizer, cfg.schedule) == (
        "simple_cnn", "fashion_mnist", "tanh", "adam", "constant")
    assert cfg.train_size == FULL_TRAIN_SIZE and cfg.target_loss is None
    assert tier_spec_for("paper").configs["cnn-fashion"].train_size is None
    assert spec.budgets == {"cnn-fashion": spec.budgets["cnn-fashion"]} and not tier_spec_for("quick").budgets


def test_a_case_over_budget_says_what_it_needs(monkeypatch):
    lab = Lab.open("quick")
    lab.spec.budgets["mlp-digits"] = 1e5
    rows = {case.id(label): why for case, label, why in selected("quick", lab.spec.configs, lab=lab)}
    tunnel, line = rows["C5/mlp-digits/budget"], rows["C13/mlp-digits/optima"]
    assert tunnel.startswith("not run at this tier (needs ≈ ") and "image-gradients" in tunnel and "budget" in tunnel
    assert line == ""
    assert all(why == "" for cid, why in rows.items() if cid.split("/")[1] == "toy" and "runs at tiers" not in why)
    lab.spec.budgets.clear()
    assert all("not run at this tier" not in why for why in
               (w for _, _, w in selected("quick", lab.spec.configs, lab=lab)))


def test_need_counts_in_image_gradients():
    n = cost.Need(5400 * 60, "x")
    assert n.seconds() == pytest.approx(60) and "≈ 1 min" in n.describe()
    assert cost.fmt_budget(1) == 60 * cost.REFERENCE_THROUGHPUT


def test_on_a_step_budget_configuration_the_absolute_twin_decides():
    from landscape_lib.types import Role
    from landscape_lib.verdicts.cases import CASES

    spec = tier_spec_for("full")
    c4 = {c.name: c for c in CASES if c.claim == "C4" and c.on == "net"}
    digits, fashion = spec.configs["mlp-digits"], spec.configs["cnn-fashion"]
    assert c4["line"].on_configuration(digits, CASES) is c4["line"]
    ratio, twin = c4["line"].on_configuration(fashion, CASES), c4["line-chance-level"].on_configuration(fashion, CASES)
    assert ratio.role == Role.VARIANT and not ratio.controls
    assert twin.role == Role.PRIMARY and twin.name == "line-chance-level"
    assert [c.metric for c in twin.rule] == ["wall_over_chance"]
    assert twin.controls == ("control-same-basin-chance-level",)
    control = c4["control-same-basin-chance-level"].on_configuration(fashion, CASES)
    assert control.role == Role.CONTROL and control.holds_if == c4["control-same-basin"].holds_if


def test_a_not_run_primary_shows_beside_the_configurations_that_ran():
    from landscape_lib.run import NOT_RUN, mark_not_run

    led = {"claims": {"C5": {"per_configuration": {"mlp-digits": "holds"}}},
           "not_run": {"C5/cnn-fashion/budget": {"role": "primary", "why": "not run at this tier (needs ≈ 1e9 ...)"},
                       "C5/cnn-fashion/loss-matched": {"role": "variant", "why": "..."}}}
    assert mark_not_run(led)["claims"]["C5"]["per_configuration"] == {"mlp-digits": "holds", "cnn-fashion": NOT_RUN}


def test_the_asymmetric_valley_claims_are_declared_on_the_fashion_cnn_with_batch_norm():
    from landscape_lib.protocols.asymmetry import sgd_config
    from landscape_lib.types import Role
    from landscape_lib.verdicts.cases import CASES

    lab = Lab.open("full")
    on_cnn = {c.claim for c in CASES if c.on == "cnn-fashion" and c.role == Role.PRIMARY}
    assert {"A1", "A2", "A3", "A5", "A6"} <= on_cnn
    assert sgd_config(lab, "cnn-bn").batch_norm and not sgd_config(lab, "cnn").batch_norm
    assert sgd_config(lab, "cnn").dataset == "fashion_mnist" and sgd_config(lab, "cnn").model == "simple_cnn"
    rows = {case.id(label): why for case, label, why in selected("full", lab.spec.configs, lab=lab)}
    assert rows["A1/cnn-fashion/cnn-bn-recomputed"].startswith("not run at this tier (needs ≈ ")
    quick = {case.id(label): why for case, label, why in selected("quick", Lab.open("quick").spec.configs)}
    assert "runs at tiers" in quick["A1/cnn-fashion/cnn-bn-recomputed"]

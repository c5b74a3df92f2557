"""The plugin and the suite's lab fixtures: xdist workers train an entry once; a killed run leaves no valid entry."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ("-p", "landscape_lib.pytest_plugin", "-p", "fixtures.lab", "-p", "no:cacheprovider")

WORKER_TESTS = textwrap.dedent('''
    import os
    import landscape_lib.nets.training as T
    from landscape_lib.nets.config import TrainConfig

    _orig = T.train_many

    def _counting(*a, **k):
        with open(os.environ["COUNTER"], "a") as fh:
            fh.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}\\n")
        return _orig(*a, **k)

    T.train_many = _counting
    CFG = TrainConfig(max_steps=30, target_loss=None)

    def _check(optima):
        ops = optima(CFG, k=2)
        assert len(ops) == 2 and ops[0].steps == 30

    def test_a(optima): _check(optima)
    def test_b(optima): _check(optima)
    def test_c(optima): _check(optima)
    def test_d(optima): _check(optima)
''')


def _env(tmp_path):
    return {**os.environ, "COUNTER": str(tmp_path / "counter.txt"), "PYTHONPATH": str(ROOT),
            "LANDSCAPE_THREADS": "1"}


def test_two_xdist_workers_train_the_same_optima_once(tmp_path):
    (tmp_path / "test_workers.py").write_text(WORKER_TESTS)
    cmd = [sys.executable, "-m", "pytest", "-q", *PLUGIN, "-n", "2", "--noconftest", "--rootdir", str(tmp_path), "-c",
           os.devnull, "--cache-dir", str(tmp_path / "cache"), "--reports-dir", str(tmp_path / "reports"),
           str(tmp_path / "test_workers.py")]
    out = subprocess.run(cmd, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4 passed" in out.stdout
    lines = (tmp_path / "counter.txt").read_text().split()
    assert len(lines) == 1, f"trained {len(lines)} times: {lines}"
    # a second session takes them from the cache
    out = subprocess.run(cmd, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and len((tmp_path / "counter.txt").read_text().split()) == 1


KILLED = textwrap.dedent('''
    import sys
    from landscape_lib.cache import Cache
    from landscape_lib.nets.config import TrainConfig
    from landscape_lib.nets.training import train_many

    cfg = TrainConfig(max_steps=10**6, target_loss=None)

    def build():
        print("training", flush=True)
        return train_many(cfg, [0, 1])

    Cache(sys.argv[1]).get_or_build("optima-killed", build)
''')


def test_run_killed_mid_training_leaves_no_valid_entry(tmp_path):
    from landscape_lib.cache import Cache

    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "cache")], env=_env(tmp_path),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "training"
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    cache = Cache(tmp_path / "cache")
    assert cache.entries() == []
    value, hit = cache.get_or_build("optima-killed", lambda: "rebuilt")
    assert (value, hit) == ("rebuilt", False)


def test_nan_training_writes_no_entry(tmp_path):
    from landscape_lib.cache import Cache
    from landscape_lib.nets.config import TrainConfig, TrainingDiverged
    from landscape_lib.nets.training import train

    cache = Cache(tmp_path)
    with pytest.raises(TrainingDiverged, match="diverged"):
        cache.get_or_build("optima-nan", lambda: train(TrainConfig(optimizer="sgd", lr=1e30, momentum=0.0, max_steps=20,
                                                                      target_loss=None, activation="relu")))
    assert cache.entries() == []


MISSED_TARGET = textwrap.dedent('''
    import dataclasses

    import pytest
    from landscape_lib.nets.config import TargetNotReached, TrainConfig

    CFG = TrainConfig(lr=1e6, max_steps=20, target_loss=1e-3, hidden=(8,))

    def test_optima_refuse_an_optimum_above_its_target(optima):
        with pytest.raises(TargetNotReached, match=r"2 of 2 optima did not reach the target loss 0.001") as e:
            optima(CFG, k=2)
        assert "seed 1: final train loss" in str(e.value) and "after 20 steps" in str(e.value)
        with pytest.raises(TargetNotReached):  # the cached entry is refused too
            optima(CFG, k=2)

    def test_trajectory_refuses_it(trajectory):
        with pytest.raises(TargetNotReached, match=r"seed 0: final train loss .* after 20 steps"):
            trajectory(CFG, seed=0)

    def test_a_step_budget_has_no_target_to_miss(optima, trajectory):
        budget = dataclasses.replace(CFG, target_loss=None)
        assert not optima(budget, k=1)[0].reached_target
        assert trajectory(budget).steps == 20
''')


def test_fixtures_never_hand_out_an_optimum_that_missed_its_target(tmp_path):
    (tmp_path / "test_missed.py").write_text(MISSED_TARGET)
    cmd = [sys.executable, "-m", "pytest", "-q", *PLUGIN, "--noconftest", "--rootdir", str(tmp_path), "-c",
           os.devnull, "--cache-dir", str(tmp_path / "cache"), "--reports-dir", str(tmp_path / "reports"),
           str(tmp_path / "test_missed.py")]
    out = subprocess.run(cmd, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 passed" in out.stdout


def test_tier_spec_and_bad_input():
    from landscape_lib.protocols.lab import tier_spec_for

    quick = tier_spec_for("quick")
    assert list(quick.configs) == ["mlp-digits"] and quick.k == 12
    assert set(tier_spec_for("full").configs) == {"mlp-digits", "cnn-fashion"}
    assert list(tier_spec_for("quick", model="my.pkg:net").configs) == ["my.pkg.net-digits"]
    with pytest.raises(ValueError, match="tier must be one of"):
        tier_spec_for("huge")


def test_claim_cases_are_dealt_longest_first_by_their_recorded_durations(tmp_path, monkeypatch):
    """claims/durations.json orders claim cases longest first (unknown ones after, in declared order);
    other items keep their order after them; --landscape-store-durations merges a run's seconds into the file."""
    from types import SimpleNamespace as NS

    import landscape_lib.pytest_plugin as plugin

    path = tmp_path / "durations.json"
    monkeypatch.setattr(plugin, "DURATIONS", path)
    path.write_text('{"quick": {"C8/mlp-digits/budget": 60.0, "C4/toy/line-D100": 1.0}}')
    case = lambda i: NS(fixturenames=("claim_case",), callspec=NS(id=i))  # noqa: E731
    other = NS(fixturenames=("tmp_path",))
    a, b, c, d = case("C4/toy/line-D100"), case("C2/toy/new"), case("C8/mlp-digits/budget"), case("C1/toy/x")
    items = [other, a, b, c, d]
    cfg = NS(getoption=lambda name: {"--tier": "quick", "--landscape-store-durations": True, "keyword": ""}[name])
    plugin.pytest_collection_modifyitems(None, cfg, items)
    assert items == [c, a, b, d, other]
    plugin.store_durations(cfg, [{"id": "C2/toy/new", "seconds": 3.04}])
    assert plugin._durations(cfg)["quick"] == {"C2/toy/new": 3.0, "C4/toy/line-D100": 1.0, "C8/mlp-digits/budget": 60.0}
    path.write_text("not json")
    items = [other, a, c]
    plugin.pytest_collection_modifyitems(None, cfg, items)
    assert items == [other, a, c]  # no durations: collection order


def test_shipped_durations_name_declared_cases():
    """Every id in claims/durations.json is a declared case's id (one spelling: <claim>/<configuration>/<case>)."""
    import landscape_lib.pytest_plugin as plugin
    from landscape_lib.protocols.lab import tier_spec_for
    from landscape_lib.run import declared_ids

    from pathlib import Path
    from types import SimpleNamespace as NS

    for tier, seconds in plugin._durations(NS(rootpath=Path(__file__).resolve().parents[1])).items():
        ids = set().union(*declared_ids(tier, tier_spec_for(tier).configs).values())
        assert set(seconds) <= ids, sorted(set(seconds) - ids)[:5]


def test_k_selects_claim_ids_whole():
    """``-k C1`` keeps C1's cases, not C10-C17's; an expression naming no claim case leaves pytest's selection."""
    from types import SimpleNamespace as NS

    import landscape_lib.pytest_plugin as plugin

    case = lambda i: NS(fixturenames=("claim_case",), callspec=NS(id=i))  # noqa: E731
    c1, c10, c17 = case("C1/toy/aligned"), case("C10/toy/x"), case("C17/toy/y")
    deselected = []
    for kw, want in (("C1", [c1]), ("C1 or C17", [c1, c17]), ("test_other", [c1, c10, c17])):
        items = [c1, c10, c17]
        cfg = NS(getoption=lambda name, kw=kw: {"keyword": kw}[name],
                 hook=NS(pytest_deselected=lambda items: deselected.extend(items)))
        plugin.select_by_claim(cfg, items)
        assert items == want, kw

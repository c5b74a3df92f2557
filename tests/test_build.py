"""Plan, build, decide: the cache entries of a small declared subset (C5's toy cases) planned on an empty cache,
built by submitit's LocalExecutor in concurrent jobs, then decided from the cache alone with the same verdicts
and values as a normal run; a job killed midway leaves no entry, and the next build completes."""

from __future__ import annotations

import time

import pytest

from landscape_lib import build as b
from landscape_lib.cache import Cache, CacheMiss
from landscape_lib.run import check_claims

SUBSET = "C5 and toy and not positive"
pytest.importorskip("submitit")


def _values(ledger):
    return {r["id"]: (r["verdict"], r["measured"]) for r in ledger.rows}


def test_plan_build_then_decide_from_the_cache_alone(tmp_path):
    cache = tmp_path / "cache"
    entries = b.plan("quick", SUBSET, cache_dir=cache)
    assert entries and all(e.kind == "sample" and not e.present for e in entries)
    assert {e.job.split("/")[0] for e in entries} == {"C5"} and all("/toy/" in e.job for e in entries)
    assert "missing" in b.describe_plan(entries)

    with pytest.raises(CacheMiss, match="build it first with"):
        Cache(cache, read_only=True, hint="landscape-claims build").get_or_build(entries[0].key, lambda: 1)
    miss = check_claims(tier="quick", select=SUBSET, cache_dir=cache, cache_only=True)
    assert {r["verdict"] for r in miss.rows} == {"error"}
    assert all("CacheMiss" in r["reason"] and "landscape-claims build --tier quick" in r["reason"] for r in miss.rows)

    rep = b.build("quick", SUBSET, cache_dir=cache, parallel=2, log=lambda *_: None)
    assert not rep.failed and not rep.missing and rep.max_concurrent >= 2
    assert all(e.present for e in b.plan("quick", SUBSET, cache_dir=cache))

    decided = check_claims(tier="quick", select=SUBSET, cache_dir=cache, cache_only=True)
    normal = check_claims(tier="quick", select=SUBSET, cache_dir=tmp_path / "normal")
    assert "error" not in {r["verdict"] for r in decided.rows}
    assert _values(decided) == _values(normal)


def test_a_killed_job_leaves_no_entry_and_the_next_build_completes(tmp_path):
    cache = tmp_path / "cache"
    job = "C5/toy/nodes10-D1000"
    key = next(e.key for e in b.plan("quick", job, cache_dir=cache))
    ex = b.executor("local", tmp_path / "logs")
    running = ex.submit(b._run_job, job, tier="quick", cache_dir=str(cache), device="cpu", model=None, dataset=None,
                        data_root=None, threads=1)
    t0 = time.time()
    while not list(cache.glob("*.lock")) and time.time() - t0 < 60:
        time.sleep(0.05)
    running.cancel()
    t0 = time.time()
    while not running.done() and time.time() - t0 < 30:
        time.sleep(0.05)
    assert not Cache(cache).path(key).is_file()
    assert not list(cache.glob("*.tmp*"))
    rep = b.build("quick", job, cache_dir=cache, parallel=1, log=lambda *_: None)
    assert not rep.failed and not rep.missing and Cache(cache).path(key).is_file()


def test_bad_build_arguments_are_named():
    with pytest.raises(ValueError, match="executor must be one of"):
        b.executor("ray", "/tmp/x")
    with pytest.raises(ValueError, match="max_rounds must be a positive integer"):
        b.build("quick", "C1", max_rounds=0)
    with pytest.raises(ValueError, match="parallel must be None or a positive integer"):
        b.build("quick", "C1", parallel=0)


def test_devices_and_ledger_parts_for_several_gpus_and_machines(monkeypatch):
    import socket

    import torch

    from landscape_lib.pytest_plugin import resolve_device
    from landscape_lib.report.ledger import part_name

    with pytest.raises(pytest.UsageError, match="cuda:N"):
        resolve_device("cuda:x")
    if not torch.cuda.is_available():
        with pytest.raises(pytest.UsageError, match="is_available"):
            resolve_device("cuda:1")
    else:
        n = torch.cuda.device_count()
        assert resolve_device("cuda", worker=f"gw{n + 1}") == (f"cuda:{(n + 1) % n}" if n > 1 else "cuda")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert part_name().endswith("-gw3") and part_name().startswith(socket.gethostname()[:3])


def test_a_killed_training_resumes_from_its_checkpoint(tmp_path):
    import torch

    from landscape_lib.nets.config import TrainConfig
    from landscape_lib.nets.training import train_many

    cfg = TrainConfig(model="mlp", dataset="digits", hidden=(8,), batch_size=32, max_steps=60, target_loss=None,
                      log_every=10)
    whole = train_many(cfg, [0, 1])

    class Killed(Exception):
        pass

    def kill(t, n, loss):
        if t >= 40:
            raise Killed

    ck = tmp_path / "optima.ckpt"
    with pytest.raises(Killed):
        train_many(cfg, [0, 1], progress=kill, checkpoint=str(ck), checkpoint_every=20)
    assert ck.is_file()
    again = train_many(cfg, [0, 1], checkpoint=str(ck), checkpoint_every=20)
    assert not ck.exists()
    for a, b in zip(whole, again):
        assert torch.equal(a.theta, b.theta) and a.train_loss == b.train_loss
        assert a.history == b.history
    with pytest.raises(ValueError, match="checkpoint_every must be a positive integer"):
        train_many(cfg, [0], checkpoint=str(ck), checkpoint_every=0)


def test_a_gpu_built_sample_agrees_with_the_cpu_built_one(tmp_path):
    """The same claim cases built on the CPU and on a GPU (TF32 off): same verdicts, measured values within
    ``gpu_check.TOLERANCE`` (skipped without CUDA; ``make gpu-check`` runs the same comparison on a lent GPU)."""
    import importlib.util
    from pathlib import Path

    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    spec = importlib.util.spec_from_file_location("gpu_check", Path(__file__).resolve().parents[1] / "benchmarks" /
                                                  "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cpu = mod.claims_on("cpu", "C1 and toy or C13 and mlp-digits", tmp_path / "cpu")
    gpu = mod.claims_on("cuda", "C1 and toy or C13 and mlp-digits", tmp_path / "gpu")
    bad = {cid: c for cid, c in mod.compare(cpu, gpu).items() if not c["within_tolerance"]}
    assert not bad, f"CPU- and GPU-built samples differ beyond {mod.TOLERANCE}: {bad}"

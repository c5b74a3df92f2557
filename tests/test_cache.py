"""The disk cache: round trips, stable keys, exactly-once builds across processes and xdist workers,
atomic writes under SIGKILL, corruption detection, failing builds and retraining."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch
from filelock import FileLock

from landscape_lib import cache as cache_mod
from landscape_lib.cache import Cache, CacheCorruptionWarning, default_root, key_for

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Optimum:
    params: dict
    loss: float
    trace: list = field(default_factory=list)


@dataclass(frozen=True)
class Config:
    model: str = "mlp"
    width: int = 64
    lr: float = 0.1
    seeds: tuple = (0, 1)


def _env() -> dict:
    """Environment for child Pythons: the repo importable, no pytest state inherited from this run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONHASHSEED"] = "random"
    env["OMP_NUM_THREADS"] = "1"
    return env


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() > end:
            proc.kill()
            raise AssertionError(f"child never reached {path.name}")
        time.sleep(0.02)


def _no_warnings_call(c: Cache, key: str, build, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return c.get_or_build(key, build, **kw)


class Counter:
    """A build function that counts its calls and returns a fresh random value each time."""

    def __init__(self, n: int = 1000):
        self.calls = 0
        self.n = n

    def __call__(self):
        self.calls += 1
        return Optimum(params={"w": torch.randn(self.n), "b": torch.zeros(3)}, loss=float(self.calls),
                       trace=[torch.arange(4.0)])


def _same(a: Optimum, b: Optimum) -> bool:
    return (a.loss == b.loss and a.params.keys() == b.params.keys()
            and all(torch.equal(a.params[k], b.params[k]) for k in a.params)
            and all(torch.equal(x, y) for x, y in zip(a.trace, b.trace)))


# --- 1. round trip, hits, keys -------------------------------------------------------------------------------


def test_round_trip_of_a_dataclass_holding_tensors_and_hit_on_second_call(tmp_path):
    c = Cache(tmp_path / "c")
    build = Counter()
    v1, hit1 = c.get_or_build("opt-a", build, describe="mlp seed 0")
    v2, hit2 = Cache(tmp_path / "c").get_or_build("opt-a", build)
    assert (hit1, hit2) == (False, True)
    assert build.calls == 1
    assert isinstance(v2, Optimum) and _same(v1, v2)
    assert v2.params["w"].device.type == "cpu"
    assert (c.stats.hits, c.stats.builds, c.stats.corrupt_rebuilt) == (0, 1, 0)
    assert c.path("opt-a").is_file()
    [e] = c.entries()
    assert (e.key, e.describe, e.path) == ("opt-a", "mlp seed 0", c.path("opt-a"))
    assert e.written_at == pytest.approx(time.time(), abs=60)


def test_stats_count_hits_and_builds(tmp_path):
    c = Cache(tmp_path)
    for key in ("a", "b", "a", "a"):
        c.get_or_build(key, Counter())
    assert (c.stats.hits, c.stats.builds) == (2, 2)
    assert str(c.stats) == "2 hits, 2 built (0 after corruption)"


def test_key_is_stable_hex_and_sensitive_to_config_and_version():
    k = key_for(Config(), {"tier": "quick", "eps": 1e-3}, version="v1", prefix="optimum")
    assert k == "optimum-a6207f34a54b9f94f71bba00b326c581"  # changing this orphans every cached entry
    digest = key_for(Config(), version="v1")
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert key_for(Config(), version="v1") == digest
    assert key_for(Config(width=65), version="v1") != digest
    assert key_for(Config(lr=0.1 + 1e-12), version="v1") != digest
    assert key_for(Config(), version="v2") != digest
    assert key_for({"b": 1, "a": 2}, version="v") == key_for({"a": 2, "b": 1}, version="v")
    assert key_for(True, version="v") != key_for(1, version="v")
    assert key_for(frozenset("abc"), version="v") == key_for(frozenset("cba"), version="v")
    assert key_for(torch.float32, float("nan"), Path("a/b"), version="v")
    assert key_for(np.int64(3), np.bool_(True), version="v") == key_for(3, True, version="v")


def test_key_is_the_same_in_a_fresh_process_with_another_hash_seed():
    here = key_for(Config(), frozenset({"x", "y", "z"}), {"eps": 1e-3, "n": 3}, version="v1", prefix="k")
    code = textwrap.dedent("""
        from dataclasses import dataclass
        from landscape_lib.cache import key_for

        @dataclass(frozen=True)
        class Config:
            model: str = "mlp"
            width: int = 64
            lr: float = 0.1
            seeds: tuple = (0, 1)

        import sys
        assert "torch" not in sys.modules
        print(key_for(Config(), frozenset({"z", "y", "x"}), {"n": 3, "eps": 1e-3}, version="v1", prefix="k"))
    """)
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == here


@pytest.mark.parametrize("bad", [object(), {1: "int key"}, torch.zeros(2), b"bytes"])
def test_key_for_rejects_parts_without_a_stable_description(bad):
    with pytest.raises(TypeError, match="key_for"):
        key_for(bad, version="v")


def test_bad_arguments_raise_value_error_naming_the_parameter(tmp_path):
    with pytest.raises(ValueError, match="parts"):
        key_for(version="v")
    with pytest.raises(ValueError, match="prefix"):
        key_for(1, prefix="a/b")
    with pytest.raises(ValueError, match="version"):
        key_for(1, version=3)
    with pytest.raises(ValueError, match="root"):
        Cache("")
    c = Cache(tmp_path)
    for key in ["", "a/b", "../x", "..", ".hidden", "a\\b", "x" * 201, "sp ace", None, 5]:
        with pytest.raises(ValueError, match="key"):
            c.get_or_build(key, Counter())
        with pytest.raises(ValueError, match="key"):
            c.path(key)
    with pytest.raises(ValueError, match="build"):
        c.get_or_build("k", "not callable")
    with pytest.raises(ValueError, match="built_after"):
        c.get_or_build("k", Counter(), built_after="yesterday")
    with pytest.raises(ValueError, match="lock_timeout"):
        Cache(tmp_path, lock_timeout="1")
    assert list(tmp_path.iterdir()) == []


def test_default_root_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(tmp_path / "x"))
    assert default_root() == tmp_path / "x"
    assert Cache().root == tmp_path / "x"
    monkeypatch.delenv("LANDSCAPE_CACHE_DIR")
    assert default_root() == Path(".landscape-cache")


def test_entries_and_clear(tmp_path):
    c = Cache(tmp_path / "c")
    assert c.entries() == [] and c.clear() == 0
    c.get_or_build("b", Counter(), describe="second")
    c.get_or_build("a", Counter(), describe="first")
    (tmp_path / "c" / ".a~leftover.tmp").write_bytes(b"half an entry")
    assert [(e.key, e.describe) for e in c.entries()] == [("a", "first"), ("b", "second")]
    assert c.clear() == 2
    assert c.entries() == []
    assert not list((tmp_path / "c").glob("*.tmp")) and not list((tmp_path / "c").glob(".*.tmp"))
    assert c.get_or_build("a", Counter())[1] is False


# --- 2. exactly once across processes ------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    import torch
    from landscape_lib.cache import Cache

    a = json.loads(sys.argv[1])
    root, key = Path(a["root"]), a["key"]

    def mark(name):
        Path(a["dir"], name).write_text(str(os.getpid()))

    def hang(name):
        mark(name)
        time.sleep(120)

    if a.get("hang") == "write":
        real_fdopen = os.fdopen

        class HalfWriter:
            def __init__(self, fh):
                self.fh = fh
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return self.fh.__exit__(*exc)
            def write(self, data):
                if len(data) > 1_000_000:
                    self.fh.write(bytes(memoryview(data)[: len(data) // 2]))
                    self.fh.flush()
                    hang("hanging")
                return self.fh.write(data)
            def __getattr__(self, name):
                return getattr(self.fh, name)

        os.fdopen = lambda *args, **kw: HalfWriter(real_fdopen(*args, **kw))
    elif a.get("hang") == "replace":
        os.replace = lambda src, dst: hang("hanging")

    def build():
        with open(a["counter"], "a") as fh:
            fh.write(f"{os.getpid()}\\n")
        if a.get("hang") == "build":
            hang("hanging")
        time.sleep(a.get("sleep", 0))
        return {"w": torch.randn(a.get("n", 1000)), "pid": os.getpid()}

    if a.get("barrier"):
        mark(f"ready-{a['me']}")
        while len(list(Path(a["dir"]).glob("ready-*"))) < a["barrier"]:
            time.sleep(0.01)

    value, hit = Cache(root, lock_timeout=60).get_or_build(key, build)
    print(json.dumps({"hit": hit, "sum": float(value["w"].double().sum()), "pid": value["pid"]}))
""")


def _child(tmp_path: Path, **args) -> subprocess.Popen:
    script = tmp_path / "child.py"
    if not script.exists():
        script.write_text(CHILD)
    base = {"root": str(tmp_path / "cache"), "key": "shared", "counter": str(tmp_path / "builds.txt"),
            "dir": str(tmp_path)}
    return subprocess.Popen([sys.executable, str(script), json.dumps({**base, **args})], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_processes_build_once_and_get_equal_values(tmp_path):
    n = 2
    procs = [_child(tmp_path, sleep=1.0, barrier=n, me=i) for i in range(n)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert len((tmp_path / "builds.txt").read_text().splitlines()) == 1
    assert sorted(r["hit"] for r in results) == [False] + [True] * (n - 1)
    assert len({(r["sum"], r["pid"]) for r in results}) == 1


XDIST_TESTS = textwrap.dedent("""
    import os, time
    import pytest
    import torch
    from landscape_lib.cache import Cache

    def build():
        with open(os.environ["T_COUNTER"], "a") as fh:
            fh.write(os.environ.get("PYTEST_XDIST_WORKER", "none") + "\\n")
        time.sleep(1.0)
        return {"w": torch.randn(100)}

    @pytest.mark.parametrize("i", range(4))
    def test_shared(i):
        value, hit = Cache(os.environ["T_ROOT"], lock_timeout=60).get_or_build("shared", build)
        with open(os.environ["T_RESULTS"], "a") as fh:
            fh.write(f"{os.environ.get('PYTEST_XDIST_WORKER')} {hit} {float(value['w'].double().sum())!r}\\n")
""")


def test_pytest_xdist_workers_build_once(tmp_path):
    (tmp_path / "test_shared.py").write_text(XDIST_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**_env(), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "T_ROOT": str(tmp_path / "cache"),
           "T_COUNTER": str(tmp_path / "builds.txt"), "T_RESULTS": str(tmp_path / "results.txt")}
    cmd = [sys.executable, "-m", "pytest", "-p", "xdist.plugin", "-n", "2", "-p", "no:cacheprovider",
           "--noconftest", "--rootdir", str(tmp_path), "-c", str(tmp_path / "pytest.ini"), "-q",
           str(tmp_path / "test_shared.py")]
    out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4 passed" in out.stdout
    assert len((tmp_path / "builds.txt").read_text().splitlines()) == 1
    rows = [line.split() for line in (tmp_path / "results.txt").read_text().splitlines()]
    assert len(rows) == 4
    assert sorted(hit for _, hit, _ in rows) == ["False", "True", "True", "True"]
    assert len({s for _, _, s in rows}) == 1
    assert {w for w, _, _ in rows} == {"gw0", "gw1"}


def test_concurrent_retrains_in_threads_build_once(tmp_path):
    c = Cache(tmp_path, lock_timeout=60)
    c.get_or_build("k", Counter())
    calls = []

    def slow_build():
        calls.append(1)
        time.sleep(1.0)
        return Counter()()

    gate = threading.Barrier(2)
    results = []

    def worker():
        gate.wait()
        results.append(Cache(tmp_path, lock_timeout=60).get_or_build("k", slow_build, retrain=True))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(calls) == 1
    assert sorted(hit for _, hit in results) == [False, True]
    assert _same(results[0][0], results[1][0])


# --- 3. killed mid-write, truncated, corrupt -----------------------------------------------------------------


@pytest.mark.parametrize("hang", ["build", "write", "replace"])
def test_a_process_killed_while_building_or_writing_leaves_nothing_valid(tmp_path, hang):
    p = _child(tmp_path, hang=hang, n=2_000_000)
    _wait_for(tmp_path / "hanging", p)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(30)
    c = Cache(tmp_path / "cache", lock_timeout=30)
    assert not c.path("shared").exists()
    assert c.entries() == []
    if hang != "build":
        assert list((tmp_path / "cache").glob(".shared~*.tmp")), "the child should have left a partial temp file"
    build = Counter()
    value, hit = _no_warnings_call(c, "shared", build)
    assert hit is False and build.calls == 1 and isinstance(value, Optimum)
    assert not list((tmp_path / "cache").glob("*.tmp")) and not list((tmp_path / "cache").glob(".*.tmp"))
    again, hit = _no_warnings_call(c, "shared", build)
    assert hit is True and _same(value, again)


def _payload_offset(path: Path) -> int:
    data = path.read_bytes()
    return cache_mod._HEAD + int.from_bytes(data[cache_mod._HEAD - 4: cache_mod._HEAD], "big")


def _truncate_half(p):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _truncate_tail(p):
    p.write_bytes(p.read_bytes()[:-1])


def _truncate_header(p):
    p.write_bytes(p.read_bytes()[:20])


def _empty(p):
    p.write_bytes(b"")


def _flip_payload(p):
    data = bytearray(p.read_bytes())
    i = (_payload_offset(p) + len(data)) // 2
    data[i] ^= 0xFF
    p.write_bytes(bytes(data))


def _flip_last_byte(p):
    data = bytearray(p.read_bytes())
    data[-1] ^= 0x01
    p.write_bytes(bytes(data))


def _flip_meta(p):
    data = bytearray(p.read_bytes())
    data[cache_mod._HEAD + 3] ^= 0x01
    p.write_bytes(bytes(data))


def _bad_magic(p):
    data = bytearray(p.read_bytes())
    data[0] ^= 0xFF
    p.write_bytes(bytes(data))


def _append_garbage(p):
    p.write_bytes(p.read_bytes() + b"\0" * 10)


def _plain_torch_file(p):
    torch.save({"w": torch.zeros(3)}, p)


@pytest.mark.parametrize("damage", [_truncate_half, _truncate_tail, _truncate_header, _empty, _flip_payload,
                                    _flip_last_byte, _flip_meta, _bad_magic, _append_garbage, _plain_torch_file],
                         ids=lambda f: f.__name__.lstrip("_"))
def test_a_damaged_entry_warns_and_is_rebuilt(tmp_path, damage):
    c = Cache(tmp_path)
    build = Counter(n=50_000)
    old, _ = c.get_or_build("opt-x", build)
    damage(c.path("opt-x"))
    with pytest.warns(CacheCorruptionWarning, match="opt-x"):
        new, hit = c.get_or_build("opt-x", build, describe="mlp seed 3")
    assert hit is False and build.calls == 2
    assert new.loss == 2.0 and not _same(old, new)
    assert (c.stats.builds, c.stats.corrupt_rebuilt) == (2, 1)
    again, hit = _no_warnings_call(c, "opt-x", build)
    assert hit is True and _same(new, again)


def test_an_entry_renamed_to_another_key_is_not_served(tmp_path):
    c = Cache(tmp_path)
    c.get_or_build("a", Counter())
    os.replace(c.path("a"), c.path("b"))
    with pytest.warns(CacheCorruptionWarning, match="holds key 'a'"):
        _, hit = c.get_or_build("b", Counter())
    assert hit is False


# --- 4. failing builds, 5. retraining ------------------------------------------------------------------------


def test_a_failing_build_writes_nothing_and_releases_the_lock(tmp_path):
    c = Cache(tmp_path, lock_timeout=5)

    def diverged():
        raise FloatingPointError("training diverged: loss is NaN")

    with pytest.raises(FloatingPointError, match="NaN"):
        c.get_or_build("k", diverged)
    assert not c.path("k").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["k.lock"]
    with FileLock(str(c.lock_path("k")), timeout=0):
        pass
    assert c.stats.builds == 0
    value, hit = c.get_or_build("k", Counter())
    assert hit is False and isinstance(value, Optimum)


def test_a_failing_rebuild_keeps_the_previous_entry_intact(tmp_path):
    """retrain=True whose build raises: the old entry is still served, no temporaries are left."""
    c = Cache(tmp_path, lock_timeout=5)
    first, _ = c.get_or_build("k", Counter())

    def fails():
        raise RuntimeError("build failed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        c.get_or_build("k", fails, retrain=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["k.lock", c.path("k").name])
    again, hit = c.get_or_build("k", Counter())
    assert hit is True and _same(first, again)


def test_an_unsaveable_value_writes_nothing(tmp_path):
    c = Cache(tmp_path)
    with pytest.raises(Exception):
        c.get_or_build("k", lambda: {"f": lambda: 0})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.lock"]
    assert c.get_or_build("k", Counter())[1] is False


def test_waiting_longer_than_lock_timeout_raises_timeout_error(tmp_path):
    c = Cache(tmp_path, lock_timeout=0.2)
    build = Counter()
    with FileLock(str(c.lock_path("k")), timeout=0):
        with pytest.raises(TimeoutError, match="k.lock"):
            c.get_or_build("k", build)
    assert build.calls == 0
    assert c.get_or_build("k", build)[1] is False


def test_retrain_rebuilds_and_overwrites(tmp_path):
    c = Cache(tmp_path)
    build = Counter()
    first, _ = c.get_or_build("k", build)
    second, hit = c.get_or_build("k", build, retrain=True)
    assert hit is False and build.calls == 2 and not _same(first, second)
    third, hit = c.get_or_build("k", build)
    assert hit is True and _same(second, third)


def test_built_after_rebuilds_only_entries_written_before_it(tmp_path):
    c = Cache(tmp_path)
    build = Counter()
    c.get_or_build("old", build)
    session_start = time.time()
    c.get_or_build("new", build)
    assert c.get_or_build("old", build, built_after=session_start)[1] is False
    assert c.get_or_build("old", build, built_after=session_start)[1] is True
    assert c.get_or_build("new", build, built_after=session_start)[1] is True
    assert build.calls == 3


def test_wait_false_raises_cache_busy_while_another_holder_builds(tmp_path):
    from landscape_lib.cache import CacheBusy

    c = Cache(tmp_path)
    build = Counter()
    with FileLock(str(c.lock_path("k")), timeout=0):
        with pytest.raises(CacheBusy, match="'k' \\(the thing\\) is being built") as e:
            c.get_or_build("k", build, describe="the thing", wait=False)
    assert e.value.key == "k" and build.calls == 0 and c.entries() == []
    assert c.get_or_build("k", build, wait=False)[1] is False and build.calls == 1
    with FileLock(str(c.lock_path("k")), timeout=0):  # a written entry is served without the lock
        assert c.get_or_build("k", build, wait=False)[1] is True


def test_a_busy_inner_entry_gives_up_the_outer_build_and_writes_nothing(tmp_path):
    from landscape_lib.cache import CacheBusy

    c = Cache(tmp_path)
    with FileLock(str(c.lock_path("inner")), timeout=0):
        with pytest.raises(CacheBusy, match="inner"):
            c.get_or_build("outer", lambda: c.get_or_build("inner", Counter(), wait=False)[0], wait=False)
    assert c.entries() == []
    value, hit = c.get_or_build("outer", lambda: c.get_or_build("inner", Counter(), wait=False)[0])
    assert not hit and [e.key for e in c.entries()] == ["inner", "outer"]


def test_entries_record_how_long_the_build_took(tmp_path):
    import time as _time

    c = Cache(tmp_path)
    c.get_or_build("k", lambda: _time.sleep(0.05) or 1)
    [e] = c.entries()
    assert e.build_s is not None and e.build_s >= 0.05


def test_code_version_follows_what_code_does_not_how_it_is_written(tmp_path):
    """Rewording a comment or a docstring, or reformatting, keeps the version; changing a statement or a
    constant changes it."""
    from landscape_lib.cache import code_version

    f = tmp_path / "mod.py"

    def version(src):
        f.write_text(src)
        return code_version(str(f))

    base = version('"""Doc."""\n\ndef g(x):\n    """Twice x."""\n    return 2 * x  # double\n')
    assert version('"""Other words."""\n\n\ndef g(x):\n    """Two times x."""\n    return 2*x\n') == base
    assert version('def g(x):\n    return 2 * x\n') == base
    assert version('"""Doc."""\n\ndef g(x):\n    """Twice x."""\n    return 3 * x\n') != base
    assert version('"""Doc."""\n\ndef g(y):\n    """Twice x."""\n    return 2 * y\n') != base
    assert len(base) == 16 and code_version("types.py") != code_version("stats.py")
    with pytest.raises(ValueError, match="not a file or folder"):
        code_version("no_such_module.py")


def test_a_protocol_module_s_entries_are_versioned_by_the_code_it_measures_with():
    """An edit to one protocol module re-measures its own entries only: a module's version covers the shared layers,
    the lab's protocol imports and its own, transitively -- and nothing else."""
    from landscape_lib.protocols import lab as L

    P = "landscape_lib.protocols."
    assert L.protocol_closure(P + "swa") == ("protocols/swa.py",)
    assert L.protocol_closure(P + "toy_landscape") == ("protocols/endpoints.py", "protocols/isotropy.py",
                                                       "protocols/toy_landscape.py", "protocols/tunnels.py")
    assert set(L.protocol_closure(P + "lab")) >= {"protocols/tunnels.py", "protocols/short_direction_counts.py"}
    versions = {m: L.measure_version(P + m) for m in ("swa", "asymmetry", "width", "radial", "tunnels")}
    assert len(set(versions.values())) == len(versions)
    assert L.measure_version("tests.test_cache") == L.MEASURE_VERSION
    assert all(v.endswith("|" + L.numerics.policy()) for v in versions.values())
    with pytest.raises(ValueError, match="module must be a module of landscape_lib.protocols"):
        L.protocol_closure("landscape_lib.report.figures")


def test_a_sample_key_carries_its_protocol_module_s_version(tmp_path):
    from landscape_lib.cache import Cache, key_for
    from landscape_lib.protocols import swa
    from landscape_lib.protocols.lab import Lab, measure_version, tier_spec_for

    lab = Lab(tier_spec_for("quick"), Cache(tmp_path))
    f = swa.toy_swa_cyclic
    key = lab.sample_key(f, "toy", 0, {})
    assert key == key_for(f"{f.__module__}.{f.__qualname__}", "toy", None, {}, 0,
                          version=measure_version(f.__module__), prefix="sample")


def test_protocol_versions_are_fixed_when_the_lab_is_imported(monkeypatch):
    """A file edited during a run never labels entries the running (older) code computes: versions are not re-read."""
    from landscape_lib import cache
    from landscape_lib.protocols import lab as L

    before = L.measure_version("landscape_lib.protocols.width")
    monkeypatch.setattr(cache, "code_version", lambda *a: pytest.fail("measure_version re-read the code"))
    monkeypatch.setattr(L, "code_version", lambda *a: pytest.fail("measure_version re-read the code"))
    assert L.measure_version("landscape_lib.protocols.width") == before

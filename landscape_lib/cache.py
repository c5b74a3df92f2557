"""A disk cache for expensive results (trained optima, curvature results), shared between test runs,
processes and pytest-xdist workers.

Each entry is one file ``<root>/<key>.entry``::

    MAGIC (8 bytes) | sha256 (32 bytes) | meta length (4 bytes, big-endian) | meta (JSON) | payload

The payload is ``torch.save`` of the value; the sha256 covers everything after itself (meta length,
meta and payload), so a truncated file or a flipped byte is detected before anything is unpickled.
A corrupt entry gives a :class:`CacheCorruptionWarning` and is rebuilt.

Why it is safe to share:

* Writes are atomic: the entry is written to a temporary file in the same directory, fsynced, then
  ``os.replace``-d onto its name. A process killed mid-write leaves only a ``.tmp`` file, never a
  file that loads as an entry (the next writer of that key removes it).
* Builds happen once: :meth:`Cache.get_or_build` checks, takes a per-key ``filelock.FileLock``
  (``<root>/<key>.lock``), checks again, and only then builds and writes. N processes asking for
  one key build it once; the others wait for the lock and load the entry. The OS releases the lock
  of a process that dies, so a killed builder never blocks the others.

Keys come from :func:`key_for`: a sha256 of a canonical JSON description of the configuration and
a code-version string, identical in every process and Python run (it never uses ``hash()``).
torch is imported on first read or write, so computing keys stays cheap.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import io
import json
import math
import os
import re
import struct
import sys
import tempfile
import time
import warnings
from pathlib import Path, PurePath
from typing import Callable, NamedTuple, TypeVar

from filelock import FileLock, Timeout

__all__ = ["Cache", "CacheBusy", "CacheCorruptionWarning", "CacheStats", "EntryInfo", "code_version", "default_root",
           "key_for",
           "ENV_VAR", "DEFAULT_DIR"]

T = TypeVar("T")

ENV_VAR = "LANDSCAPE_CACHE_DIR"
DEFAULT_DIR = ".landscape-cache"
MAGIC = b"LSCACHE1"
_DIGEST = 32
_HEAD = len(MAGIC) + _DIGEST + 4
_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MAX_KEY = 200
_SUFFIX = ".entry"
_HASH_CHARS = 32


class CacheBusy(Exception):
    """``get_or_build(..., wait=False)`` found the key being built by another process right now.

    Nothing was built or written; the caller may do other work and ask again (``key`` says which).
    """

    def __init__(self, key: str, describe: str = ""):
        super().__init__(f"cache entry {key!r}{f' ({describe})' if describe else ''} is being built by another process")
        self.key = key


class CacheMiss(LookupError):
    """A read-only cache (``Cache(read_only=True)``: decide from the cache alone) has no entry for ``key``."""

    def __init__(self, key: str, describe: str = "", hint: str = ""):
        super().__init__(f"cache entry {key!r}{f' ({describe})' if describe else ''} is missing and this run may only "
                         f"read the cache{f': build it first with `{hint}`' if hint else ''}")
        self.key = key


class CacheCorruptionWarning(UserWarning):
    """A cache entry was truncated, corrupt or unloadable; it is rebuilt and overwritten."""


@dataclasses.dataclass
class CacheStats:
    """What one :class:`Cache` instance did, for the report header.

    ``builds`` counts every build that was written, ``corrupt_rebuilt`` those of them that replaced
    a corrupt entry.
    """

    hits: int = 0
    builds: int = 0
    corrupt_rebuilt: int = 0

    def __str__(self) -> str:
        return f"{self.hits} hits, {self.builds} built ({self.corrupt_rebuilt} after corruption)"


class EntryInfo(NamedTuple):
    """One entry as listed by :meth:`Cache.entries` (from its header; the payload is not verified).

    ``describe`` and ``written_at`` are None when the header cannot be read; ``build_s`` (seconds the
    build took) also for entries written before it was recorded.
    """

    key: str
    path: Path
    size: int
    describe: str | None
    written_at: float | None
    build_s: float | None = None


class _Corrupt(Exception):
    """An entry file exists but is not a valid entry (the message says why)."""


def default_root() -> Path:
    """The cache directory: ``$LANDSCAPE_CACHE_DIR`` when set and non-empty, else ``.landscape-cache``."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else Path(DEFAULT_DIR)


def _canonical(x, where: str):
    """``x`` as plain JSON data with one spelling per value, so that its hash is stable."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, enum.Enum):
        return {"__enum__": type(x).__name__, "name": x.name}
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return x if math.isfinite(x) else {"__float__": repr(x)}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {"__dataclass__": type(x).__name__,
                **{f.name: _canonical(getattr(x, f.name), f"{where}.{f.name}") for f in dataclasses.fields(x)}}
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str):
                raise TypeError(f"key_for: {where} has a dict key {k!r} of type {type(k).__name__}; "
                                f"only str keys are allowed")
            out[k] = _canonical(v, f"{where}[{k!r}]")
        return out
    if isinstance(x, (list, tuple)):
        return [_canonical(v, f"{where}[{i}]") for i, v in enumerate(x)]
    if isinstance(x, (set, frozenset)):
        items = [_canonical(v, f"{where}{{}}") for v in x]
        return {"__set__": sorted(items, key=lambda v: json.dumps(v, sort_keys=True))}
    if isinstance(x, PurePath):
        return x.as_posix()
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, (torch.dtype, torch.device)):
        return str(x)
    if type(x).__module__ == "numpy" and hasattr(x, "item") and getattr(x, "ndim", None) == 0:
        return _canonical(x.item(), where)
    raise TypeError(f"key_for: {where} is a {type(x).__name__}, which has no stable description; pass "
                    f"dataclasses, dicts, lists, tuples, str, int, float, bool, None, enums or paths")


def key_for(*parts, version: str = "", prefix: str = "") -> str:
    """A stable cache key for a configuration: ``[prefix-]<32 hex chars>``.

    ``parts`` are JSON-able descriptions (dataclasses, dicts with str keys, lists/tuples, sets,
    str/int/float/bool/None, enums, paths, torch dtypes/devices, numpy scalars). ``version`` is the
    caller's code-version string: bump it when the code that builds the value changes, so that
    old entries are no longer found. The key is the sha256 of canonical JSON (sorted keys, floats
    by ``repr``), so it is the same in every process and Python run. ``prefix`` is a readable tag
    kept in front of the hash (letters, digits, ``.``, ``_``, ``-``).
    """
    if not parts:
        raise ValueError("parts: key_for needs at least one part describing the configuration")
    if not isinstance(version, str):
        raise ValueError(f"version must be a str, got {type(version).__name__}")
    if not isinstance(prefix, str) or (prefix and not _KEY_RE.fullmatch(prefix)) or len(prefix) > 100:
        raise ValueError(f"prefix must be empty or letters, digits, '.', '_', '-' (at most 100), got {prefix!r}")
    desc = {"parts": [_canonical(p, f"parts[{i}]") for i, p in enumerate(parts)], "version": version}
    blob = json.dumps(desc, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    digest = hashlib.sha256(blob.encode("ascii")).hexdigest()[:_HASH_CHARS]
    return f"{prefix}-{digest}" if prefix else digest


_PACKAGE = Path(__file__).resolve().parent


def _without_docstrings(tree):
    import ast

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


@functools.lru_cache(maxsize=512)
def _code_of(source: str) -> bytes:
    """``ast.dump`` of ``source`` without docstrings (memoized on the text: a package's versions parse each file once)."""
    import ast

    tree = _without_docstrings(ast.parse(source))
    return ast.dump(tree, annotate_fields=False, include_attributes=False).encode()


def code_version(*parts: str) -> str:
    """A version string for cache keys: what the code under ``parts`` (files or folders, relative to the
    ``landscape_lib`` package) *does*, not how it is written down.

    sha256 over each module's path and ``ast.dump`` of its syntax tree with every docstring removed:
    comments, docstrings, blank lines and formatting do not enter it, so rewording them keeps every cached
    entry, while any change to a statement, a constant or a signature gives new keys (16 hex digits)."""
    if not parts:
        raise ValueError("code_version needs at least one file or folder of the package")
    h = hashlib.sha256()
    for part in parts:
        p = _PACKAGE / part
        if not p.exists():
            raise ValueError(f"code_version: {part!r} is not a file or folder of {_PACKAGE}")
        base = _PACKAGE if p.is_relative_to(_PACKAGE) else p.parent
        for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            h.update(f.relative_to(base).as_posix().encode())
            h.update(_code_of(f.read_text(encoding="utf-8")))
    return h.hexdigest()[:16]


def _check_key(key) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"key must be a non-empty str, got {key!r}")
    if len(key) > _MAX_KEY or not _KEY_RE.fullmatch(key):
        raise ValueError(f"key must be at most {_MAX_KEY} letters, digits, '.', '_', '-' and start with a letter "
                         f"or digit (no path separators), got {key!r}")
    return key


class Cache:
    """A directory of cache entries, safe to share between processes.

    ``lock_timeout`` is how long (seconds) :meth:`get_or_build` waits for another process's build
    of the same key; negative waits forever (the default: builds may take minutes, and a dead
    builder's lock is released by the OS). ``stats`` counts this instance's hits and builds.
    ``read_only``: a missing entry raises :class:`CacheMiss` (naming the key and ``hint``, the command that builds
    it) instead of being built, except keys whose prefix is in ``writable`` (figures drawn from cached samples).
    """

    def __init__(self, root: Path | str | None = None, *, lock_timeout: float = -1, read_only: bool = False,
                 writable: tuple = ("plot",), hint: str = ""):
        if root is None:
            root = default_root()
        if not isinstance(root, (str, os.PathLike)) or str(root) == "":
            raise ValueError(f"root must be a non-empty path, got {root!r}")
        if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float)):
            raise ValueError(f"lock_timeout must be a number of seconds, got {lock_timeout!r}")
        self.root = Path(root)
        self.lock_timeout = float(lock_timeout)
        self.stats = CacheStats()
        self.read_only, self.writable, self.hint = bool(read_only), tuple(writable), str(hint)

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """The entry file of ``key`` (which may not exist)."""
        return self.root / (_check_key(key) + _SUFFIX)

    def lock_path(self, key: str) -> Path:
        """The lock file of ``key``."""
        return self.root / (_check_key(key) + ".lock")

    def get_or_build(self, key: str, build: Callable[[], T], *, retrain: bool = False, describe: str = "",
                     built_after: float | None = None, wait: bool = True) -> tuple[T, bool]:
        """The value of ``key``, loaded from disk or built by ``build()`` and stored: ``(value, hit)``.

        Check, lock, check again, build, write, unlock: concurrent callers with one key build it
        once. ``retrain=True`` ignores an entry written before this call (a concurrent caller's
        fresh build still counts, so simultaneous retrains build once). ``built_after`` (seconds
        since the epoch) treats entries written before that moment as stale; give every xdist
        worker the session's start time to retrain each key once per session. A corrupt entry
        gives a :class:`CacheCorruptionWarning` and is rebuilt. If ``build`` raises, nothing is
        written, the lock is released and the exception propagates. ``describe`` is a readable
        label stored with the entry and used in warnings. ``wait=False``: if another process holds
        the key's lock (is building it), raise :class:`CacheBusy` at once instead of waiting, so the
        caller can build something else first (two xdist workers then share a list of entries
        instead of queueing behind one another).
        """
        path = self.path(key)
        if not callable(build):
            raise ValueError(f"build must be a callable returning the value, got {build!r}")
        if not isinstance(describe, str):
            raise ValueError(f"describe must be a str, got {type(describe).__name__}")
        if built_after is not None and (isinstance(built_after, bool) or not isinstance(built_after, (int, float))):
            raise ValueError(f"built_after must be seconds since the epoch (time.time()), got {built_after!r}")
        stale_ns = -1 if built_after is None else int(built_after * 1e9)
        if retrain:
            stale_ns = max(stale_ns, time.time_ns())

        if stale_ns < 0:
            try:
                value = self._load(path, key)
            except (FileNotFoundError, _Corrupt):
                pass
            else:
                self.stats.hits += 1
                return value, True

        if self.read_only and key.split("-", 1)[0] not in self.writable:
            raise CacheMiss(key, describe, self.hint)
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(str(self.lock_path(key)), timeout=self.lock_timeout if wait else 0):
                corrupt, fresh = None, False
                try:
                    fresh = stale_ns < 0 or self._read_meta(path).get("written_ns", -1) >= stale_ns
                    if fresh:
                        value = self._load(path, key)
                except FileNotFoundError:
                    fresh = False
                except _Corrupt as e:
                    corrupt, fresh = e, False
                if fresh:
                    self.stats.hits += 1
                    return value, True
                if corrupt is not None:
                    label = f" ({describe})" if describe else ""
                    warnings.warn(CacheCorruptionWarning(
                        f"cache entry {key!r}{label} at {path} is corrupt: {corrupt}; rebuilding it"), stacklevel=2)
                self._remove_temporaries(key)
                t0 = time.perf_counter()
                value = build()
                self._write(path, key, value, describe, build_s=time.perf_counter() - t0)
                self.stats.builds += 1
                if corrupt is not None:
                    self.stats.corrupt_rebuilt += 1
                return value, False
        except Timeout:
            if not wait:
                raise CacheBusy(key, describe) from None
            raise TimeoutError(f"waited {self.lock_timeout} s for the lock {self.lock_path(key)} of cache entry "
                               f"{key!r}; another process is still building it") from None

    def entries(self) -> list[EntryInfo]:
        """The entries on disk, sorted by key (headers only; use :meth:`get_or_build` to verify)."""
        if not self.root.is_dir():
            return []
        out = []
        for p in sorted(self.root.glob("*" + _SUFFIX)):
            key = p.name[: -len(_SUFFIX)]
            if not _KEY_RE.fullmatch(key):
                continue
            try:
                size = p.stat().st_size
            except FileNotFoundError:
                continue
            try:
                meta = self._read_meta(p)
                describe, written = str(meta.get("describe", "")), meta.get("written_ns", 0) / 1e9
                build_s = meta.get("build_s")
            except (OSError, _Corrupt):
                describe, written, build_s = None, None, None
            out.append(EntryInfo(key, p, size, describe, written, build_s))
        return out

    def clear(self) -> int:
        """Delete every entry and every left-over temporary file; returns how many entries went.

        Lock files stay: deleting a lock file another process holds or waits on would break mutual
        exclusion. A temporary file whose key is being built right now is left alone.
        """
        if not self.root.is_dir():
            return 0
        n = 0
        for p in self.root.glob("*" + _SUFFIX):
            try:
                p.unlink()
                n += 1
            except FileNotFoundError:
                pass
        keys = {p.name[1:].split("~", 1)[0] for p in self.root.glob(".*~*.tmp")}
        for key in keys:
            if not _KEY_RE.fullmatch(key):
                continue
            try:
                with FileLock(str(self.lock_path(key)), timeout=0):
                    self._remove_temporaries(key)
            except Timeout:
                pass
        return n

    def _remove_temporaries(self, key: str) -> None:
        # Only called while holding the key's lock, so no live writer owns these files.
        for p in self.root.glob(f".{key}~*.tmp"):
            try:
                p.unlink()
            except FileNotFoundError:
                pass

    def _write(self, path: Path, key: str, value, describe: str, build_s: float | None = None) -> None:
        import torch

        buf = io.BytesIO()
        torch.save(value, buf)
        payload = buf.getbuffer()
        meta = json.dumps({"key": key, "describe": describe, "written_ns": time.time_ns(),
                           "payload_bytes": len(payload), "torch": torch.__version__,
                           "build_s": None if build_s is None else round(build_s, 3)},
                          sort_keys=True).encode("utf-8")
        head = struct.pack(">I", len(meta)) + meta
        digest = hashlib.sha256(head)
        digest.update(payload)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{key}~", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC)
                fh.write(digest.digest())
                fh.write(head)
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        self._fsync_root()

    def _fsync_root(self) -> None:
        # Makes the rename durable; directories cannot be opened for fsync on Windows.
        if not hasattr(os, "O_DIRECTORY"):
            return
        try:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    @staticmethod
    def _parse_head(data: bytes, size: int) -> tuple[dict, int]:
        """(meta, offset of the payload) from the first bytes of an entry; ``size`` is the file's size."""
        if len(data) < _HEAD:
            raise _Corrupt(f"truncated: {size} bytes, shorter than the {_HEAD}-byte header")
        if data[: len(MAGIC)] != MAGIC:
            raise _Corrupt("not a cache entry (bad magic bytes)")
        (n,) = struct.unpack(">I", data[_HEAD - 4: _HEAD])
        if _HEAD + n > size:
            raise _Corrupt(f"truncated: {size} bytes, shorter than its {_HEAD + n}-byte header")
        try:
            meta = json.loads(bytes(data[_HEAD: _HEAD + n]).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise _Corrupt(f"unreadable header ({e})") from None
        if not isinstance(meta, dict):
            raise _Corrupt("unreadable header (not a JSON object)")
        return meta, _HEAD + n

    def _read_meta(self, path: Path) -> dict:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(_HEAD)
            if len(data) == _HEAD:
                (n,) = struct.unpack(">I", data[_HEAD - 4:])
                data += fh.read(min(n, max(size - _HEAD, 0)))
        return self._parse_head(data, size)[0]

    def _load(self, path: Path, key: str):
        """The value stored in ``path``; FileNotFoundError if absent, _Corrupt if not a valid entry."""
        with open(path, "rb") as fh:
            data = fh.read()
        meta, start = self._parse_head(data, len(data))
        payload = memoryview(data)[start:]
        want = meta.get("payload_bytes")
        if want != len(payload):
            what = "truncated" if isinstance(want, int) and len(payload) < want else "wrong size"
            raise _Corrupt(f"{what}: payload has {len(payload)} bytes, header says {want}")
        if hashlib.sha256(memoryview(data)[_HEAD - 4:]).digest() != data[len(MAGIC): len(MAGIC) + _DIGEST]:
            raise _Corrupt("sha256 checksum mismatch")
        if meta.get("key") != key:
            raise _Corrupt(f"holds key {meta.get('key')!r}, not {key!r}")
        try:
            import torch

            # Safe to unpickle: magic and checksum show this file was written by Cache._write.
            return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=False)
        except Exception as e:
            raise _Corrupt(f"checksum is valid but torch.load failed ({type(e).__name__}: {e})") from None

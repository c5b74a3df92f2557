"""Allure metadata for the claims suite: defect categories and the run's environment.

Allure 2 reads ``categories.json`` and ``environment.properties`` from the results directory.
Allure 3 (the npm ``allure`` package that ``report.cli`` runs) reads ``environment.properties`` but
takes categories only from its configuration: ``report.cli`` passes :func:`allure3_categories` in
the generated config and also writes both files, so either generator shows the same thing.

The categories sort every non-passing claim test by what it *means* (first match wins):

* Infrastructure error — ``broken``: an exception other than an AssertionError.
* Negative control holds (suite defect) — the measurement cannot tell the claim apart.
* Changed verdict (unexpected pass of a known refutation) — strict XPASS: a declared refutation
  now holds. allure-pytest records no message for a strict XPASS, so Allure 3 recognises it by
  status ``failed`` plus the labels that ``verdict.check_claim`` set (verdict=holds, story=claim).
* Changed verdict (a claim that held is now refuted) — ``failed`` with "...: REFUTED".
* Refuted claim (scientific result) — ``skipped`` (strict xfail) with "...: REFUTED": a documented
  result, not a defect.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

# The message patterns: verdict.message() writes "<ID> <slug> [<case>]: REFUTED" and
# "<ID> <slug> [<case>] (negative control): HOLDS"; allure-pytest prefixes an xfail with "XFAIL <reason>".
REFUTED_RE = r"[\s\S]*\]: REFUTED[\s\S]*"
CONTROL_HOLDS_RE = r"[\s\S]*\(negative control\): HOLDS[\s\S]*"
XFAIL_REFUTED_RE = r"XFAIL[\s\S]*\]: REFUTED[\s\S]*"
XPASS_RE = r"[\s\S]*XPASS[\s\S]*"

REFUTED = "Refuted claim (scientific result)"
CONTROL_HOLDS = "Negative control holds (suite defect)"
XPASS = "Changed verdict (unexpected pass of a known refutation)"
NEWLY_REFUTED = "Changed verdict (a claim that held is now refuted)"
INFRA = "Infrastructure error"

# Each category: name, description, Allure 2 form (matchedStatuses + messageRegex; Allure 2 matches the
# regex against the whole message) and Allure 3 matchers (regex searched in the message; labels matched).
CATEGORIES: list[dict] = [
    {"name": INFRA,
     "description": "An exception other than AssertionError (missing data, a crash, a bad fixture): fix the suite.",
     "allure2": {"matchedStatuses": ["broken"]},
     "matchers": [{"statuses": ["broken"]}]},
    {"name": CONTROL_HOLDS,
     "description": "A negative control that must come out refuted held: the measurement cannot tell the claim "
                    "from its control, so the claim's verdict means nothing until this is fixed.",
     "allure2": {"matchedStatuses": ["failed"], "messageRegex": CONTROL_HOLDS_RE},
     "matchers": [{"statuses": ["failed"], "message": r"\(negative control\): HOLDS"}]},
    {"name": NEWLY_REFUTED,
     "description": "A claim with no declared refutation came out REFUTED on this case. Investigate, then "
                    "either fix the measurement or declare the refutation (with its numbers) in the registry.",
     "allure2": {"matchedStatuses": ["failed"], "messageRegex": REFUTED_RE},
     "matchers": [{"statuses": ["failed"], "message": r"\]: REFUTED"}]},
    {"name": XPASS,
     "description": "A case declared refuted in the registry now holds (strict XPASS): the verdict changed. "
                    "Look at the numbers, then remove or narrow the refutation.",
     # allure-pytest writes no message for a strict XPASS: in Allure 2 this is "any other failure".
     "allure2": {"matchedStatuses": ["failed"]},
     "matchers": [{"statuses": ["failed"], "message": "XPASS"},
                  {"statuses": ["failed"], "labels": {"verdict": "^holds$", "story": "^claim$"}}]},
    {"name": REFUTED,
     "description": "A declared refutation reproduced (strict xfail): a documented scientific result, not a defect.",
     "allure2": {"matchedStatuses": ["skipped"], "messageRegex": XFAIL_REFUTED_RE},
     "matchers": [{"statuses": ["skipped"], "message": r"^XFAIL[\s\S]*\]: REFUTED"}]},
]


def categories_allure2() -> list[dict]:
    """The ``categories.json`` list (Allure 2 schema)."""
    return [{"name": c["name"], "description": c["description"], **c["allure2"]} for c in CATEGORIES]


def allure3_categories() -> list[dict]:
    """The ``categories`` rules for an Allure 3 config (regexes as strings: JSON-safe)."""
    return [{"id": re.sub(r"[^a-z0-9]+", "-", c["name"].lower()).strip("-"), "name": c["name"],
             "matchers": c["matchers"], "expand": True} for c in CATEGORIES]


def write_categories(results_dir) -> Path:
    """Write ``<results_dir>/categories.json``; returns its path."""
    d = Path(results_dir)
    d.mkdir(parents=True, exist_ok=True)
    path = d / "categories.json"
    path.write_text(json.dumps(categories_allure2(), indent=1), encoding="utf-8")
    return path


def match_category(status: str, message: str = "", labels: dict | None = None) -> str | None:
    """The category Allure 3 puts a result in (Python mirror of its matcher, used by the tests)."""
    labels = labels or {}
    for c in CATEGORIES:
        for m in c["matchers"]:
            if "statuses" in m and status not in m["statuses"]:
                continue
            if "message" in m and not re.search(m["message"], message or ""):
                continue
            if any(not re.search(rx, str(labels.get(k, ""))) for k, rx in m.get("labels", {}).items()):
                continue
            return c["name"]
    return None


# -- environment ------------------------------------------------------------------------------------

def _prop_escape(s: str, key: bool = False) -> str:
    out = []
    for ch in str(s):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch in "=:#!" or (key and ch == " "):
            out.append("\\" + ch)
        elif ord(ch) > 126:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else ch)
        else:
            out.append(ch)
    return "".join(out)


def write_environment(results_dir, env: dict) -> Path:
    """Write ``<results_dir>/environment.properties`` (Java properties; nested values as JSON).

    Pass what a reader needs to trust the numbers: tier, device, torch/numpy/python versions, dataset
    sizes, cache hits/misses. Keys are written sorted; values that are not strings are JSON-encoded.
    """
    d = Path(results_dir)
    d.mkdir(parents=True, exist_ok=True)
    lines = []
    for k in sorted(env):
        v = env[k]
        v = v if isinstance(v, str) else json.dumps(v, default=str, sort_keys=True)
        lines.append(f"{_prop_escape(k, key=True)}={_prop_escape(v)}")
    path = d / "environment.properties"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_environment(results_dir) -> dict:
    """Parse ``environment.properties`` back (the subset of the format ``write_environment`` writes)."""
    path = Path(results_dir) / "environment.properties"
    if not path.exists():
        return {}
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "!")):
            continue
        m = re.match(r"((?:\\.|[^=:\\])*)[=:](.*)", line)
        if not m:
            continue
        env[_prop_unescape(m.group(1)).strip()] = _prop_unescape(m.group(2)).strip()
    return env


def _prop_unescape(s: str) -> str:
    def rep(m):
        c = m.group(1)
        if c.startswith("u"):
            return chr(int(c[1:], 16))
        return {"n": "\n", "r": "\r", "t": "\t"}.get(c, c)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", rep, s)


def environment_from_ledger(ledger: dict) -> dict:
    """The environment facts ``ledger.merge`` put in claims.json (tier, device, versions, ...)."""
    skip = {"rows", "summary"}
    env = {k: v for k, v in ledger.items() if k not in skip and not isinstance(v, (list, dict))}
    for k, v in (ledger.get("env") or {}).items():
        env.setdefault(k, v)
    return env


# -- facts gathered during the run (any process, merged at session end) ---------------------------------

def _env_dir(reports) -> Path:
    return Path(reports) / ".ledger"


def reset_environment(reports) -> None:
    """Forget an earlier session's recorded facts (call once, on the controller, at configure time)."""
    for f in _env_dir(reports).glob("env-*.json"):
        f.unlink()


def record_environment(reports, **facts) -> None:
    """Note run facts for the report from any process (an xdist worker too): dataset sizes, cache hits, ...

    Integers are summed over processes when collected (``cache_hits=3`` on two workers shows 6);
    other values are shown once when all processes agree, else joined with '; '.
    """
    d = _env_dir(reports)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"env-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.json"
    cur = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for k, v in facts.items():
        if isinstance(v, int) and not isinstance(v, bool) and isinstance(cur.get(k), int):
            cur[k] += v
        else:
            cur[k] = v if isinstance(v, (int, float, str, bool)) else json.loads(json.dumps(v, default=str))
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(cur, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def collected_environment(reports) -> dict:
    """All processes' recorded facts, merged (see :func:`record_environment`)."""
    per: dict[str, list] = {}
    for f in sorted(_env_dir(reports).glob("env-*.json")):
        for k, v in json.loads(f.read_text(encoding="utf-8")).items():
            per.setdefault(k, []).append(v)
    out = {}
    for k, vs in per.items():
        if all(isinstance(v, int) and not isinstance(v, bool) for v in vs):
            out[k] = sum(vs)
        else:
            uniq = sorted({json.dumps(v, sort_keys=True) if not isinstance(v, str) else v for v in vs})
            out[k] = uniq[0] if len(uniq) == 1 else "; ".join(uniq)
    return out


ALLURE_RESULT_PATTERNS = ("*-result.json", "*-container.json", "*-attachment*", "*-globals.json",
                          "categories.json", "environment.properties", "environment.xml", "executor.json")


def clean_results(results_dir) -> int:
    """Remove an earlier session's Allure files from ``results_dir`` (other files stay); returns how many.

    allure-pytest appends to --alluredir across sessions; call this once per session, on the controller,
    before any test runs, so the report shows this run only (its trend comes from reports/history).
    """
    d = Path(results_dir)
    n = 0
    for pat in ALLURE_RESULT_PATTERNS:
        for f in d.glob(pat):
            if f.is_file():
                f.unlink()
                n += 1
    return n

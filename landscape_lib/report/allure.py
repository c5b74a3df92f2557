"""Allure for the claims suite: each case's result (``attach_row``), verdict-as-status, categories,
and the run's environment.

* :func:`attach_row` fills the running test's Allure result from its ledger row (``verdicts.run.Row``):
  title, Markdown description (paper, quote, rule, decision, the measured-vs-threshold table of
  ``report.tables``), labels, tags, parameters and attachments (the table as HTML, the row as JSON,
  the plot).
* A claims test *passes* when its verdict matches its baseline, so a refuted claim is a green test.
  :func:`verdict_status` / :func:`rewrite_results` give an Allure status that says the *verdict*
  instead (``report.cli`` applies them to a copy of the results before ``allure generate``):

  ==============  ===================  ===================
  verdict         claim case           negative control
  ==============  ===================  ===================
  holds           passed               failed
  refuted         failed               passed
  inconclusive    unknown              unknown
  error           broken               broken
  ==============  ===================  ===================

  A test that genuinely failed (a regression against its baseline, an error) keeps its pytest status
  and message.
* :data:`CATEGORIES` sort every non-passed result by what it means; Allure 3 takes them from its
  config (:func:`allure3_categories`), Allure 2 from ``categories.json`` (:func:`write_categories`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from . import tables

# -- one case's Allure result ---------------------------------------------------------------------------

# Story (role) and feature (claim) labels sort by name in the order a reader expects: the report tree is
# sorted by name (report.cli), so roles read primary, variants, controls and claims C01..C17, A01..A06.
ROLE_STORY = {"primary": "1 primary (headline)", "replication": "2 toy replication",
              "variant": "3 variants (sensitivity)", "control": "4 controls (must not hold)",
              "positive": "5 positive controls (must hold)"}
ROW_ATTACHMENT = "row.json"
TABLE_ATTACHMENT = "measured vs threshold"
TABLE_CSS = ("<style>body,table{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px}"
             "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 7px;text-align:left}"
             "th{background:#f0f3f6}tr.holds td:nth-child(6){color:#1a7f37;font-weight:600}"
             "tr.refuted td:nth-child(6){color:#b91c1c;font-weight:600}"
             "tr.inconclusive td:nth-child(6){color:#9a6700;font-weight:600}"
             "tr.error td:nth-child(6){color:#b91c1c}</style>")


def _claim(claim):
    """A ``verdicts.claims.Claim`` from a Claim or an id (None when unknown)."""
    if claim is None or not isinstance(claim, str):
        return claim
    from ..verdicts.claims import CLAIMS

    return CLAIMS.get(claim)


def sortable_id(claim_id: str) -> str:
    """``C1`` -> ``C01`` (so that C2 sorts before C10 by name)."""
    return re.sub(r"^([A-Za-z]+)(\d)$", r"\g<1>0\2", claim_id)


def paper_short(claim) -> str:
    return claim.paper.split(",")[0] if claim is not None else ""


def row_title(row: dict, claim=None) -> str:
    """``<id> [role] <statement>``."""
    claim = _claim(claim if claim is not None else row.get("claim"))
    statement = claim.statement if claim is not None else row.get("rule", "")
    return f"{row.get('id') or row.get('claim')} [{row.get('role', '')}] {statement}".strip()


def _jsonish(v) -> str:
    return v if isinstance(v, str) else json.dumps(v, default=str, sort_keys=True)


def row_description(row: dict, claim=None) -> str:
    """The Markdown description of a case's result."""
    claim = _claim(claim if claim is not None else row.get("claim"))
    role, verdict = row.get("role", ""), row.get("verdict", "")
    out = []
    if claim is not None:
        out += [f"**{claim.paper}**, {claim.section}", "", f"> {claim.quote}", "",
                f"**Claim {claim.id}:** {claim.statement}", ""]
    out += [f"**Rule:** `{row.get('rule') or (claim.rule if claim else '')}` (holds when every check holds)", "",
            f"**Decision:** {row.get('statistic') or 'point value'}, {row.get('samples', 0)} sample(s)", ""]
    head = f"**Verdict: {verdict.upper()}** ({role})"
    if row.get("reason"):
        head += f" — {row['reason']}"
    out += [head, ""]
    if row.get("decided"):
        out += [tables.markdown(row), ""]
    if row.get("controls"):
        out += ["**Matched negative controls:** " + ", ".join(f"`{c}`" for c in row["controls"]), ""]
    for s in row.get("sensitivity") or []:
        pairs = ", ".join(f"{v}: {x}" for v, x in zip(s["values"], s["verdicts"]))
        out += [f"**Sensitivity to {s['constant']}** (declared {s['declared']}; {s['why']}): {pairs}"
                + (f" -- **flips: {s['flip']}**" if s.get("flip") else " -- the same verdict across the range"), ""]
    if row.get("note"):
        out += [f"**Note:** {row['note']}", ""]
    if row.get("positives"):
        out += ["**Matched positive controls:** " + ", ".join(f"`{c}`" for c in row["positives"]), ""]
    if role == "positive":
        out += [f"**Planted (must hold):** {row.get('planted', '')}", ""]
        if verdict != "holds":
            out += ["**The positive control does not hold: the measurement cannot see the planted effect, so it cannot "
                    "refute the claim.**", ""]
    if role == "control":
        if row.get("holds_if"):
            out += [f"**This control would have held if:** {row['holds_if']}", ""]
        if verdict == "holds":
            out += ["**The control holds: the measurement does not discriminate the claim from its control.**", ""]
    if row.get("regression"):
        out += ["**Regression against the baseline:**", ""] + [f"- {r}" for r in row["regression"]] + [""]
    elif row.get("expected"):
        out += [f"**Baseline:** expected {row['expected']} ({row.get('baseline') or 'default'}): matches", ""]
    defs = []
    if row.get("definition"):
        defs.append(", ".join(f"{k}={_jsonish(v)}" for k, v in row["definition"].items()))
    if claim is not None and claim.definitions:
        defs.append(claim.definitions)
    if defs:
        out += ["**Definitions:** " + "; ".join(defs), ""]
    if claim is not None and claim.negative_control:
        out += [f"**The claim's negative control:** {claim.negative_control}", ""]
    if row.get("error"):
        out += [f"**Error:** `{row['error']}`", ""]
    if row.get("repro"):
        out += [f"**Repro:** `{row['repro']}`", ""]
    return "\n".join(out).rstrip() + "\n"


def row_labels(row: dict, claim=None) -> list[tuple[str, str]]:
    """(name, value) labels: claim, verdict, role, configuration, baseline, case, section, epic, feature, story."""
    claim = _claim(claim if claim is not None else row.get("claim"))
    cid = row.get("claim", "")
    out = [("claim", cid), ("verdict", row.get("verdict", "")), ("role", row.get("role", "")),
           ("configuration", row.get("configuration", "")), ("case", row.get("case", "")),
           ("baseline", "regression" if row.get("regression") else "matches")]
    if claim is not None:
        out += [("section", claim.section), ("epic", paper_short(claim)),
                ("feature", f"{sortable_id(claim.id)} {claim.slug}")]
    else:
        out += [("feature", sortable_id(cid))]
    out.append(("story", ROLE_STORY.get(row.get("role", ""), row.get("role", ""))))
    return out


def row_tags(row: dict) -> list[str]:
    return [t for t in (row.get("claim"), row.get("tier"), row.get("role"), row.get("verdict"),
                        row.get("configuration")) if t]


def row_parameters(row: dict) -> list[tuple[str, str]]:
    """(name, value) parameters: tier, configuration, each param, each definition, samples."""
    out = [("tier", str(row.get("tier", ""))), ("configuration", str(row.get("configuration", "")))]
    seen = {n for n, _ in out}
    for group in ("params", "definition"):
        for k, v in sorted((row.get(group) or {}).items()):
            name = k if k not in seen else f"{group}.{k}"
            seen.add(name)
            out.append((name, _jsonish(v)))
    out.append(("samples", _jsonish(row.get("sample_ids") or [])))
    return out


def table_html(row: dict) -> str:
    """The HTML attachment: verdict line and ``tables.html(row)``."""
    from html import escape

    verdict = row.get("verdict", "")
    head = f"<h3>{escape(str(row.get('id', '')))}: {escape(verdict)} ({escape(str(row.get('role', '')))})</h3>"
    reason = f"<p>{escape(row['reason'])}</p>" if row.get("reason") else ""
    extra = ""
    if row.get("role") == "control" and row.get("holds_if"):
        extra += f"<p><b>This control would have held if:</b> {escape(row['holds_if'])}</p>"
    if row.get("regression"):
        extra += "<p><b>Regression against the baseline:</b></p><ul>" + "".join(
            f"<li>{escape(r)}</li>" for r in row["regression"]) + "</ul>"
    return TABLE_CSS + head + reason + tables.html(row) + extra


def attach_row(row: dict, claim=None, png_path: Path | str | None = None, *, case_param: str = "claim_case") -> None:
    """Fill the running test's Allure result from its ledger row; a no-op when Allure is not active.

    ``case_param``: the test's pytest parameter that holds the case (a long repr): shown as the case id."""
    try:
        import allure
    except ImportError:  # pragma: no cover - allure-pytest is a dependency
        return
    claim = _claim(claim if claim is not None else row.get("claim"))
    try:
        allure.dynamic.title(row_title(row, claim))
        allure.dynamic.description(row_description(row, claim))
        for name, value in row_labels(row, claim):
            if name == "epic":
                allure.dynamic.epic(value)
            elif name == "feature":
                allure.dynamic.feature(value)
            elif name == "story":
                allure.dynamic.story(value)
            else:
                allure.dynamic.label(name, value)
        allure.dynamic.tag(*row_tags(row))
        allure.dynamic.parameter(case_param, row.get("id", ""))
        for name, value in row_parameters(row):
            allure.dynamic.parameter(name, value)
        allure.attach(table_html(row), name=TABLE_ATTACHMENT, attachment_type=allure.attachment_type.HTML)
        allure.attach(json.dumps(row, indent=1, default=str, sort_keys=True), name=ROW_ATTACHMENT,
                      attachment_type=allure.attachment_type.JSON)
        if png_path is not None and Path(png_path).exists():
            allure.attach.file(str(png_path), name=f"{row.get('claim', '')} plot",
                               attachment_type=allure.attachment_type.PNG)
    except Exception:  # allure not active (no --alluredir): nothing to attach to
        pass


# -- verdicts as Allure statuses ----------------------------------------------------------------------

CLAIM_STATUS = {"holds": "passed", "refuted": "failed", "inconclusive": "unknown", "error": "broken"}
CONTROL_STATUS = {"refuted": "passed", "holds": "failed", "inconclusive": "unknown", "error": "broken"}


def verdict_status(pytest_status: str, verdict: str, role: str) -> str:
    """The Allure status that shows the verdict (see the module docstring). Only a test that passed
    (its verdict matched its baseline) is mapped; failed, broken and skipped tests keep their status."""
    if pytest_status != "passed":
        return pytest_status
    table = CONTROL_STATUS if role == "control" else CLAIM_STATUS
    return table.get(verdict, pytest_status)


def verdict_message(row: dict | None, verdict: str, role: str) -> str:
    """The message of a passed test whose status now shows its verdict."""
    row = row or {}
    src = row.get("baseline") or "its baseline"
    matches = f"As in its baseline ({src}), so the test passed."
    reason = f" {row['reason']}." if row.get("reason") else ""
    if role == "control" and verdict == "holds":
        head = (f"CONTROL HOLDS: the measurement does not discriminate the claim from its negative control.{reason} "
                + matches)
    elif role == "positive" and verdict != "holds":
        head = (f"POSITIVE CONTROL FAILS: the measurement cannot see the planted effect ({row.get('planted', '')})."
                f"{reason} " + matches)
    elif verdict == "refuted":
        head = f"REFUTED claim: it does not reproduce on this case.{reason} {matches}"
    elif verdict == "inconclusive":
        head = f"INCONCLUSIVE: the interval straddles the threshold.{reason} {matches}"
    elif verdict == "error":
        head = f"ERROR: {row.get('error') or 'the measurement errored'}"
    else:
        return ""
    body = tables.text(row) if row.get("decided") else ""
    if role == "control" and row.get("holds_if"):
        body += ("\n" if body else "") + f"  this control would have held if: {row['holds_if']}"
    if role == "positive" and row.get("planted"):
        body += ("\n" if body else "") + f"  planted: {row['planted']}"
    return head + ("\n" + body if body else "")


def _labels(result: dict) -> dict:
    out: dict = {}
    for lab in result.get("labels") or []:
        out.setdefault(lab.get("name"), lab.get("value"))
    return out


TREE_LABELS = ("epic", "feature", "story")


def rewrite_result(result: dict, row: dict | None = None) -> dict:
    """A copy of an allure-pytest result whose status shows its verdict. Results without a verdict label
    are returned unchanged; a test that did not pass keeps its status and message. ``row``: the case's
    ledger row, for the message and the tree's labels (epic, feature, story) as this version writes them."""
    labels = _labels(result)
    verdict, role = labels.get("verdict"), labels.get("role", "")
    if not verdict:
        return result
    out = dict(result)
    if row is not None:  # the tree's labels as this version writes them (results may come from an older one)
        tree = {k: v for k, v in row_labels(row) if k in TREE_LABELS}
        out["labels"] = [dict(lab, value=tree[lab["name"]]) if lab.get("name") in tree else lab
                         for lab in result.get("labels") or []]
    status = verdict_status(result.get("status", ""), verdict, role)
    if status == result.get("status"):
        return out if out["labels"] != result.get("labels") else result
    out["status"] = status
    msg = verdict_message(row, verdict, role)
    if msg:
        out["statusDetails"] = {**(result.get("statusDetails") or {}), "message": msg}
    return out


def _row_from_attachment(results: Path, result: dict) -> dict | None:
    for a in result.get("attachments") or []:
        if a.get("name") == ROW_ATTACHMENT and a.get("source"):
            try:
                return json.loads((results / a["source"]).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
    return None


def rewrite_results(src, dst, *, rows: list[dict] | None = None) -> dict[str, int]:
    """Copy the Allure results dir ``src`` to ``dst`` with every claim result's status showing its verdict
    (``rewrite_result``); writes the categories there. ``rows``: ledger rows, used for the message when a
    result has no row.json attachment. Returns how many results got each status."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    by_key = {(r.get("claim"), r.get("configuration"), r.get("case")): r for r in rows or []}
    counts: dict[str, int] = {}
    for f in src.iterdir():
        if not f.is_file():
            continue
        target = dst / f.name
        if f.name.endswith("-result.json"):
            try:
                result = json.loads(f.read_text(encoding="utf-8"))
            except ValueError:
                shutil.copyfile(f, target)
                continue
            labels = _labels(result)
            row = _row_from_attachment(src, result) or by_key.get(
                (labels.get("claim"), labels.get("configuration"), labels.get("case")))
            new = rewrite_result(result, row)
            counts[new.get("status", "")] = counts.get(new.get("status", ""), 0) + 1
            target.write_text(json.dumps(new), encoding="utf-8")
        else:
            try:
                os.link(f, target)
            except OSError:
                shutil.copyfile(f, target)
    write_categories(dst)
    return counts


STATUS_LEGEND = ("passed = claim holds / control refuted; failed = claim refuted / control holds; "
                 "unknown = inconclusive; broken = error; a regression against the baseline keeps its failure")
HEADLINE_ATTACHMENT = "Claims headline: primary verdict of each claim"


def add_overview(results_dir, headline_html: str | None = None) -> None:
    """Put what the overview needs into a results dir: the status legend as an environment entry
    (shown under "Metadata") and, given, the claims headline table as a global attachment."""
    import time
    import uuid

    d = Path(results_dir)
    env = read_environment(d)
    env["Status = verdict"] = STATUS_LEGEND  # a capital first: sorted first, visible without "Show more"
    write_environment(d, env)
    if headline_html:
        uid = uuid.uuid4().hex
        (d / f"{uid}-attachment.html").write_text(headline_html, encoding="utf-8")
        (d / f"{uid}-globals.json").write_text(json.dumps({
            "uuid": uid, "errors": [],
            "attachments": [{"name": HEADLINE_ATTACHMENT, "source": f"{uid}-attachment.html", "type": "text/html",
                             "timestamp": int(time.time() * 1000)}]}), encoding="utf-8")


# -- categories -------------------------------------------------------------------------------------------

ERROR = "Error"
REGRESSION = "Regression against baseline"
CONTROL_HOLDS = "Control holds (measurement does not discriminate)"
POSITIVE_FAILS = "Positive control fails (measurement cannot see the planted effect)"
REFUTED = "Refuted claim (matches baseline)"
INCONCLUSIVE = "Inconclusive"

# Each category: name, description, Allure 2 form (matchedStatuses + messageRegex, matched against the
# whole message) and Allure 3 matchers (statuses, labels, message regex searched). First match wins.
CATEGORIES: list[dict] = [
    {"name": ERROR,
     "description": "The measurement raised (missing data, a crash, a metric that is NaN): an error is never a "
                    "verdict. Fix the suite or the environment.",
     "allure2": {"matchedStatuses": ["broken"]},
     "matchers": [{"statuses": ["broken"]}, {"labels": {"verdict": "^error$"}}],
     "groupByMessage": True},
    {"name": REGRESSION,
     "description": "The case differs from its baseline (claims/baselines/): another verdict, or a decided metric "
                    "outside its band. The test failed: look at the numbers, then fix the code or update the "
                    "baseline (--baseline-update) and say why.",
     "allure2": {"matchedStatuses": ["failed"], "messageRegex": r"[\s\S]*REGRESSION:[\s\S]*"},
     "matchers": [{"statuses": ["failed", "broken"], "labels": {"baseline": "^regression$"}},
                  {"statuses": ["failed"], "message": "(^|\\n)REGRESSION:"}]},
    {"name": POSITIVE_FAILS,
     "description": "A positive control (the same measurement with the paper's mechanism planted) does not hold: the "
                    "measurement cannot see the effect, so the claim cannot be refuted by it.",
     "allure2": {"matchedStatuses": ["failed", "unknown"], "messageRegex": r"POSITIVE CONTROL FAILS[\s\S]*"},
     "matchers": [{"statuses": ["failed", "unknown"], "labels": {"role": "^positive$", "verdict": "^(refuted|inconclusive)$"}}]},
    {"name": CONTROL_HOLDS,
     "description": "A negative control (the same measurement where the paper's mechanism is absent) holds: the "
                    "measurement does not tell the claim from its control, so the claim's verdict on that "
                    "configuration says little. A finding, recorded in the baseline.",
     "allure2": {"matchedStatuses": ["failed"], "messageRegex": r"CONTROL HOLDS[\s\S]*"},
     "matchers": [{"statuses": ["failed"], "labels": {"role": "^control$", "verdict": "^holds$"}}]},
    {"name": REFUTED,
     "description": "The claim does not reproduce on this case, as recorded in its baseline: a scientific result, "
                    "not a defect (the test passed).",
     "allure2": {"matchedStatuses": ["failed"], "messageRegex": r"REFUTED claim[\s\S]*"},
     "matchers": [{"statuses": ["failed"], "labels": {"verdict": "^refuted$", "role": "^(primary|variant)$"}}]},
    {"name": INCONCLUSIVE,
     "description": "The interval of the decided statistic straddles the threshold: more samples would decide. "
                    "As recorded in the baseline (the test passed).",
     "allure2": {"matchedStatuses": ["unknown"], "messageRegex": r"INCONCLUSIVE[\s\S]*"},
     "matchers": [{"statuses": ["unknown"]}]},
]


def categories_allure2() -> list[dict]:
    """The ``categories.json`` list (Allure 2 schema)."""
    return [{"name": c["name"], "description": c["description"], **c["allure2"]} for c in CATEGORIES]


def category_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def allure3_categories() -> list[dict]:
    """The ``categories`` rules for an Allure 3 config (regexes as strings: JSON-safe). Each category's
    results are grouped by claim (the ``feature`` label); refuted and inconclusive ones also by role (primary
    apart from variants), an error's by message."""
    return [{"id": category_id(c["name"]), "name": c["name"], "matchers": c["matchers"],
             "groupBy": [{"label": "feature"}] + ([{"label": "story"}] if c["name"] in (REFUTED, INCONCLUSIVE) else []),
             "groupByMessage": bool(c.get("groupByMessage")), "expand": True}
            for c in CATEGORIES]


def write_categories(results_dir) -> Path:
    """Write ``<results_dir>/categories.json``; returns its path."""
    d = Path(results_dir)
    d.mkdir(parents=True, exist_ok=True)
    path = d / "categories.json"
    path.write_text(json.dumps(categories_allure2(), indent=1), encoding="utf-8")
    return path


def match_category(status: str, message: str = "", labels: dict | None = None) -> str | None:
    """The category Allure 3 puts a result in (Python mirror of its object matcher, used by the tests)."""
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


def match_category_allure2(status: str, message: str = "") -> str | None:
    """The category Allure 2 puts a result in (the whole message must match)."""
    for c in categories_allure2():
        if status not in c["matchedStatuses"]:
            continue
        if "messageRegex" in c and not re.fullmatch(c["messageRegex"], message or ""):
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

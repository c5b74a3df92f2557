"""Run a declared case: measure its samples (cached), decide, and build its ledger row.

    measure(lab, case, label) -> per-sample dicts      (measure/protocols.py, cached by the lab)
    decide(checks, samples, statistic) -> Decision     (decide.py, pure)
    row(...) -> Row                                    (the one row type every sink reads)

Recording (ledger, Allure) and rendering (report/tables.py) read the Row; nothing else decides.
"""

from __future__ import annotations

import io
import math
import time
import traceback
from dataclasses import asdict, dataclass, field

from . import decide as dc
from .cases import Case
from .claims import get as get_claim


@dataclass
class Row:
    """One case on one configuration: the ledger's row, the Allure result's content, the baseline's key."""

    claim: str
    case: str
    configuration: str
    role: str  # primary | variant | control
    verdict: str  # holds | refuted | inconclusive | error
    reason: str = ""
    decided: list = field(default_factory=list)  # CheckResult.as_dict() per check
    statistic: str = ""
    samples: int = 0
    ci: list | None = None
    measured: dict = field(default_factory=dict)  # scalars (per-sample lists where there are several)
    rule: str = ""
    params: dict = field(default_factory=dict)
    definition: dict = field(default_factory=dict)
    sample_ids: list = field(default_factory=list)
    holds_if: str = ""
    expected: str = ""
    baseline: str = ""
    regression: list = field(default_factory=list)
    seconds: float = 0.0
    tier: str = ""
    plot: str | None = None
    repro: str = ""
    error: str = ""

    @property
    def key(self) -> str:
        return f"{self.claim}/{self.case}"

    @property
    def id(self) -> str:
        return f"{self.claim}/{self.configuration}/{self.case}"

    @property
    def primary(self) -> bool:
        return self.role == "primary"

    @property
    def control(self) -> bool:
        return self.role == "control"

    def as_dict(self) -> dict:
        return {**asdict(self), "key": self.key, "id": self.id, "primary": self.primary, "control": self.control}

    @classmethod
    def from_dict(cls, d: dict) -> "Row":
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in names})


def _sample_key(s):
    return list(s) if isinstance(s, tuple) else s


def measure(lab, case: Case, label: str) -> list[dict]:
    """Every sample of ``case`` on configuration ``label`` (cached per sample), in declared order.

    Samples are measured busy-last: a sample whose entry (or any entry it needs: an optimum, a tunnel)
    another xdist worker is building right now is put off and the next one measured, and only when
    every remaining sample is busy does this wait for one. Two workers on claims that share the six
    tunnels thus build different tunnels side by side instead of queueing behind one lock."""
    from ..cache import CacheBusy
    from ..measure.protocols import PROTOCOLS

    proto = PROTOCOLS[case.protocol]
    kw = case.kwargs()
    ck = lab.config_key(label)
    k = lab.spec.k if label != "toy" else None

    def one(s):
        return lab.cached("sample", (case.protocol, ck, k, kw, _sample_key(s)),
                          lambda: proto.sample(lab, label, s, **kw), f"{case.protocol} on {label}, sample {s}")

    out: dict[int, dict] = {}
    pending = list(enumerate(case.samples))
    while pending:
        busy = []
        for i, s in pending:
            try:
                with lab.without_waiting():
                    out[i] = one(s)
            except CacheBusy:
                busy.append((i, s))
        if busy and len(busy) == len(pending):
            i, s = busy.pop(0)
            out[i] = one(s)
        pending = busy
    return [out[i] for i in range(len(case.samples))]


def plot_png(lab, case: Case, label: str, samples: list[dict]) -> bytes | None:
    """The case's figure as PNG bytes (cached beside the samples, so a warm run draws nothing)."""
    from ..measure.protocols import PROTOCOLS

    proto = PROTOCOLS[case.protocol]
    if proto.plot is None:
        return None
    title = f"{case.claim} {label}: {case.name}"

    def build():
        fig = proto.plot(samples, title)
        if fig is None:
            return None
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)  # the figures are tight_layout already: one render, not two
        plt.close(fig)
        return buf.getvalue()

    k = lab.spec.k if label != "toy" else None
    return lab.cached("plot", (case.protocol, lab.config_key(label), k, case.kwargs(),
                               [_sample_key(s) for s in case.samples], title), build)


def _scalars(samples: list[dict]) -> dict:
    keys = [k for k in samples[0] if not k.startswith("_")]
    out = {}
    for k in keys:
        vals = [s.get(k) for s in samples]
        vals = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in vals]
        out[k] = vals[0] if len(vals) == 1 else vals
    return out


def evaluate(lab, case: Case, label: str, *, tier: str = "", repro: str = "") -> tuple[Row, list[dict], Exception | None]:
    """Measure and decide ``case`` on ``label``. An exception is caught into an *error* row (and
    returned, to be re-raised by the caller): it is never a verdict."""
    claim = get_claim(case.claim)
    t0 = time.perf_counter()
    samples: list[dict] = []
    exc = None
    try:
        samples = measure(lab, case, label)
        decision = dc.decide(case.rule, samples, case.decision)
        measured = _scalars(samples)
    except Exception as e:  # noqa: BLE001 - recorded as an error row, then re-raised by the caller
        exc = e
        decision = dc.error(f"{type(e).__name__}: {e}", case.decision)
        measured = {"traceback": traceback.format_exc(limit=6)[-1500:]}
    row = Row(claim=case.claim, case=case.name, configuration=label, role=case.role, verdict=decision.verdict,
              reason=decision.reason, decided=[c.as_dict() for c in decision.checks],
              statistic=case.decision.describe(), samples=len(case.samples),
              ci=list(decision.ci) if decision.ci else None, measured=measured,
              rule=" and ".join(c.describe() for c in case.rule),
              params=dict(case.params), definition=dict(case.definition),
              sample_ids=[_sample_key(s) for s in case.samples], holds_if=case.holds_if, tier=tier, repro=repro,
              error=decision.reason if decision.verdict == "error" else "",
              seconds=round(time.perf_counter() - t0, 3))
    return row, samples, exc

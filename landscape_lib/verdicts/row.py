"""``Row``: one case on one configuration, decided -- the ledger's row, the Allure result's content and the
key of its baseline entry. Every sink (ledger, Allure, claims page, terminal) reads this one type."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..types import Role, Verdict, case_id


@dataclass
class Row:
    claim: str
    case: str
    configuration: str
    role: Role
    verdict: Verdict
    reason: str = ""
    decided: list = field(default_factory=list)  # CheckResult.as_dict() per check
    statistic: str = ""
    samples: int = 0
    ci: list | None = None
    measured: dict = field(default_factory=dict)  # metrics of the samples (per-sample lists where there are several)
    nulls: dict = field(default_factory=dict)  # the nulls reported beside them, in the same form
    intervals: dict = field(default_factory=dict)  # a protocol's own intervals (metric -> [lo, hi] or a list of them)
    rule: str = ""
    params: dict = field(default_factory=dict)
    definition: dict = field(default_factory=dict)
    sample_ids: list = field(default_factory=list)
    holds_if: str = ""
    protocol: str = ""
    controls: list = field(default_factory=list)  # the matched negative controls' case names (a primary's)
    positives: list = field(default_factory=list)  # the matched positive controls' case names (a primary's)
    planted: str = ""  # a positive control's planted mechanism and its size
    sensitivity: list = field(default_factory=list)  # run.sensitivity: the verdict across each declared sweep
    note: str = ""
    expected: str = ""
    baseline: str = ""
    regression: list = field(default_factory=list)
    seconds: float = 0.0
    tier: str = ""
    plot: str | None = None
    repro: str = ""
    error: str = ""

    @property
    def id(self) -> str:
        return case_id(self.claim, self.configuration, self.case)

    def as_dict(self) -> dict:
        return {**asdict(self), "id": self.id}

    @classmethod
    def from_dict(cls, d: dict) -> "Row":
        names = set(cls.__dataclass_fields__)
        row = cls(**{k: v for k, v in d.items() if k in names})
        row.role, row.verdict = Role(row.role), Verdict(row.verdict)
        return row

"""A case: one way a claim is measured, declared once as data (in the manner of PyTorch's OpInfo).

A case names its claim; a readable ``name``; the ``protocol`` *function* that measures one sample
(``protocols.*``; "go to definition" reaches the measurement); where it runs (``on``: "toy", "net" = every
network configuration of the tier, "user" = every network configuration that is not the repository's own (a
user's ``--model`` / ``--dataset``), or a fixed configuration such as "softmax-digits"); fixed ``params``; the
``definition`` values a verdict may hinge on; the independent ``samples`` (seeds, pairs of optima, toy
shapes); and its ``role``: the claim's **primary** case (the paper's own protocol at the threshold declared
before measuring), a *variant* (a sensitivity analysis, shown beside the primary, never in the headline), or a
negative **control** (the same measurement where the paper's mechanism is absent; ``holds_if`` says what
outcome would have made it hold), or a **positive** control (the same checks and decision on a configuration
where the mechanism is present by construction; ``planted`` says what is planted, and at what size: it must
hold, or the measurement cannot see the effect and cannot refute the claim). A primary (or a replication: the claim's primary protocol in the other
setting, the toy model for a claim about networks) names its matched negative ``controls`` (same claim, same
measurement, the mechanism absent) and may declare ``sweeps``: constants the paper never fixed, each over a
declared range with the reason for its ends, and its matched ``positives`` (default: every positive control of
the claim). Expected outcomes live in the baselines, not here.

A primary or control whose rule is a ratio to the endpoints' loss names its ``twin``: the same measurement
judged by an absolute rule (a fraction of the chance-level loss ln C). On a configuration trained for a step
budget rather than to a target loss (the endpoints are not near zero loss, so a ratio to them says little) the
two swap roles (``on_configuration``): the twin is decided as the primary (or control), the ratio as a variant.

A case on a configuration has one id everywhere: ``types.case_id`` = ``<claim>/<configuration>/<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..types import Check, Role, Sample, case_id, get_tier
from .claims import CLAIMS
from .decide import Statistic


USER = "user"  # Case.on: the run's own network configurations (a user's model or data), not the repository's


@dataclass(frozen=True)
class Sweep:
    """A constant the paper never fixed, evaluated over a declared range, one constant at a time with the others
    at their declared values. Either a protocol parameter (``param``: each value is measured, through the cache)
    or a check's threshold (``metric``: the same samples re-decided with the threshold at each value).
    ``declared``: the value the case itself uses; ``why``: the reason for the range's ends."""

    constant: str
    values: tuple
    why: str
    param: str | None = None
    metric: str | None = None

    def __post_init__(self) -> None:
        if (self.param is None) == (self.metric is None):
            raise ValueError(f"sweep {self.constant!r}: give exactly one of param (a protocol parameter) or metric "
                             f"(a check whose threshold is swept)")
        if len(self.values) < 2:
            raise ValueError(f"sweep {self.constant!r}: values must hold at least 2 points, got {self.values!r}")


@dataclass(frozen=True)
class Case:
    claim: str
    name: str
    protocol: Callable[..., Sample]
    on: str = "toy"
    params: Mapping[str, Any] = field(default_factory=dict)
    definition: Mapping[str, Any] = field(default_factory=dict)
    samples: tuple = (0,)
    role: Role = Role.VARIANT
    holds_if: str = ""
    tiers: tuple[str, ...] | None = None
    statistic: Statistic | None = None
    checks: tuple[Check, ...] | None = None
    note: str = ""
    controls: tuple[str, ...] = ()
    sweeps: tuple[Sweep, ...] = ()
    planted: str = ""
    positives: tuple[str, ...] = ()
    twin: str = ""

    def __post_init__(self) -> None:
        if self.claim not in CLAIMS:
            raise ValueError(f"Case.claim must be one of {list(CLAIMS)}, got {self.claim!r}")
        if not callable(self.protocol):
            raise ValueError(f"case {self.claim}/{self.name}: protocol must be a function of protocols.*, "
                             f"got {self.protocol!r}")
        if not isinstance(self.role, Role):
            raise ValueError(f"case {self.claim}/{self.name}: role must be a types.Role, got {self.role!r}")
        if not self.samples:
            raise ValueError(f"case {self.claim}/{self.name}: samples must not be empty")
        if self.role == Role.CONTROL and not self.holds_if:
            raise ValueError(f"case {self.claim}/{self.name}: a control says what would have made it hold (holds_if)")
        if self.role == Role.POSITIVE and not self.planted:
            raise ValueError(f"case {self.claim}/{self.name}: a positive control says what it plants, and at what "
                             f"size (planted)")
        if self.planted and self.role != Role.POSITIVE:
            raise ValueError(f"case {self.claim}/{self.name}: only a positive control plants (role {self.role!r})")
        if (self.controls or self.sweeps or self.positives) and self.role not in (Role.PRIMARY, Role.REPLICATION):
            raise ValueError(f"case {self.claim}/{self.name}: only a primary or a replication names matched controls "
                             f"and sweeps")
        for sw in self.sweeps:
            if sw.metric is not None and sw.metric not in {c.metric for c in self.rule}:
                raise ValueError(f"case {self.claim}/{self.name}: sweep {sw.constant!r} names metric {sw.metric!r}, "
                                 f"which none of its checks decides")
        for t in self.tiers or ():
            get_tier(t)

    @property
    def decision(self) -> Statistic:
        """The statistic the case is decided with: its own, or its claim's."""
        return self.statistic or CLAIMS[self.claim].statistic

    @property
    def rule(self) -> tuple[Check, ...]:
        """The checks this case is decided on: the claim's, unless the case declares its own (a variant
        with another definition of the metric, or a control whose second check cannot apply)."""
        return self.checks or CLAIMS[self.claim].checks

    @property
    def protocol_name(self) -> str:
        return f"{self.protocol.__module__.rsplit('.', 1)[-1]}.{self.protocol.__name__}"

    def id(self, label: str) -> str:
        return case_id(self.claim, label, self.name)

    def runs_at(self, tier: str) -> bool:
        return self.tiers is None or tier in self.tiers

    def kwargs(self) -> dict:
        return {**self.params, **self.definition}

    def on_configuration(self, cfg, siblings) -> "Case":
        """This case as decided on training configuration ``cfg`` (None: the toy): unchanged, unless ``cfg`` is
        trained for a step budget (``target_loss`` None) and the case is a ratio rule with a twin (then a variant)
        or the twin of one among ``siblings`` (then in its role, with its holds_if and its controls' twins)."""
        import dataclasses

        if cfg is None or getattr(cfg, "target_loss", 1.0) is not None:
            return self
        if self.twin:
            return dataclasses.replace(self, role=Role.VARIANT, controls=(), sweeps=(), positives=(),
                                       note=(self.note + " " if self.note else "") + f"a ratio to the endpoints' "
                                       f"loss: a variant here (endpoints trained for a step budget); {self.twin} "
                                       f"decides")
        of = next((c for c in siblings if c.claim == self.claim and c.twin == self.name), None)
        if of is None:
            return self
        twins = {c.name: c.twin or c.name for c in siblings if c.claim == self.claim}
        return dataclasses.replace(of, name=self.name, protocol=self.protocol, params=self.params,
                                   definition=self.definition, samples=self.samples, checks=self.checks,
                                   statistic=self.statistic, twin="", sweeps=(),
                                   controls=tuple(twins.get(n, n) for n in of.controls),
                                   note=f"the absolute twin of {of.name}, decided in its role here (endpoints "
                                        f"trained for a step budget)")

    def labels(self, net_labels) -> list[str]:
        """The configurations the case runs on, given the tier's network configurations."""
        from ..protocols.lab import BUILTIN_LABELS

        if self.on == "net":
            return list(net_labels)
        if self.on == USER:
            return [lb for lb in net_labels if lb not in BUILTIN_LABELS]
        return [self.on]

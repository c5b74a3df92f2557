"""Verdicts: what the papers claim and how a claim is decided.

- ``claims``: every claim of both papers, declared once (quote, section, rule with reasons, statistic);
- ``cases``: the cases each claim is measured on (protocol, configuration, definition, samples, and
  primary / variant / control), from which the claim tests are generated;
- ``decide``: the pure function from measured samples to holds / refuted / inconclusive / error;
- ``baselines``: expected outcomes per tier x configuration, kept apart from the claims;
- ``run``: measure (cached) -> decide -> the ledger's row type.
"""

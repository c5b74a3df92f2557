"""Verdicts: what the papers claim and how a claim is decided.

- ``claims``: every claim of both papers, declared once (quote, section, rule with reasons, statistic);
- ``case`` and ``cases/``: the cases each claim is measured on (the protocol function, configuration,
  definition, samples, role), grouped by what they measure;
- ``decide``: the pure function from a case's samples to holds / refuted / inconclusive / error;
- ``headline``: the pure function from a claim's rows to its headline verdict;
- ``row``: ``Row``, one decided case on one configuration, the type every sink reads;
- ``baselines``: expected outcomes per tier x configuration, kept apart from the claims.
"""

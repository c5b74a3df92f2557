"""The claim tests of this repository: the package's own (``landscape_lib.claims_tests.test_claims``), collected
here so that ``pytest claims`` runs them against ``claims/baselines/``. Select with ``-k``: ``-k C8``,
``-k "C5 and mlp"``, ``-k C8/mlp-digits/budget``, ``-m control``."""

from landscape_lib.claims_tests.test_claims import test_baselines_match_declared_cases, test_case

__all__ = ["test_case", "test_baselines_match_declared_cases"]

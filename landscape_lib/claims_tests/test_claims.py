"""Every declared case of every claim as a test (parametrized by ``landscape_lib.pytest_plugin``), and the
baselines' consistency. Select with ``-k``: ``-k C8``, ``-k "C5 and mlp"``, ``-k C8/mlp-digits/budget``,
``-m control``."""

from landscape_lib.pytest_plugin import baseline_dir, declared
from landscape_lib.types import Verdict
from landscape_lib.verdicts import baselines


def test_case(claim_case, landscape_claims):
    row = landscape_claims(claim_case)
    assert row.verdict != Verdict.ERROR and not row.regression, landscape_claims.message(row)


def test_baselines_match_declared_cases(pytestconfig):
    """A baseline entry that matches no declared case of this tier is stale: fail, naming it."""
    stale = baselines.stale(baseline_dir(pytestconfig), pytestconfig.getoption("--tier"), declared(pytestconfig))
    assert not stale, "stale baseline entries (no declared case matches them; run --baseline-update):\n" + \
        "\n".join(stale)

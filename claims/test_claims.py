"""Every declared case of every claim, generated from ``landscape_lib.verdicts.cases`` (the template that
``fixtures/verdicts.py`` parametrizes). Select with ``-k``: ``-k C8``, ``-k "C5 and mlp"``, ``-m control``."""

from fixtures.verdicts import declared

from landscape_lib.verdicts import baselines


def test_case(claim_case, check_claim_case):
    case, label = claim_case
    check_claim_case(case, label)


def test_baselines_match_declared_cases(pytestconfig):
    """A baseline entry that matches no declared case of this tier is stale: fail, naming it."""
    from fixtures.verdicts import baseline_dir

    stale = baselines.stale(baseline_dir(pytestconfig), pytestconfig.getoption("--tier"), declared(pytestconfig))
    assert not stale, "stale baseline entries (no declared case matches them; run --baseline-update):\n" + \
        "\n".join(stale)

"""The claim tests, shipped with the package: ``pytest --pyargs landscape_lib.claims_tests`` (or
``landscape-claims verify``) runs every declared case from any folder; the repository's ``claims/test_claims.py``
collects these same functions."""

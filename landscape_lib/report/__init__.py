"""What a claims run writes for people to read.

Modules (import them directly; this package imports nothing, so ``import landscape_lib`` stays cheap):

- ``ledger``: the claims ledger: one row per claim x case, merged across xdist workers into
  ``claims.json`` / ``claims.md``.
- ``allure``: Allure metadata: defect categories and the run's environment.
- ``claims_page``: ``reports/claims.html``, the ledger as one static page.
- ``plots``: matplotlib figures, one function per kind of plot.
- ``cli``: ``python -m landscape_lib.report.cli --reports reports``: the HTML page and the
  single-file Allure report.
"""

"""landscape_lib: measurements of neural-network loss-landscape geometry (Fort & Jastrzebski 2019;
He, Huang & Yuan 2019), and the claims run built on them. Layers, each importing only those before it:

- ``types`` (verdicts, roles, ``Sample``, checks, tiers, case ids), ``stats``, ``cache``, ``numerics`` (the
  numerical policy every measurement runs under, pinned when this package is imported) -- plain building blocks;
- ``geometry/`` (the toy n-wedge model, paths, probes, curvature) and ``nets/`` (data, models, training);
- ``protocols/``: the lab (optima, problems, the measurement cache) and the measurement protocols, grouped by
  what they measure;
- ``verdicts/``: the papers' claims, their declared cases, ``decide`` (a case) and ``headline`` (a claim),
  baselines;
- ``run``: a claims run as plain code (``check_claims`` works without pytest);
- ``report/`` (ledger, tables, figures, Allure, the claims page) and ``pytest_plugin``.

Nothing heavy is imported here: import the modules you need, e.g.
``from landscape_lib.run import check_claims; ledger = check_claims(tier="quick", claims=["C4"])``.
"""

from . import numerics

numerics.pin()  # before torch loads: host-independent numbers (numerics.py, claims/RULES.md N1)

__version__ = "0.1.0"

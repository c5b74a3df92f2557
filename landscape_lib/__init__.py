"""landscape_lib: measurements of neural-network loss-landscape geometry (Fort & Jastrzebski 2019;
He, Huang & Yuan 2019), cut by what each part computes:

- ``geometry/``: the toy n-wedge model, paths between optima, probes, subspaces, intrinsic dimension,
  radial motion, and curvature (Hessian-vector products, Lanczos, short-direction counts, spectra);
- ``nets/``: datasets, models, flat parameters, training configurations and training;
- ``verdicts/``: the papers' claims (``claims``), their declared cases (``cases``), the pure decision
  (``decide``), baselines (``baselines``) and running a case (``run``);
- ``measure/``: the lab (optima, problems, the measurement cache), the measurement protocols the cases
  name, and the paper's toy and real-network experiments;
- ``report/``: the ledger, the one table renderer, Allure, the claims page, plots and the report command;
- ``cache``: the content-addressed disk cache shared by processes and xdist workers.

Nothing heavy is imported here: import the modules you need.
"""

__version__ = "0.1.0"

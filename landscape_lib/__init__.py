"""landscape_lib: measurements of neural-network loss-landscape geometry (Fort & Jastrzebski 2019;
He, Huang & Yuan 2019), cut by what each part computes:

- ``geometry/``: the toy n-wedge model, paths between optima, probes, subspaces, intrinsic dimension,
  radial motion, and curvature (Hessian-vector products, Lanczos, short-direction counts, spectra);
- ``nets/``: datasets, models, flat parameters, training configurations and training;
- ``measure/``: the paper's toy and real-network experiments, returning the numbers claims are decided on;
- ``report/``: the claims ledger, Allure metadata, the claims page, plots and the report command;
- ``cache`` (disk cache), ``registry`` (the claims, as data), ``verdict`` (deciding a claim).

Nothing heavy is imported here: import the modules you need.
"""

__version__ = "0.1.0"

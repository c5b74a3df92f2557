"""landscape_lib: measurements of neural-network loss-landscape geometry (Fort & Jastrzebski 2019;
He, Huang & Yuan 2019) — the toy n-wedge model, trained optima, curvature, connectors, probes, SWA."""

__version__ = "0.1.0"

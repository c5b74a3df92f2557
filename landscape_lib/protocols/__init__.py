"""Measurement protocols: how one independent sample of a declared case is measured, grouped by what they
measure. Each protocol is a plain function ``f(lab, label, sample, **params_and_definition) -> types.Sample``
that a case in ``verdicts.cases`` points at; nothing registers itself.

- ``lab``: the tier's configurations, trained optima, problems, tunnels, neighbours, count noise and the
  content-addressed measurement cache (``Lab.sample`` caches one sample of a protocol);
- ``endpoints``: toy optima, same-basin neighbours (toy and network), re-descent;
- ``toy_landscape``: the toy model itself: C1 (wedge distance), C2 (hyperplane dimension), C17 (frames);
- ``tunnels``: lines and tunnels between optima: C4, C5, C6, C7;
- ``m_connectors``: m-connectors: C9 (and the toy middles C10 counts at);
- ``short_direction_counts``: curvature counts: C3, C8, C10, C15;
- ``isotropy``: radial probes: C11; ``radial``: radial motion and orthogonal optima: C12, C13;
- ``width``: tunnel width against hyperparameters: C14; ``swa``: weight averaging across wedges: C16;
- ``asymmetry``: the Asymmetric Valleys claims A1-A6.

Figures are drawn by the report layer (``report.figures``) from a sample's ``arrays``.
"""

"""Measurements: the lab, the protocols the declared cases name, and the paper's experiments.

- ``lab``: tier configurations, trained optima, problems, tunnels, same-basin neighbours, count noise
  and the content-addressed measurement cache (plain Python; the pytest plugin wraps it);
- ``protocols``: how one sample of a case is measured and how the case is plotted;
- ``toy``: the §3.3 toy-model experiments; ``real``: the §4 experiments on trained networks.
"""

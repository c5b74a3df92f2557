"""The paper's experiments, each returning the numbers a claim is decided on (plus "_" plot arrays).

Modules (import them directly; this package imports nothing, so ``import landscape_lib`` stays cheap):

- ``toy``: the toy-model experiments of §3.3 on a ``WedgeLandscape`` (hyperplane threshold, tunnels,
  short-direction profiles, m-connectors, isotropy, rotation invariance).
- ``real``: the experiments on trained networks of §4.2-§4.4 (tunnels, label switching, short
  directions along a tunnel and at m-connectors, d90 vs the count, learning rate vs the count).
"""

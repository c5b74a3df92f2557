"""Real networks: data, models, flat parameters, training to a target loss.

Modules (import them directly; this package imports nothing, so ``import landscape_lib`` stays cheap):

- ``data``: datasets as in-memory tensors (digits, synthetic, torchvision on disk, user factories).
- ``models``: the measured networks (MLP, SimpleCNN of §4.1, SoftmaxRegression) and ``build_model``.
- ``params``: ``FlatModel``: a network's loss, logits and accuracy as pure functions of one flat theta.
- ``config``: ``TrainConfig`` (validated), ``config_hash``, ``Optimum``, the learning-rate schedule,
  ``TrainingDiverged``, ``TargetNotReached`` and ``require_reached`` (an optimum above its target is an error).
- ``training``: ``train`` (sequential reference) and ``train_many`` (K optima in one batched run).
- ``problem``: ``Problem``: a trained configuration's landscape as plain functions of theta.
"""

"""Real networks: data, models, flat parameters, training to a target loss.

Modules (import them directly; this package imports nothing, so ``import landscape_lib`` stays cheap):

- ``data``: datasets as in-memory tensors (digits, synthetic, torchvision on disk, user factories).
- ``models``: the measured networks (MLP, SimpleCNN of §4.1, SoftmaxRegression) and ``build_model``.
- ``params``: ``FlatModel``: a network's loss, logits and accuracy as pure functions of one flat theta.
- ``config``: ``TrainConfig`` (validated), ``config_hash``, ``Optimum``, the learning-rate schedule,
  ``TrainingDiverged``, ``TargetNotReached`` and ``require_reached`` (an optimum above its target is an error).
- ``training``: ``train`` (sequential reference) and ``train_many`` (K optima in one batched run).
- ``problem``: ``Problem``: a trained configuration's landscape as plain functions of theta.
- ``averaging``: cyclic-schedule snapshots, the weight average (``torch.optim.swa_utils``), the prediction
  average, barriers between snapshots, SGD-iterate averaging (C16, A2).
- ``batchnorm``: a batch-norm network's loss under each statistics definition: frozen, recomputed at every
  point (the AV authors' and Garipov et al.'s), interpolated (Li et al.), full-batch (A3, A6).
"""

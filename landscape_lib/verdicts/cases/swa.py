"""Cases of weight averaging across wedges: C16 on the tier's networks, with the same-basin control, the
SoftmaxRegression pipeline check and the positive control (the same protocol on a planted multi-wedge classifier)."""

from __future__ import annotations

from ...protocols import swa
from ...types import Role
from ..case import Case
from ..decide import MEAN95

C16_SEEDS = (0, 1, 2, 3)  # optimum 11 chooses the max-LR window and is no sample


def _declare() -> list[Case]:
    return [
        Case("C16", "cyclic-sgd", swa.net_swa_cyclic, on="net", samples=C16_SEEDS, role=Role.PRIMARY,
             statistic=MEAN95, controls=("control-same-basin",)),
        Case("C16", "control-same-basin", swa.net_swa_same_basin, on="net", samples=C16_SEEDS, role=Role.CONTROL,
             statistic=MEAN95,
             holds_if=("five same-basin neighbours of the optimum moved by 5% of its norm (and re-descended) had "
                       "landed in different wedges -- weight average worse than them, a barrier between them -- "
                       "while the 1% neighbours had not")),
        Case("C16", "pipeline-softmax", swa.net_swa_cyclic, on="softmax-digits", samples=C16_SEEDS, statistic=MEAN95),
        Case("C16", "positive-wedge-classifier", swa.toy_swa_cyclic, on="toy", samples=C16_SEEDS,
             role=Role.POSITIVE, statistic=MEAN95,
             planted=("a classifier on the toy n-wedge landscape (D = 10, n = 8, 10 classes; protocols.swa."
                      "WedgeClassifier) whose loss is 1e-3 on the wedges and chance at the init's distance from them, "
                      "so snapshots on different wedges have a wall between them at the toy's own size; the max-LR "
                      "window scanned as the primary's (no size of its own: the premise is left to the scan)")),
    ]


CASES: tuple[Case, ...] = tuple(_declare())

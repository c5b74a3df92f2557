"""What a case needs, counted before it runs, so that a tier can declare a compute budget and say which cases
it did not run, and why, instead of shrinking them silently.

The unit is one **image-gradient**: a forward and a backward pass of one training example through the
configuration's network (training throughput is measured in it: 5,400 images/s for the 28x28 SimpleCNN on the
project's 2-core reference CPU, batch 128). A forward pass alone counts ``FORWARD`` = 0.9 of one (measured: the
data-set loss over 6,000 images takes 1.0 s, where a training step's forward and backward process 5,400 images a
second: a full-batch forward is memory-bound, not a third of a training step as FLOPs would say); a
Hessian-vector product over an example ``HVP`` = 3 (forward-over-reverse); one short-direction count
``COUNT_HVPS`` = 160 products (measured on the Fashion-MNIST SimpleCNN: 11 for the top eigenvalue, 149 for
a count of 12 with k = 32 Lanczos vectors). With N training examples:

    optima      K x steps x batch                      (shared by every case of a configuration: not counted)
    tunnel      (k - 1) nodes x steps x N + 41 x N x FORWARD   (``PathConfig``: k = 10, 1,000 full-batch steps)
    count       COUNT_HVPS x HVP x (the declared Hessian batch, else N)
    probes      directions x distances x N x FORWARD
    training    runs x steps x batch

``need(case, lab, label)`` sums these per protocol and sample (an estimate, "≈": shared cache entries are
counted by every case that uses them). ``Need.seconds(throughput)`` converts at a measured throughput.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FORWARD = 0.9
HVP = 3.0
COUNT_HVPS = 160
LINE_POINTS = 41
REFERENCE_THROUGHPUT = 5400.0  # image-gradients per second: the SimpleCNN on 28x28 inputs, this 2-core CPU


@dataclass(frozen=True)
class Need:
    """An estimate of a case's work in image-gradients, and what it is made of, in words."""

    image_gradients: float
    what: str

    def seconds(self, throughput: float = REFERENCE_THROUGHPUT) -> float:
        return self.image_gradients / throughput

    def describe(self, throughput: float = REFERENCE_THROUGHPUT) -> str:
        s = self.seconds(throughput)
        t = f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.0f} min"
        return f"≈ {self.image_gradients:.2g} image-gradients ({self.what}; ≈ {t} at {throughput:,.0f}/s)"


def _tunnel(N: int) -> float:
    from .tunnels import PathConfig

    c = PathConfig()
    return (c.k - 1) * c.steps * N + LINE_POINTS * N * FORWARD


def _count(N: int) -> float:
    return COUNT_HVPS * HVP * N


def _training(cfg, runs: int, steps: int | None = None, batch: int | None = None) -> float:
    n = cfg.train_size or 0
    b = batch or cfg.batch_size or n
    return runs * (steps or cfg.max_steps) * b


def need(case, lab, label: str) -> Need | None:
    """The estimated work of ``case`` on network configuration ``label`` beyond its configuration's optima;
    None for a protocol without an estimate here (the toy, planted problems: seconds on any machine)."""
    from .width import C14_EPOCHS, C14_GRID, C14_N_DIRS

    if label == "toy":
        return None
    name = case.protocol.__name__
    kw = case.kwargs()
    cfg = lab.config(label)
    N = lab.problem(label).data.n_train
    s = len(case.samples)
    hb = min(lab.spec.hessian_batches.get(label) or N, N)
    tunnel, count = _tunnel(N), _count(hb)
    if name == "net_line":
        return Need(s * LINE_POINTS * N * FORWARD, f"{s} lines x {LINE_POINTS} losses over {N:,} images")
    if name in ("net_tunnel", "net_label_switch"):
        f = 1.5 if kw.get("refined") else 1.0
        return Need(s * f * tunnel, f"{s} tunnels x 9 nodes x 1,000 full-batch steps over {N:,} images")
    if name == "net_tunnel_counts":
        return Need(s * (tunnel + 5 * count) + 3 * count,
                    f"{s} tunnels + {5 * s + 3} short-direction counts x {COUNT_HVPS} HVPs over {hb:,} images")
    if name == "net_m_connector":
        m = int(kw.get("m", 1))
        steps = kw.get("steps")
        f = 0.0 if steps == 0 else 1.0
        return Need(s * (f * m * tunnel + LINE_POINTS * N * FORWARD),
                    f"{s} {m}-connectors x {m} x 9 nodes x 1,000 full-batch steps over {N:,} images")
    if name == "net_connector_counts":
        return Need(s * (10 * tunnel + 4 * count),
                    f"{s} x m = 1..4 connectors + {4 * s} short-direction counts over {N:,} images")
    if name == "net_lr_counts":
        return Need(_training(cfg, 8) + s * 2 * count + 3 * count,
                    f"8 more training runs + {2 * s + 3} short-direction counts x {COUNT_HVPS} HVPs over {hb:,} images")
    if name == "net_d90_vs_count":
        return Need(s * (8 * 500 * N + count), f"{s} x 8 subspace trainings x 500 full-batch steps + a count "
                                               f"over {N:,} images")
    if name == "net_isotropy":
        n_dirs = int(kw.get("n_dirs", 100))
        work = s * n_dirs * N * FORWARD
        what = f"{s} x {n_dirs} probes over {N:,} images"
        if kw.get("directions") == "hessian":
            work += s * 2 * n_dirs * HVP * hb
            what += f" + the top {n_dirs} Hessian eigenvectors"
        if kw.get("point") in ("checkpoint", "tiny"):
            work += _training(cfg, 5)
            what += " + 5 more training runs"
        return Need(work, what)
    if name in ("net_radial_motion", "net_optima_cosines", "net_one_run_cosine"):
        return Need(0.0, "the configuration's optima only")
    if name == "net_width_sweep":
        values = len(kw.get("values", ())) + len(kw.get("too_strong", ()))
        runs = values * s * 12
        epochs = C14_EPOCHS * N
        return Need(values * 12 * epochs + runs * C14_N_DIRS * len(C14_GRID) * N * FORWARD,
                    f"{values} settings x 12 runs x {C14_EPOCHS} epochs + {C14_N_DIRS} x {len(C14_GRID)} probes each "
                    f"over {N:,} images")
    if name.startswith("av_"):
        from .asymmetry import BATCH, GRID_LOW_DECADES, GRID_PER_DECADE, N_DIRS, PRETRAIN_STEPS, STATIONARY_PRETRAIN

        points = 2 * (GRID_LOW_DECADES * GRID_PER_DECADE + 1) + 1
        nets = 2 if name == "av_batchnorm" else 1
        pretrain = sum(STATIONARY_PRETRAIN) if kw.get("stationary") else PRETRAIN_STEPS
        per = nets * (pretrain * BATCH + N_DIRS * points * N * FORWARD * 2)
        return Need(s * per, f"{s} seeds x {nets} SGD run(s) of up to {pretrain:,} steps + {N_DIRS} directions x "
                             f"{points} points (batch-norm statistics recomputed) over {N:,} images")
    if name in ("net_swa_cyclic", "net_swa_same_basin"):
        from .swa import C16_CYCLE, C16_GRID, C16_REFINE

        phases = len(C16_GRID) + C16_REFINE + 2 * s
        steps = C16_CYCLE["cycle_steps"] * C16_CYCLE["n_cycles"]
        return Need(phases * steps * C16_CYCLE["batch_size"] + phases * 16 * N * FORWARD,
                    f"{phases} cyclic phases x {steps} steps + their evaluations over {N:,} images")
    return None


def over_budget(case, lab, label: str, budget: float | None) -> str:
    """"" when ``case`` fits ``budget`` (image-gradients; None: no budget) on ``label``, else the reason it is
    not run: "not run at this tier (needs ≈ N image-gradients (...); the tier's budget per case is B)"."""
    if budget is None or label == "toy":
        return ""
    n = need(case, lab, label)
    if n is None or n.image_gradients <= budget:
        return ""
    return (f"not run at this tier (needs {n.describe()}; the tier's budget per case on {label} is "
            f"{budget:.2g} ≈ {budget / REFERENCE_THROUGHPUT / 60:.0f} min)")


def fmt_budget(minutes: float) -> float:
    """A per-case budget of ``minutes`` at the reference throughput, in image-gradients."""
    return math.floor(minutes * 60 * REFERENCE_THROUGHPUT)

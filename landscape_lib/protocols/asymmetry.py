"""Asymmetric valleys (He, Huang & Yuan 2019, claims A1-A6): asymmetric directions at SGD solutions (A1), SWA's
higher training and lower test loss (A2), SWA on the flat side (A3), the one-neuron valley (A4), L2 (A5) and
batch norm (A6).

Protocols: ``av_prevalence`` (A1), ``av_swa_gaps`` (A2), ``av_flat_side`` (A3), ``av_neuron`` (A4), ``av_l2``
(A5), ``av_batchnorm`` (A6). Every number below is declared in claims/RULES.md (section A1-A6) before any case
was measured; the checks are in ``verdicts/claims.py``, the cases in ``verdicts/cases/asymmetry.py``.

Points. Every network is trained by plain minibatch SGD at a constant learning rate (the paper is about
SGD's noise): batch 64, lr 0.1, momentum 0, 3,000 updates from the seed's initialization (``Lab.optima``,
one batched run per configuration), then 1,000 more updates at the same learning rate whose iterates are
averaged (``averaging.sgd_average``: ``swa_utils.AveragedModel``, every update; batch-norm statistics of
the average by ``update_bn`` on the training inputs). The *SGD solution* is the final iterate, the *SWA
solution* the average. Models: "mlp" (the tier's 64-32-10 tanh MLP on digits), "mlp-bn" (the same with
BatchNorm1d after the hidden linear layer), "cnn" / "cnn-bn" (the full tier's §4 SimpleCNN on Fashion-MNIST, without /
with batch norm after each convolution, as He et al. measured CNNs with batch norm), "net" / "net-bn" (the case's own
configuration -- a user's ``--model`` on its data set -- and its batch-norm twin: the built-in MLP or SimpleCNN with
batch norm, or the user's ``--bn-model`` factory; ``on_configuration`` binds them to the configuration as "net@<label>"),
"softmax" (SoftmaxRegression on digits), "quadratic" (the
linear model with the squared error 1/(2N) sum_i |W x_i + b - e_{y_i}|^2: an exact quadratic of
theta, trained by the same SGD, lr capped at 1 / lambda_max of its Hessian), "neuron" (one sigmoid
neuron, weight and bias, on ``gaussians``: logits (0, w x + b), so the cross-entropy is the binary
logistic loss), "planted-valley" (the positive controls' planted asymmetric valley, ``PlantedValley``: the
least-squares model on gaussians plus an exponential wall along one axis, its own float64 SGD) and
"planted-no-wall" (the same model without the wall).

The asymmetry rule (the paper's definition, ``geometry.asymmetry``; its numbers follow a recipe declared
once for every model). At a point w and N unit directions u_i, profiles L(w + l u_i) on the grid
l in {0, +-|w| 10^(-2 + k/10), k = 0..20} (geometric, 0.01 |w| .. |w|), all points in one batched call.
The wall height Delta = 0.1 x the chance-level loss (the loss of predicting the class frequencies: ln C
for the cross-entropy, (1 - 1/C)/2 for the squared error). p = the first grid distance at which the mean
over directions of the symmetric rise (L(w + l u) + L(w - l u))/2 - L(w) reaches Delta; r = the grid
point three steps below (p / 10^0.3, i.e. p/2); c = Delta / 10. A direction is asymmetric when
L(w + l u) - L(w - l u) >= c (or <= -c) at every grid l in [r, p]. If the mean rise never reaches Delta
on the grid, or reaches it below 0.02 |w| (no room for r), the sample is not measurable.

Batch norm (``nets.batchnorm``), definition ``bn``: "recomputed" (primary: statistics re-estimated on
the training inputs at every evaluated point, the authors' code), "frozen" (the statistics of a
reference point: the probed point w for profiles, the SGD solution on the SGD -> SWA line and for the
SWA / SGD / re-SGD losses), "interpolated" (statistics linear between those of the two ends of a line:
SGD and SWA on the line; for a profile, w and the end of each half-line w +- |w| u), "batch" (the
evaluated batch's own statistics: training inputs for the training loss, test inputs for the test
loss). Without batch norm the four coincide.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
import torch.nn.functional as F

from ..geometry.asymmetry import AsymmetryRule, asymmetry, extended_line, valley_position
from ..geometry.probes import loss_along, random_directions
from ..nets.batchnorm import DEFINITIONS as BN_DEFINITIONS
from ..stats import clopper_pearson
from ..types import Sample

# -- declared settings (claims/RULES.md, A1-A6) ------------------------------------------------------
LR = 0.1
BATCH = 64
PRETRAIN_STEPS = 3000
AVERAGE_STEPS = 1000
RESGD_LR = 0.01  # SGD again from the SWA point: lr / 10 ...
RESGD_STEPS = 500  # ... for 500 updates
L2 = 5e-4
L2_STRONG = 5e-2
N_DIRS = 50
N_NEURON_DIRS = 64  # evenly spaced on the half circle (each line covers u and -u)
GRID_LOW_DECADES = 2
GRID_PER_DECADE = 10
WALL_FRACTION = 0.1  # Delta = 0.1 x chance-level loss
MARGIN_FRACTION = 0.1  # c = Delta / 10
R_STEPS = 3  # r = p / 10^(3/10)
FLAT_WINDOW = 64
SEEDS_PER_MODEL = {"mlp": 10, "cnn": 10, "net": 10}  # seeds 5..9: the A6 twin control
DEFAULT_SEEDS = 5
DIRECTION_SEED = 7_000_000  # + seed: directions never share the initialization's stream (RULES.md T12)
LINE_SEED = 9_000_000
MODELS = ("mlp", "mlp-bn", "cnn", "cnn-bn", "net", "net-bn", "softmax", "quadratic", "neuron", "planted-valley",
          "planted-no-wall")
CONFIGURATION_MODELS = ("net", "net-bn")  # bound to the case's configuration: "net@<label>", "net-bn@<label>"
CNN_LABEL = "cnn-fashion"  # "cnn" / "cnn-bn": the §4 SimpleCNN of this configuration, without / with batch norm
EXACT = ("quadratic", "planted-valley", "planted-no-wall")  # float64 closed-form models with their own SGD
NEURON_MODEL = "one_neuron"

RULE_REASON = ("Delta = 0.1 x chance-level loss: p is where random directions have, on average, climbed a tenth "
               "of the way to chance (the valley's walls, at the same depth for every model); r = p/2: the upper "
               "half of the walls; c = Delta/10: one side at least a tenth of the wall above the other over all of "
               "[r, p] (claims/RULES.md A1-A6)")


# -- configurations and SGD runs ---------------------------------------------------------------------
def _check_model(model):
    if model in CONFIGURATION_MODELS:
        raise ValueError(f"model {model!r} names the case's configuration: bind it first, "
                         f"on_configuration({model!r}, label) -> '{model}@<label>'")
    if model not in MODELS and _bound(model) is None:
        raise ValueError(f"model must be one of {MODELS} (\"net\" / \"net-bn\" bound to a configuration as "
                         f"\"net@<label>\"), got {model!r}")


def _bound(model) -> tuple[str, str] | None:
    """("net" or "net-bn", configuration label) for a bound configuration model, else None."""
    if not isinstance(model, str) or "@" not in model:
        return None
    family, label = model.split("@", 1)
    return (family, label) if family in CONFIGURATION_MODELS and label else None


def on_configuration(model, label: str):
    """``model`` as measured on configuration ``label``: "net" / "net-bn" become "net@<label>" / "net-bn@<label>"
    (the configuration's own network, without / with batch norm); every other model is its own."""
    if isinstance(model, str) and model in CONFIGURATION_MODELS:
        return f"{model}@{label}"
    return model


def bn_twin(lab, label: str):
    """The batch-norm twin of configuration ``label`` (its TrainConfig), or None when it has none: the built-in
    MLP / SimpleCNN with batch norm, or the user's factory given as the tier's ``bn_models[label]``."""
    cfg = lab.config(label)
    user = getattr(lab.spec, "bn_models", {}).get(label)
    if user:
        return dataclasses.replace(cfg, model=user)
    if cfg.model in ("mlp", "simple_cnn"):
        return dataclasses.replace(cfg, batch_norm=True)
    return None


NO_TWIN = "not run: no batch-norm twin"


def missing_twin(lab, label: str, params: dict) -> str:
    """Why a case with ``params`` cannot run on ``label`` ("" when it can): "net-bn" needs a batch-norm twin."""
    models = params.get("models", (params.get("model"),))
    if "net-bn" in models and label != "toy" and bn_twin(lab, label) is None:
        return (f"{NO_TWIN} ({label}): A6 compares the model with and without batch norm; give the factory of "
                f"the same model with batch norm as --bn-model package.module:factory")
    return ""


def _check_bn(bn):
    if bn not in BN_DEFINITIONS:
        raise ValueError(f"bn must be one of {BN_DEFINITIONS}, got {bn!r}")


def sgd_config(lab, model: str, l2: float = 0.0, data_seed: int = 0):
    """The TrainConfig of the pre-training phase of ``model`` (constant-lr minibatch SGD, fixed budget)."""
    from ..nets.config import TrainConfig

    _check_model(model)
    bound = _bound(model)
    if bound is not None:
        family, label = bound
        base = lab.config(label) if family == "net" else bn_twin(lab, label)
        if base is None:
            raise ValueError(missing_twin(lab, label, {"model": family}))
    elif model in ("cnn", "cnn-bn"):
        base = lab.config(CNN_LABEL)
    elif model in ("mlp", "mlp-bn", "quadratic"):
        base = lab.config("mlp-digits") if model != "quadratic" else lab.config("softmax-digits")
    elif model == "softmax":
        base = lab.config("softmax-digits")
    else:
        base = TrainConfig(model=NEURON_MODEL, dataset="gaussians", data_seed=data_seed,
                           device=next(iter(lab.spec.configs.values())).device)
    return dataclasses.replace(base, optimizer="sgd", momentum=0.0, lr=LR, batch_size=BATCH, schedule="constant",
                               max_steps=PRETRAIN_STEPS, target_loss=None, log_every=PRETRAIN_STEPS, l2=l2,
                               batch_norm=model in ("mlp-bn", "cnn-bn") or base.batch_norm and bound is not None)


def _avg_cfg(seed, l2, lr=LR, steps=AVERAGE_STEPS):
    from ..nets.averaging import SGDAverageConfig

    return SGDAverageConfig(lr=lr, steps=steps, average_last=1.0, every=1, optimizer="sgd", momentum=0.0,
                            batch_size=BATCH, l2=l2, seed=seed)


def _n_seeds(model, l2=0.0):
    family = _bound(model)[0] if _bound(model) else model
    return SEEDS_PER_MODEL.get(family, DEFAULT_SEEDS) if l2 == 0 else DEFAULT_SEEDS


WINDOW_POINTS = 11  # the averaging window's full-batch training loss at 11 evenly spaced iterates
STATIONARY_PRETRAIN = (PRETRAIN_STEPS, 2 * PRETRAIN_STEPS, 4 * PRETRAIN_STEPS, 8 * PRETRAIN_STEPS)  # the cap


def window_trend(losses) -> dict:
    """The training loss's trend over the averaging window from its values at WINDOW_POINTS evenly spaced iterates:
    the least-squares line's drop over the window (``window_descent`` > 0: still descending), its standard error
    from the residuals, and ``window_descent_beyond_noise`` = descent - 2 se (<= 0: stationary within noise)."""
    y = torch.as_tensor(losses, dtype=torch.float64).cpu()
    x = torch.linspace(0.0, 1.0, len(y), dtype=torch.float64)
    xc, yc = x - x.mean(), y - y.mean()
    b = float((xc * yc).sum() / xc.square().sum())
    resid = yc - b * xc
    se = float((resid.square().sum() / (len(y) - 2) / xc.square().sum()).sqrt())
    return {"window_descent": -b, "window_descent_se": se, "window_descent_beyond_noise": -b - 2 * se,
            "window_start_loss": float(y[0]), "window_end_loss": float(y[-1])}


def sgd_run(lab, model: str, seed: int, l2: float = 0.0, data_seed: int = 0, stationary: bool = False) -> dict:
    """The SGD solution (final iterate) and SWA solution (average of the next 1,000 iterates) of ``model`` at
    ``seed``, cached: {"start", "sgd", "swa", "n_averaged", "lr", "pretrain", and ``window_trend``'s numbers}.

    ``stationary``: A2 / A3 compare SWA with the SGD solution "at the SGD solution", which presumes SGD has stopped
    descending: the pre-training is lengthened along STATIONARY_PRETRAIN (the declared cap) until the averaging
    window's loss is stationary within noise (``window_descent_beyond_noise`` <= 0); at the cap the last run is
    returned and the premise check reports it unmet. The quadratic has its own SGD."""
    lengths = STATIONARY_PRETRAIN if stationary else (PRETRAIN_STEPS,)
    for pretrain in lengths:
        run = _sgd_run_at(lab, model, seed, l2, data_seed, pretrain)
        if run["window_descent_beyond_noise"] <= 0:
            break
    return {**run, "pretrain_tried": list(lengths[:lengths.index(run["pretrain"]) + 1])}


def _sgd_run_at(lab, model: str, seed: int, l2: float, data_seed: int, pretrain: int) -> dict:
    from ..nets.config import config_hash

    if model == "quadratic":
        return lab.cached("av_quadratic", ("run", seed, LR, BATCH, pretrain, AVERAGE_STEPS, WINDOW_POINTS),
                          lambda: _quadratic_run(lab, seed, pretrain), f"least-squares SGD run, seed {seed}")
    if model in PLANTED_MODELS:
        return lab.cached("av_planted", (model, "run", seed, l2, LR, BATCH, pretrain, AVERAGE_STEPS, WINDOW_POINTS,
                                         PLANTED_DATA_SEED), lambda: _planted_run(lab, model, seed, pretrain, l2),
                          f"planted-valley SGD run ({model}, l2 {l2}), seed {seed}")
    cfg = dataclasses.replace(sgd_config(lab, model, l2, data_seed), max_steps=pretrain, log_every=pretrain)
    k = 1 if model == "neuron" else _n_seeds(model, l2)
    if not 0 <= seed < k:
        raise ValueError(f"seed must be in 0..{k - 1} for model {model!r}, got {seed!r}")
    opt = lab.optima(cfg, k=k)[seed]

    def build():
        from ..nets.averaging import sgd_average

        prob = lab.problem(cfg)
        res = sgd_average(prob.flat, prob.theta(opt.theta), prob.data.X_train, prob.data.y_train, _avg_cfg(seed, l2),
                          keep_iterates=True)
        step = AVERAGE_STEPS // (WINDOW_POINTS - 1)
        idx = [min(i * step, AVERAGE_STEPS) - 1 if i else 0 for i in range(WINDOW_POINTS)]
        with torch.no_grad():
            window = prob.train_losses(res.iterates[idx])
        return {"start": opt.theta.detach().cpu(), "sgd": res.final.detach().cpu(),
                "swa": res.average.theta.detach().cpu(), "n_averaged": res.n_averaged, "lr": LR, "pretrain": pretrain,
                **window_trend(window)}

    return lab.cached("av_sgd", (config_hash(cfg), k, seed, _avg_cfg(seed, l2), WINDOW_POINTS), build,
                      f"SGD + averaging of {model} (l2 {l2}) seed {seed}")


def resgd(lab, model: str, seed: int, theta: torch.Tensor, l2: float = 0.0, pretrain: int = PRETRAIN_STEPS
          ) -> torch.Tensor:
    """SGD again from ``theta`` (the SWA solution of the run pre-trained ``pretrain`` steps) at lr 0.01 for 500
    updates: the final iterate, cached."""
    from ..nets.config import config_hash

    if model == "quadratic":
        q = _quadratic(lab)
        return lab.cached("av_quadratic", ("resgd", seed, RESGD_LR, RESGD_STEPS, pretrain, AVERAGE_STEPS),
                          lambda: q.sgd(theta.double(), RESGD_LR * (q.lr / LR), RESGD_STEPS, seed + 500)[0],
                          f"least-squares re-SGD seed {seed}")
    if model in PLANTED_MODELS:
        q = _planted(lab, model)
        return lab.cached("av_planted", (model, "resgd", seed, l2, RESGD_LR, RESGD_STEPS, pretrain, AVERAGE_STEPS,
                                         PLANTED_DATA_SEED),
                          lambda: q.sgd(theta.double(), RESGD_LR * (q.lr / LR), RESGD_STEPS, seed + 500, l2=l2)[0],
                          f"planted-valley re-SGD ({model}) seed {seed}")
    cfg = sgd_config(lab, model, l2)

    def build():
        from ..nets.averaging import sgd_average

        prob = lab.problem(cfg)
        res = sgd_average(prob.flat, prob.theta(theta), prob.data.X_train, prob.data.y_train,
                          _avg_cfg(seed + 500, l2, RESGD_LR, RESGD_STEPS))
        return res.final.detach().cpu()

    return lab.cached("av_resgd", (config_hash(cfg), seed, _avg_cfg(seed + 500, l2, RESGD_LR, RESGD_STEPS), pretrain),
                      build, f"re-SGD from SWA of {model} seed {seed}")


# -- the quadratic control ---------------------------------------------------------------------------
class LeastSquares:
    """L(theta) = 1/(2N) sum_i |W x_i + b - e_{y_i}|^2 with theta = (W (C x d) row-major, b): a quadratic.

    ``losses`` is batched (K, D) -> (K,); ``sgd`` runs minibatch SGD at a constant lr (epoch-wise random
    order from ``seed``) and returns the final iterate and the average of the last ``average`` iterates.
    The learning rate is LR capped at 1 / lambda_max of the Hessian (plain SGD stable on every direction).
    Its SGD is its own (closed-form float64 gradients of the exact quadratic), not ``nets.training``'s: the
    control must be an exact quadratic in float64, which the network code's float32 autograd is not.
    """

    def __init__(self, X, y, Xte, yte, C):
        self.C = int(C)
        self.X, self.Xte = X.flatten(1).double(), Xte.flatten(1).double()
        self.Y, self.Yte = F.one_hot(y, C).double(), F.one_hot(yte, C).double()
        self.d = self.X.shape[1]
        self.D = self.C * self.d + self.C
        Xa = torch.cat([self.X, torch.ones(len(self.X), 1, dtype=torch.float64)], 1)
        lam = float(torch.linalg.eigvalsh(Xa.T @ Xa / len(Xa)).max())
        self.lam_max = lam
        self.lr = min(LR, 1.0 / lam)
        self.chance = 0.5 * (1 - 1 / self.C)

    def split(self, thetas):
        T = thetas.double().reshape(-1, self.D)
        return T[:, :self.C * self.d].reshape(-1, self.C, self.d), T[:, self.C * self.d:]

    def _losses(self, thetas, X, Y):
        W, b = self.split(thetas)
        R = torch.einsum("kcd,nd->knc", W, X) + b[:, None, :] - Y[None]
        return 0.5 * R.pow(2).sum(-1).mean(-1)

    def losses(self, thetas):
        return self._losses(thetas, self.X, self.Y)

    def test_losses(self, thetas):
        return self._losses(thetas, self.Xte, self.Yte)

    def extra_grad(self, theta):
        """The gradient of any term added to the least-squares loss (none here; ``PlantedValley``'s wall)."""
        return None

    def sgd(self, theta0, lr, steps, seed, average: int = 0, keep=None, keep_every: int = 100, l2: float = 0.0):
        g = torch.Generator().manual_seed(0xA5E0000 + seed)
        th = theta0.double().clone()
        n, pos, perm = len(self.X), len(self.X), None
        acc, cnt = torch.zeros_like(th), 0
        for t in range(steps):
            if pos + BATCH > n:
                perm, pos = torch.randperm(n, generator=g), 0
            idx = perm[pos:pos + BATCH]
            pos += BATCH
            W, b = self.split(th)
            R = self.X[idx] @ W[0].T + b[0] - self.Y[idx]  # (B, C)
            gW, gb = R.T @ self.X[idx] / len(idx), R.mean(0)
            step = torch.cat([gW.reshape(-1), gb])
            extra = self.extra_grad(th)
            if extra is not None:
                step = step + extra
            if l2:
                step = step + l2 * th
            th = th - lr * step
            if t >= steps - average:
                acc, cnt = acc + th, cnt + 1
                if keep is not None and ((t - (steps - average)) % keep_every == 0 or t == steps - 1):
                    keep.append(th.clone())
        return th, (acc / cnt if cnt else None)


# -- the planted asymmetric valley (positive controls) -----------------------------------------------
PLANTED_MODELS = ("planted-valley", "planted-no-wall")
PLANTED_DATA_SEED = 0  # the gaussians draw the planted valley is built on
PLANT_DIRS = 20_000  # directions of ``planted_fraction`` (its mean rise: the sphere's average within 1%)
PLANT_DIRECTION_SEED = 8_000_000
EXP_CAP = 700.0  # exp(700) ~ 1e304: the wall stays finite in float64 far up its sharp side


def linex(t: torch.Tensor) -> torch.Tensor:
    """phi(t) = e^t - 1 - t: phi(0) = phi'(0) = 0, phi''(0) = 1; exponential for t > 0, linear for t < 0."""
    return torch.exp(t.clamp(max=EXP_CAP)) - 1 - t


def linex_wall(a: float, sigma: float, v: torch.Tensor, center: torch.Tensor, shift: float = 0.0):
    """W(theta) = a sigma^2 phi((v.(theta - center) - shift) / sigma), batched (K, D) -> (K,): an asymmetric valley
    along the unit axis v (curvature a at its bottom, the +v side exponential over the length sigma, the -v side
    linear with slope a sigma), flat along every other direction."""
    v, center = v.double(), center.double()

    def fn(T):
        s = (T.double().reshape(-1, len(v)) - center) @ v - shift
        return a * sigma ** 2 * linex(s / sigma)
    return fn


def noise_axis(per_example_grads: torch.Tensor) -> torch.Tensor:
    """The unit top eigenvector of the per-example gradients' second moment G^T G / N (the direction of SGD's
    largest gradient noise at a minimum, where the mean gradient is 0), its largest component made positive."""
    G = per_example_grads.double()
    _, vecs = torch.linalg.eigh(G.T @ G / len(G))
    v = vecs[:, -1]
    return v * torch.sign(v[v.abs().argmax()])


def planted_fraction(base, center, v, a, sigma, chance, n=PLANT_DIRS, seed=PLANT_DIRECTION_SEED) -> float:
    """The share of n uniformly random unit directions at ``center`` that the declared rule (``profile_stats``,
    grid at |center|) calls asymmetric on base + ``linex_wall(a, sigma, v, center)`` (0 when not measurable)."""
    from ..geometry.probes import random_unit_directions

    wall = linex_wall(a, sigma, v, center)
    center = center.double()
    U = random_unit_directions(n, len(center), seed)
    norm = float(center.norm())
    ls = profile_grid(norm)
    L = loss_along(lambda T: base(T) + wall(T), center, U, ls, chunk=n * len(ls))
    s = profile_stats(ls, L, chance, norm)
    return 0.0 if s.not_measurable else s.metrics["asym_fraction"]


def sgd_spread(H: torch.Tensor, per_example_grads: torch.Tensor, lr: float, batch: int, v: torch.Tensor) -> float:
    """The standard deviation along v of constant-lr minibatch SGD's stationary iterates on the quadratic with
    Hessian H, gradient noise from the per-example gradients G at its minimum: the covariance S solves the discrete
    Lyapunov equation S = (I - lr H) S (I - lr H) + lr^2 Sigma_B, Sigma_B = G^T G / N (N - B) / ((N - 1) B) (a
    minibatch of B drawn without replacement); returns sqrt(v^T S v)."""
    from scipy.linalg import solve_discrete_lyapunov

    G = per_example_grads.double()
    N = len(G)
    Sigma = (G.T @ G / N) * (N - batch) / ((N - 1) * batch)
    A = torch.eye(len(H), dtype=torch.float64) - lr * H.double()
    S = torch.as_tensor(solve_discrete_lyapunov(A.numpy(), (lr ** 2 * Sigma).numpy()))
    return float(v.double() @ S @ v.double()) ** 0.5


class PlantedValley(LeastSquares):
    """The least-squares linear model plus a planted asymmetric valley: L(theta) = LS(theta) + W(theta), W the
    ``linex_wall`` along v through the least-squares minimizer theta*, so theta* stays the bottom.

    - v: the direction of SGD's largest gradient noise at theta* (``noise_axis``), where averaging can be biased;
    - a = v^T H v: the wall doubles the least-squares curvature along v at the bottom;
    - sigma = ``sgd_spread`` along v of the declared SGD (lr, BATCH) on the least-squares model without the wall:
      the sharp side turns exponential one standard deviation of SGD's own spread from the bottom, the gentlest
      wall that SGD's iterates reach (the paper's mechanism: SGD lingers on the flat side). ``wall=False``: the
      plain least-squares model;
    - ``fraction``: the share of uniformly random directions at theta* the declared rule calls asymmetric
      (``planted_fraction``): the planted size of A1's metric;
    - the test loss: the least-squares test loss plus the wall shifted by +-delta along v, averaged,
      (W(theta - delta v) + W(theta + delta v)) / 2, delta = |v.(theta*_test - theta*)| (the data's own shift of
      the minimizer along v): the paper's test loss as the training loss shifted at random (a zero-mean shift);
    - lr: LR capped at 1 / lambda_max of the Hessian at theta* (H + a v v^T), as ``LeastSquares``.
    ``losses`` / ``test_losses`` are the data's; ``surface`` is the same training loss from the exact quadratic
    form LS(theta*) + 1/2 d^T H d."""

    def __init__(self, X, y, Xte, yte, C, wall: bool = True):
        from torch.func import hessian

        super().__init__(X, y, Xte, yte, C)
        self.theta_star = self.minimizer(self.X, self.Y)
        self.theta_star_test = self.minimizer(self.Xte, self.Yte)
        self.H = hessian(lambda t: LeastSquares.losses(self, t[None])[0])(self.theta_star)
        self.L0 = float(LeastSquares.losses(self, self.theta_star[None])[0])
        G = self.per_example_grads(self.theta_star)
        self.v = noise_axis(G)
        self.a = float(self.v @ self.H @ self.v)
        self.delta = float(((self.theta_star_test - self.theta_star) @ self.v).abs())
        self.sigma = sgd_spread(self.H, G, self.lr, BATCH, self.v) if wall else None
        self.fraction = 0.0
        if wall:
            lam = float(torch.linalg.eigvalsh(self.H + self.a * torch.outer(self.v, self.v)).max())
            self.lr = min(LR, 1.0 / lam)
            self.fraction = planted_fraction(self.quadratic_form, self.theta_star, self.v, self.a, self.sigma,
                                             self.chance)

    def minimizer(self, X, Y) -> torch.Tensor:
        """The minimum-norm least-squares solution theta = (W row-major, b) on (X, Y)."""
        Xa = torch.cat([X, torch.ones(len(X), 1, dtype=torch.float64)], 1)
        Wa = torch.linalg.pinv(Xa) @ Y
        return torch.cat([Wa[:self.d].T.reshape(-1), Wa[self.d]])

    def per_example_grads(self, theta) -> torch.Tensor:
        """(N, D): the least-squares gradient of each training example at theta."""
        W, b = self.split(theta)
        R = self.X @ W[0].T + b[0] - self.Y
        return torch.cat([(R[:, :, None] * self.X[:, None, :]).reshape(len(R), -1), R], 1)

    def quadratic_form(self, thetas):
        d = thetas.double().reshape(-1, self.D) - self.theta_star
        return self.L0 + 0.5 * torch.einsum("ki,ij,kj->k", d, self.H, d)

    def wall(self, thetas, shift: float = 0.0):
        if self.sigma is None:
            return torch.zeros(thetas.reshape(-1, self.D).shape[0], dtype=torch.float64)
        return linex_wall(self.a, self.sigma, self.v, self.theta_star, shift)(thetas)

    def surface(self, thetas):
        return self.quadratic_form(thetas) + self.wall(thetas)

    def losses(self, thetas):
        return super().losses(thetas) + self.wall(thetas)

    def test_losses(self, thetas):
        shifted = (self.wall(thetas, self.delta) + self.wall(thetas, -self.delta)) / 2
        return super().test_losses(thetas) + shifted

    def extra_grad(self, theta):
        if self.sigma is None:
            return None
        s = float((theta.double() - self.theta_star) @ self.v) / self.sigma
        return self.a * self.sigma * math.expm1(min(s, EXP_CAP)) * self.v


def _planted(lab, model) -> PlantedValley:
    """The planted valley ("planted-valley") or the same least-squares model without its wall ("planted-no-wall"),
    on the gaussians draw PLANTED_DATA_SEED (memoized)."""
    key = ("av_planted_problem", model)
    if key not in lab._memo:
        ds = _problem(lab, "neuron", data_seed=PLANTED_DATA_SEED).data
        lab._memo[key] = PlantedValley(ds.X_train, ds.y_train, ds.X_test, ds.y_test, ds.num_classes,
                                       wall=model == "planted-valley")
    return lab._memo[key]


def _planted_run(lab, model, seed, pretrain: int = PRETRAIN_STEPS, l2: float = 0.0):
    """``_quadratic_run`` on the planted model: SoftmaxRegression's initialization at ``seed``, ``pretrain``
    updates of the model's SGD (with the L2 term l2/2 |theta|^2 in its objective), then AVERAGE_STEPS more whose
    iterates are averaged."""
    from ..nets.models import build_model
    from ..nets.params import FlatModel

    q = _planted(lab, model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        theta0 = FlatModel(build_model("softmax", (q.d,), q.C)).theta0().double()
    start, _ = q.sgd(theta0, q.lr, pretrain, seed, l2=l2)
    kept: list = []
    final, avg = q.sgd(start, q.lr, AVERAGE_STEPS, seed + 1_000, average=AVERAGE_STEPS, keep=kept,
                       keep_every=AVERAGE_STEPS // (WINDOW_POINTS - 1), l2=l2)
    window = q.losses(torch.stack(kept))
    return {"start": start, "sgd": final, "swa": avg, "n_averaged": AVERAGE_STEPS, "lr": q.lr, "pretrain": pretrain,
            **window_trend(window)}


def _exact(lab, model) -> LeastSquares:
    """The float64 closed-form model called ``model`` (one of EXACT)."""
    return _quadratic(lab) if model == "quadratic" else _planted(lab, model)


def _quadratic(lab) -> LeastSquares:
    key = ("av_quadratic_problem",)
    if key not in lab._memo:
        ds = lab.problem("softmax-digits").data
        lab._memo[key] = LeastSquares(ds.X_train, ds.y_train, ds.X_test, ds.y_test, ds.num_classes)
    return lab._memo[key]


def _quadratic_run(lab, seed, pretrain: int = PRETRAIN_STEPS):
    from ..nets.models import build_model
    from ..nets.params import FlatModel

    q = _quadratic(lab)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        theta0 = FlatModel(build_model("softmax", (q.d,), q.C)).theta0().double()  # SoftmaxRegression's init
    start, _ = q.sgd(theta0, q.lr, pretrain, seed)
    kept: list = []
    final, avg = q.sgd(start, q.lr, AVERAGE_STEPS, seed + 1_000, average=AVERAGE_STEPS, keep=kept,
                       keep_every=AVERAGE_STEPS // (WINDOW_POINTS - 1))
    window = q.losses(torch.stack(kept))
    return {"start": start, "sgd": final, "swa": avg, "n_averaged": AVERAGE_STEPS, "lr": q.lr, "pretrain": pretrain,
            **window_trend(window)}


# -- loss functions under a batch-norm definition ------------------------------------------------------
def _problem(lab, model, l2=0.0, data_seed=0):
    return lab.problem(sgd_config(lab, model, l2, data_seed))


def _classes(lab, model) -> int:
    return 10 if model == "quadratic" else _problem(lab, model).data.num_classes


def chance_loss(model, C) -> float:
    """The loss of predicting the class frequencies (balanced classes): ln C, or (1 - 1/C)/2 (squared error)."""
    return 0.5 * (1 - 1 / C) if model in EXACT else math.log(C)


def loss_fns(lab, model, bn, ref=None, line=None, l2=0.0, data_seed=0) -> dict:
    """{"train": batched loss, "test": batched loss} (K, D) -> (K,) of ``model`` under BN definition ``bn``:
    ``ref`` the frozen point, ``line`` = (A, B) for "interpolated" (ignored without batch norm)."""
    from ..nets.batchnorm import bn_loss_fn

    _check_bn(bn)
    if model in EXACT:
        q = _exact(lab, model)
        return {"train": q.losses, "test": q.test_losses}
    prob = _problem(lab, model, l2, data_seed)
    if not prob.flat.has_batch_norm:
        return {"train": prob.train_losses, "test": prob.test_losses}
    d = prob.data
    flat, Xtr = prob.flat, d.X_train
    if bn == "recomputed":
        kw = {"stats_X": Xtr}
    elif bn == "frozen":
        if ref is None:
            raise ValueError("bn='frozen' needs ref (the point whose statistics are frozen)")
        kw = {"buffers": flat.bn_stats(prob.theta(ref), Xtr)}
    elif bn == "interpolated":
        if line is None:
            raise ValueError("bn='interpolated' needs line = (A, B)")
        A, B = (prob.theta(p) for p in line)
        kw = {"line": (A, B), "line_buffers": (flat.bn_stats(A, Xtr), flat.bn_stats(B, Xtr))}
    else:
        kw = {}
    return {"train": bn_loss_fn(flat, Xtr, d.y_train, bn, **kw),
            "test": bn_loss_fn(flat, d.X_test, d.y_test, bn, **kw)}


# -- profiles and the rule -----------------------------------------------------------------------------
def profile_grid(scale: float) -> torch.Tensor:
    """{0, +-scale 10^(-2 + k/10), k = 0..20}: 43 distances, geometric on each side."""
    k = torch.arange(GRID_LOW_DECADES * GRID_PER_DECADE + 1, dtype=torch.float64)
    pos = scale * 10.0 ** (-GRID_LOW_DECADES + k / GRID_PER_DECADE)
    return torch.cat([-pos.flip(0), torch.zeros(1, dtype=torch.float64), pos])


def declared_rule(ls: torch.Tensor, losses: torch.Tensor, chance: float, wall_fraction: float = WALL_FRACTION,
                  r_steps: int = R_STEPS):
    """The declared AsymmetryRule at a point from its profiles (module docstring), or (None, why not):
    Delta = ``wall_fraction`` x chance, r = ``r_steps`` grid steps below p (the constants the paper leaves open,
    swept by the cases over their declared ranges).

    Returns (rule, delta, mean_rise_on_positive_grid, why not)."""
    ls = torch.as_tensor(ls, dtype=torch.float64)
    L = torch.as_tensor(losses, dtype=torch.float64)
    i0 = len(ls) // 2
    if float(ls[i0]) != 0.0 or not torch.allclose(ls[i0 + 1:], -ls[:i0].flip(0)):
        raise ValueError("ls must be symmetric about 0 with 0 in the middle (profile_grid)")
    rise = ((L[:, i0 + 1:] + L[:, :i0].flip(1)) / 2 - L[:, i0:i0 + 1]).mean(0)
    delta = wall_fraction * chance
    hits = (rise >= delta).nonzero().view(-1)
    if not len(hits):
        return None, delta, rise, (f"the mean rise never reached Delta = {delta:.3g} on the grid "
                                   f"(at most {float(rise.max()):.3g} at |l| <= {float(ls[-1]):.3g})")
    k = int(hits[0])
    if k < r_steps:
        return None, delta, rise, (f"the mean rise reached Delta = {delta:.3g} already at l = "
                                   f"{float(ls[i0 + 1 + k]):.3g}: no room for r on the grid")
    pos = ls[i0 + 1:]
    rule = AsymmetryRule(c=MARGIN_FRACTION * delta, r=float(pos[k - r_steps]), p=float(pos[k]), reason=RULE_REASON)
    return rule, delta, rise, ""


FIRST_ORDER = ("removed", "kept")


def without_first_order(ls, L) -> tuple[torch.Tensor, torch.Tensor]:
    """Profiles with their first-order term removed: L(w + l u) - l s_u, s_u = (L(w + l0 u) - L(w - l0 u)) / (2 l0)
    the central difference at the grid's smallest step l0 (0.01 |w|, ``profile_grid``): the directional derivative
    g.u up to O(l0^2). On an exact quadratic, L(w + l u) - L(w - l u) = 2 l (g.u): off its bottom (a non-stationary
    point) a symmetric valley would look asymmetric by that term alone; without it, what is left is the odd part
    of the curvature. The symmetric rise (and so p, r, Delta) is unchanged. Returns (profiles, s)."""
    ls = torch.as_tensor(ls, dtype=torch.float64)
    L = torch.as_tensor(L, dtype=torch.float64)
    i0 = len(ls) // 2
    l0 = float(ls[i0 + 1])
    s = (L[:, i0 + 1] - L[:, i0 - 1]) / (2 * l0)
    return L - s[:, None] * ls[None, :], s


def profile_stats(ls, L, chance: float, norm: float, wall_fraction: float = WALL_FRACTION, r_steps: int = R_STEPS,
                  first_order: str = "removed") -> Sample:
    """Apply the declared rule to profiles L (n_dirs, len(ls)): the sample of A1 / A4 (not measurable when the
    rule cannot be placed on the grid). ``first_order``: "removed" (declared: ``without_first_order``) or "kept"
    (the raw profiles). ``arrays`` hold the most asymmetric direction's two half-profiles, its index and sharp
    side, and [r, p]."""
    if first_order not in FIRST_ORDER:
        raise ValueError(f"first_order must be one of {FIRST_ORDER}, got {first_order!r}")
    L = torch.as_tensor(L, dtype=torch.float64)
    slope = torch.zeros(L.shape[0], dtype=torch.float64)
    if first_order == "removed":
        L, slope = without_first_order(ls, L)
    rule, delta, rise, why = declared_rule(ls, L, chance, wall_fraction, r_steps)
    i0 = len(ls) // 2
    base = {"center_loss": float(L[0, i0]), "delta": delta, "norm": norm, "n_dirs": int(L.shape[0])}
    if rule is None:
        return Sample(metrics=base, not_measurable=why)
    a = asymmetry(ls, L, rule)
    k, n = int(a.asymmetric.sum()), int(a.asymmetric.numel())
    lo, hi = clopper_pearson(k, n, 0.95)
    j = int(a.margin.argmax())
    sign = int(a.sharp_side[j]) or 1
    Lj = L[j].double()
    plus, minus = (Lj[i0:], Lj[:i0 + 1].flip(0)) if sign > 0 else (Lj[:i0 + 1].flip(0), Lj[i0:])
    m = a.margin / delta
    return Sample(metrics={**base, "asym_fraction": k / n, "asym_count": k, "fraction_ci_lo": lo, "fraction_ci_hi": hi,
                           "first_order_mean_abs": float((slope.abs() * rule.p).mean() / delta),
                           "c": rule.c, "r": rule.r, "p": rule.p, "p_over_norm": rule.p / norm,
                           "max_margin_over_delta": float(m.max()), "median_margin_over_delta": float(m.median()),
                           "sharp_plus": int((a.sharp_side > 0).sum()), "sharp_minus": int((a.sharp_side < 0).sum())},
                  arrays={"l": ls[i0:].tolist(), "plus": plus.tolist(), "minus": minus.tolist(), "rp": [rule.r, rule.p],
                          "sharp": [j, sign]})


def _profiles(lab, model, bn, w, U, ls, l2=0.0, data_seed=0):
    """L(w + l u_i) on the grid under definition ``bn``: one batched call per profile set (per half-line
    pair for "interpolated", whose statistics depend on the line)."""
    if model in EXACT:
        return loss_along(_exact(lab, model).losses, w.double(), U.double(), ls)
    prob = _problem(lab, model, l2, data_seed)
    wd, Ud = prob.theta(w), prob.theta(U)
    if bn != "interpolated" or not prob.flat.has_batch_norm:
        fn = loss_fns(lab, model, bn, ref=wd, l2=l2, data_seed=data_seed)["train"]
        return loss_along(fn, wd, Ud, ls.to(wd.dtype)).double().cpu()
    from ..nets.batchnorm import bn_loss_fn

    flat, X, y = prob.flat, prob.data.X_train, prob.data.y_train
    i0 = len(ls) // 2
    end = float(ls[-1])
    bw = flat.bn_stats(wd, X)
    rows = []
    for u in Ud:
        halves = []
        for s in (-1.0, 1.0):
            B = wd + s * end * u
            fn = bn_loss_fn(flat, X, y, "interpolated", line=(wd, B), line_buffers=(bw, flat.bn_stats(B, X)))
            dist = ls[:i0 + 1] if s < 0 else ls[i0:]
            halves.append(loss_along(fn, wd, u, dist.to(wd.dtype))[0].double().cpu())
        rows.append(torch.cat([halves[0], halves[1][1:]]))
    return torch.stack(rows)


def point_profiles(lab, model: str, seed: int, bn: str = "recomputed", l2: float = 0.0,
                   wall_fraction: float = WALL_FRACTION, r_steps: int = R_STEPS, first_order: str = "removed") -> Sample:
    """A1's sample at the SGD solution of ``model`` / ``seed``: N_DIRS random unit directions (uniform on the
    sphere, their own seed stream), profiles under ``bn`` (cached, shared by A1, A5, A6 and every rule constant),
    the rule with the given constants."""
    from ..nets.config import config_hash

    _check_bn(bn)
    key_cfg = (model, PLANTED_DATA_SEED) if model in PLANTED_MODELS else (
        "quadratic" if model == "quadratic" else config_hash(sgd_config(lab, model, l2)))

    def build():
        run = sgd_run(lab, model, seed, l2)
        w = run["sgd"].double()
        U = random_directions(N_DIRS, w, "gaussian", seed=DIRECTION_SEED + seed)
        norm = float(w.norm())
        ls = profile_grid(norm)
        return {"ls": ls, "L": _profiles(lab, model, bn, w, U, ls, l2), "norm": norm}

    raw = lab.cached("av_profiles", (key_cfg, seed, bn, l2, N_DIRS, GRID_PER_DECADE), build,
                     f"A1 profiles {model} bn={bn} l2={l2} seed {seed}")
    C = _exact(lab, model).C if model in PLANTED_MODELS else _classes(lab, model)
    s = profile_stats(raw["ls"], raw["L"], chance_loss(model, C), raw["norm"], wall_fraction, r_steps, first_order)
    s.metrics.update({"model": model, "bn": bn, "l2": l2})
    if model == "planted-valley":
        q = _planted(lab, model)
        s.metrics.update({"planted_fraction": q.fraction, "wall_sigma": q.sigma, "wall_a": q.a})
    return s


def _fraction(s: Sample):
    return None if s.not_measurable else s.metrics["asym_fraction"]


def log_ratio(k1: int, k0: int, n: int) -> float:
    """log of the ratio of two asymmetric fractions k1/n and k0/n, each continuity-corrected (k + 1/2)/(n + 1),
    so that 0 of n is finite and equal fractions give exactly 0."""
    return math.log((k1 + 0.5) / (n + 1)) - math.log((k0 + 0.5) / (n + 1))


def av_prevalence(lab, label, sample, model, bn="recomputed", l2=0.0, wall_fraction=WALL_FRACTION, r_steps=R_STEPS,
                  first_order="removed") -> Sample:
    """A1: the fraction of 50 random unit directions at the SGD solution that are asymmetric by the declared
    rule (module docstring), with its Clopper-Pearson interval; not measurable when p falls off the grid."""
    model = on_configuration(model, label)
    _check_model(model)
    return point_profiles(lab, model, sample, bn, l2, wall_fraction, r_steps, first_order)


def _compare(s1: Sample, s0: Sample, key1: str, key0: str) -> tuple[dict, str]:
    """Compare two A1 samples: the change of the asymmetric fraction and its continuity-corrected log ratio.
    Returns (metrics, why not measurable or "")."""
    out = {f"{key1}_fraction": _fraction(s1), f"{key0}_fraction": _fraction(s0),
           f"{key1}_p_over_norm": s1.metrics.get("p_over_norm"), f"{key0}_p_over_norm": s0.metrics.get("p_over_norm")}
    why = s1.not_measurable or s0.not_measurable
    if why:
        return {k: v for k, v in out.items() if v is not None}, why
    n = s1.metrics["n_dirs"]
    return {**out, "fraction_change": s1.metrics["asym_fraction"] - s0.metrics["asym_fraction"],
            "log_ratio": log_ratio(s1.metrics["asym_count"], s0.metrics["asym_count"], n)}, ""


def av_l2(lab, label, sample, model, bn="recomputed", l2=L2, first_order="removed", wall_fraction=WALL_FRACTION,
          r_steps=R_STEPS) -> Sample:
    """A5: the A1 fraction at the SGD solution trained with an L2 penalty l2/2 |theta|^2 against without
    (same seed, same rule recipe, its Delta and window): ``l2_log_ratio`` (continuity-corrected) and ``l2_change``."""
    model = on_configuration(model, label)
    with_l2 = point_profiles(lab, model, sample, bn, l2, wall_fraction, r_steps, first_order)
    without = point_profiles(lab, model, sample, bn, 0.0, wall_fraction, r_steps, first_order)
    m, why = _compare(with_l2, without, "l2", "base")
    if "log_ratio" in m:
        m["l2_log_ratio"], m["l2_change"] = m.pop("log_ratio"), m.pop("fraction_change")
    return Sample(metrics={**m, "l2": l2}, not_measurable=why)


def av_batchnorm(lab, label, sample, bn="recomputed", twin=False, first_order="removed",
                 models=("mlp", "mlp-bn"), wall_fraction=WALL_FRACTION, r_steps=R_STEPS) -> Sample:
    """A6: the A1 fraction of the MLP with batch norm (under ``bn``) minus that of the same MLP without, same
    seed: ``bn_excess``. ``twin=True`` (the control): the MLP without BN at seed + 5 in place of the BN net.
    ``models`` = (without, with): the pair compared (the positive control: ("planted-no-wall", "planted-valley"),
    the same least-squares model without and with its planted wall)."""
    without, with_ = (on_configuration(m, label) for m in models)
    rule = dict(wall_fraction=wall_fraction, r_steps=r_steps, first_order=first_order)
    base = point_profiles(lab, without, sample, "recomputed", **rule)
    other = (point_profiles(lab, without, sample + 5, "recomputed", **rule) if twin
             else point_profiles(lab, with_, sample, bn, **rule))
    m, why = _compare(other, base, "bn", "base")
    if "log_ratio" in m:
        m["bn_excess"], m["bn_log_ratio"] = m.pop("fraction_change"), m.pop("log_ratio")
    return Sample(metrics=m, not_measurable=why)


def _eval(fns, thetas, model, lab, l2=0.0):
    """{name: f(thetas)} for the loss functions ``fns``, in float64 on the CPU."""
    if model in EXACT:
        T = torch.stack([t.double() for t in thetas])
        return {k: f(T).double().cpu() for k, f in fns.items()}
    prob = _problem(lab, model, l2)
    T = torch.stack([prob.theta(t) for t in thetas])
    with torch.no_grad():
        return {k: f(T).double().cpu() for k, f in fns.items()}


STATIONARITY_KEYS = ("window_descent", "window_descent_se", "window_descent_beyond_noise", "pretrain")


def _stationarity(run: dict) -> dict:
    """The premise numbers of a run (``window_trend``) and the pre-training lengths tried."""
    tried = run["pretrain_tried"]
    cap = " (the cap)" if tried[-1] == STATIONARY_PRETRAIN[-1] else ""
    return {**{k: run[k] for k in STATIONARITY_KEYS},
            "pretrain_tried": "pre-training " + ", ".join(map(str, tried)) + f" steps{cap}"}


def av_swa_gaps(lab, label, sample, model, bn="recomputed", stationary=False) -> Sample:
    """A2: training and test loss of the SWA solution against the final SGD iterate it averages, under BN
    definition ``bn`` (frozen: the SGD solution's statistics; interpolated: the line SGD -> SWA, whose ends
    carry their own statistics). train_gap = L_train(SWA) - L_train(SGD); test_gap = L_test(SGD) - L_test(SWA)."""
    model = on_configuration(model, label)
    _check_model(model)
    run = sgd_run(lab, model, sample, stationary=stationary)
    fns = loss_fns(lab, model, bn, ref=run["sgd"], line=(run["sgd"], run["swa"]))
    L = _eval(fns, [run["sgd"], run["swa"]], model, lab)
    tr, te = L["train"], L["test"]
    return Sample(metrics={"train_gap": float(tr[1] - tr[0]), "test_gap": float(te[0] - te[1]),
                           "train_sgd": float(tr[0]), "train_swa": float(tr[1]), "test_sgd": float(te[0]),
                           "test_swa": float(te[1]), "distance": float((run["swa"].double() - run["sgd"].double()).norm()),
                           "n_averaged": run["n_averaged"], **_stationarity(run)})


def side_contrast(ls, losses, point: float, window: float | None = None) -> dict:
    """Which side of its valley ``point`` sits on, and how fast that side rises.

    The bottom l* is ``valley_position``'s; s = sign(point - l*) (the point's side); with a cubic spline q
    through the profile and d on 64 evenly spaced values in (0, window] (default: |point - 0|, the
    SGD -> SWA distance when the line starts at 0, capped by what the grid allows around l*):
        contrast = mean_d [q(l* + s d) - q(l* - s d)] / mean_d [(q(l* + d) + q(l* - d))/2 - q(l*)],
    the rise on the point's side minus the rise on the other, in units of the mean rise: negative = the
    point is on the side that rises slowly (the flat side). 0 when the point is at the bottom; None (not
    measurable) when the bottom is at an end of the grid.
    """
    from scipy.interpolate import CubicSpline

    vp = valley_position(ls, losses, point=point)
    x = np.asarray(torch.as_tensor(ls, dtype=torch.float64))
    f = np.asarray(torch.as_tensor(losses, dtype=torch.float64))
    out = {"bottom": vp.bottom, "offset": vp.offset, "sharp_side": vp.sharp_side, "on_flat_side": vp.on_flat_side,
           "at_edge": vp.at_edge}
    if vp.at_edge:
        return {**out, "contrast": None}
    b = vp.bottom
    wmax = min(b - x[0], x[-1] - b)
    w = abs(point) if window is None else window
    w = min(w, wmax)
    s = 0 if vp.offset == 0 else (1 if vp.offset > 0 else -1)
    if w <= 0 or s == 0:
        return {**out, "contrast": 0.0, "window": float(max(w, 0.0))}
    q = CubicSpline(x, f)
    d = np.linspace(w / FLAT_WINDOW, w, FLAT_WINDOW)
    here, there = q(b + s * d), q(b - s * d)
    rise = float(((here + there) / 2 - q(b)).mean())
    contrast = float((here - there).mean()) / rise if rise > 0 else 0.0
    return {**out, "contrast": contrast, "window": float(w), "mean_rise": rise}


def av_flat_side(lab, label, sample, model, bn="recomputed", line="sgd-swa", stationary=False) -> Sample:
    """A3: along the line SGD -> SWA extended to t in [-1, 2] (``extended_line``, 31 points), which side of
    the training-loss valley the SWA point sits on (``side_contrast``: flat_side_contrast < 0 = the slowly
    rising side), and SGD again from SWA (lr 0.01, 500 updates): resgd_train_drop = L_train(SWA) -
    L_train(re-SGD), resgd_test_rise = L_test(re-SGD) - L_test(SWA). ``line="random"`` (the control): the
    line ends at SWA but starts at SWA - |SWA - SGD| v, v a random unit direction."""
    model = on_configuration(model, label)
    _check_model(model)
    run = sgd_run(lab, model, sample, stationary=stationary)
    sgd, swa = run["sgd"].double(), run["swa"].double()
    if line == "random":
        v = random_directions(1, swa, "gaussian", seed=LINE_SEED + sample)[0]
        start = swa - float((swa - sgd).norm()) * v
    elif line == "sgd-swa":
        start = sgd
    else:
        raise ValueError(f"line must be 'sgd-swa' or 'random', got {line!r}")
    fns = loss_fns(lab, model, bn, ref=run["sgd"], line=(start, swa))
    if model in EXACT:
        el = extended_line(fns, start, swa, t_min=-1.0, t_max=2.0, n_points=31)
    else:
        prob = _problem(lab, model)
        el = extended_line(fns, prob.theta(start), prob.theta(swa), t_min=-1.0, t_max=2.0, n_points=31)
    sc = side_contrast(el.distances, el.losses["train"], el.length)
    out = {"flat_side_contrast": sc["contrast"], "swa_on_flat_side": float(sc["on_flat_side"]),
           "bottom_t": sc["bottom"] / el.length, "swa_offset_t": sc["offset"] / el.length,
           "sharp_side": sc["sharp_side"], "length": el.length, **_stationarity(run)}
    arrays = {"t": el.ts.tolist(), "train": el.losses["train"].tolist(), "test": el.losses["test"].tolist(),
              "bottom_t": sc["bottom"] / el.length}
    why = ""
    if sc["contrast"] is None:
        why = ("the training-loss bottom along the line is at an end of t in [-1, 2] "
               f"(t = {sc['bottom'] / el.length:.2f})")
        out = {k: v for k, v in out.items() if v is not None}
    if line == "sgd-swa":
        re = resgd(lab, model, sample, run["swa"], pretrain=run["pretrain"])
        fr = loss_fns(lab, model, bn, ref=run["sgd"], line=(run["swa"], re))
        L = _eval(fr, [run["swa"], re], model, lab)
        out.update({"resgd_train_drop": float(L["train"][0] - L["train"][1]),
                    "resgd_test_rise": float(L["test"][1] - L["test"][0]),
                    "train_resgd": float(L["train"][1]), "test_resgd": float(L["test"][1])})
    return Sample(metrics=out, arrays=arrays, not_measurable=why)


# -- A4 ---------------------------------------------------------------------------------------------------
def neuron_minimum(prob, theta0: torch.Tensor, iters: int = 100) -> torch.Tensor:
    """The exact minimum of the neuron's training loss (convex: the logistic loss) by damped Newton in float64."""
    from torch.func import grad, hessian

    losses = _neuron_loss64(prob)

    def f(th):
        return losses(th[None])[0]
    th = theta0.double().clone()
    for _ in range(iters):
        g = grad(f)(th)
        if float(g.norm()) < 1e-13:
            break
        step = torch.linalg.solve(hessian(f)(th), g)
        t = 1.0
        while f(th - t * step) > f(th) and t > 1e-8:
            t /= 2
        th = th - t * step
    return th


def _neuron_loss64(prob):
    X, y = prob.data.X_train.double(), prob.data.y_train
    x = X.view(-1)

    def losses(T):
        T = T.double().reshape(-1, 2)
        z = T[:, :1] * x[None] + T[:, 1:]
        # softmax cross-entropy over logits (0, z) = softplus(z) - y z
        return (F.softplus(z) - y[None].double() * z).mean(1)
    return losses


NEURON_SURFACES = ("neuron", "quadratic-surrogate", "planted")


def av_neuron(lab, label, sample, point="sgd", surface="neuron", wall_fraction=WALL_FRACTION, r_steps=R_STEPS,
              first_order="removed") -> Sample:
    """A4: one sigmoid neuron (weight, bias) on ``gaussians`` drawn with data seed ``sample``, trained by the
    declared SGD (``point="sgd"``: its final iterate) or at the exact minimum (``point="minimum"``, Newton);
    64 directions evenly spaced on the half circle, the declared rule (Delta = 0.1 ln 2): ``asymmetry`` =
    the largest margin over directions in units of Delta (the rule: >= c / Delta = 0.1). ``surface=
    "quadratic-surrogate"`` (the control): the same measurement on L(theta*) + 1/2 (theta - theta*)^T H
    (theta - theta*), the neuron's second-order surrogate at its minimum theta* (symmetric about theta*).
    ``surface="planted"`` (the positive control): that surrogate plus ``linex_wall`` along the direction of the
    neuron's largest per-example gradient noise at theta* (``noise_axis``), curvature a = v^T H v, length sigma =
    ``sgd_spread`` of the declared SGD on the surrogate: the valley of ``PlantedValley``, planted in (w, b)."""
    if point not in ("sgd", "minimum"):
        raise ValueError(f"point must be 'sgd' or 'minimum', got {point!r}")
    if surface not in NEURON_SURFACES:
        raise ValueError(f"surface must be one of {NEURON_SURFACES}, got {surface!r}")
    from torch.func import hessian

    prob = _problem(lab, "neuron", data_seed=sample)
    run = sgd_run(lab, "neuron", 0, data_seed=sample)
    f = _neuron_loss64(prob)
    th_min = neuron_minimum(prob, run["sgd"])
    planted = {}
    if surface == "neuron":
        fn = f
    else:
        H = hessian(lambda t: f(t[None])[0])(th_min)
        L0 = float(f(th_min[None])[0])

        def surrogate(T):
            d = T.double().reshape(-1, 2) - th_min
            return L0 + 0.5 * torch.einsum("ki,ij,kj->k", d, H, d)
        fn = surrogate
        if surface == "planted":
            x, y = prob.data.X_train.double().view(-1), prob.data.y_train.double()
            G = (torch.sigmoid(th_min[0] * x + th_min[1]) - y)[:, None] * torch.stack([x, torch.ones_like(x)], 1)
            v = noise_axis(G)
            a = float(v @ H @ v)
            sigma = sgd_spread(H, G, LR, BATCH, v)
            wall = linex_wall(a, sigma, v, th_min)

            def fn(T):
                return surrogate(T) + wall(T)
            planted = {"wall_a": a, "wall_sigma": sigma,
                       "planted_fraction": planted_fraction(surrogate, th_min, v, a, sigma, math.log(2))}
    w = run["sgd"].double() if point == "sgd" else th_min
    ang = torch.arange(N_NEURON_DIRS, dtype=torch.float64) * math.pi / N_NEURON_DIRS
    U = torch.stack([ang.cos(), ang.sin()], 1)
    norm = float(w.norm())
    ls = profile_grid(norm)
    L = loss_along(fn, w, U, ls)
    s = profile_stats(ls, L, math.log(2), norm, wall_fraction, r_steps, first_order)
    s.metrics.update({"w": float(w[0]), "b": float(w[1]), "w_min": float(th_min[0]), "b_min": float(th_min[1]),
                      "distance_to_minimum": float((w - th_min).norm()), **planted})
    if not s.not_measurable:
        s.metrics["asymmetry"] = s.metrics["max_margin_over_delta"]
        j, sign = s.arrays["sharp"]
        s.arrays["sharp_dir"] = [float(U[j, 0]) * sign, float(U[j, 1]) * sign]
        span = max(2.5, 1.2 * s.metrics["p"])
        xs = torch.linspace(float(w[0]) - span, float(w[0]) + span, 61, dtype=torch.float64)
        ys = torch.linspace(float(w[1]) - span, float(w[1]) + span, 61, dtype=torch.float64)
        G = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)  # Z[i, j] at (xs[j], ys[i])
        s.arrays["Z"] = fn(G).reshape(61, 61).tolist()
        s.arrays["xs"], s.arrays["ys"] = xs.tolist(), ys.tolist()
        s.arrays["point"], s.arrays["minimum"] = [float(w[0]), float(w[1])], [float(th_min[0]), float(th_min[1])]
    return s

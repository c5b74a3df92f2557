"""The lab: what a measurement needs besides its own parameters -- the tier's configurations, trained
optima, problems (model + data as functions of theta), and the content-addressed cache in which every
expensive result (optima, tunnels, count profiles, d90 sweeps, whole measurements) is built once.

A ``Lab`` is plain Python (no pytest): ``Lab.open(tier="quick")`` in a notebook, ``run.check_claims`` for a whole
claims run, or the pytest plugin, which makes one per session from the command-line options.

Cache keys are ``cache.key_for(kind, configuration, definition, sample, version=...)`` with a code version
from ``cache.code_version`` (what the code does, not how it is written: comments and docstrings do not
enter it): ``TRAIN_CODE_VERSION`` for optima (the training code of ``nets``), ``TUNNEL_VERSION`` for tunnels
and neighbours, and for everything else measured ``measure_version(module)`` of the protocol module that measures
it: the shared layers (``geometry``, ``nets``, ``stats``, ``types``), the lab with the protocol modules it imports,
and the module with the protocol modules it imports (``protocol_closure``) -- so that a code change never serves a
stale number, an unchanged one never recomputes it, and an edit to one protocol module (``swa``) re-measures that
module's entries only. ``MEASURE_VERSION`` (every measuring layer) is the version of anything measured outside
``protocols``. Each also carries the numerical policy in force (``numerics.policy()``).
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import numerics
from ..cache import Cache, code_version, default_root, key_for
from ..nets.config import TRAIN_CODE_VERSION
from ..types import Sample, get_tier

TUNNEL_VERSION = (code_version("geometry/connectors.py", "nets", "protocols/endpoints.py", "protocols/tunnels.py")
                  + "|" + numerics.policy())
MEASURE_VERSION = code_version("geometry", "nets", "protocols", "stats.py", "types.py") + "|" + numerics.policy()
_SHARED = ("geometry", "nets", "stats.py", "types.py")
_PROTOCOLS = __name__.rsplit(".", 1)[0]


def protocol_closure(module: str) -> tuple[str, ...]:
    """The protocol modules ``module`` (a module name under ``landscape_lib.protocols``) measures with: itself and
    every protocol module it imports, directly or through another (``from .x import``, ``from . import x``,
    ``from ..protocols.x import``, at any depth of the file), as paths relative to the package, sorted."""
    from ..cache import _PACKAGE

    prefix = _PROTOCOLS + "."
    if not module.startswith(prefix):
        raise ValueError(f"module must be a module of {_PROTOCOLS}, got {module!r}")
    seen, todo = set(), [module[len(prefix):]]
    while todo:
        name = todo.pop()
        path = _PACKAGE / "protocols" / f"{name}.py"
        if name in seen or not path.exists():
            continue
        seen.add(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level == 1 and node.module:
                todo.append(node.module.split(".")[0])
            elif node.level == 1:
                todo.extend(a.name for a in node.names)
            elif node.level == 2 and node.module and node.module.split(".")[0] == "protocols":
                todo.extend(node.module.split(".")[1:2] or [a.name for a in node.names])
    return tuple(sorted(f"protocols/{n}.py" for n in seen))


def _measure_versions() -> dict[str, str]:
    from ..cache import _PACKAGE

    lab_files = set(protocol_closure(__name__))
    out = {}
    for f in sorted((_PACKAGE / "protocols").glob("*.py")):
        if f.stem != "__init__":
            module = f"{_PROTOCOLS}.{f.stem}"
            files = sorted(lab_files | set(protocol_closure(module)))
            out[module] = code_version(*_SHARED, *files) + "|" + numerics.policy()
    return out


_MEASURE_VERSIONS = _measure_versions()  # at import, with MEASURE_VERSION: the code this process runs


def measure_version(module: str) -> str:
    """The code version of what protocol module ``module`` measures: ``code_version`` over the shared layers,
    ``protocol_closure`` of the lab (its tunnels, neighbours and count noise) and of ``module``, with the numerical
    policy -- computed when this module is imported, as MEASURE_VERSION is, so a file edited during a run never
    labels entries that the running (older) code computes. A module outside ``landscape_lib.protocols`` (a user's
    protocol, a figure) gets ``MEASURE_VERSION``."""
    return _MEASURE_VERSIONS.get(module, MEASURE_VERSION)


@dataclass(frozen=True)
class TierSpec:
    """What a tier trains: named network configurations (seed filled per optimum), control
    configurations, optima per configuration, and per configuration the most work one case may take
    (``budgets``: image-gradients, ``protocols.cost``; absent = no limit) and the Hessian batch curvature is
    measured on (``hessian_batches``: ``Problem.curvature_loss``; absent = the whole training set), and a user
    configuration's batch-norm twin (``bn_models``: label -> "package.module:factory", for A6)."""

    name: str
    configs: dict = field(default_factory=dict)
    controls: dict = field(default_factory=dict)
    k: int = 4
    budgets: dict = field(default_factory=dict)
    hessian_batches: dict = field(default_factory=dict)
    bn_models: dict = field(default_factory=dict)

    def resolve(self, label_or_cfg):
        if not isinstance(label_or_cfg, str):
            return label_or_cfg
        table = {**self.configs, **self.controls}
        if label_or_cfg not in table:
            raise ValueError(f"configuration must be one of {sorted(table)} at tier {self.name!r}, "
                             f"got {label_or_cfg!r}")
        return table[label_or_cfg]

    def settings(self) -> dict[str, str]:
        """Each configuration label (and "toy") -> the setting it stands for, in words, for headlines: a verdict
        is about the setting it was measured in."""
        out = {"toy": "the paper's toy n-wedge model (§3.2)"}
        for label, cfg in {**self.configs, **self.controls}.items():
            model = {"mlp": f"MLP, hidden {'-'.join(map(str, cfg.hidden))}, {cfg.activation}",
                     "simple_cnn": f"SimpleCNN (§4.1), {cfg.activation}", "softmax": "SoftmaxRegression (convex)"
                     }.get(cfg.model, cfg.model)
            stop = f"to train CE {cfg.target_loss:g}" if cfg.target_loss else f"{cfg.max_steps} steps"
            out[label] = f"{model} on {cfg.dataset}, {cfg.optimizer} lr {cfg.lr:g} {stop}"
        return out


def tier_spec_for(tier: str, device: str = "cpu", model: str | None = None, dataset: str | None = None,
                  data_root: str | None = None, bn_model: str | None = None) -> TierSpec:
    """The configurations of ``tier`` and 12 optima each, all trained with Adam at a constant learning rate
    (§4: "Unless otherwise noted ... we ran training with a constant learning rate with the Adam optimizer"):

    - quick: the 64-32-10 tanh MLP on digits, full batch, to a training cross-entropy of 1e-3 (so compared
      points sit at the same loss level);
    - full: plus ``cnn-fashion``, the §4 SimpleCNN ("3 x 3 convolutional filters, followed by 2 x 2 pooling,
      16, 32, 32 channels with the tanh non-linearity") on Fashion-MNIST, the data set of Figure 4, on a
      stratified 6,000 of its 60,000 training images (``FULL_TRAIN_SIZE``) for ``FULL_EPOCHS`` = 20 epochs of
      minibatches of 128 at lr 1e-3 (the paper gives neither lr, batch size nor epochs: Adam's default lr and a
      common batch size; a SimpleCNN does not reach CE 1e-3 on Fashion-MNIST in a CPU budget, so the optima
      stop at a declared budget and their final loss is recorded); a case whose need exceeds the tier's budget
      for it reports "not run at this tier" with its need (``protocols.cost``);
    - paper: the same recipe on all 60,000 training images, and on CIFAR-10 where the data root has it
      (meant for a GPU).

    ``model`` / ``dataset`` ("package.module:factory") replace the network and data of every configuration (a
    user's own; ``BUILTIN_LABELS`` are then absent); ``bn_model`` is ``model``'s batch-norm twin (A6)."""
    from ..nets.config import TrainConfig

    get_tier(tier)
    base = dict(optimizer="adam", schedule="constant", target_loss=1e-3, max_steps=5000, device=device,
                data_root=data_root)
    mlp = TrainConfig(model="mlp", dataset="digits", hidden=(32,), lr=1e-2, **base)
    fashion = fashion_config(FULL_TRAIN_SIZE, device=device, data_root=data_root)
    configs = {"mlp-digits": mlp}
    k = 12  # six disjoint pairs, three disjoint tuples of up to four (claims/RULES.md)
    budgets, hessian = {}, {}
    if tier == "full":
        configs["cnn-fashion"] = fashion
        budgets["cnn-fashion"] = FULL_CASE_BUDGET
    if "cnn-fashion" in configs:
        hessian["cnn-fashion"] = HESSIAN_BATCH
    elif tier == "paper":
        configs = {"cnn-fashion": fashion_config(None, device=device, data_root=data_root),
                   "cnn-cifar10": dataclasses.replace(fashion_config(None, device=device, data_root=data_root),
                                                      dataset="cifar10")}
    bn_models = {}
    if bn_model is not None and (not isinstance(bn_model, str) or ":" not in bn_model or not model):
        raise ValueError(f"bn_model must be 'package.module:factory', given together with model (its batch-norm "
                         f"twin), got bn_model={bn_model!r}, model={model!r}")
    if model or dataset:
        configs = {label_for(model or c.model, dataset or c.dataset):
                   dataclasses.replace(c, model=model or c.model, dataset=dataset or c.dataset)
                   for c in configs.values()}
        bn_models = {lb: bn_model for lb in configs} if bn_model else {}
    # SoftmaxRegression at lr 3e-3 (C15) needs ~15k steps to reach the same target loss
    controls = {"softmax-digits": TrainConfig(model="softmax", dataset="digits", lr=1e-2,
                                              **{**base, "max_steps": 20000})}
    return TierSpec(tier, configs, controls, k, {lb: b for lb, b in budgets.items() if lb in configs},
                    {lb: b for lb, b in hessian.items() if lb in configs}, bn_models)


BUILTIN_LABELS = ("mlp-digits", "cnn-fashion", "cnn-cifar10")  # the repository's own network configurations


FULL_TRAIN_SIZE = 6000
FULL_EPOCHS = 20
FULL_CASE_BUDGET = 20 * 60 * 5400  # image-gradients: 20 min per case at the measured 5,400 per second
HESSIAN_BATCH = 1000  # training images per HVP on the Fashion-MNIST CNN (Problem.curvature_loss)
BATCH = 128


def fashion_config(train_size: int | None, device: str = "cpu", data_root: str | None = None):
    """The §4 SimpleCNN (tanh) on Fashion-MNIST, Adam at lr 1e-3, minibatches of 128, for ``FULL_EPOCHS`` epochs
    of ``train_size`` training images (None: all 60,000); the final loss is recorded, not targeted."""
    from ..nets.config import TrainConfig

    n = train_size or 60000
    steps = FULL_EPOCHS * n // BATCH
    return TrainConfig(model="simple_cnn", dataset="fashion_mnist", activation="tanh", optimizer="adam",
                       schedule="constant", lr=1e-3, batch_size=BATCH, max_steps=steps, target_loss=None,
                       train_size=train_size, log_every=max(1, steps // 10), device=device, data_root=data_root)


def label_for(model: str, dataset: str) -> str:
    """A configuration label usable as a file name: 'pkg.mod:factory' -> 'pkg.mod.factory'."""
    clean = lambda s: "".join(ch if ch.isalnum() or ch in "._" else "." for ch in str(s)).strip(".")
    return f"{clean(model)}-{clean(dataset)}"


class _Progress:
    """A tqdm bar on the real terminal (sys.__stderr__), so it shows while pytest captures output."""

    def __init__(self, desc: str, total: int):
        from tqdm import tqdm

        stream = sys.__stderr__
        self.bar = tqdm(total=total, desc=desc, file=stream, leave=False, dynamic_ncols=True,
                        disable=not (stream and stream.isatty()))

    def __call__(self, step, max_steps, loss):
        self.bar.n = int(step)
        self.bar.set_postfix(loss=f"{float(loss):.2e}", refresh=False)
        self.bar.refresh()

    def close(self):
        self.bar.close()


@dataclass
class Lab:
    """Trained optima, problems and cached measurements for one tier (see the module docstring).

    ``rebuild_after``: entries written before this time are rebuilt (``--retrain``: once per session).
    """

    spec: TierSpec
    cache: Cache
    download: bool = False
    rebuild_after: float | None = None
    _memo: dict = field(default_factory=dict, repr=False)
    _no_wait: int = field(default=0, repr=False)

    @classmethod
    def open(cls, tier: str = "quick", device: str = "cpu", cache_dir=None, **spec_opts) -> "Lab":
        return cls(tier_spec_for(tier, device=device, **spec_opts), Cache(cache_dir or default_root()))

    # -- the cache -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def without_waiting(self):
        """Inside, ``cached`` raises ``cache.CacheBusy`` instead of waiting for an entry that another
        process is building (at any depth: a sample whose tunnel is busy is given up, nothing written)."""
        self._no_wait += 1
        try:
            yield self
        finally:
            self._no_wait -= 1

    def sample(self, protocol: Callable[..., Sample], label: str, sample, kwargs: dict) -> Sample:
        """One sample of ``protocol`` on configuration ``label`` with ``kwargs`` (a case's params and
        definition), cached: every case (and C17, which re-decides other claims' toy samples) that asks for
        the same protocol, configuration, arguments and sample gets one measurement."""
        s = list(sample) if isinstance(sample, tuple) else sample
        value = self.cached("sample", self._sample_parts(protocol, label, sample, kwargs),
                            lambda: protocol(self, label, sample, **kwargs), f"{protocol.__name__} on {label}, sample {s}",
                            version=measure_version(protocol.__module__))
        if not isinstance(value, Sample):
            raise TypeError(f"protocol {name} must return a types.Sample, got {type(value).__name__}")
        return value

    def device_kind(self) -> str:
        """"" on a CPU; on a GPU, its kind and precision policy (``numerics.gpu``: TF32 off), which enter every cache
        key, so a number built on one kind of device is never served on another."""
        if "device_kind" not in self._memo:
            devs = {c.resolved_device() for c in {**self.spec.configs, **self.spec.controls}.values()}
            kinds = sorted(numerics.gpu(d) for d in devs if d.type != "cpu")
            self._memo["device_kind"] = "|".join(kinds)
        return self._memo["device_kind"]

    def key(self, kind: str, parts: tuple, version: str = MEASURE_VERSION) -> str:
        """The cache key of an entry of ``kind`` made of ``parts`` (with the device kind off the CPU)."""
        dk = self.device_kind()
        return key_for(*parts, version=version + (f"|{dk}" if dk else ""), prefix=kind)

    def _sample_parts(self, protocol, label: str, sample, kwargs: dict) -> tuple:
        k = self.spec.k if label != "toy" else None
        s = list(sample) if isinstance(sample, tuple) else sample
        return (f"{protocol.__module__}.{protocol.__qualname__}", self.config_key(label), k, kwargs, s)

    def sample_key(self, protocol, label: str, sample, kwargs: dict) -> str:
        """The key ``sample`` stores that measurement under (``build.plan`` asks without measuring)."""
        return self.key("sample", self._sample_parts(protocol, label, sample, kwargs), measure_version(protocol.__module__))

    def optima_key(self, label_or_cfg, k: int | None = None) -> str:
        """The key ``optima`` stores a configuration's batch of optima under."""
        from ..nets.config import config_hash

        return self.key("optima", (config_hash(self.config(label_or_cfg)), list(range(k or self.spec.k))),
                        TRAIN_CODE_VERSION)

    def cached(self, kind: str, parts: tuple, build: Callable[[], Any], describe: str = "",
               version: str | None = None) -> Any:
        """``build()`` once per key across processes and runs; memoized in this process too. ``version`` defaults to
        ``measure_version`` of the module that defines ``build``."""
        key = self.key(kind, parts, version or measure_version(getattr(build, "__module__", "") or ""))
        if key not in self._memo:
            value, _ = self.cache.get_or_build(key, build, describe=describe or kind, retrain=False,
                                               built_after=self.rebuild_after, wait=not self._no_wait)
            self._memo[key] = value
        return self._memo[key]

    # -- configurations, problems, optima --------------------------------------------------------
    def config(self, label_or_cfg):
        return self.spec.resolve(label_or_cfg)

    def problem(self, label_or_cfg):
        from ..nets.problem import Problem

        cfg = dataclasses.replace(self.config(label_or_cfg), seed=0)
        hb = self.spec.hessian_batches.get(label_or_cfg) if isinstance(label_or_cfg, str) else None
        key = ("problem", cfg, hb)
        if key not in self._memo:
            self._memo[key] = Problem.of(cfg)
            self._memo[key].hessian_batch = hb
        return self._memo[key]

    def _check_data(self, cfg) -> None:
        from ..nets.data import TORCHVISION, load_dataset
        from ..nets.training import dataset_for

        if self.download and cfg.dataset in TORCHVISION:
            load_dataset(cfg.dataset, data_root=cfg.data_root, download=True)
        dataset_for(cfg)

    def optima(self, label_or_cfg, k: int | None = None) -> list:
        """k independent optima (seeds 0..k-1) trained in one batched run and cached as one entry.
        Raises ``TargetNotReached`` (naming configuration, seed, steps and loss) for an optimum that
        did not reach its target loss: it is never handed to a claim."""
        from ..nets.config import config_hash, require_reached
        from ..nets.training import train_many

        cfg = self.config(label_or_cfg)
        k = k or self.spec.k
        seeds = list(range(k))

        def build():
            self._check_data(cfg)
            bar = _Progress(f"training {cfg.model}/{cfg.dataset} x{k}", cfg.max_steps)
            ckpt = self.cache.root / f"optima-{config_hash(cfg)}-{k}.ckpt"
            try:
                vec = not (cfg.model == "simple_cnn" and cfg.resolved_device().type == "cpu")
                return train_many(cfg, seeds, progress=bar, vectorize=vec, checkpoint=str(ckpt))
            finally:
                bar.close()

        ops = self.cached("optima", (config_hash(cfg), seeds), build, f"{k} optima of {cfg}",
                          version=TRAIN_CODE_VERSION)
        return require_reached(ops)

    def trajectory(self, label_or_cfg, seed: int = 0):
        """One sequential run with its history (radius, distance from the init), cached."""
        from ..nets.config import config_hash, require_reached
        from ..nets.training import train

        cfg = dataclasses.replace(self.config(label_or_cfg), seed=seed)

        def build():
            self._check_data(cfg)
            bar = _Progress(f"training {cfg.model}/{cfg.dataset} seed {seed}", cfg.max_steps)
            try:
                return train(cfg, progress=bar)
            finally:
                bar.close()

        opt = self.cached("trajectory", (config_hash(cfg),), build, f"trajectory of {cfg}",
                          version=TRAIN_CODE_VERSION)
        return require_reached(opt)

    def tunnel(self, label: str, i: int, j: int, nodes: str = "budget", refine: int = 0):
        """The §4.2 tunnel between optima i and j of a configuration (``refine`` rounds of adaptive
        refinement: 0 is the paper's algorithm), cached and shared by C5-C8."""
        from ..nets.config import config_hash
        from .tunnels import PathConfig, build_tunnel

        ops = self.optima(label)
        prob = self.problem(label)
        cfg = PathConfig(refine=refine)

        def build():
            base = self.tunnel(label, i, j, nodes) if refine else None
            return build_tunnel(prob, ops[i].theta, ops[j].theta, nodes, cfg, base=base)

        return self.cached("tunnel", (config_hash(self.config(label)), self.spec.k, i, j, nodes, cfg), build,
                           f"tunnel {label} {i}-{j} {nodes} refine={refine}", version=TUNNEL_VERSION)

    def neighbour(self, label: str, i: int, seed: int = 0, scale: float | None = None):
        """A same-basin neighbour of optimum i (``endpoints.neighbour``: moved by ``scale`` -- default 5% --
        of its norm, re-descended to the configuration's target loss), cached."""
        from ..nets.config import config_hash
        from . import endpoints

        cfg = self.config(label)
        opt = self.optima(label)[i]
        scale = endpoints.NEIGHBOUR_SCALE if scale is None else scale
        target = cfg.target_loss if cfg.target_loss is not None else opt.train_loss
        return self.cached("neighbour", (config_hash(cfg), self.spec.k, i, seed, scale),
                           lambda: endpoints.neighbour(self.problem(label), opt.theta, target, cfg.lr, seed, scale),
                           f"neighbour of optimum {i} of {label}", version=TUNNEL_VERSION)

    def neighbour_tunnel(self, label: str, i: int, nodes: str = "budget"):
        """The §4.2 tunnel between optimum i and its same-basin neighbour, cached."""
        from ..nets.config import config_hash
        from .tunnels import build_tunnel

        A, B = self.optima(label)[i].theta, self.neighbour(label, i)
        return self.cached("tunnel", (config_hash(self.config(label)), self.spec.k, "neighbour", i, nodes),
                           lambda: build_tunnel(self.problem(label), A, B, nodes),
                           f"tunnel {label} {i}-neighbour {nodes}", version=TUNNEL_VERSION)

    def count_noise(self, label: str, i: int = 0) -> dict:
        """The short-direction count's noise at optimum i (Lanczos start vector; same-basin neighbour),
        at the declared threshold (DECLARED_FRACTION x the optimum's top eigenvalue), cached."""
        from ..geometry.short_directions import DECLARED_FRACTION
        from ..nets.config import config_hash
        from .short_direction_counts import count_noise, top_eigenvalue

        prob = self.problem(label)
        th = self.optima(label)[i].theta

        def build():
            thr = DECLARED_FRACTION * top_eigenvalue(prob, th)
            return {**count_noise(prob, th, self.neighbour(label, i), thr), "threshold": thr}

        return self.cached("count_noise", (config_hash(self.config(label)), self.spec.k, i), build,
                           f"count noise at optimum {i} of {label}")

    def config_key(self, label: str):
        """What identifies a configuration in a cache key: 'toy', or the training configuration's hash (with its
        batch-norm twin's, ``bn_models``, where a user gave one: A6's samples follow it)."""
        if label == "toy":
            return "toy"
        from ..nets.config import config_hash

        cfg = self.config(label)
        twin = self.spec.bn_models.get(label)
        return config_hash(cfg) if not twin else [config_hash(cfg), config_hash(dataclasses.replace(cfg, model=twin))]

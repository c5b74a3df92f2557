"""Each case's figure, drawn from its samples' ``arrays`` (and metrics) with the primitives of ``report.plots``.

``FIGURES`` maps a protocol function to the function that draws its cases: ``figure(samples, title)`` returns a
matplotlib figure, or None when there is nothing to draw. ``png(lab, case, label, samples)`` renders a case's
figure once and caches the PNG beside the samples (so a warm run draws nothing). A figure never decides a
verdict: a failure to draw is reported beside the row, not raised.
"""

from __future__ import annotations

import io

import numpy as np

from ..cache import code_version
from ..protocols import asymmetry as av
from ..protocols import isotropy as iso
from ..protocols import radial as rd
from ..protocols import short_direction_counts as sd
from ..protocols import swa
from ..protocols import toy_landscape as tl
from ..protocols import tunnels as tn
from ..protocols import width as wd
from ..protocols.lab import MEASURE_VERSION
from . import plots

FIGURE_VERSION = MEASURE_VERSION + code_version("report/figures.py", "report/plots.py")


def hyperplane_sweep(samples, title):
    a = samples[0].arrays
    return plots.sweep(a["d"], a["ratio"], xlabel="hyperplane dimension d", ylabel="reached loss / start loss",
                       title=title, vline=a["D_minus_n"], vlabel="D-n")


def line_losses(samples, title):
    s = samples[0]
    t, y = s.arrays["line"]
    return plots.lines(t, {"straight line": y}, xlabel="t (A -> B)", ylabel="loss", logy=True, title=title,
                       hlines={"endpoints": s.metrics["endpoint_loss"]})


def path_losses(samples, title):
    a = samples[0].arrays
    return plots.path_losses(*a["line"], *a["path"], title=title)


def label_agreement(samples, title):
    s = next((s for s in samples if s.arrays.get("a")), None)
    if s is None:
        return None
    return plots.label_agreement(s.arrays["t"], s.arrays["a"], s.arrays["b"], title=title)


def counts_along_path(samples, title):
    a = samples[0].arrays
    return plots.sweep(a["t"], a["counts"], xlabel="t along the path", ylabel="short directions", title=title,
                       logy=False)


def count_profile(samples, title):
    a = samples[0].arrays
    return plots.count_profile(a["t"], a["counts"], title=title)


def counts_vs_m(samples, title):
    a = samples[0].arrays
    return plots.sweep(a["m"], a["counts"], xlabel="m (connector between m+1 optima)",
                       ylabel="short directions at the middle", logy=False, title=title)


def d90_sweep(samples, title):
    s = samples[0]
    return plots.sweep(s.arrays["d"], s.arrays["acc"], xlabel="subspace dimension d", ylabel="test accuracy",
                       logy=False, title=title, vline=s.metrics["count"], vlabel="short directions")


def toy_increases(samples, title):
    return plots.histogram(samples[0].arrays["inc"], xlabel="L(P0 + a v) - L(P0)", title=title)


def net_increases(samples, title):
    s = samples[0]
    return plots.histogram(s.arrays["inc"], xlabel=f"L(theta + a u) - L(theta), a = {s.metrics['a']:.3g}", title=title)


def radius(samples, title):
    h = samples[0].arrays.get("history")
    if not h:
        return None
    return plots.lines(h["step"], {"radius |w|": h["radius"], "|w - w0|": h["dist_from_init"]}, xlabel="step",
                       ylabel="norm", title=title)


def width_sweep(samples, title):
    s = samples[0]
    a = s.arrays
    vals = list(a["values"]) + list(a["too_strong"])
    W = np.asarray(a["widths"] + a["too_strong_widths"], dtype=float)  # (values, seeds)
    fig = plots.width_vs_hyperparam(vals, np.nanmedian(W, axis=1), name=s.metrics["hyperparameter"], title=title,
                                    logx=all(v > 0 for v in vals), rising_until=a["values"][-1],
                                    ylabel=f"{s.metrics['width']} tunnel width (median over directions)")
    ax = fig.axes[0]
    pos = [v for v in vals if v > 0]
    if pos and len(pos) < len(vals) and max(pos) / min(pos) > 50:  # a sweep from 0 over decades (L2)
        ax.set_xscale("symlog", linthresh=min(pos))
    for k in range(W.shape[1]):
        ax.plot(vals, W[:, k], ls=":", marker="x", ms=4, alpha=0.7, label=f"seed {k}")
    ax.legend(fontsize=6)
    return fig


def swa_arms(samples, title):
    m = samples[0].metrics
    groups = {f"{arm} lr {m['lr_' + arm]:g}": {"snapshots (mean)": m[f"test_snapshot_loss_{arm}"],
                                               "SWA": m[f"test_swa_loss_{arm}"],
                                               "ensemble": m[f"test_ensemble_loss_{arm}"]}
              for arm in ("low", "high")}
    return plots.swa_bars(groups, title=title + " (test loss, first sample)", ylabel="test cross-entropy")


def valley_profile(samples, title):
    s = next((s for s in samples if not s.not_measurable), None)
    if s is None:
        return None
    a = s.arrays
    return plots.valley_profile(a["l"], a["plus"], a["minus"], interval=a["rp"],
                                title=f"{title}\nmost asymmetric of {s.metrics['n_dirs']} directions, seed 0; fraction "
                                      f"{s.metrics['asym_fraction']:.2f}", direction="u (sharp side)")


def fraction_bars(key0, key1, name0, name1):
    """Per seed, the asymmetric fraction without and with the factor (L2, batch norm)."""
    def figure(samples, title):
        groups = {f"seed {i}": {name0: s.metrics.get(key0, float("nan")), name1: s.metrics.get(key1, float("nan"))}
                  for i, s in enumerate(samples)}
        return plots.swa_bars(groups, title=title, ylabel="asymmetric fraction")
    return figure


def swa_gaps(samples, title):
    keys = (("train", "train_sgd", "train_swa"), ("test", "test_sgd", "test_swa"))
    groups = {g: {"SGD (final iterate)": float(np.mean([s.metrics[a] for s in samples])),
                  "SWA (average)": float(np.mean([s.metrics[b] for s in samples]))} for g, a, b in keys}
    return plots.swa_bars(groups, title=f"{title}\nmean over {len(samples)} seeds")


def sgd_swa_line(samples, title):
    a = samples[0].arrays
    return plots.lines(a["t"], {"train": a["train"], "test": a["test"]}, xlabel="t (0: start, 1: SWA)",
                       ylabel="loss", title=f"{title}\nseed 0, line extended beyond both ends", logy=True,
                       vlines={"start": 0.0, "SWA": 1.0, "bottom": a["bottom_t"]})


def neuron_surface(samples, title):
    s = next((s for s in samples if "Z" in s.arrays), None)
    if s is None:
        return None
    a = s.arrays
    (x0, y0), (ux, uy), p = a["point"], a["sharp_dir"], a["rp"][1]
    return plots.loss_surface(a["xs"], a["ys"], a["Z"], title=f"{title}\ndata draw 0", logz=True,
                              points={"probed point": a["point"], "minimum": a["minimum"]},
                              arrows={"sharp side": ((x0, y0), (ux * p, uy * p))})


FIGURES = {
    tl.hyperplane_dimension: hyperplane_sweep,
    tn.toy_tunnel: path_losses,
    tn.net_line: line_losses,
    tn.net_tunnel: path_losses,
    tn.net_label_switch: label_agreement,
    sd.toy_tunnel_counts: counts_along_path,
    sd.toy_connector_counts: counts_vs_m,
    sd.net_d90_vs_count: d90_sweep,
    sd.net_tunnel_counts: count_profile,
    sd.net_connector_counts: counts_vs_m,
    iso.toy_isotropy: toy_increases,
    iso.net_isotropy: net_increases,
    rd.net_radial_motion: radius,
    wd.net_width_sweep: width_sweep,
    swa.net_swa_cyclic: swa_arms,
    swa.net_swa_same_basin: swa_arms,
    av.av_prevalence: valley_profile,
    av.av_l2: fraction_bars("base_fraction", "l2_fraction", "no L2", "with L2"),
    av.av_batchnorm: fraction_bars("base_fraction", "bn_fraction", "no BN", "BN"),
    av.av_swa_gaps: swa_gaps,
    av.av_flat_side: sgd_swa_line,
    av.av_neuron: neuron_surface,
}


def png(lab, case, label: str, samples) -> bytes | None:
    """The case's figure on ``label`` as PNG bytes (None when its protocol has none or nothing to draw),
    cached beside the samples."""
    figure = FIGURES.get(case.protocol)
    if figure is None:
        return None
    title = f"{case.claim} {label}: {case.name}"

    def build():
        fig = figure(samples, title)
        if fig is None:
            return None
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)  # the figures are tight_layout already: one render, not two
        plt.close(fig)
        return buf.getvalue()

    k = lab.spec.k if label != "toy" else None
    ids = [list(s) if isinstance(s, tuple) else s for s in case.samples]
    return lab.cached("plot", (case.protocol_name, lab.config_key(label), k, case.kwargs(), ids, title), build,
                      version=FIGURE_VERSION)

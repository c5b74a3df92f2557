"""Plots for the claims (matplotlib, Agg): one function per kind of figure, each returning a Figure.

Generic: lines, sweep, histogram, bars, path_losses (C4, C5), cosine_matrix (C6). Per claim:
label_agreement (C7), count_profile (C8), count_vs_m (C10), width_vs_hyperparam (C14), swa_bars
(C16, A2), valley_profile (A1, A3, A4), loss_surface (A4).

``report.figures`` draws each case's figure with these from its samples' arrays; the pytest plugin saves it
under reports/plots/ and ``report.allure.attach_row`` attaches it to the case's Allure result.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _fig(title: str, size=(5.2, 3.4)):
    fig, ax = plt.subplots(figsize=size)
    ax.set_title(title, fontsize=9)
    return fig, ax


def lines(x, series: dict, *, xlabel: str, ylabel: str, title: str, logy: bool = False, hlines: dict | None = None,
          vlines: dict | None = None, markers: bool = False):
    """Several y(x) curves on one axis; ``hlines``/``vlines`` map a label to a position (thresholds)."""
    fig, ax = _fig(title)
    for label, y in series.items():
        xs = x[label] if isinstance(x, dict) else x
        ax.plot(np.asarray(xs), np.asarray(y), marker="o" if markers else None, ms=3, label=label)
    for label, v in (hlines or {}).items():
        ax.axhline(v, ls="--", lw=0.8, color="gray")
        ax.annotate(label, (0.01, v), xycoords=("axes fraction", "data"), fontsize=7, color="gray")
    for label, v in (vlines or {}).items():
        ax.axvline(v, ls=":", lw=0.8, color="k")
        ax.annotate(label, (v, 0.95), xycoords=("data", "axes fraction"), fontsize=7)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def path_losses(t_line, loss_line, t_path, loss_path, *, title: str, extra: dict | None = None, logy: bool = True):
    """Loss along the straight line vs along a connector (C4, C5)."""
    xs = {"straight line": t_line, "connector": t_path}
    ys = {"straight line": loss_line, "connector": loss_path}
    for k, (t, y) in (extra or {}).items():
        xs[k], ys[k] = t, y
    return lines(xs, ys, xlabel="t (A -> B)", ylabel="loss", title=title, logy=logy)


def cosine_matrix(C, *, title: str):
    """Cosines between the deviations of a connector's nodes from the straight line (C6)."""
    fig, ax = _fig(title, size=(4.2, 3.6))
    im = ax.imshow(np.asarray(C), vmin=-1, vmax=1, cmap="RdBu_r")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xlabel("node")
    ax.set_ylabel("node")
    fig.tight_layout()
    return fig


def sweep(x, y, *, xlabel: str, ylabel: str, title: str, logy: bool = True, vline=None, vlabel: str = ""):
    """One measured quantity over a swept parameter (hyperplane dimension d, m, D, ...)."""
    return lines(x, {ylabel: y}, xlabel=xlabel, ylabel=ylabel, title=title, logy=logy, markers=True,
                 vlines={vlabel: vline} if vline is not None else None)


def histogram(values, *, xlabel: str, title: str, bins: int = 30):
    fig, ax = _fig(title)
    ax.hist(np.asarray(values), bins=bins)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    fig.tight_layout()
    return fig


def bars(labels, values, *, ylabel: str, title: str, logy: bool = False):
    fig, ax = _fig(title)
    ax.bar(range(len(values)), np.asarray(values, dtype=float))
    ax.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    fig.tight_layout()
    return fig


# -- plots for particular claims ---------------------------------------------------------------------------

def label_agreement(t, agree_a, agree_b, *, title: str, crossing=None, band: float | None = 1 / 6):
    """C7: fraction of inputs whose predicted label agrees with A's / B's along a path, t in [0, 1].

    ``crossing``: the t where agreement with B first exceeds agreement with A (drawn as a vertical line);
    ``band``: half-width of the shaded "middle" around t = 0.5 that the claim's rule allows.
    """
    fig, ax = _fig(title)
    t = np.asarray(t, dtype=float)
    ax.plot(t, np.asarray(agree_a, dtype=float), marker="o", ms=3, label="agrees with A")
    ax.plot(t, np.asarray(agree_b, dtype=float), marker="s", ms=3, label="agrees with B")
    if band is not None:
        ax.axvspan(0.5 - band, 0.5 + band, color="0.9", zorder=0, label="middle (rule)")
    if crossing is not None:
        ax.axvline(float(crossing), ls=":", lw=1, color="k")
        ax.annotate(f"crossing t={float(crossing):.2f}", (float(crossing), 0.04), fontsize=7)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("t along the path (A -> B)")
    ax.set_ylabel("label agreement")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def count_profile(t, counts: dict, *, title: str, ylabel: str = "short directions", endpoints=None):
    """C8: number of short directions along a path, one curve per threshold (``{"λ > 1": [...], ...}``).

    ``endpoints``: optional ``{label: value}`` horizontal reference lines (e.g. the endpoints' mean count).
    """
    fig, ax = _fig(title)
    t = np.asarray(t, dtype=float)
    for label, c in counts.items():
        ax.plot(t, np.asarray(c, dtype=float), marker="o", ms=3, label=str(label))
    for label, v in (endpoints or {}).items():
        ax.axhline(float(v), ls="--", lw=0.8, color="gray")
        ax.annotate(label, (0.01, float(v)), xycoords=("axes fraction", "data"), fontsize=7, color="gray")
    ax.axvline(0.5, ls=":", lw=0.8, color="k")
    ax.set_xlabel("t along the path (A -> B)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, title="threshold", title_fontsize=7)
    fig.tight_layout()
    return fig


def count_vs_m(m, counts, *, title: str, ylabel: str = "short directions at the middle", control=None):
    """C10: the count at an m-connector's middle against m; ``counts`` a sequence or ``{label: seq}``.

    ``control``: optional sequence for the control (m-connectors inside one wedge), drawn dashed.
    """
    fig, ax = _fig(title)
    m = np.asarray(m, dtype=float)
    series = counts if isinstance(counts, dict) else {"m-connector": counts}
    for label, c in series.items():
        ax.plot(m, np.asarray(c, dtype=float), marker="o", ms=4, label=str(label))
    if control is not None:
        ax.plot(m, np.asarray(control, dtype=float), ls="--", marker="x", ms=4, color="gray", label="control")
    ax.set_xlabel("m (optima joined)")
    ax.set_ylabel(ylabel)
    ax.set_xticks(m)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def width_vs_hyperparam(values, widths, *, name: str, title: str, logx: bool = True, rising_until=None,
                        spread=None, ylabel: str = "tunnel width"):
    """C14: radial-tunnel width against one hyperparameter (lr, L2, dropout, batch size).

    ``spread``: optional per-value error bars (std over seeds); ``rising_until``: last value of the range
    the rule's Spearman correlation is computed on (shaded).
    """
    fig, ax = _fig(title)
    x = np.asarray(values, dtype=float)
    y = np.asarray(widths, dtype=float)
    if spread is not None:
        ax.errorbar(x, y, yerr=np.asarray(spread, dtype=float), marker="o", ms=4, capsize=3)
    else:
        ax.plot(x, y, marker="o", ms=4)
    if rising_until is not None:
        ax.axvspan(float(x.min()), float(rising_until), color="0.92", zorder=0, label="rule's range")
        ax.legend(fontsize=7)
    if logx and np.all(x > 0):
        ax.set_xscale("log")
    ax.set_xlabel(name)
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig


def swa_bars(groups: dict, *, title: str, ylabel: str = "loss", logy: bool = False):
    """C16 / A2: grouped bars, ``{"high lr": {"snapshots (mean)": 0.1, "SWA": 2.3, "ensemble": 0.08}, ...}``."""
    fig, ax = _fig(title)
    gnames = list(groups)
    kinds: list[str] = []
    for g in gnames:
        for k in groups[g]:
            if k not in kinds:
                kinds.append(k)
    width = 0.8 / max(len(kinds), 1)
    x = np.arange(len(gnames))
    for i, k in enumerate(kinds):
        vals = [float(groups[g].get(k, np.nan)) for g in gnames]
        bars_ = ax.bar(x + (i - (len(kinds) - 1) / 2) * width, vals, width, label=k)
        ax.bar_label(bars_, fmt="%.3g", fontsize=6)
    ax.set_xticks(x, gnames)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def valley_profile(dist, loss_plus, loss_minus, *, title: str, interval=None, ylabel: str = "loss",
                   direction: str = "u"):
    """A1 / A3 / A4: loss at w + l·u and at w − l·u against the distance l >= 0 (an asymmetric valley
    shows one side rising faster). ``interval``: ``(r, p)``, the range of l the asymmetry rule uses."""
    fig, ax = _fig(title)
    d = np.asarray(dist, dtype=float)
    ax.plot(d, np.asarray(loss_plus, dtype=float), label=f"L(w + l {direction})")
    ax.plot(d, np.asarray(loss_minus, dtype=float), ls="--", label=f"L(w - l {direction})")
    if interval is not None:
        ax.axvspan(float(interval[0]), float(interval[1]), color="0.92", zorder=0, label="[r, p]")
    ax.set_xlabel("distance l from w")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def loss_surface(xs, ys, Z, *, title: str, xlabel: str = "weight", ylabel: str = "bias", points: dict | None = None,
                 arrows: dict | None = None, levels: int = 30, logz: bool = False):
    """A4: a 2-D loss surface (one neuron: weight x bias) as filled contours.

    ``Z[i, j]`` is the loss at ``(xs[j], ys[i])``; ``points`` ``{label: (x, y)}`` marks minima / SWA;
    ``arrows`` ``{label: ((x0, y0), (dx, dy))}`` draws probe directions.
    """
    fig, ax = _fig(title, size=(5.0, 4.0))
    Z = np.asarray(Z, dtype=float)
    if logz:
        Z = np.log10(np.clip(Z, 1e-12, None))
    cs = ax.contourf(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), Z, levels=levels, cmap="viridis")
    ax.contour(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), Z, levels=10, colors="w", linewidths=0.4)
    fig.colorbar(cs, ax=ax, fraction=0.046, label="log10 loss" if logz else "loss")
    for label, (px, py) in (points or {}).items():
        ax.plot([px], [py], marker="*", ms=10, mec="k", label=label)
    for label, ((x0, y0), (dx, dy)) in (arrows or {}).items():
        ax.annotate("", xy=(x0 + dx, y0 + dy), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", color="w"))
        ax.annotate(label, (x0 + dx, y0 + dy), color="w", fontsize=7)
    if points:
        ax.legend(fontsize=7, loc="upper right")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig

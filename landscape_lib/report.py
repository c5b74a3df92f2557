"""Plots for the claims (matplotlib, Agg): one function per kind of figure, each returning a Figure.

The claim tests pass the Figure to ``verdict.check(..., plot=fig)``, which saves it under
reports/plots/ and attaches it to the Allure result.
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

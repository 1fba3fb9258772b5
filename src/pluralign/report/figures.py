"""Plot helpers shared by every report: matplotlib figures inlined as SVG, so reports open offline."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pandas as pd


@cache
def pyplot():
    """matplotlib's pyplot, drawing off screen in our style; imported on the first figure, since importing it takes
    about a second that a command failing on its input, or printing its help, should not wait for."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False, "svg.fonttype": "none"})
    return plt


def to_svg(fig) -> str:
    """The figure as an inline <svg> element (no XML header), then closed."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    pyplot().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def interval_bars(frame: pd.DataFrame, category: str, series: str, title: str, ylabel: str, ylim=None, rotate: int = 0) -> str:
    """Grouped bars of ``value`` with ``ci_low``..``ci_high`` error bars: ``category`` on the x axis, one bar
    per ``series`` (e.g. model); group sizes are printed under the axis labels. A value of exactly 0 is drawn as
    a marked "0" (a bar of height 0 is invisible, and a chart of them reads as an empty frame), a missing one
    as "n/a"."""
    cats = list(dict.fromkeys(frame[category]))
    names = list(dict.fromkeys(frame[series]))
    width = 0.8 / max(len(names), 1)
    fig, ax = pyplot().subplots(figsize=(max(4.5, 0.6 * len(cats) * max(1, len(names) / 2) + 2), 3.2))
    for k, name in enumerate(names):
        part = frame[frame[series] == name].set_index(category).reindex(cats)
        x = np.arange(len(cats)) + (k - (len(names) - 1) / 2) * width
        err = np.vstack([part["value"] - part["ci_low"], part["ci_high"] - part["value"]]).clip(min=0)
        bars = ax.bar(x, part["value"], width, yerr=err, capsize=2, label=str(name))
        _mark_empty(ax, x, part["value"].to_numpy(dtype=float), bars.patches[0].get_facecolor() if bars.patches else None)
    sizes = frame.groupby(category)["n"].max().reindex(cats)
    ax.set_xticks(np.arange(len(cats)), [f"{c}\nn={int(n)}" for c, n in zip(cats, sizes)], rotation=rotate,
                  ha="right" if rotate else "center")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    if len(names) > 1:
        ax.legend(frameon=False, fontsize=8)
    return to_svg(fig)


def _mark_empty(ax, x: np.ndarray, values: np.ndarray, color) -> None:
    """Mark bars that have no height: a diamond and "0" at zero, "n/a" where there is no value."""
    for xi, v in zip(x, values):
        if v == 0:
            ax.plot(xi, 0, marker="D", markersize=4, color=color, clip_on=False, zorder=3)
        if v == 0 or np.isnan(v):
            ax.annotate("0" if v == 0 else "n/a", (xi, 0), xytext=(3, 3), textcoords="offset points", ha="left",
                        fontsize=7, color="#333")


def heatmap(tables: dict[str, pd.DataFrame], title: str, label: str) -> str:
    """One heatmap per key of ``tables`` (e.g. per model), values in [0, 1], annotated."""
    n = len(tables)
    first = next(iter(tables.values()))
    fig, axes = pyplot().subplots(1, n, figsize=(1.1 * first.shape[1] * n + 2, 0.45 * first.shape[0] + 1.6), squeeze=False)
    for ax, (name, table) in zip(axes[0], tables.items()):
        image = ax.imshow(table.to_numpy(dtype=float), cmap="RdBu", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(table.shape[1]), [str(c).replace("_", " ") for c in table.columns], rotation=35, ha="right")
        ax.set_yticks(range(table.shape[0]), table.index)
        for (i, j), v in np.ndenumerate(table.to_numpy(dtype=float)):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if abs(v - 0.5) > 0.3 else "black")
        ax.set_title(str(name))
    fig.colorbar(image, ax=axes[0].tolist(), label=label, shrink=0.8)
    fig.suptitle(title)
    return to_svg(fig)

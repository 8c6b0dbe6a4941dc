"""PNG plots of AU intensity curves over time (matplotlib, Agg, imported only when a plot is drawn)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganimate.atomic import atomic_output
from ganimate.au.names import AU_DESCRIPTIONS, AU_MAX, AU_NAMES, N_AUS, au_index

_ACTIVE_EPS = 1e-3  # an AU counts as "used" when it ever exceeds this intensity


def active_aus(*series: np.ndarray | None) -> tuple[str, ...]:
    """AU names (AU_NAMES order) that are ever above ~0 in any of the float (T,17) series."""
    used = np.zeros(N_AUS, dtype=bool)
    for aus in series:
        if aus is None:
            continue
        arr = np.nan_to_num(np.asarray(aus, dtype=np.float64).reshape(-1, N_AUS), nan=0.0)
        used |= (np.abs(arr) > _ACTIVE_EPS).any(axis=0)
    return tuple(name for name, on in zip(AU_NAMES, used, strict=True) if on)


def plot_au_curves(
    times: np.ndarray,
    aus: np.ndarray,
    path: str | Path,
    title: str = "",
    names: Sequence[str] | None = None,
    *,
    compare: np.ndarray | None = None,
    labels: tuple[str, str] = ("target", "estimated"),
    size: tuple[int, int] = (1200, 600),
    dpi: int = 100,
) -> Path:
    """Plot AU intensities against time and write a PNG of exactly `size` (width, height) pixels.

    times: float (T,) seconds. aus: float (T,17) intensities 0..5 (NaN = gap). compare: optional second
    float (T,17) series (e.g. estimated AUs) drawn dashed in the same colour per AU; `labels` name the
    two series. names: AUs to draw (any spelling au_index accepts); default: every AU that is ever
    non-zero in `aus` (in `compare` when `aus` is all zero), since estimates are rarely exactly 0.
    Each AU keeps one colour across plots. Written atomically; returns the path.
    """
    from matplotlib.figure import Figure  # lazy: matplotlib is slow to import; Figure uses Agg itself
    from matplotlib.lines import Line2D

    path = Path(path)
    times = np.asarray(times, dtype=np.float64).reshape(-1)
    aus = np.asarray(aus, dtype=np.float64)
    if aus.shape != (times.shape[0], N_AUS):
        raise ValueError(f"aus must be ({times.shape[0]}, {N_AUS}), got {aus.shape}")
    if compare is not None:
        compare = np.asarray(compare, dtype=np.float64)
        if compare.shape != aus.shape:
            raise ValueError(f"compare must be {aus.shape}, got {compare.shape}")
    if names is not None:
        chosen = [AU_NAMES[au_index(n)] for n in names]
    else:
        chosen = list(active_aus(aus) or active_aus(compare))

    fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
    ax = fig.add_axes((0.07, 0.1, 0.63, 0.8))  # fixed layout: leaves the right part for the legend
    colours = _colours()
    handles = []
    for name in chosen:
        i = AU_NAMES.index(name)
        ax.plot(times, aus[:, i], color=colours[i], lw=2.0)
        if compare is not None:
            ax.plot(times, compare[:, i], color=colours[i], lw=1.5, ls="--")
        handles.append(Line2D([], [], color=colours[i], lw=2.0, label=f"{name} {AU_DESCRIPTIONS[name]}"))
    if compare is not None and chosen:
        # one entry per AU plus one per line style keeps the legend at most 19 rows
        handles.append(Line2D([], [], color="black", lw=2.0, label=labels[0]))
        handles.append(Line2D([], [], color="black", lw=1.5, ls="--", label=labels[1]))
    if not chosen:
        ax.text(0.5, 0.5, "all AUs are 0", transform=ax.transAxes, ha="center", va="center")
    if times.size:
        ax.set_xlim(times.min(), max(times.max(), times.min() + 1e-6))
    shown = [aus[:, AU_NAMES.index(n)] for n in chosen]
    low = min([0.0, *(float(np.nanmin(v)) for v in shown if np.isfinite(v).any())])
    ax.set_ylim(low - 0.1, AU_MAX + 0.1)  # negative only for offset curves (base "source")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("intensity (0–5)")
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small",
                  frameon=False)
    with atomic_output(path, ()) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return path


def _colours() -> list[tuple[float, float, float, float]]:
    """One colour per AU index: tab20's 10 dark hues first, then the light ones, so neighbours differ."""
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    order = [*range(0, 20, 2), *range(1, 20, 2)]
    return [cmap(order[i]) for i in range(N_AUS)]

"""AU curve plots: a real PNG of the requested size with coloured lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganimate.au.names import AU_NAMES, N_AUS
from ganimate.au.plot import active_aus, plot_au_curves


def _series(t: np.ndarray) -> np.ndarray:
    aus = np.zeros((t.size, N_AUS), dtype=np.float32)
    aus[:, AU_NAMES.index("AU12")] = 2.5 + 2 * np.sin(t)
    aus[:, AU_NAMES.index("AU06")] = np.clip(t - 1, 0, 3)
    return aus


def _coloured_fraction(path: Path) -> float:
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    saturation = rgb.max(axis=2) - rgb.min(axis=2)  # 0 for white/grey/black text and axes
    return float((saturation > 60).mean())


def test_active_aus() -> None:
    t = np.linspace(0, 4, 50)
    assert active_aus(_series(t)) == ("AU06", "AU12")
    other = np.zeros((50, N_AUS))
    other[3, AU_NAMES.index("AU45")] = np.nan
    other[4, AU_NAMES.index("AU01")] = 0.5
    assert active_aus(_series(t), other, None) == ("AU01", "AU06", "AU12")


def test_plot_writes_png_of_right_size(tmp_path: Path) -> None:
    t = np.linspace(0, 4, 100)
    path = tmp_path / "aus.png"
    out = plot_au_curves(t, _series(t), path, "smile", size=(900, 450))
    assert out == path and path.stat().st_size > 1000
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == (900, 450)
    assert _coloured_fraction(path) > 0.001
    assert not list(tmp_path.glob(".*")), "no temporary file left behind"


def test_plot_two_series_and_empty(tmp_path: Path) -> None:
    t = np.linspace(0, 4, 100)
    target = _series(t)
    estimated = target * 0.8
    estimated[10:20] = np.nan  # frames without a face leave gaps
    two = tmp_path / "two.png"
    plot_au_curves(t, target, two, "target vs estimated", compare=estimated)
    one = tmp_path / "one.png"
    plot_au_curves(t, target, one, "target vs estimated")
    assert _coloured_fraction(two) > _coloured_fraction(one)  # the dashed series adds coloured pixels
    empty = tmp_path / "empty.png"
    plot_au_curves(t, np.zeros((100, N_AUS)), empty, "nothing", size=(400, 300))
    with Image.open(empty) as img:
        assert img.size == (400, 300)
    assert _coloured_fraction(empty) < _coloured_fraction(one)
    chosen = tmp_path / "chosen.png"
    plot_au_curves(t, target, chosen, names=["12"])
    assert 0 < _coloured_fraction(chosen) < _coloured_fraction(one)


def test_plot_rejects_bad_shapes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        plot_au_curves(np.arange(5), np.zeros((5, 3)), tmp_path / "x.png")
    with pytest.raises(ValueError):
        plot_au_curves(np.arange(5), np.zeros((5, N_AUS)), tmp_path / "x.png", compare=np.zeros((4, N_AUS)))

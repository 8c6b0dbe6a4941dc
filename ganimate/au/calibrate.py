"""Per-person calibration of AU readings along a face track, in the spirit of OpenFace's dynamic models.

A per-frame estimator reads a person's resting face as their baseline: heavy brows read as a frown, a
mouth that rests open as AU25. OpenFace's video models subtract a per-person neutral; this does the same
in one streaming pass: for each track and AU, a running low percentile of the readings so far (a
histogram, so memory is constant in video length) is taken as that person's neutral and subtracted. The
first frames of a track have no history yet, so the neutral estimate is shrunk towards zero until
`warmup` frames have been seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ganimate.au.names import AU_MAX, AU_NAMES, N_AUS
from ganimate.config import CALIBRATED_AUS, CalibrationConfig  # noqa: F401 (re-exported)

BINS = 101  # 0.05 steps over 0..5


@dataclass
class TrackCalibration:
    """Running per-track neutral estimates. update() one frame's readings at a time, per track."""

    config: CalibrationConfig = field(default_factory=CalibrationConfig)
    _hist: dict[int, np.ndarray] = field(default_factory=dict)
    _raw: np.ndarray = field(init=False)  # bool (17,): AUs passed through uncalibrated

    def __post_init__(self) -> None:
        self._raw = ~np.isin(np.array(AU_NAMES), self.config.aus)

    def update(self, track_id: int, aus: np.ndarray) -> np.ndarray:
        """float (17,) 0..5 reading of one face -> calibrated float32 (17,) 0..5 (the reading is recorded)."""
        a = np.clip(np.asarray(aus, dtype=np.float64), 0.0, AU_MAX)
        hist = self._hist.setdefault(track_id, np.zeros((N_AUS, BINS), dtype=np.int64))
        bins = np.rint(a / AU_MAX * (BINS - 1)).astype(np.int64)
        hist[np.arange(N_AUS), bins] += 1
        neutral = _percentile(hist, self.config.percentile)
        seen = int(hist[0].sum())
        neutral *= min(1.0, seen / max(self.config.warmup, 1))
        out = np.clip((a - neutral) * self.config.scale, 0.0, AU_MAX)
        out[self._raw] = a[self._raw]
        return out.astype(np.float32)


def _percentile(hist: np.ndarray, q: float) -> np.ndarray:
    """Per-row q-th percentile (0..5 scale) of int64 (17, BINS) histograms."""
    cum = np.cumsum(hist, axis=1)
    need = np.maximum(1, np.ceil(cum[:, -1] * q / 100.0))[:, None]
    idx = np.argmax(cum >= need, axis=1)
    return idx.astype(np.float64) / (BINS - 1) * AU_MAX


def calibrate_offline(aus: np.ndarray, config: CalibrationConfig) -> np.ndarray:
    """Calibrate one track's readings float (T, 17) in order, as the streaming pass would."""
    cal = TrackCalibration(config)
    return np.stack([cal.update(0, a) for a in np.asarray(aus)]) if len(aus) else np.zeros((0, N_AUS), np.float32)

"""Target AUs for the generator: reference tracks, neutral expressions, relative/absolute modes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganimate.au.names import AU_MAX, N_AUS
from ganimate.errors import GanimateError

NEUTRAL_QUANTILE = 0.2  # a face's "neutral": each AU's 20th percentile over the frames seen


@dataclass(frozen=True)
class AuSeries:
    """Per-frame AUs of one face over a video: times float64 (T,) s, aus float32 (T,17) 0..5 (no NaN)."""

    times: np.ndarray
    aus: np.ndarray

    def neutral(self) -> np.ndarray:
        return neutral_of(self.aus)

    def at(self, t: float, end: str = "hold") -> np.ndarray:
        """AUs at time t (seconds): nearest earlier frame; past the end hold the last or loop."""
        times = self.times
        if end == "loop" and len(times) > 1:
            period = times[-1] - times[0] + (times[-1] - times[-2])
            t = times[0] + (t - times[0]) % period
        i = int(np.searchsorted(times, t + 1e-6, side="right")) - 1
        return self.aus[min(max(i, 0), len(times) - 1)]


def neutral_of(aus: np.ndarray) -> np.ndarray:
    """float (T,17) -> float32 (17,) per-AU low quantile, the face's resting expression."""
    a = np.asarray(aus, dtype=np.float32)
    if a.size == 0:
        return np.zeros(N_AUS, dtype=np.float32)
    return np.nanquantile(a, NEUTRAL_QUANTILE, axis=0).astype(np.float32)


def fill_gaps(aus: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Frames without a face take the nearest valid frame's AUs (previous, else next)."""
    valid = np.asarray(valid, dtype=bool)
    if not valid.any():
        raise GanimateError("no face found in any frame of the reference")
    idx = np.where(valid, np.arange(len(valid)), -1)
    idx = np.maximum.accumulate(idx)
    first = int(np.argmax(valid))
    idx[idx < 0] = first
    return np.asarray(aus, dtype=np.float32)[idx]


def gaussian_kernel(sigma: float) -> np.ndarray:
    """float64 (2r+1,) normalised Gaussian taps, r = ceil(3 sigma); [1.0] (no smoothing) for sigma <= 0."""
    if sigma <= 0:
        return np.ones(1)
    radius = int(np.ceil(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return k / k.sum()


def smooth_series(aus: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along time (sigma in frames) to calm per-frame estimator noise."""
    if sigma <= 0 or len(aus) < 3:
        return np.asarray(aus, dtype=np.float32)
    k = gaussian_kernel(sigma)
    radius = (len(k) - 1) // 2
    padded = np.pad(aus, ((radius, radius), (0, 0)), mode="edge")
    out = np.stack([np.convolve(padded[:, j], k, mode="valid") for j in range(aus.shape[1])], axis=1)
    return out.astype(np.float32)


def relative_target(source_neutral: np.ndarray, ref: np.ndarray, ref_neutral: np.ndarray) -> np.ndarray:
    """source-neutral + (ref(t) - ref-neutral), clipped to 0..5: the reference's change, on this face."""
    return np.clip(source_neutral + (ref - ref_neutral), 0.0, AU_MAX).astype(np.float32)

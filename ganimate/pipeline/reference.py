"""The reference's AUs, read only as far as the source needs them.

`transfer` asks for the reference's AUs at each source frame's time, in order. StreamedReference pulls
reference frames (decode -> track -> estimate, its own prefetch threads running ahead of the source)
only until it can answer, so a short source driven by a long reference reads a short span of it. Every
value it returns is the one the whole-reference series (fill_gaps, then smooth_series, then
AuSeries.at) would give: gaps take the previous valid frame (leading gaps the first valid one), and the
Gaussian smoothing waits for its `radius` frames of look-ahead.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ganimate.au.names import N_AUS
from ganimate.errors import GanimateError
from ganimate.pipeline.targets import gaussian_kernel, neutral_of

_SLACK = 1e-6  # s; as AuSeries.at: a source frame at a reference frame's time takes that frame


class StreamedReference:
    """AUs of one reference face over time, from rows (time s, face found, aus float32 (17,) 0..5).

    sigma: Gaussian smoothing in frames (as smooth_series). neutral_frames: the reference neutral is the
    20th percentile of its first N smoothed frames (0 = of the whole reference, which reads it all).
    """

    def __init__(self, rows: Iterator[tuple[float, bool, np.ndarray]], sigma: float, neutral_frames: int):
        self._rows = iter(rows)
        self._kernel = gaussian_kernel(sigma)
        self._radius = (len(self._kernel) - 1) // 2
        self._neutral_frames = neutral_frames
        self._times: list[float] = []
        self._raw: list[np.ndarray] = []
        self._valid: list[bool] = []
        self._first_valid: int | None = None
        self._filled: list[np.ndarray] = []
        self._last_valid = -1
        self._smooth: list[np.ndarray] = []
        self._ended = False
        self._neutral: np.ndarray | None = None

    @property
    def frames_read(self) -> int:
        return len(self._times)

    def close(self) -> None:
        """Stop reading (ends the reference's decode and tracking threads)."""
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()
        self._ended = True

    def at(self, t: float, end: str = "hold") -> np.ndarray:
        """float32 (17,) AUs at time t (s): the nearest earlier reference frame; past the end hold or loop."""
        if not self._times:
            self._read_one()
        if end == "loop" and t < self._times[0]:
            self._read_all()  # loop wraps times before the first frame onto the reference's end
        while not self._ended and (not self._times or self._times[-1] <= t + _SLACK):
            self._read_one()
        times = self._times
        if end == "loop" and self._ended and len(times) > 1:
            period = times[-1] - times[0] + (times[-1] - times[-2])
            t = times[0] + (t - times[0]) % period
        i = int(np.searchsorted(times, t + _SLACK, side="right")) - 1
        return self._smoothed(min(max(i, 0), len(times) - 1))

    def neutral(self) -> np.ndarray:
        """float32 (17,): the reference's resting expression (see neutral_frames)."""
        if self._neutral is None:
            if self._neutral_frames <= 0:
                self._read_all()
                n = len(self._times)
            else:
                while not self._ended and len(self._times) < self._neutral_frames:
                    self._read_one()
                n = min(self._neutral_frames, len(self._times))
            self._smoothed(n - 1)
            self._neutral = neutral_of(np.stack(self._smooth[:n]))
        return self._neutral

    def _read_all(self) -> None:
        while not self._ended:
            self._read_one()

    def _read_one(self) -> None:
        try:
            time, valid, aus = next(self._rows)
        except StopIteration:
            self._ended = True
            if self._first_valid is None:
                raise GanimateError("no face found in any frame of the reference") from None
            return
        self._times.append(float(time))
        self._raw.append(np.asarray(aus, dtype=np.float32).reshape(N_AUS))
        self._valid.append(bool(valid))
        if valid and self._first_valid is None:
            self._first_valid = len(self._raw) - 1
        self._fill()

    def _fill(self) -> None:
        """Extend the gap-filled rows (possible once a valid frame has been seen)."""
        if self._first_valid is None:
            return
        for j in range(len(self._filled), len(self._raw)):
            if self._valid[j]:
                self._last_valid = j
            self._filled.append(self._raw[max(self._last_valid, self._first_valid)])

    def _smoothed(self, i: int) -> np.ndarray:
        """Smoothed row i, reading on until its look-ahead window is known."""
        while len(self._smooth) <= i:
            count = len(self._filled)
            if self._ended:
                done = len(self._times)
            elif count < 3:  # smooth_series leaves series shorter than 3 frames unsmoothed
                done = 0
            else:
                done = count - self._radius
            if done > len(self._smooth):
                self._extend_smooth(done)
            elif self._ended:
                raise IndexError(i)
            else:
                self._read_one()
        return self._smooth[i]

    def _extend_smooth(self, upto: int) -> None:
        """Smooth rows [len(self._smooth), upto) exactly as smooth_series does on the whole series."""
        a, r, count = len(self._smooth), self._radius, len(self._filled)
        if r == 0 or (self._ended and count < 3):
            self._smooth.extend(self._filled[a:upto])
            return
        lo, hi = max(0, a - r), min(count, upto + r)  # only the window: cost stays flat in video length
        padded = np.pad(np.stack(self._filled[lo:hi]), ((r - (a - lo), r - (hi - upto)), (0, 0)), mode="edge")
        out = np.stack([np.convolve(padded[:, j], self._kernel, mode="valid") for j in range(N_AUS)], axis=1)
        self._smooth.extend(out.astype(np.float32))

"""Keyframed AU curves from JSON: parse, validate, evaluate at frame times.

Schema (documented in docs/curves.md)::

    {"fps": 25, "duration": 4.0, "time_unit": "seconds", "base": "neutral", "interpolation": "smooth",
     "curves": {"AU12": {"interpolation": "smooth", "keys": [[0, 0], [1.0, 3.0], [3.5, 0]]},
                "AU06": [[0, 0], [1.0, 2.0], [3.5, 0]]}}

Key times and ``duration`` are in ``time_unit`` (seconds or frames). ``fps`` and ``duration`` may be
left out when a source video supplies them (``CurveSet.with_timing``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ganimate.au.names import AU_MAX, AU_NAMES, N_AUS, au_index
from ganimate.errors import GanimateError

INTERPOLATIONS = ("linear", "smooth", "step", "ease-in-out")
TIME_UNITS = ("seconds", "frames")
BASES = ("neutral", "source")
DEFAULT_INTERPOLATION = "smooth"
_TOP_KEYS = ("fps", "duration", "time_unit", "base", "interpolation", "curves", "description")
_CURVE_KEYS = ("interpolation", "keys")


# ---------------------------------------------------------------------------------------------------
# Interpolation (pure functions on float64 arrays)


def _hermite(t: np.ndarray, kt: np.ndarray, kv: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """Cubic Hermite through (kt, kv) with tangents `slopes`; held constant outside [kt[0], kt[-1]]."""
    tc = np.clip(t, kt[0], kt[-1])
    k = np.clip(np.searchsorted(kt, tc, side="right") - 1, 0, len(kt) - 2)
    h = kt[k + 1] - kt[k]
    u = (tc - kt[k]) / h
    u2, u3 = u * u, u * u * u
    return ((2 * u3 - 3 * u2 + 1) * kv[k] + (u3 - 2 * u2 + u) * h * slopes[k]
            + (-2 * u3 + 3 * u2) * kv[k + 1] + (u3 - u2) * h * slopes[k + 1])


def monotone_slopes(kt: np.ndarray, kv: np.ndarray) -> np.ndarray:
    """Tangents of a monotone (no overshoot) C1 cubic Hermite, after Fritsch & Carlson (1980).

    Interior tangent: 0 where the neighbouring secants differ in sign or one is 0 (local extremum or
    plateau: the curve is flat there), else the weighted harmonic mean of the secants (Fritsch &
    Butland), which keeps both tangent/secant ratios within Fritsch–Carlson's monotonicity region.
    End tangents are 0 so the curve joins the constant holds before/after the keys with C1 continuity.
    """
    slopes = np.zeros_like(kv)
    if len(kt) < 3:
        return slopes
    h = np.diff(kt)
    d = np.diff(kv) / h
    d0, d1 = d[:-1], d[1:]
    h0, h1 = h[:-1], h[1:]
    same = d0 * d1 > 0
    w0, w1 = 2 * h1 + h0, h1 + 2 * h0
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w0 + w1) / (w0 / d0 + w1 / d1)
    slopes[1:-1] = np.where(same, harmonic, 0.0)
    return slopes


def interpolate(t: np.ndarray, kt: np.ndarray, kv: np.ndarray, method: str) -> np.ndarray:
    """Evaluate keys (kt strictly increasing, kv) at times t with `method`; float64, shape of t.

    Before the first key the first value is held, after the last key the last value.
    """
    t = np.asarray(t, dtype=np.float64)
    kt = np.asarray(kt, dtype=np.float64)
    kv = np.asarray(kv, dtype=np.float64)
    if len(kt) == 1:
        return np.full(t.shape, kv[0])
    if method == "linear":
        return np.interp(t, kt, kv)
    if method == "step":
        k = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 1)
        return kv[k]
    if method == "ease-in-out":
        # Hermite with zero tangents = smoothstep between each pair of keys.
        return _hermite(t, kt, kv, np.zeros_like(kv))
    if method == "smooth":
        return _hermite(t, kt, kv, monotone_slopes(kt, kv))
    raise ValueError(f"unknown interpolation {method!r}")


# ---------------------------------------------------------------------------------------------------
# Data model


@dataclass(frozen=True, eq=False)
class AuCurve:
    """One AU's keys. times: float64 (K,) strictly increasing, in the set's time_unit; values float64 (K,)."""

    au: str
    times: np.ndarray
    values: np.ndarray
    interpolation: str

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        """float (T,) times in the set's time_unit -> float64 (T,) values."""
        return interpolate(t, self.times, self.values, self.interpolation)


@dataclass(frozen=True, eq=False)
class CurveSet:
    """Validated AU curves. Use load_curves / parse_curves to build one.

    base "neutral": curve values are absolute intensities 0..5; AUs without a curve are 0.
    base "source": curve values are offsets -5..5 added to the face's own estimated AUs (see targets()).
    length: the duration in time_unit (None = not given); fps: frames per second (None = not given).
    """

    curves: tuple[AuCurve, ...]
    time_unit: str = "seconds"
    base: str = "neutral"
    fps: float | None = None
    length: float | None = None
    source: str = "<string>"

    @property
    def duration(self) -> float | None:
        """Duration in seconds, or None when unknown."""
        if self.length is None:
            return None
        if self.time_unit == "seconds":
            return self.length
        return None if self.fps is None else self.length / self.fps

    @property
    def n_frames(self) -> int:
        """Number of output frames: round(duration * fps), at least 1."""
        fps, duration = self._need_timing()
        return max(1, int(round(duration * fps)))

    @property
    def au_names(self) -> tuple[str, ...]:
        """AUs that have a curve, in AU_NAMES order."""
        return tuple(c.au for c in self.curves)

    def _need_timing(self) -> tuple[float, float]:
        if self.fps is None or self.duration is None:
            missing = " and ".join(n for n, v in (("fps", self.fps), ("duration", self.length)) if v is None)
            raise GanimateError(f"{self.source}: no {missing} given; add it to the file or use a source video")
        return self.fps, self.duration

    def with_timing(self, fps: float | None = None, duration: float | None = None) -> CurveSet:
        """Fill in fps and/or duration (seconds) where the file left them out; the file's values win."""
        new_fps = self.fps if self.fps is not None else fps
        length = self.length
        if length is None and duration is not None:
            if self.time_unit == "seconds":
                length = float(duration)
            elif new_fps is not None:
                length = float(duration) * new_fps
        for name, value in (("fps", new_fps), ("duration", length)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise GanimateError(f"{self.source}: {name} must be > 0, got {value}")
        return replace(self, fps=None if new_fps is None else float(new_fps), length=length)

    def frame_times(self) -> np.ndarray:
        """float64 (n_frames,) seconds of each output frame: i / fps."""
        fps, _ = self._need_timing()
        return np.arange(self.n_frames, dtype=np.float64) / fps

    def evaluate(self, times_seconds: np.ndarray) -> np.ndarray:
        """float (T,) seconds -> float32 (T,17) curve values in AU_NAMES order (0 for AUs without a curve).

        With base "neutral" these are the target intensities; with base "source" they are offsets.
        """
        t = np.asarray(times_seconds, dtype=np.float64).reshape(-1)
        if self.time_unit == "frames":
            if self.fps is None:
                raise GanimateError(f"{self.source}: time_unit is 'frames' but no fps is given; "
                                    "add fps to the file or use a source video")
            t = t * self.fps
        out = np.zeros((t.shape[0], N_AUS), dtype=np.float32)
        for curve in self.curves:
            out[:, AU_NAMES.index(curve.au)] = curve.evaluate(t)
        return out

    def targets(self, times_seconds: np.ndarray, source_aus: np.ndarray | None = None) -> np.ndarray:
        """Target intensities float32 (T,17) in 0..5 for the generator.

        base "neutral": the curve values. base "source": source_aus (float (T,17) or (17,), the face's
        own estimated AUs; NaN stays NaN) plus the curve values, clipped to 0..5.
        """
        values = self.evaluate(times_seconds)
        if self.base == "neutral":
            return np.clip(values, 0.0, AU_MAX)
        if source_aus is None:
            raise ValueError("base 'source' curves need the source face's AUs")
        src = np.asarray(source_aus, dtype=np.float32)
        return np.clip(src + values, 0.0, AU_MAX).astype(np.float32)


# ---------------------------------------------------------------------------------------------------
# Parsing and validation


def _fail(source: str, where: str, message: str) -> GanimateError:
    return GanimateError(f"{source}: {where}: {message}" if where else f"{source}: {message}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: Any, source: str, where: str) -> float:
    if not _is_number(value):
        raise _fail(source, where, f"expected a number, got {json.dumps(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise _fail(source, where, f"must be a finite number, got {value}")
    return value


def _choice(obj: dict, key: str, options: tuple[str, ...], default: str, source: str, where: str) -> str:
    value = obj.get(key, default)
    if value not in options:
        raise _fail(source, f"{where}{key}", f"{json.dumps(value)} is not one of {', '.join(options)}")
    return value


def _positive(obj: dict, key: str, source: str) -> float | None:
    if obj.get(key) is None:
        return None
    value = _number(obj[key], source, key)
    if value <= 0:
        raise _fail(source, key, f"must be > 0, got {obj[key]}")
    return value


def _au_name(name: str, source: str) -> str:
    try:
        return AU_NAMES[au_index(name)]
    except (KeyError, ValueError):
        raise _fail(source, f"curves.{name}", f"unknown AU; valid names: {', '.join(AU_NAMES)}") from None


def _parse_curve(au: str, raw_name: str, spec: Any, default_interp: str, base: str, source: str) -> AuCurve:
    where = f"curves.{raw_name}"
    interp = default_interp
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(_CURVE_KEYS))
        if unknown:
            raise _fail(source, f"{where}.{unknown[0]}", f"unknown field; expected {', '.join(_CURVE_KEYS)}")
        if "keys" not in spec:
            raise _fail(source, where, "missing field 'keys'")
        interp = _choice(spec, "interpolation", INTERPOLATIONS, default_interp, source, f"{where}.")
        keys = spec["keys"]
        where = f"{where}.keys"
    else:
        keys = spec
    if not isinstance(keys, list):
        raise _fail(source, where, "expected a list of [time, value] keys or an object with 'keys'")
    if not keys:
        raise _fail(source, where, "needs at least one [time, value] key")
    lo = -AU_MAX if base == "source" else 0.0
    times, values = [], []
    for i, key in enumerate(keys):
        kw = f"{where}[{i}]"
        if not isinstance(key, list) or len(key) != 2:
            raise _fail(source, kw, f"expected [time, value], got {json.dumps(key)}")
        t = _number(key[0], source, f"{kw} time")
        v = _number(key[1], source, f"{kw} value")
        if t < 0:
            raise _fail(source, kw, f"time must be >= 0, got {key[0]}")
        if not lo <= v <= AU_MAX:
            raise _fail(source, kw, f"value {key[1]} is outside {lo:g}..{AU_MAX:g} (base '{base}')")
        if times and t <= times[-1]:
            raise _fail(source, kw, f"time {key[0]} is not after the previous key time {times[-1]:g}")
        times.append(t)
        values.append(v)
    return AuCurve(au=au, times=np.asarray(times), values=np.asarray(values), interpolation=interp)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {json.dumps(key)}")
        out[key] = value
    return out


def parse_curves(obj: Any, source: str = "<string>") -> CurveSet:
    """Validate a decoded JSON object into a CurveSet; errors are one-line GanimateErrors naming `source`."""
    if not isinstance(obj, dict):
        raise _fail(source, "", "the top level must be a JSON object with a 'curves' field")
    unknown = sorted(set(obj) - set(_TOP_KEYS))
    if unknown:
        raise _fail(source, unknown[0], f"unknown field; expected one of {', '.join(_TOP_KEYS)}")
    if "curves" not in obj:
        raise _fail(source, "", "missing field 'curves'")
    fps = _positive(obj, "fps", source)
    length = _positive(obj, "duration", source)
    time_unit = _choice(obj, "time_unit", TIME_UNITS, "seconds", source, "")
    base = _choice(obj, "base", BASES, "neutral", source, "")
    default_interp = _choice(obj, "interpolation", INTERPOLATIONS, DEFAULT_INTERPOLATION, source, "")
    if "description" in obj and not isinstance(obj["description"], str):
        raise _fail(source, "description", "must be a string")
    raw_curves = obj["curves"]
    if not isinstance(raw_curves, dict):
        raise _fail(source, "curves", "expected an object mapping AU names to keys")
    curves: dict[str, AuCurve] = {}
    for raw_name, spec in raw_curves.items():
        au = _au_name(raw_name, source)
        if au in curves:
            raise _fail(source, f"curves.{raw_name}", f"{au} is given twice")
        curves[au] = _parse_curve(au, raw_name, spec, default_interp, base, source)
    ordered = tuple(curves[name] for name in AU_NAMES if name in curves)
    return CurveSet(curves=ordered, time_unit=time_unit, base=base, fps=fps, length=length, source=source)


def loads_curves(text: str, source: str = "<string>") -> CurveSet:
    """Parse JSON text into a CurveSet (syntax errors name the line and column)."""
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise GanimateError(f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except ValueError as exc:  # duplicate key from the hook
        raise GanimateError(f"{source}: invalid curves: {exc}") from None
    return parse_curves(obj, source)


def load_curves(path: str | Path) -> CurveSet:
    """Read and validate a curves JSON file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise GanimateError(f"{path}: cannot read curves file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise GanimateError(f"{path}: curves file is not UTF-8 text") from None
    return loads_curves(text, str(path))

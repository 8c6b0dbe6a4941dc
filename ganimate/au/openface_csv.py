"""OpenFace AU CSV files: read FeatureExtraction / FaceLandmarkImg layouts, write FeatureExtraction rows.

Read: any CSV whose header names the 17 ``AUxx_r`` intensity columns (spaces after commas, any column
order, any extra columns such as ``AUxx_c``). ``frame``, ``face_id``, ``timestamp``, ``confidence``,
``success`` and a name column (``path`` / ``name`` / ``file``) are used when present. Empty AU cells
(OpenFace leaves them empty when no face was found) read as NaN.

Write: ``frame, face_id, timestamp, confidence, success, AU01_r … AU45_r`` one row at a time, so a
video can be labelled while it is decoded; the file appears only when the writer closes without error.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np

from ganimate.atomic import atomic_output
from ganimate.au.names import AU_NAMES, N_AUS
from ganimate.errors import GanimateError

_AU_COLUMNS = tuple(f"{name}_r" for name in AU_NAMES)
_NAME_COLUMNS = ("path", "name", "file", "filename", "input")
_HEADER = ("frame", "face_id", "timestamp", "confidence", "success", *_AU_COLUMNS)
# OpenFace's 2-D landmark columns (frame pixels), written before the AUs as FeatureExtraction does
LANDMARK_COLUMNS = tuple(f"x_{i}" for i in range(68)) + tuple(f"y_{i}" for i in range(68))


@dataclass(frozen=True, eq=False)
class AuTrack:
    """Per-row AU intensities of one face track (a video) or of one face per photo.

    frame: int64 (N,) — OpenFace frame number (1-based in FeatureExtraction files); for files without
        a frame column, the 0-based row index.
    timestamp: float64 (N,) seconds; NaN when the file has no timestamp column.
    confidence: float32 (N,) tracker confidence 0..1; NaN when absent.
    success: bool (N,) a face was found; when the file has no success column, "all AUs present".
    aus: float32 (N,17) intensities 0..5 in AU_NAMES order; NaN where the file has no value.
    face_id: int64 (N,) 0 when absent.
    names: the photo path/name per row for FaceLandmarkImg-style files, else None.
    """

    frame: np.ndarray
    timestamp: np.ndarray
    confidence: np.ndarray
    success: np.ndarray
    aus: np.ndarray
    face_id: np.ndarray
    names: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return int(self.frame.shape[0])


def aus_from_row(row: Mapping[str, str]) -> np.ndarray | None:
    """float32 (17,) AU intensities of one OpenFace row (a csv.DictReader dict, AU_NAMES order); None when
    a column is missing, empty or not finite."""
    try:
        aus = np.array([float(row[c]) for c in _AU_COLUMNS], dtype=np.float32)
    except (ValueError, KeyError):
        return None
    return aus if np.all(np.isfinite(aus)) else None


def landmarks_from_row(row: Mapping[str, str]) -> np.ndarray | None:
    """float64 (68, 2) x, y of one OpenFace row's x_0 … x_67, y_0 … y_67 columns; None when any is missing
    or empty (OpenFace leaves them empty where it found no face)."""
    try:
        v = np.array([float(row[c]) for c in LANDMARK_COLUMNS], dtype=np.float64)
    except (ValueError, KeyError):
        return None
    return np.stack([v[:68], v[68:]], axis=1)


def _parse_float(text: str, where: str, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise GanimateError(f"{where}: column '{column}' has non-numeric value '{text}'") from None


def _parse_int(text: str, where: str, column: str) -> int:
    value = _parse_float(text, where, column)
    if not math.isfinite(value) or value != int(value):
        raise GanimateError(f"{where}: column '{column}' must be a whole number, got '{text}'")
    return int(value)


def _parse_bool(text: str, where: str, column: str) -> bool:
    low = text.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    value = _parse_float(text, where, column)
    if value not in (0.0, 1.0):
        raise GanimateError(f"{where}: column '{column}' must be 0 or 1, got '{text}'")
    return value == 1.0


def _header_index(header: list[str], path: Path) -> dict[str, int]:
    """Lower-cased, stripped column name -> position; duplicates are an error."""
    index: dict[str, int] = {}
    for pos, raw in enumerate(header):
        key = raw.strip().lower()
        if not key:
            continue
        if key in index:
            raise GanimateError(f"{path}:1: column '{raw.strip()}' appears twice in the header")
        index[key] = pos
    missing = [col for col in _AU_COLUMNS if col.lower() not in index]
    if missing:
        raise GanimateError(
            f"{path}:1: not an OpenFace AU file: missing column(s) {', '.join(missing)} "
            f"(expected {_AU_COLUMNS[0]} … {_AU_COLUMNS[-1]})"
        )
    return index


def read_openface_csv(path: str | Path) -> AuTrack:
    """Read an OpenFace AU CSV (FeatureExtraction or FaceLandmarkImg layout) into an AuTrack.

    Raises GanimateError naming the file and line for a missing file, an empty file, missing AU
    columns, rows of the wrong length and non-numeric values.
    """
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")  # -sig: tolerate a BOM from spreadsheets
    except OSError as exc:
        raise GanimateError(f"{path}: cannot open AU file: {exc.strerror or exc}") from None
    with handle:
        reader = csv.reader(handle, skipinitialspace=True)
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise GanimateError(f"{path}: AU file is empty")
        col = _header_index(header, path)
        au_pos = [col[c.lower()] for c in _AU_COLUMNS]
        opt = {name: col.get(name) for name in ("frame", "face_id", "timestamp", "confidence", "success")}
        name_pos = next((col[n] for n in _NAME_COLUMNS if n in col), None)
        width = len(header)

        frames: list[int] = []
        face_ids: list[int] = []
        stamps: list[float] = []
        confs: list[float] = []
        succ: list[bool | None] = []
        aus: list[list[float]] = []
        names: list[str] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank line
            where = f"{path}:{reader.line_num}"
            cells = [cell.strip() for cell in row]
            if len(cells) > width and not any(cells[width:]):
                cells = cells[:width]  # trailing commas
            if len(cells) != width:
                raise GanimateError(f"{where}: row has {len(cells)} fields, the header has {width}")
            values = []
            for pos, column in zip(au_pos, _AU_COLUMNS, strict=True):
                text = cells[pos]
                value = math.nan if text == "" else _parse_float(text, where, column)
                if math.isinf(value):
                    raise GanimateError(f"{where}: column '{column}' is infinite")
                values.append(value)
            aus.append(values)
            frames.append(
                _parse_int(cells[opt["frame"]], where, "frame") if opt["frame"] is not None else len(frames)
            )
            face_ids.append(_parse_int(cells[opt["face_id"]], where, "face_id") if opt["face_id"] is not None
                            else 0)
            stamps.append(_parse_float(cells[opt["timestamp"]], where, "timestamp")
                          if opt["timestamp"] is not None else math.nan)
            confs.append(_parse_float(cells[opt["confidence"]], where, "confidence")
                         if opt["confidence"] is not None else math.nan)
            succ.append(_parse_bool(cells[opt["success"]], where, "success")
                        if opt["success"] is not None else None)
            if name_pos is not None:
                names.append(cells[name_pos])
    if not aus:
        raise GanimateError(f"{path}: AU file has a header but no rows")

    au_arr = np.asarray(aus, dtype=np.float32).reshape(-1, N_AUS)
    present = np.isfinite(au_arr).all(axis=1)
    success = np.array([present[i] if s is None else s for i, s in enumerate(succ)], dtype=bool)
    return AuTrack(
        frame=np.asarray(frames, dtype=np.int64),
        timestamp=np.asarray(stamps, dtype=np.float64),
        confidence=np.asarray(confs, dtype=np.float32),
        success=success,
        aus=au_arr,
        face_id=np.asarray(face_ids, dtype=np.int64),
        names=tuple(names) if name_pos is not None else None,
    )


class OpenFaceCsvWriter:
    """Streaming writer of OpenFace FeatureExtraction rows; use as a context manager.

    ``with OpenFaceCsvWriter(path) as w: w.write_row(...)``. Rows go to a temporary file that replaces
    ``path`` only when the block ends without an exception (see ganimate.atomic). AUs are written with
    ``au_decimals`` decimals (OpenFace writes 2); NaN AUs are written as empty cells.
    """

    def __init__(self, path: str | Path, inputs: Sequence[str | Path] = (), au_decimals: int = 2,
                 landmarks: bool = False) -> None:
        self.path = Path(path)
        self.landmarks = landmarks
        self._inputs = tuple(inputs)
        self._au_fmt = f"{{:.{int(au_decimals)}f}}"
        self._stack: ExitStack | None = None
        self._file: IO[str] | None = None
        self._csv = None
        self.rows_written = 0

    def __enter__(self) -> OpenFaceCsvWriter:
        stack = ExitStack()
        try:
            tmp = stack.enter_context(atomic_output(self.path, self._inputs))
            self._file = stack.enter_context(Path(tmp).open("w", newline="", encoding="utf-8"))
        except BaseException:
            stack.__exit__(*sys.exc_info())  # as a failure: the temp file goes, and this error is the one raised
            raise
        self._stack = stack
        # OpenFace separates fields with ", "; csv would quote a multi-char delimiter, so join ourselves.
        header = _HEADER if not self.landmarks else (*_HEADER[:5], *LANDMARK_COLUMNS, *_HEADER[5:])
        self._file.write(", ".join(header) + "\n")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        stack, self._stack, self._file = self._stack, None, None
        if stack is None:
            return None
        return stack.__exit__(exc_type, exc, tb)

    def write_row(
        self, frame: int, face_id: int, timestamp: float, confidence: float, success: bool, aus: np.ndarray,
        landmarks: np.ndarray | None = None,
    ) -> None:
        """Append one row. aus: float (17,) intensities 0..5 in AU_NAMES order (NaN -> empty cell).
        landmarks: float (68, 2) frame px, for a writer made with landmarks=True (None -> empty cells)."""
        if self._file is None:
            raise RuntimeError("OpenFaceCsvWriter.write_row called outside its 'with' block")
        values = np.asarray(aus, dtype=np.float64).reshape(-1)
        if values.shape != (N_AUS,):
            raise ValueError(f"aus must have {N_AUS} values, got shape {np.shape(aus)}")
        au_text = ["" if math.isnan(v) else self._au_fmt.format(v) for v in values.tolist()]
        cells = [
            str(int(frame)), str(int(face_id)), f"{float(timestamp):.3f}", f"{float(confidence):.2f}",
            "1" if success else "0", *au_text,
        ]
        if self.landmarks:
            pts = (np.full((68, 2), np.nan) if landmarks is None
                   else np.asarray(landmarks, dtype=np.float64).reshape(68, 2))
            xy = [("" if math.isnan(v) else f"{v:.1f}") for v in (*pts[:, 0], *pts[:, 1])]
            cells[5:5] = xy
        self._file.write(", ".join(cells) + "\n")
        self.rows_written += 1


def write_openface_csv(path: str | Path, track: AuTrack, inputs: Sequence[str | Path] = (),
                       au_decimals: int = 2) -> None:
    """Write a whole AuTrack in FeatureExtraction layout (atomically)."""
    with OpenFaceCsvWriter(path, inputs, au_decimals) as writer:
        for i in range(len(track)):
            stamp = track.timestamp[i]
            conf = track.confidence[i]
            writer.write_row(
                int(track.frame[i]), int(track.face_id[i]), 0.0 if np.isnan(stamp) else float(stamp),
                0.0 if np.isnan(conf) else float(conf), bool(track.success[i]), track.aus[i],
            )

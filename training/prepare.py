"""Dataset preparation: images, folders and videos -> aligned face crops + one aus.csv.

Crops are cut with ganimate.face.align, the function the run-time pipeline uses, so a model trains
on faces framed exactly as it will see them. Labels come from OpenFace CSVs (per-image tables or
per-video FeatureExtraction files) or, when none are given, from the project's AU estimator.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.au.openface_csv import aus_from_row
from ganimate.config import DetectConfig
from ganimate.errors import GanimateError
from ganimate.face.align import warp_face_by_landmarks
from ganimate.face.types import Face

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".wmv", ".m4v", ".mpg", ".mpeg", ".flv"}
AU_COLUMNS = [f"{n}_r" for n in AU_NAMES]
CSV_HEADER = ["file", "source", "identity", "frame", *AU_COLUMNS]


@dataclass(frozen=True)
class PrepareConfig:
    size: int = 128
    margin: float = 1.0
    every: int = 1  # keep every N-th video frame
    dedupe: float = 1.5  # skip a video crop whose 32x32 grey thumbnail differs less than this (0..255 mean)
    pad: float = 0.3  # pad photos by this fraction before detection (tight crops such as UTKFace)
    batch: int = 16
    jpeg_quality: int = 95
    detect: DetectConfig = DetectConfig(min_face_size=30)


@dataclass(frozen=True)
class MediaItem:
    path: Path
    identity: str
    kind: str  # "image" | "video"


def collect_media(inputs: Iterable[Path]) -> list[MediaItem]:
    """Expand files and folders. Identity: first sub-folder under a given folder (LFW: person),
    else the file stem (a photo of unknown identity, or a video = one person)."""
    items: list[MediaItem] = []
    for raw in inputs:
        p = Path(raw)
        if not p.exists():
            raise GanimateError(f"input not found: {p}")
        if p.is_file():
            kind = _kind(p)
            if kind is None:
                raise GanimateError(f"not an image or video file: {p}")
            items.append(MediaItem(p, p.stem, kind))
            continue
        for f in sorted(p.rglob("*")):
            kind = _kind(f)
            if kind is None or not f.is_file():
                continue
            rel = f.relative_to(p)
            identity = rel.parts[0] if len(rel.parts) > 1 and kind == "image" else f.stem
            items.append(MediaItem(f, identity, kind))
    if not items:
        raise GanimateError("no images or videos found in the inputs")
    return items


def _kind(p: Path) -> str | None:
    ext = p.suffix.lower()
    return "image" if ext in IMAGE_EXTS else "video" if ext in VIDEO_EXTS else None


class LabelIndex:
    """OpenFace labels: a per-image table (FaceLandmarkImg-style, `path`/`name`/`file` column) and/or a
    folder of per-video FeatureExtraction CSVs (`STEM.openface.csv` or `STEM.csv`)."""

    def __init__(self, labels: Path | None):
        self.table: dict[str, np.ndarray | None] = {}
        self.folder: Path | None = None
        self.video_csv: Path | None = None  # one FeatureExtraction CSV given as the labels of one video
        if labels is None:
            return
        if labels.is_dir():
            self.folder = labels
            for name in ("openface_aus.csv", "aus.csv"):
                if (labels / name).exists():
                    self._load_table(labels / name)
        elif labels.is_file():
            self._load_table(labels)
        else:
            raise GanimateError(f"labels not found: {labels}")

    def _load_table(self, path: Path) -> None:
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh, skipinitialspace=True)
            fields = [f.strip() for f in (reader.fieldnames or [])]
            key_col = next((c for c in ("path", "name", "file", "filename") if c in fields), None)
            missing = [c for c in AU_COLUMNS if c not in fields]
            if key_col is None and "frame" in fields and not missing:
                self.video_csv = path  # FeatureExtraction output: rows are frames of one video
                return
            if key_col is None or missing:
                raise GanimateError(f"{path}: not an OpenFace AU table (needs a path/name column and AU01_r..AU45_r)")
            for row in reader:
                row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
                ok = row.get("success", "1") not in ("0", "0.0", "")
                aus = aus_from_row(row) if ok else None
                key = row[key_col].replace("\\", "/")
                self.table[key] = aus
                self.table.setdefault(Path(key).name, aus)

    def for_image(self, item: MediaItem) -> np.ndarray | None:
        """The image's AUs; None when the table has no usable row for it (missing or success 0)."""
        posix = item.path.as_posix()
        for key in _suffix_keys(posix):
            if key in self.table:
                return self.table[key]
        return None

    def for_video(self, item: MediaItem) -> dict[int, np.ndarray] | None:
        """Frame index (0-based) -> AUs for frames OpenFace tracked; None when no CSV exists."""
        if self.video_csv is not None:
            return _load_video_csv(self.video_csv)
        folders = [self.folder] if self.folder else []
        folders.append(item.path.parent)
        for folder in folders:
            for name in (f"{item.path.stem}.openface.csv", f"{item.path.stem}.csv"):
                f = folder / name
                if f.exists():
                    return _load_video_csv(f)
        return None


def _suffix_keys(posix: str) -> Iterator[str]:
    parts = posix.split("/")
    for i in range(len(parts)):
        yield "/".join(parts[i:])


def _load_video_csv(path: Path) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh, skipinitialspace=True)
        for row in reader:
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if row.get("success", "1") in ("0", "0.0"):
                continue
            aus = aus_from_row(row)
            if aus is not None:
                out[int(float(row["frame"])) - 1] = aus  # OpenFace frames count from 1
    return out


def choose_face(faces: list[Face], shape: tuple[int, ...], previous: Face | None = None) -> Face | None:
    """The subject: nearest the previous choice in a video, else the largest face near the centre."""
    if not faces:
        return None
    if previous is not None:
        pc = (previous.box[:2] + previous.box[2:]) / 2
        return min(faces, key=lambda f: float(np.linalg.norm((f.box[:2] + f.box[2:]) / 2 - pc)))
    h, w = shape[:2]
    centre = np.array([w / 2, h / 2], dtype=np.float32)

    def rank(f: Face) -> float:
        d = float(np.linalg.norm((f.box[:2] + f.box[2:]) / 2 - centre)) / max(h, w)
        return f.area * (1.0 - d)

    return max(faces, key=rank)


def pad_image(image: np.ndarray, frac: float) -> tuple[np.ndarray, int]:
    """Replicate-pad a uint8 HxWx3 image by frac of its longer side; returns (padded, pad px)."""
    pad = int(round(frac * max(image.shape[:2])))
    if pad <= 0:
        return image, 0
    return cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE), pad


def read_image_rgb(path: Path) -> np.ndarray | None:
    """uint8 HxWx3 RGB, or None if unreadable. Grey images are expanded to 3 channels."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if img is None else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _thumb(crop: np.ndarray) -> np.ndarray:
    return cv2.resize(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), (32, 32), interpolation=cv2.INTER_AREA).astype(
        np.float32
    )


class _Sink:
    """Writes crops and collects rows; aus.csv and dataset.json are written atomically at the end."""

    def __init__(self, out: Path, cfg: PrepareConfig):
        self.out, self.cfg = out, cfg
        (out / "crops").mkdir(parents=True, exist_ok=True)
        self.rows: list[list[str]] = []

    def add(self, crop: np.ndarray, source: Path, identity: str, frame: int, aus: np.ndarray) -> None:
        name = f"crops/{len(self.rows):07d}.jpg"
        bgr = cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(self.out / name), bgr, [cv2.IMWRITE_JPEG_QUALITY, self.cfg.jpeg_quality])
        self.rows.append([name, str(source), identity, str(frame), *(f"{v:.3f}" for v in aus)])

    def finish(self, sources: list[str]) -> None:
        tmp = self.out / "aus.csv.tmp"
        with open(tmp, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_HEADER)
            w.writerows(self.rows)
        os.replace(tmp, self.out / "aus.csv")
        meta = {"size": self.cfg.size, "margin": self.cfg.margin, "count": len(self.rows), "sources": sources}
        tmp = self.out / "dataset.json.tmp"
        tmp.write_text(json.dumps(meta, indent=1))
        os.replace(tmp, self.out / "dataset.json")


@dataclass
class PrepareStats:
    images: int = 0
    videos: int = 0
    frames: int = 0
    crops: int = 0
    no_face: int = 0
    no_label: int = 0
    duplicates: int = 0


def prepare_dataset(
    inputs: list[Path],
    out: Path,
    labels: Path | None = None,
    cfg: PrepareConfig = PrepareConfig(),
    au_model: Path | None = None,
    progress: bool = True,
) -> PrepareStats:
    """Build a training set in `out` (see training/dataset.py for the format). Returns counts."""
    from ganimate.face.detect import FaceDetector

    items = collect_media(inputs)
    if out.exists() and any(out.iterdir()):
        raise GanimateError(f"output folder is not empty: {out}")
    index = LabelIndex(labels)
    if index.video_csv is not None:
        videos = [i.path.name for i in items if i.kind == "video"]
        if len(videos) != 1 or len(items) != 1:
            raise GanimateError(f"{labels}: a per-video OpenFace CSV labels one video; give just that video "
                                f"(got {len(items)} inputs), or a folder of NAME.openface.csv files")
    estimator = _LazyEstimator(au_model) if labels is None else None
    detector = FaceDetector(cfg.detect)
    sink = _Sink(out, cfg)
    stats = PrepareStats()
    images = [i for i in items if i.kind == "image"]
    videos = [i for i in items if i.kind == "video"]
    with _progress(progress) as bar:
        task = bar.add_task("photos", total=len(images)) if images else None
        for batch in _same_size_batches(images, cfg.batch):
            _prepare_images(batch, detector, index, estimator, sink, cfg, stats)
            if task is not None:
                bar.advance(task, len(batch))
        for item in videos:
            _prepare_video(item, detector, index, estimator, sink, cfg, stats, bar)
    if not sink.rows:
        raise GanimateError("no labelled faces found: nothing to write")
    sink.finish([str(p) for p in inputs])
    return stats


def _same_size_batches(images: list[MediaItem], n: int) -> Iterator[list[tuple[MediaItem, np.ndarray]]]:
    """Decoded images grouped by size (MTCNN batches need equal sizes), at most n per batch."""
    pending: dict[tuple[int, int], list[tuple[MediaItem, np.ndarray]]] = {}
    for item in images:
        img = read_image_rgb(item.path)
        if img is None:
            continue
        group = pending.setdefault(img.shape[:2], [])
        group.append((item, img))
        if len(group) >= n:
            yield group
            pending[img.shape[:2]] = []
    for group in pending.values():
        if group:
            yield group


def _prepare_images(batch, detector, index: LabelIndex, estimator, sink: _Sink, cfg: PrepareConfig, stats):
    todo = []
    for item, img in batch:
        stats.images += 1
        if estimator is None:
            aus = index.for_image(item)
            if aus is None:
                stats.no_label += 1
                continue
        else:
            aus = None
        todo.append((item, img, aus))
    if not todo:
        return
    padded = [pad_image(img, cfg.pad) for _, img, _ in todo]
    found = detector.detect_batch([p for p, _ in padded])
    crops = []
    for (item, _img, aus), (pimg, _pad), faces in zip(todo, padded, found, strict=True):
        face = choose_face(faces, pimg.shape)
        if face is None:
            stats.no_face += 1
            continue
        crop, _ = warp_face_by_landmarks(pimg, face.landmarks, cfg.size, cfg.margin)
        crops.append((item, crop, aus))
    if estimator is not None and crops:
        est = estimator(np.stack([c for _, c, _ in crops]))
        crops = [(i, c, a) for (i, c, _), a in zip(crops, est, strict=True)]
    for item, crop, aus in crops:
        sink.add(crop, item.path, item.identity, -1, aus)
        stats.crops += 1


def _prepare_video(item, detector, index: LabelIndex, estimator, sink: _Sink, cfg: PrepareConfig, stats, bar):
    from ganimate.video.reader import read_frames

    labels = index.for_video(item)
    if labels is None and estimator is None:
        stats.no_label += 1
        return
    if labels is not None:
        estimator = None  # OpenFace labels beside the video win over the estimator
    stats.videos += 1
    task = bar.add_task(item.path.name, total=None)
    previous: Face | None = None
    last_thumb: np.ndarray | None = None
    for frame in read_frames(item.path):
        bar.advance(task)
        stats.frames += 1
        if frame.index % cfg.every:
            continue
        aus = None
        if labels is not None:
            aus = labels.get(frame.index)
            if aus is None:
                stats.no_label += 1
                continue
        faces = detector.detect(frame.image)
        face = choose_face(faces, frame.image.shape, previous)
        if face is None:
            stats.no_face += 1
            continue
        previous = face
        crop, _ = warp_face_by_landmarks(frame.image, face.landmarks, cfg.size, cfg.margin)
        thumb = _thumb(crop)
        if last_thumb is not None and float(np.abs(thumb - last_thumb).mean()) < cfg.dedupe:
            stats.duplicates += 1
            continue
        last_thumb = thumb
        if estimator is not None:
            aus = estimator(crop[None])[0]
        sink.add(crop, item.path, item.identity, frame.index, aus)
        stats.crops += 1
    bar.remove_task(task)


class _LazyEstimator:
    """Callable: uint8 NxSxSx3 RGB crops -> float32 Nx17 intensities 0..5, via the ONNX estimator,
    loaded on first use (inputs that come with OpenFace labels never need it)."""

    def __init__(self, au_model: Path | None):
        self.au_model = au_model
        self._estimate = None

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        if self._estimate is None:
            from ganimate.infer.estimator import AuEstimator

            self._estimate = AuEstimator.load(self.au_model).estimate
        return self._estimate(crops)


def _progress(enabled: bool):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), disable=not enabled,
    )



def merge_datasets(parts: list[Path], out: Path) -> int:
    """Join prepared datasets (same crop size) into one; crops are hard-linked where possible."""
    if out.exists() and any(out.iterdir()):
        raise GanimateError(f"output folder is not empty: {out}")
    metas = [json.loads((p / "dataset.json").read_text()) for p in parts]
    if len({(m["size"], m["margin"]) for m in metas}) != 1:
        raise GanimateError("datasets to merge must share crop size and margin")
    cfg = PrepareConfig(size=metas[0]["size"], margin=metas[0]["margin"])
    sink = _Sink(out, cfg)
    for part in parts:
        with open(part / "aus.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                name = f"crops/{len(sink.rows):07d}.jpg"
                try:
                    os.link(part / row["file"], out / name)
                except OSError:
                    import shutil

                    shutil.copyfile(part / row["file"], out / name)
                sink.rows.append([name, row["source"], row["identity"], row["frame"], *(row[c] for c in AU_COLUMNS)])
    sink.finish([s for m in metas for s in m["sources"]])
    return len(sink.rows)

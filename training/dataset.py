"""Prepared face crops (the `ganimate prepare` format) served as numpy batches from a uint8 cache.

Layout of DATASET/: crops/*.jpg, aus.csv (file, source, identity, frame, AU01_r ... AU45_r; 0..5 scale),
dataset.json. All crops are decoded once into DATASET/cache_<S>.npy (uint8 N x S x S x 3, every csv row),
rebuilt when aus.csv is newer, and memory-mapped afterwards. Batches are drawn without DataLoader workers:
on 2 cores, slicing the cache and flipping in numpy is faster than worker processes.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from ganimate.au.names import AU_NAMES, to_model_scale
from ganimate.errors import GanimateError

log = logging.getLogger(__name__)

AU_COLUMNS = tuple(f"{name}_r" for name in AU_NAMES)
META_COLUMNS = ("file", "source", "identity", "frame")


@dataclass(frozen=True)
class Rows:
    """The aus.csv table. aus: float32 (N,17) intensities 0..5 (NaN where missing)."""

    files: tuple[str, ...]
    sources: tuple[str, ...]
    identities: tuple[str, ...]
    frames: np.ndarray  # int64 (N,)
    aus: np.ndarray


def read_aus_csv(path: Path) -> Rows:
    """Read DATASET/aus.csv; bad header or values -> GanimateError naming the file and line."""
    try:
        handle = open(path, newline="", encoding="utf-8")
    except FileNotFoundError:
        raise GanimateError(f"{path} not found: is this a folder written by `ganimate prepare`?") from None
    with handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in META_COLUMNS + AU_COLUMNS if c not in header]
        if missing:
            raise GanimateError(f"{path}: missing columns {', '.join(missing)}")
        col = {name: header.index(name) for name in META_COLUMNS + AU_COLUMNS}
        files, sources, identities, frames, aus = [], [], [], [], []
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                files.append(row[col["file"]].strip())
                sources.append(row[col["source"]])
                identities.append(row[col["identity"]])
                frames.append(int(row[col["frame"]]))
                aus.append([float(row[col[c]]) if row[col[c]].strip() else np.nan for c in AU_COLUMNS])
            except (ValueError, IndexError):
                raise GanimateError(f"{path} line {line}: bad or missing value") from None
    if not files:
        raise GanimateError(f"{path} has no rows")
    return Rows(tuple(files), tuple(sources), tuple(identities), np.asarray(frames, dtype=np.int64),
                np.asarray(aus, dtype=np.float32).reshape(-1, len(AU_NAMES)))


def _decode(path: Path, size: int) -> np.ndarray:
    """JPEG/PNG file -> uint8 size x size x 3 RGB (resized with area averaging if needed)."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise GanimateError(f"cannot read image {path}")
    if bgr.shape[:2] != (size, size):
        interp = cv2.INTER_AREA if bgr.shape[0] > size else cv2.INTER_LINEAR
        bgr = cv2.resize(bgr, (size, size), interpolation=interp)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def build_cache(root: Path, files: Sequence[str], size: int, cache: Path, threads: int = 2) -> None:
    """Decode every crop into cache (uint8 N x size x size x 3 .npy), written to a temp file then renamed."""
    tmp = cache.with_name(f".{cache.stem}.{os.getpid()}.tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(files), size, size, 3))
    try:
        # cv2 releases the GIL while decoding, so threads use both cores without worker processes.
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for i, img in enumerate(pool.map(lambda f: _decode(root / f, size), files)):
                out[i] = img
                if (i + 1) % 5000 == 0:
                    log.info("decoded %d / %d crops", i + 1, len(files))
        out.flush()
        del out
        os.replace(tmp, cache)
    finally:
        if tmp.exists():
            tmp.unlink()


def cache_path(root: Path, size: int) -> Path:
    return Path(root) / f"cache_{size}.npy"


def open_crops_cache(root: Path) -> np.ndarray:
    """Memory-mapped uint8 N x S x S x 3: the crops a landmark_crops folder cached, whichever size it holds; a
    folder without one -> GanimateError naming it."""
    found = sorted(Path(root).glob("cache_*.npy"))
    if not found:
        raise GanimateError(f"{root}: no cache_*.npy of crops: is this a folder written by "
                            "`python -m ganimate.training.landmark_crops`?")
    return np.load(found[0], mmap_mode="r")


def load_cache(root: Path, files: Sequence[str], size: int) -> np.ndarray:
    """Memory-mapped uint8 N x size x size x 3 of all crops, (re)built when missing or older than aus.csv."""
    cache = cache_path(root, size)
    csv_path = Path(root) / "aus.csv"
    fresh = cache.exists() and cache.stat().st_mtime >= csv_path.stat().st_mtime
    if fresh:
        images = np.load(cache, mmap_mode="r")
        if images.shape == (len(files), size, size, 3) and images.dtype == np.uint8:
            return images
    log.info("building %s from %d crops", cache, len(files))
    build_cache(Path(root), files, size, cache)
    return np.load(cache, mmap_mode="r")


class FaceDataset:
    """Face crops and their AU labels, optionally without held-out identities or restricted to some rows.

    root: a prepared DATASET folder. size: crop size S the model sees. heldout: callable(identity, source)
    -> True to exclude a row. rows: indices into aus.csv to keep (after which heldout still applies).
    Rows without a full set of AU labels are dropped.
    Item i: (uint8 SxSx3 RGB, float32 (17,) AUs on the /5 scale in [0, 1]).
    landmarks: float32 (n, 68, 2) in crop px of the S crop when the folder has landmarks.npy (one row per
    aus.csv row, in the crops' pixels; see training/landmark_crops.py), else None.
    """

    def __init__(
        self,
        root: Path,
        size: int = 128,
        heldout: Callable[[str, str], bool] | None = None,
        rows: Sequence[int] | np.ndarray | None = None,
    ):
        self.root = Path(root)
        if not self.root.is_dir():
            raise GanimateError(f"dataset folder not found: {self.root}")
        table = read_aus_csv(self.root / "aus.csv")
        keep = np.isfinite(table.aus).all(axis=1)
        if rows is not None:
            chosen = np.zeros(len(keep), dtype=bool)
            idx = np.asarray(rows, dtype=np.int64)
            if idx.size and (idx.min() < 0 or idx.max() >= len(keep)):
                raise GanimateError(f"row index out of range 0..{len(keep) - 1}")
            chosen[idx] = True
            keep &= chosen
        if heldout is not None:
            keep &= ~np.array([heldout(i, s) for i, s in zip(table.identities, table.sources, strict=True)],
                              dtype=bool)
        self.index = np.flatnonzero(keep)  # positions in aus.csv / the cache
        if self.index.size == 0:
            raise GanimateError(f"no usable rows in {self.root / 'aus.csv'}")
        self.size = size
        self.images = load_cache(self.root, table.files, size)
        self.aus = to_model_scale(table.aus[self.index])  # float32 (n,17) in [0, 1]
        self.files = tuple(table.files[i] for i in self.index)
        self.identities = tuple(table.identities[i] for i in self.index)
        self.sources = tuple(table.sources[i] for i in self.index)
        self.landmarks = _load_landmarks(self.root, len(table.files), self.images.shape[1], size, self.index)

    def __len__(self) -> int:
        return int(self.index.size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.images[self.index[i]]), self.aus[i]

    def take(self, positions: np.ndarray) -> np.ndarray:
        """uint8 B x S x S x 3 crops for dataset positions (B,), in that order."""
        return np.asarray(self.images[self.index[np.asarray(positions)]])


def _load_landmarks(root: Path, n_rows: int, stored: int, size: int, index: np.ndarray) -> np.ndarray | None:
    """landmarks.npy rows for index, rescaled from the stored crop size to size (pixel centres kept)."""
    path = Path(root) / "landmarks.npy"
    if not path.is_file():
        return None
    lm = np.load(path, mmap_mode="r")
    if lm.shape != (n_rows, 68, 2):
        raise GanimateError(f"{path}: shape {lm.shape}, expected ({n_rows}, 68, 2)")
    return ((np.asarray(lm[index], dtype=np.float32) + 0.5) * (size / stored) - 0.5).astype(np.float32)


@dataclass(frozen=True)
class Batch:
    images: np.ndarray  # uint8 B x S x S x 3 RGB, augmented
    aus: np.ndarray  # float32 (B,17) the images' own AUs, /5 scale
    targets: np.ndarray  # float32 (B,17) target AUs, /5 scale, in [0, 1]
    positions: np.ndarray  # int64 (B,) dataset positions
    flipped: np.ndarray | None = None  # bool (B,) images mirrored by the sampler


class BatchSampler:
    """Batches as a pure function of the step: resuming at step k continues exactly, on any rank.

    Each epoch is a seeded permutation of the dataset, split between ranks (rank::world_size), cut into
    full batches. Per step: random horizontal flip, targets = AUs of random other samples + U(-n, n) noise.
    strong_targets: fraction of samples whose target is instead their own AUs with 1-3 random AUs set to
    a strong intensity (2-4.5 of 5). Most faces in a data set are near neutral, so random other samples'
    AUs rarely ask for a strong expression; these targets make the conditioning signal learnable sooner.
    """

    def __init__(self, dataset: FaceDataset, batch_size: int, seed: int = 0, flip: bool = True,
                 target_noise: float = 0.1, rank: int = 0, world_size: int = 1, strong_targets: float = 0.0,
                 focus: np.ndarray | None = None, focus_share: float = 0.0):
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.flip, self.target_noise = flip, target_noise
        self.strong_targets = strong_targets
        # a rare kind of face seen more often: focus_share of each batch drawn (with replacement) from these
        # dataset positions (int (K,)), in place of the epoch's own
        self.focus = None if focus is None or len(focus) == 0 else np.asarray(focus, np.int64)
        self.focus_share = float(focus_share) if self.focus is not None else 0.0
        self.rank, self.world_size = rank, world_size
        self.per_rank = len(dataset) // world_size
        self.steps_per_epoch = self.per_rank // batch_size
        if self.steps_per_epoch == 0:
            raise GanimateError(
                f"dataset has {len(dataset)} faces: too few for batch size {batch_size} x {world_size} process(es)"
            )

    def epoch_of(self, step: int) -> int:
        return step // self.steps_per_epoch

    def positions(self, step: int) -> np.ndarray:
        epoch, b = divmod(step, self.steps_per_epoch)
        perm = np.random.default_rng([self.seed, epoch]).permutation(len(self.dataset))
        shard = perm[self.rank::self.world_size][: self.per_rank]
        pos = shard[b * self.batch_size:(b + 1) * self.batch_size]
        k = int(round(self.focus_share * len(pos)))
        if k > 0:
            pos = pos.copy()
            pos[:k] = np.random.default_rng([self.seed, self.rank, step, 11]).choice(self.focus, size=k)
        return pos

    def batch(self, step: int) -> Batch:
        pos = self.positions(step)
        rng = np.random.default_rng([self.seed, self.rank, step, 7])
        images = self.dataset.take(pos)
        flip = np.zeros(len(pos), dtype=bool)
        if self.flip:
            flip = rng.random(len(pos)) < 0.5
            images[flip] = images[flip, :, ::-1]
        others = rng.integers(0, len(self.dataset), size=len(pos))
        noise = rng.uniform(-self.target_noise, self.target_noise, size=(len(pos), len(AU_NAMES)))
        targets = np.clip(self.dataset.aus[others] + noise, 0.0, 1.0).astype(np.float32)
        if self.strong_targets > 0:
            strong = rng.random(len(pos)) < self.strong_targets
            for i in np.flatnonzero(strong):
                t = self.dataset.aus[pos[i]].copy()
                chosen = rng.choice(len(AU_NAMES), size=rng.integers(1, 4), replace=False)
                t[chosen] = rng.uniform(0.4, 0.9, size=len(chosen))
                targets[i] = t
        return Batch(images, self.dataset.aus[pos], targets, pos, flip)


def images_to_tensor(images: np.ndarray, device: str | torch.device = "cpu") -> torch.Tensor:
    """uint8 B x S x S x 3 RGB -> float32 B x 3 x S x S in [-1, 1] on device."""
    t = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return t.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)


def tensor_to_images(tensor: torch.Tensor) -> np.ndarray:
    """float B x 3 x S x S in [-1, 1] -> uint8 B x S x S x 3 RGB (B x S x S x 1 for 1-channel maps in [0, 1])."""
    t = tensor.detach().float().cpu()
    if t.shape[1] == 1:
        t = t * 2.0 - 1.0
    t = ((t.clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return t.permute(0, 2, 3, 1).numpy()

"""A tiny landmark-crops dataset (synthetic astronaut crops + a fixed 68-point face) for warp tests."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from test_face_landmarks import face

from ganimate.training.synthetic import write_synthetic_dataset


def write_landmark_dataset(root: Path, n: int = 32, size: int = 32) -> Path:
    """Synthetic crops whose rows are half clip frames (two clips) and half photos, with landmarks.npy."""
    write_synthetic_dataset(root, n=n, size=size, identities=4)
    with open(root / "aus.csv", newline="") as f:
        rows = list(csv.reader(f))
    for i, row in enumerate(rows[1:]):
        if i % 2 == 0:  # clip frames: a video source, identity = clip stem
            row[1], row[2], row[3] = f"videos/clip{i % 4 // 2}.mp4", f"clip{i % 4 // 2}", str(i)
    with open(root / "aus.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    rng = np.random.default_rng(1)
    base = face() * (size / 100.0)
    points = base[None] + rng.normal(0, 0.2, (n, 68, 2))
    np.save(root / "landmarks.npy", points.astype(np.float32))
    return root

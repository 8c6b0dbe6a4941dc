"""A tiny prepared dataset made from skimage's astronaut photo, for tests and smoke runs (no real data needed).

Crops of the one real face with random affine and colour jitter; random AU labels drive visible, learnable
edits (AU01/AU02 brighten the left/right forehead, AU45 darkens the eyes, AU12 brightens the mouth, AU25
darkens the chin). The other AUs are 0, so everything in the labels can be learnt from the pixels.
Written in the `ganimate prepare` layout (crops/, aus.csv, dataset.json).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ganimate.au.names import AU_MAX, AU_NAMES, au_index

FACE_CENTRE = (235.0, 118.0)  # x, y of the face in skimage.data.astronaut() (512 x 512)
FACE_HALF = 92.0
# (AU, top, bottom, left, right as fractions of the crop side, +1 brighten / -1 darken)
BANDS = (("AU01", 0.12, 0.22, 0.3, 0.5, 1.0), ("AU02", 0.12, 0.22, 0.5, 0.7, 1.0),
         ("AU45", 0.36, 0.44, 0.3, 0.7, -1.0), ("AU12", 0.68, 0.78, 0.3, 0.7, 1.0),
         ("AU25", 0.84, 0.94, 0.35, 0.65, -1.0))


def _astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def synthetic_face(photo: np.ndarray, aus: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 size x size x 3 RGB crop of photo (uint8 HxWx3) with jitter and the AU bands of aus (17, 0..5)."""
    angle = rng.uniform(-6.0, 6.0)
    scale = size / (2 * FACE_HALF) * rng.uniform(0.94, 1.06)
    cx, cy = FACE_CENTRE[0] + rng.uniform(-6, 6), FACE_CENTRE[1] + rng.uniform(-6, 6)
    m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    m[:, 2] += np.array([size / 2 - cx, size / 2 - cy])
    crop = cv2.warpAffine(photo, m, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
    img = crop.astype(np.float32) * rng.uniform(0.85, 1.15, size=3) + rng.uniform(-12, 12)
    for name, top, bottom, left, right, sign in BANDS:
        strength = 0.7 * aus[au_index(name)] / AU_MAX
        band = img[int(top * size):int(bottom * size), int(left * size):int(right * size)]
        goal = 255.0 if sign > 0 else 0.0
        band += (goal - band) * strength
    return np.clip(img, 0, 255).astype(np.uint8)


def write_synthetic_dataset(root: Path, n: int = 48, size: int = 64, seed: int = 0, identities: int = 4) -> Path:
    """Write a prepared dataset of n synthetic crops to root (created); returns root."""
    root = Path(root)
    (root / "crops").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    photo = _astronaut()
    header = ["file", "source", "identity", "frame", *(f"{a}_r" for a in AU_NAMES)]
    rows = []
    for i in range(n):
        aus = np.zeros(len(AU_NAMES))
        for name, *_ in BANDS:  # sparse, like real OpenFace labels
            aus[au_index(name)] = rng.uniform(0, AU_MAX) if rng.random() < 0.6 else 0.0
        name = f"crops/{i:06d}.jpg"
        Image.fromarray(synthetic_face(photo, aus, size, rng)).save(root / name, quality=95)
        ident = f"synth{i % identities}"
        rows.append([name, f"synthetic/{ident}.png", ident, -1, *(f"{a:.2f}" for a in aus)])
    with open(root / "aus.csv", "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    meta = {"size": size, "margin": 1.0, "count": n, "sources": ["skimage.data.astronaut"]}
    (root / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    return root

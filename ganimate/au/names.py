"""The 17 OpenFace intensity Action Units, in the order every model and file of ganimate uses."""

from __future__ import annotations

import numpy as np

AU_NAMES: tuple[str, ...] = (
    "AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
    "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU45",
)
N_AUS = len(AU_NAMES)
AU_MAX = 5.0  # OpenFace intensity scale is 0..5; models see intensity / AU_MAX
AU_DESCRIPTIONS: dict[str, str] = {
    "AU01": "inner brow raiser", "AU02": "outer brow raiser", "AU04": "brow lowerer",
    "AU05": "upper lid raiser", "AU06": "cheek raiser", "AU07": "lid tightener",
    "AU09": "nose wrinkler", "AU10": "upper lip raiser", "AU12": "lip corner puller",
    "AU14": "dimpler", "AU15": "lip corner depressor", "AU17": "chin raiser",
    "AU20": "lip stretcher", "AU23": "lip tightener", "AU25": "lips part",
    "AU26": "jaw drop", "AU45": "blink",
}


def au_index(name: str) -> int:
    """Index of an AU name; accepts 'AU12', 'au12', 'AU12_r' and '12'."""
    key = name.strip().upper().removesuffix("_R")
    if key.isdigit():
        key = f"AU{int(key):02d}"
    if key not in AU_NAMES:
        raise KeyError(name)
    return AU_NAMES.index(key)


def to_model_scale(aus: np.ndarray) -> np.ndarray:
    """float (...,17) intensities 0..5 -> float32 (...,17) in [0, 1], clipped."""
    return np.clip(np.asarray(aus, dtype=np.float32) / AU_MAX, 0.0, 1.0)


def from_model_scale(aus: np.ndarray) -> np.ndarray:
    """float (...,17) in [0, 1] -> float32 (...,17) intensities 0..5."""
    return np.clip(np.asarray(aus, dtype=np.float32), 0.0, 1.0) * AU_MAX

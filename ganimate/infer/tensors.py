"""Conversions between uint8 crops and the model tensors of the ONNX contract."""

from __future__ import annotations

import numpy as np


def crops_to_tensor(crops: np.ndarray) -> np.ndarray:
    """uint8 NxSxSx3 RGB (0..255) -> float32 Nx3xSxS in [-1, 1]."""
    x = np.asarray(crops, dtype=np.float32).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x / 127.5 - 1.0, dtype=np.float32)


def tensor_to_crops(x: np.ndarray) -> np.ndarray:
    """float32 Nx3xSxS in [-1, 1] -> float32 NxSxSx3 RGB in 0..255 (unrounded, for residual paste)."""
    y = (np.asarray(x, dtype=np.float32).transpose(0, 2, 3, 1) + 1.0) * 127.5
    return np.clip(y, 0.0, 255.0)

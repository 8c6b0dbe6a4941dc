"""How hard the generator is driven: per AU, the target's change from the source's reading scaled by a gain.

The shipped warping generator moves a face less than real faces move at the same OpenFace intensity: it was
taught by an AU -> landmark map whose slopes label noise shrinks (training/teacher_check.py), so a target
smile of AU12 3 widened held-out mouths +0.11 inter-ocular distances where held-out people's real smiles
that OpenFace reads at AU12 >= 2.4 widen them +0.18 (training/real_strength.py). Asking it for source +
gain x (target - source) per AU (clipped to 0..5) gives the shape the target names. A target equal to the
source's reading stays a still face. The scale ends at 5: at a gain of 1.5 a neutral face reaches it at a
target of about 3.5, and targets above that ask for no more.
"""

from __future__ import annotations

import numpy as np

from ganimate.au.names import AU_MAX, AU_NAMES


def gain_vector(gains: tuple[tuple[str, float], ...]) -> np.ndarray:
    """float32 (17,) gain per AU in AU_NAMES order from (name, gain) pairs; 1 for AUs not named."""
    out = np.ones(len(AU_NAMES), np.float32)
    for name, g in gains:
        out[AU_NAMES.index(name)] = g
    return out


def drive_targets(targets: np.ndarray, sources: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """float32 (..., 17) what the generator is asked for: sources + gains x (targets - sources), clipped to
    0..AU_MAX. targets, sources: float (..., 17) AU intensities; gains: float (17,)."""
    t, s = np.asarray(targets, np.float32), np.asarray(sources, np.float32)
    return np.clip(s + np.asarray(gains, np.float32) * (t - s), 0.0, AU_MAX).astype(np.float32)

"""How hard the generator is driven: per AU, the target's change from the source's reading scaled by a gain.

The shipped warping generator moves a face less than real faces move at the same OpenFace intensity: it was
taught by an AU -> landmark map whose slopes label noise shrinks (training/teacher_check.py), so a target
smile of AU12 3 widened held-out mouths +0.11 inter-ocular distances where held-out people's real smiles
that OpenFace reads at AU12 >= 2.4 widen them +0.18 (training/real_strength.py). Asking it for source +
gain x (target - source) per AU (clipped to 0..5) gives the shape the target names. A target equal to the
source's reading stays a still face. The scale ends at 5: at a gain of 1.5 a neutral face reaches it at a
target of about 3.5, and targets above that ask for no more.

A smile's small rises fell shortest: held-out people's neutral photos driven to their own happy photo's OpenFace
AUs rose AU12 (the shipped estimator) 0.54 of the real rise where OpenFace read the happy photo's AU12 under 1.25,
0.67 at 1.25-1.75, and 0.84-0.99 above (80 pairs): as if the edit lagged real faces by half an AU unit. So a rise
of a lifted AU asks for lift x smoothstep(change, 0, LIFT_FULL) more, fading out over LIFT_FADE of change (by
then the gain alone reaches real faces): no more than the gain where the change is near 0 (a noisy reading is not
amplified further) and never less for a larger change while the lift is under 4/3 of the gain (the fade takes off
at most 0.75 x the lift per unit). A fall asks for no lift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganimate.au.names import AU_MAX, AU_NAMES
from ganimate.face.ramp import smoothstep

LIFT_FULL = 1.0  # change (AU units) at which the lift is whole
LIFT_FADE = (1.0, 3.0)  # change over which it fades out again


@dataclass(frozen=True)
class Drive:
    """How hard the generator is driven, per AU in AU_NAMES order: gains float32 (17,) scale the change from the
    source; lifts float32 (17,) add to a rise (LIFT_FULL, LIFT_FADE)."""

    gains: np.ndarray
    lifts: np.ndarray


def _per_au(pairs: tuple[tuple[str, float], ...], rest: float) -> np.ndarray:
    """float32 (17,) in AU_NAMES order: each named AU's value from (name, value) pairs, rest for the others."""
    out = np.full(len(AU_NAMES), rest, np.float32)
    for name, value in pairs:
        out[AU_NAMES.index(name)] = value
    return out


def gain_vector(gains: tuple[tuple[str, float], ...]) -> np.ndarray:
    """float32 (17,) gain per AU in AU_NAMES order from (name, gain) pairs; 1 for AUs not named."""
    return _per_au(gains, 1.0)


def lift_vector(lifts: tuple[tuple[str, float], ...]) -> np.ndarray:
    """float32 (17,) lift per AU in AU_NAMES order from (name, lift) pairs; 0 for AUs not named."""
    return _per_au(lifts, 0.0)


def drive_of(gains: tuple[tuple[str, float], ...], lifts: tuple[tuple[str, float], ...] = ()) -> Drive:
    """The Drive of (name, gain) and (name, lift) pairs (config.DRIVE_GAINS, config.DRIVE_LIFTS)."""
    return Drive(gain_vector(gains), lift_vector(lifts))


def drive_targets(targets: np.ndarray, sources: np.ndarray, drive: Drive) -> np.ndarray:
    """float32 (..., 17) what the generator is asked for: sources + gains x change + lifts x smoothstep(change, 0,
    LIFT_FULL) x (1 - smoothstep(change, LIFT_FADE)), change = targets - sources, clipped to 0..AU_MAX.
    targets, sources: float (..., 17) AU intensities."""
    t, s = np.asarray(targets, np.float32), np.asarray(sources, np.float32)
    change = t - s
    rise = smoothstep(change, 0.0, LIFT_FULL) * (1.0 - smoothstep(change, *LIFT_FADE))
    asked = s + np.asarray(drive.gains, np.float32) * change + np.asarray(drive.lifts, np.float32) * rise
    return np.clip(asked, 0.0, AU_MAX).astype(np.float32)

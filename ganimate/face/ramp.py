"""The smooth ramp the face finishes fade and blend by."""

from __future__ import annotations

import numpy as np


def smoothstep(x, lo: float = 0.0, hi: float = 1.0):
    """3t² − 2t³ of t = (x − lo) / (hi − lo) clipped to [0, 1]: 0 up to lo, 1 from hi (float or array; hi may
    equal lo: a step)."""
    t = np.clip((x - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)

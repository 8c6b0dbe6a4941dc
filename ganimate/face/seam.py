"""A closed-lip smile's seam deepened where it is already dark, as real smiles press the lips into one shadow.

Pressed together and stretched by a smile, closed lips meet in a darker line, darkest at its ends. Along the
seam (dlib's inner-lip midline, seven stations from inner corner to inner corner), the darkest CIELAB L across it
less the lips' median L, on 12 calm frames of the training clips d9, d13 and d19 and the same clip's closed-lip
smiles (AU12 >= 2, AU25 < 1):

    station        end    .     .   middle   .     .    end
    calm          -12.6 -14.8 -10.2 -13.5 -11.0 -13.0 -14.3
    real smile    -20.7 -18.5 -12.9 -14.9 -13.2 -17.1 -25.4
    re-laid only  -12.4 -14.2 -10.5 -12.1 -10.8 -13.3 -16.0
    pressed       -15.5 -15.9 -10.4 -12.5 -11.1 -14.1 -19.7

The warp moves the seam but leaves its shade as it was. So, along the seam of the edited face's points (from halfway
between each inner and outer corner), what lies under the lips' median luminance is stretched further under it, by
END of its distance at the seam's ends down to MIDDLE at its middle: the shadow deepens where it lies in the
picture, and no line is drawn where the points put the seam but the picture does not (a line drawn along the points'
seam ends landed off the visible corners of pursed and talking lips, session 28). A contrast stretch, not a
threshold: darkening whatever lay within 25 levels under the median by up to 0.7 of its value read the seam as dark
as real ones (-16.4 mean) but multiplied each frame's noise there several times over, and a held smile on the
training clips d19 and d9 changed frame to frame 1.13 and 1.14 times as much as the source (session 28's code: 1.06,
1.11); the stretch gives -14.2 at 1.07 and 1.12 (docs/edit_eval_session29.md).

Images: uint8 HxWx3 RGB; points: float (68, 2) frame px (the edited face's, carried by its flow).
"""

from __future__ import annotations

import numpy as np

from ganimate.face.landmarks import interocular
from ganimate.face.light import LUMA

END, MIDDLE = 0.75, 0.15  # how far what lies under the lips' median is stretched further under it, at the
# seam's ends / middle (see above)
BAND = 0.035  # inter-ocular distances: the Gaussian sigma across the seam
SAMPLES = 48  # points along the seam
EXTEND = 0.5  # share of the way from each inner corner to the outer one the seam reaches


def seam_line(points: np.ndarray) -> np.ndarray:
    """float64 (7, 2): a closed mouth's seam, inner corner to inner corner through the inner lips' midpoints, from
    and to EXTEND of the way to the outer corners."""
    p = np.asarray(points, np.float64)
    return np.stack([p[60] + EXTEND * (p[48] - p[60]), p[60], (p[61] + p[67]) / 2, (p[62] + p[66]) / 2,
                     (p[63] + p[65]) / 2, p[64], p[64] + EXTEND * (p[54] - p[64])])


def _along(line: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """count points evenly along a polyline (float (K, 2)) and their share 0..1 of its length."""
    lengths = np.linalg.norm(np.diff(line, axis=0), axis=1)
    at = np.concatenate([[0.0], np.cumsum(lengths)])
    u = np.linspace(0.0, 1.0, count)
    s = u * at[-1]
    return np.stack([np.interp(s, at, line[:, 0]), np.interp(s, at, line[:, 1])], 1), u


def deepen_seam(image: np.ndarray, points: np.ndarray, share: float) -> np.ndarray:
    """uint8 HxWx3 RGB: image with the seam of a face's closed lips (points float (68, 2) frame px) deepened by
    share 0..1 (a closed-lip smile's: smile_lips.stretch_share); the same array for share 0 or no seam."""
    if share <= 0.0:
        return image
    iod = max(float(interocular(points)), 1e-6)
    line = seam_line(points)
    if float(np.linalg.norm(line[-1] - line[0])) < 2.0:
        return image
    sigma = max(BAND * iod, 0.75)
    samples, u = _along(line, SAMPLES)
    reach = 3.0 * sigma
    h, w = image.shape[:2]
    x0, y0 = (int(max(np.floor(samples.min(0)[i] - reach), 0)) for i in (0, 1))
    x1 = int(min(np.ceil(samples[:, 0].max() + reach) + 1, w))
    y1 = int(min(np.ceil(samples[:, 1].max() + reach) + 1, h))
    if x1 <= x0 or y1 <= y0:
        return image
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    d2 = (xx[..., None] - samples[:, 0]) ** 2 + (yy[..., None] - samples[:, 1]) ** 2
    nearest = d2.argmin(-1)
    across = np.exp(-0.5 * np.take_along_axis(d2, nearest[..., None], -1)[..., 0] / sigma ** 2)
    ends = np.abs(2.0 * u[nearest] - 1.0) ** 3
    gain = MIDDLE + (END - MIDDLE) * ends
    region = image[y0:y1, x0:x1].astype(np.float32)
    lum = region @ LUMA
    near = across > np.exp(-2.0)  # within two sigma: the lips about the seam
    if not near.any():  # the seam lies outside the frame
        return image
    lips = float(np.median(lum[near]))
    # what lies under the lips' median is stretched further under it (a contrast, not a threshold: a pixel's
    # noise grows by at most 1 + the gain, where a threshold's steep ramp multiplied it several times)
    below = np.maximum(lips - lum, 0.0)
    factor = np.clip(1.0 - share * gain * across * below / np.maximum(lum, 1.0), 0.0, 1.0)
    out = image.copy()
    out[y0:y1, x0:x1] = np.clip(np.rint(region * factor[..., None]), 0, 255).astype(np.uint8)
    return out

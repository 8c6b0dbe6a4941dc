"""The mouth's own crop, cut about a face's lips, for the mouth reader that refines the landmark model's mouth.

The landmark model reads a 128 px face crop through an 80 px inside and pulls every mouth towards half open: wide-open
mouths (OpenFace's inner-lip gap over 0.35 of the inner mouth's width) read at 0.35-0.44 of their gap on training and
held-out crops alike. The mouth reader sees the lips at the face crop's own resolution, in a square crop centred on
the outer lips and levelled on the eye line, SPAN inter-ocular distances a side: a wide-open mouth's lips fit inside
even where the landmark model read it half shut.

Points: float (68, 2) px of the image the crop is cut from; matrices: float64 (2, 3) image -> mouth crop.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.landmarks import eye_axes, interocular

MOUTH = tuple(range(48, 68))  # the points the mouth reader reads: outer lips (48-59) then inner (60-67)
OUTER = tuple(range(48, 60))
SPAN = 1.3  # inter-ocular distances the crop's side covers
MOUTH_FLIP = (6, 5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 16, 15, 14, 13, 12, 19, 18, 17)  # MOUTH's mirror order


def mouth_matrix(points: np.ndarray, size: int, centre_shift: np.ndarray | None = None, scale: float = 1.0,
                 angle: float = 0.0) -> np.ndarray:
    """float64 (2, 3) image px -> mouth crop px (size x size, pixel centres at integers): the outer lips' mean at
    the centre, the eye line level, SPAN inter-ocular distances across. centre_shift (inter-ocular distances, along
    the eye line and down the face), scale (> 1 zooms in) and angle (radians) jitter it for training."""
    p = np.asarray(points, np.float64)
    along, down = eye_axes(p)
    iod = max(float(interocular(p)), 1e-6)
    centre = p[list(OUTER)].mean(0)
    if centre_shift is not None:
        centre = centre + iod * (centre_shift[0] * along + centre_shift[1] * down)
    c, s = np.cos(angle), np.sin(angle)
    ax = c * along + s * down  # the crop's x axis in the image
    ay = -s * along + c * down
    k = scale * size / (SPAN * iod)
    rot = np.stack([ax, ay]) * k  # image offset -> crop offset
    half = (size - 1) / 2.0
    return np.concatenate([rot, (np.array([half, half]) - rot @ centre)[:, None]], axis=1)


def cut_mouth(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """uint8 size x size x 3: the mouth crop of an image (uint8 HxWx3 RGB) under matrix (mouth_matrix)."""
    return cv2.warpAffine(np.ascontiguousarray(image), np.asarray(matrix, np.float64), (size, size),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def to_image(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """float64 (..., 2): mouth-crop px back to image px under matrix (mouth_matrix)."""
    m = np.asarray(matrix, np.float64)
    inv = np.linalg.inv(np.vstack([m, [0.0, 0.0, 1.0]]))[:2]
    p = np.asarray(points, np.float64)
    return p @ inv[:, :2].T + inv[:, 2]

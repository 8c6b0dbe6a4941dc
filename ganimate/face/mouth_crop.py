"""The mouth's own crop, cut about a face's lips, for the mouth reader that refines the landmark model's mouth.

The landmark model reads a 128 px face crop through an 80 px inside and pulls every mouth towards half open: wide-open
mouths (OpenFace's inner-lip gap over 0.35 of the inner mouth's width) read at 0.35-0.44 of their gap on training and
held-out crops alike. The mouth reader sees the lips at the face crop's own resolution, in a square crop centred on
the outer lips and levelled on the eye line, SPAN inter-ocular distances a side: a wide-open mouth's lips fit inside
even where the landmark model read it half shut.

Points: float (68, 2) px of the image the crop is cut from; matrices: float64 (2, 3) image -> mouth crop.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from ganimate.face.align import invert_transform, transform_points
from ganimate.face.landmarks import FLIP_PERMUTATION, eye_axes, interocular

MOUTH = tuple(range(48, 68))  # the points the mouth reader reads: outer lips (48-59) then inner (60-67)
OUTER = tuple(range(48, 60))
SPAN = 1.3  # inter-ocular distances the crop's side covers
MOUTH_FLIP = tuple(FLIP_PERMUTATION[i] - MOUTH[0] for i in MOUTH)  # MOUTH's mirror order (the mouth maps to itself)


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


def flip_mouth(points: np.ndarray, width: float) -> np.ndarray:
    """The mouth's points (float (..., 20, 2), MOUTH order) in the horizontally mirrored crop, as
    landmarks.flip_landmarks for all 68 (x -> width - 1 - x)."""
    p = np.asarray(points)[..., MOUTH_FLIP, :].copy()
    p[..., 0] = (width - 1) - p[..., 0]
    return p


def cut_mouths(images: np.ndarray, points: np.ndarray, size: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """(uint8 N x size x size x 3 mouth crops, their float64 (2, 3) matrices) of images (uint8 N x H x W x 3 RGB),
    each cut about its face's points (float (N, 68, 2) px), for a mouth reader."""
    matrices = [mouth_matrix(p, size) for p in np.asarray(points, np.float64)]
    crops = np.stack([cut_mouth(img, m, size) for img, m in zip(images, matrices, strict=True)])
    return crops, matrices


def average_mirrored(read: np.ndarray, size: int) -> np.ndarray:
    """float64 (N, 20, 2): a reader's points on N mouth crops and then their mirror images (float (2N, 20, 2) crop
    px, size px crops), averaged point for point: its left/right biases cancel."""
    n = len(read) // 2
    return 0.5 * (np.asarray(read[:n], np.float64) + flip_mouth(np.asarray(read[n:], np.float64), size))


def put_mouths(points: np.ndarray, read: np.ndarray, matrices: list[np.ndarray]) -> np.ndarray:
    """float64 (N, 68, 2): points (float (N, 68, 2) image px) with their mouth (MOUTH) replaced by a reader's
    (float (N, 20, 2) px of the crops cut_mouths cut with matrices)."""
    out = np.array(points, np.float64)
    for k, m in enumerate(matrices):
        out[k, list(MOUTH)] = transform_points(invert_transform(m), read[k])
    return out


def reread_mouths(images: np.ndarray, points: np.ndarray, size: int, read: Callable[[np.ndarray], np.ndarray],
                  mirror: bool = False) -> np.ndarray:
    """float64 (N, 68, 2): points (float (N, 68, 2) px of images, uint8 N x H x W x 3 RGB) with their mouth read again
    by read (uint8 M x size x size x 3 mouth crops -> float (M, 20, 2) in crop units, (px + 0.5) / size) in crops cut
    about them; mirror: the crops and their mirror images read in one call and averaged point for point. The run
    time's ONNX reader and the training net's PyTorch one differ only in read."""
    cut, matrices = cut_mouths(images, points, size)
    batch = np.concatenate([cut, cut[:, :, ::-1]]) if mirror else cut
    got = np.asarray(read(np.ascontiguousarray(batch)), np.float64) * size - 0.5
    return put_mouths(points, average_mirrored(got, size) if mirror else got, matrices)

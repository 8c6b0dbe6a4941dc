"""The 68-point facial landmark scheme (OpenFace / iBUG layout) and the shape measures read from it.

Points are float (68, 2) x, y in any pixel frame (image or aligned crop). Index groups:
0-16 jaw, 17-21 / 22-26 brows (left / right in the image), 27-30 nose bridge, 31-35 nostrils,
36-41 / 42-47 eyes (36 and 45 the outer corners), 48-59 outer lips (48 / 54 the corners),
60-67 inner lips (62 / 66 the inner upper / lower midpoints).
"""

from __future__ import annotations

import numpy as np

N_LANDMARKS = 68

JAW = tuple(range(0, 17))
BROW_LEFT, BROW_RIGHT = tuple(range(17, 22)), tuple(range(22, 27))
NOSE = tuple(range(27, 36))
EYE_LEFT, EYE_RIGHT = tuple(range(36, 42)), tuple(range(42, 48))
EYELIDS = (37, 38, 40, 41, 43, 44, 46, 47)  # the eyes without their corners
OUTER_LIPS, INNER_LIPS = tuple(range(48, 60)), tuple(range(60, 68))
MOUTH = OUTER_LIPS + INNER_LIPS
POSE_POINTS = (27, 28, 29, 30, 36, 39, 42, 45)  # nose bridge and eye corners: they move with the head, not a muscle

# Index of each point's mirror image under a horizontal flip.
FLIP_PERMUTATION: tuple[int, ...] = tuple(
    list(range(16, -1, -1))  # jaw
    + list(range(26, 21, -1)) + list(range(21, 16, -1))  # brows swap
    + [27, 28, 29, 30]  # nose bridge
    + [35, 34, 33, 32, 31]  # nostrils
    + [45, 44, 43, 42, 47, 46]  # left eye <- right eye
    + [39, 38, 37, 36, 41, 40]  # right eye <- left eye
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]  # outer lips
    + [64, 63, 62, 61, 60, 67, 66, 65]  # inner lips
)


def flip_landmarks(points: np.ndarray, width: float) -> np.ndarray:
    """Landmarks of the horizontally mirrored image: float (..., 68, 2) -> same shape.

    width: the image width in the points' pixel units, with pixel centres at integer x (x -> width - 1 - x).
    """
    p = np.asarray(points)[..., FLIP_PERMUTATION, :].copy()
    p[..., 0] = (width - 1) - p[..., 0]
    return p


def interocular(points: np.ndarray) -> np.ndarray:
    """Outer eye-corner distance (36-45), the unit of every shape measure: float (...,)."""
    p = np.asarray(points, dtype=np.float64)
    return np.linalg.norm(p[..., 45, :] - p[..., 36, :], axis=-1)


def eye_axes(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors along the eye line (left -> right) and perpendicular to it, pointing down the face."""
    along = p[..., 45, :] - p[..., 36, :]
    along = along / np.maximum(np.linalg.norm(along, axis=-1, keepdims=True), 1e-9)
    down = np.stack([-along[..., 1], along[..., 0]], axis=-1)
    return along, down


def shape_measures(points: np.ndarray) -> dict[str, np.ndarray]:
    """Expression shape read from 68 landmarks, each over the interocular distance: float (...,) per key.

    mouth_width: lip corner to lip corner (48-54). corner_lift: how far the corners sit above the
    outer-lip midpoints (mean of 51, 57) along the face's vertical (a smile lifts them). lip_gap: inner-lip
    opening (62-66). brow_eye: mean distance from the brows (17-26) down to the eye line, across the eyes.
    lid_gap: mean eyelid opening (37/38 to 41/40, 43/44 to 47/46).
    """
    p = np.asarray(points, dtype=np.float64)
    iod = np.maximum(interocular(p), 1e-9)
    _, down = eye_axes(p)

    def dist(a: int, b: int) -> np.ndarray:
        return np.linalg.norm(p[..., a, :] - p[..., b, :], axis=-1)

    def depth(idx) -> np.ndarray:  # mean position of points along the face's vertical
        return (p[..., list(idx), :] * down[..., None, :]).sum(-1).mean(-1)

    mid = 0.5 * (depth([51]) + depth([57]))
    corners = depth([48, 54])
    eye_line = depth(EYE_LEFT + EYE_RIGHT)
    lids = (dist(37, 41) + dist(38, 40) + dist(43, 47) + dist(44, 46)) / 4.0
    return {
        "mouth_width": dist(48, 54) / iod,
        "corner_lift": (mid - corners) / iod,
        "lip_gap": dist(62, 66) / iod,
        "brow_eye": (eye_line - depth(BROW_LEFT + BROW_RIGHT)) / iod,
        "lid_gap": lids / iod,
    }


def normalised_error(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """NME: mean point distance over the true interocular (outer corners) distance, float (...,)."""
    err = np.linalg.norm(np.asarray(pred, np.float64) - np.asarray(truth, np.float64), axis=-1).mean(-1)
    return err / np.maximum(interocular(truth), 1e-9)


# MTCNN's 5 points minus the ones derived from the 68 (eye centres, point 30, points 48/54), in units of the
# eye distance along (x) and across (y) the eye axis: medians over 500 shared photos (250 LFW, 250 UTKFace)
# on which facenet-pytorch's MTCNN found the face. MTCNN puts the nose tip lower, at the nostrils' level.
MTCNN_OFFSETS = np.array(
    [[0.018, 0.000], [0.021, -0.004], [0.015, 0.052], [0.026, 0.024], [0.020, 0.025]], dtype=np.float64
)


def five_points(landmarks68: np.ndarray) -> np.ndarray:
    """MTCNN-style 5 points, float64 (5, 2), from 68 OpenFace landmarks (float (68, 2), image px)."""
    p = np.asarray(landmarks68, dtype=np.float64)
    base = np.array([p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54]])
    axis = base[1] - base[0]
    iod = float(np.linalg.norm(axis))
    ex = axis / max(iod, 1e-9)
    ey = np.array([-ex[1], ex[0]])
    return base + iod * (MTCNN_OFFSETS[:, :1] * ex + MTCNN_OFFSETS[:, 1:] * ey)

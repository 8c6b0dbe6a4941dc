"""Synthetic 68-point faces for the edit-evaluation tests (no real data needed)."""

from __future__ import annotations

import numpy as np

from ganimate.au.names import AU_NAMES


def aus_of(**intensities: float) -> np.ndarray:
    """float32 (17,) AU intensities, 0 but for the named ones (aus_of(AU25=2.0))."""
    a = np.zeros(17, np.float32)
    for name, value in intensities.items():
        a[AU_NAMES.index(name)] = value
    return a


def synthetic_landmarks(centre=(80.0, 84.0), scale: float = 1.0, angle_deg: float = 0.0) -> np.ndarray:
    """A plausible frontal 68-point layout (OpenFace order), float64 (68, 2) image px; eyes ~46 px apart at
    scale 1, then rotated by angle_deg about the centre."""
    p = np.zeros((68, 2))
    t = np.linspace(np.pi, 0, 17)  # jaw: lower half-ellipse from the left temple to the right one
    p[0:17] = np.stack([-38 * np.cos(t), 44 * np.sin(t) - 6], 1)
    p[17:22] = np.stack([np.linspace(-32, -8, 5), [-24, -28, -29, -28, -26]], 1)
    p[22:27] = np.stack([np.linspace(8, 32, 5), [-26, -28, -29, -28, -24]], 1)
    p[27:31] = np.stack([np.zeros(4), np.linspace(-16, 4, 4)], 1)
    p[31:36] = np.stack([np.linspace(-8, 8, 5), [8, 9, 10, 9, 8]], 1)
    for k, cx in ((36, -23.0), (42, 9.0)):  # eyes: corner, two upper lid points, corner, two lower lid points
        p[k:k + 6] = np.array([[0, 0], [4, -3], [10, -3], [14, 0], [10, 3], [4, 3]]) + (cx, -12)
    a = np.linspace(np.pi, -np.pi, 12, endpoint=False)  # outer lips from the left corner, upper lip first
    p[48:60] = np.stack([17 * np.cos(a), -6 * np.sin(a) + 22], 1)
    inner = np.array([[-12, 22], [-5, 21], [0, 21], [5, 21], [12, 22], [5, 23], [0, 23], [-5, 23]], float)
    p[60:68] = inner
    r = np.radians(angle_deg)
    rot = np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]])
    return p @ rot.T * scale + np.asarray(centre, float)


CROP = 128  # the generator's crop side, px


def crop_landmarks(scale: float = 1.0) -> np.ndarray:
    """synthetic_landmarks centred in a CROP px crop, as the flow finishes see them: float64 (68, 2) crop px."""
    return synthetic_landmarks(centre=(64.0, 60.0), scale=scale)


def still_flow() -> np.ndarray:
    """float32 CROP x CROP x 2: a backward flow that moves nothing."""
    return np.zeros((CROP, CROP, 2), np.float32)


def skin_face(size: int = 160, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 size x size x 3 RGB: a skin-toned face with mild shading and noise on a grey ground,
    its synthetic 68 landmarks)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    img = np.full((size, size, 3), 90.0)
    face = ((xx - 80) / 44) ** 2 + ((yy - 84) / 56) ** 2 < 1
    shade = 0.85 + 0.15 * (xx / size)
    skin = np.array([205.0, 150.0, 120.0])
    img[face] = (skin[None] * shade[face][:, None])
    img += rng.normal(0, 2.0, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), synthetic_landmarks()


def opened_lips(points: np.ndarray, gap: float) -> np.ndarray:
    """The landmarks with the inner lips gap px apart at the middle (upper up, lower down, corners kept)."""
    p = np.array(points, np.float64)
    mid = (p[62, 1] + p[66, 1]) / 2
    for i, side in ((61, -1), (62, -1), (63, -1), (65, 1), (66, 1), (67, 1)):
        p[i, 1] = mid + side * gap / 2 * (0.8 if i in (61, 63, 65, 67) else 1.0)
    p[50:53, 1] -= gap / 2
    p[56:59, 1] += gap / 2
    return p


def mouth_showing(colour, gap: float = 6.0):
    """(uint8 160x160x3 RGB, float (68, 2)): a skin face whose inner lips are gap px apart, its inside painted one
    colour (RGB)."""
    import cv2

    from ganimate.face import mouth as fm
    from ganimate.face.corner_frame import corner_curve

    img, p = skin_face()
    p = opened_lips(p, gap)
    frame = fm.fit_mouth_frame(p)
    u = np.linspace(0.0, 1.0, 33)
    poly = np.concatenate([frame.to_image(u, corner_curve(u, frame.upper)),
                           frame.to_image(u[::-1], corner_curve(u[::-1], frame.lower))])
    cv2.fillPoly(img, [np.round(poly).astype(np.int32)], tuple(int(c) for c in colour))
    return img, p

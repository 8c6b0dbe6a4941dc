"""How hard a face is lit: the highlight of its skin over the light on its cheeks, read from its landmarks.

A face under a flash or a strong lamp shows bright highlights on its forehead, nose and cheekbones; under soft
room light its skin is nearly even. What is laid into the face (the teeth of a mouth the edit opens) is lit by the
same light, so it is drawn as bright as this reading says.

Points: float (68, 2) px of the image.
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.box import points_box
from ganimate.face.landmarks import interocular

HIGHLIGHT = 95.0  # percentile of the skin's luminance that counts as its highlight
LUMA = np.array([0.299, 0.587, 0.114])  # RGB weights of luminance (Rec. 601)
SKIN_OUTLINE = tuple(range(27))  # the jaw and the brows: the face's outline
LEFT_OUT = (tuple(range(36, 42)), tuple(range(42, 48)), tuple(range(48, 60)))  # the eyes and the lips
READ_IOD = 48.0  # inter-ocular px a face is read at, at least (a larger one is read on every few px)


def skin_highlight(image: np.ndarray, points: np.ndarray, cheek: float) -> float:
    """The HIGHLIGHT percentile of the luminance (0..255) of an image's (uint8 HxWx3 RGB) face skin, inside the hull of
    its outline with the eyes and lips left out, over cheek (the luminance of its cheeks' colour, > 0); 1.0 where no
    skin is read (the face outside the image)."""
    p = np.asarray(points, np.float64)
    x0, y0, x1, y1 = points_box(p[list(SKIN_OUTLINE)], image.shape)
    if x1 <= x0 or y1 <= y0 or cheek <= 0.0:
        return 1.0
    # a large face is read on every step-th px: the percentile is the same and the read a few times cheaper
    step = max(1, int(interocular(p) / READ_IOD))
    box = image[y0:y1:step, x0:x1:step]
    mask = np.zeros(box.shape[:2], np.uint8)
    local = (p - (x0, y0)) / step
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(local[list(SKIN_OUTLINE)]).astype(np.int32)), 1)
    for part in LEFT_OUT:
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(local[list(part)]).astype(np.int32)), 0)
    skin = box[mask > 0]
    if len(skin) == 0:
        return 1.0
    return float(np.percentile(skin.astype(np.float32) @ LUMA, HIGHLIGHT) / cheek)

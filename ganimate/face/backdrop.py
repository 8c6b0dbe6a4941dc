"""The background beside a face held still while the face's edge slides along it.

The warping generator's flow is smooth, and the edit's mask reaches 0.2 inter-ocular distances past the jaw line (room
for a dropped jaw or a widened cheek): whatever the jaw does, the background beside it is dragged along. A dropped
jaw slides down past the background, so a straight edge behind the cheek (a shelf, a door frame) bends down beside
it (looked at: the held-out clip d12, `runs/eval_s30b`'s flicker videos). Only the motion across the jaw line moves
the face's edge; the motion along it moves nothing a viewer should see move. So beyond the jaw line (as the flow
carries it) the flow keeps its part across the line and loses its part along it, from nothing at the line to all
of it BAND inter-ocular distances out, and over the jaw's first and last segments (by the ears, where the line stops
being the face's edge) not at all. Inside the jaw line nothing changes.

Points: float (68, 2) crop px; flows: float32 SxSx2 backward displacement in crop px (face/flow.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face.corners import forward_moves
from ganimate.face.landmarks import JAW, interocular
from ganimate.face.mask import GROW
from ganimate.face.ramp import smoothstep

BAND = 0.1  # inter-ocular distances past the jaw line over which its slide is taken off: within it a reader's
# jaw line may lie inside the real edge, and the face's own skin there should still move
REACH = GROW + 0.05  # inter-ocular distances past the line that are worked: the paste's mask ends at GROW


def nearest_on_line(line: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest point of a polyline (float (K, 2)) to each point xy (float (N, 2)): float64 (N, 2) where it
    lies, and float64 (N,) how far along the line it is (0 at the first point, K - 1 at the last)."""
    a, b = line[:-1], line[1:]
    ab = b - a
    t = np.clip(((xy[:, None] - a[None]) * ab[None]).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12)[None], 0.0, 1.0)
    q = a[None] + t[..., None] * ab[None]
    k = ((xy[:, None] - q) ** 2).sum(-1).argmin(1)
    rows = np.arange(len(xy))
    return q[rows, k], k + t[rows, k]


def hold_backdrop(points: np.ndarray, flow: np.ndarray, band: float = BAND) -> np.ndarray:
    """float32 SxSx2: the backward flow (float32 SxSx2 crop px) with its slide along the jaw line taken off
    beyond the line (a face's landmarks float (68, 2) crop px, read on the input and carried by the flow), as the
    module says; equal to flow inside the jaw line and past REACH."""
    p = np.asarray(points, np.float64)
    jaw = p[list(JAW)] + forward_moves(p[list(JAW)], flow)
    iod = max(float(interocular(p)), 1e-6)
    size = flow.shape[0]
    inside = np.zeros((size, size), np.uint8)
    cv2.fillPoly(inside, [np.rint(jaw * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    # px to the line, roughly (the closing side across the face counts too): only those within REACH are worked
    rough = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 3)
    ys, xs = np.nonzero((inside == 0) & (rough <= REACH * iod + 1.0))
    held = np.array(flow, np.float32, copy=True)
    if len(ys) == 0:
        return held
    xy = np.stack([xs, ys], axis=1).astype(np.float64)
    near, along = nearest_on_line(jaw, xy)
    out = xy - near
    dist = np.linalg.norm(out, axis=1)
    normal = out / np.maximum(dist, 1e-9)[:, None]
    last = len(jaw) - 1
    hold = smoothstep(dist, 0.0, band * iod) * smoothstep(along, 0.0, 1.0) * smoothstep(last - along, 0.0, 1.0)
    f = held[ys, xs].astype(np.float64)
    across = (f * normal).sum(1, keepdims=True) * normal
    held[ys, xs] = (f - hold[:, None] * (f - across)).astype(np.float32)
    return held

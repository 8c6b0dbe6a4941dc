"""Keeping a warping generator's flow from creasing or folding the face.

Where a backward flow squeezes a band of the input into a thin one (the Jacobian determinant of p -> p +
flow(p) well above 1), an existing soft crease becomes a sharp dark line: the shipped generator relaxing the
astronaut's smile drew one from her nose to the mouth corner (make demo, every frame that is not a smile;
determinant up to 2.6 along it). Where the determinant falls to 0 or below the warp folds the input over
itself (a dropping jaw, on the chin). A stretch (an opening mouth: ~0.4) is left alone. The flow is relaxed,
only there, towards its own smoother self.

Flows: float32 SxSx2 backward displacement in crop px (output pixel p takes the input at p + flow(p)).
"""

from __future__ import annotations

import cv2
import numpy as np

SQUEEZE_FROM, SQUEEZE_FULL = 1.3, 1.8  # determinant above which the flow starts to be relaxed / is fully
FOLD_FROM, FOLD_FULL = 0.2, -0.1  # and below which
UNFOLD_SIGMA = 3.0  # crop px: the smoother flow it is relaxed towards
UNFOLD_SPREAD = 1.5  # crop px: the relaxing weight is spread this far beyond the squeezed pixels (and doubled)
UNFOLD_ITERATIONS = 8


def flow_jacobian(flow: np.ndarray) -> np.ndarray:
    """float32 SxS determinant of the Jacobian of p -> p + flow(p) (float32 SxSx2): 1 where the flow is uniform,
    < 1 where the input is squeezed, <= 0 where it folds over."""
    fx_y, fx_x = np.gradient(flow[..., 0])
    fy_y, fy_x = np.gradient(flow[..., 1])
    return ((1.0 + fx_x) * (1.0 + fy_y) - fx_y * fy_x).astype(np.float32)


def unfold_flow(flow: np.ndarray) -> np.ndarray:
    """float32 SxSx2: the flow relaxed where it squeezes the input more than SQUEEZE_FROM or folds it (FOLD_FROM);
    the same array where it nowhere does."""
    f = np.asarray(flow, np.float32)
    for _ in range(UNFOLD_ITERATIONS):
        det = flow_jacobian(f)
        if det.max() <= SQUEEZE_FROM and det.min() >= FOLD_FROM:
            break
        w = np.maximum(np.clip((det - SQUEEZE_FROM) / (SQUEEZE_FULL - SQUEEZE_FROM), 0.0, 1.0),
                       np.clip((FOLD_FROM - det) / (FOLD_FROM - FOLD_FULL), 0.0, 1.0))
        w = np.clip(2.0 * cv2.GaussianBlur(w, (0, 0), UNFOLD_SPREAD), 0.0, 1.0)[..., None]
        f = f + w * (cv2.GaussianBlur(f, (0, 0), UNFOLD_SIGMA) - f)
    return f


def after_flow(extra: np.ndarray, flow: np.ndarray, *maps: np.ndarray) -> tuple[np.ndarray, ...]:
    """A second warp after a warping edit, as one: (flow, *maps) for output p showing the edit's output at
    p + extra(p). extra, flow: float32 SxSx2 backward (crop px); maps: the edit's float32 SxS or SxSxC maps in
    its output's place (attention, colour), read at p + extra(p) too (bilinear, edges replicated)."""
    size = flow.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    mx, my = xx + extra[..., 0].astype(np.float32), yy + extra[..., 1].astype(np.float32)

    def read(a: np.ndarray) -> np.ndarray:
        return cv2.remap(np.ascontiguousarray(a, np.float32), mx, my, cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)

    return (extra.astype(np.float32) + read(flow), *(read(m) for m in maps))


def hold_flow(flow: np.ndarray, hold: np.ndarray) -> np.ndarray:
    """float32 SxSx2: a backward flow (float32 SxSx2 crop px) kept by the share hold (float32 SxS in [0, 1]) both
    where each px lands and where it reads from: a px beside held hair whose flow reads from the hair would draw it
    in (a face moving away from a held fringe pulled the fringe's edge after it by the flow's length)."""
    size = flow.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    source = cv2.remap(np.ascontiguousarray(hold, np.float32), xx + flow[..., 0], yy + flow[..., 1],
                       cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return (flow * np.minimum(hold, source)[..., None]).astype(np.float32)

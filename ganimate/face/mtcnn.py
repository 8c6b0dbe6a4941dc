"""MTCNN's arithmetic in numpy, step for step as facenet-pytorch 2.5.3 does it (float32 throughout).

The three nets run elsewhere (ONNX, ganimate.face.detect); these pure functions do everything around them:
the image pyramid, area resampling, candidate boxes from P-Net's map, non-maximum suppression, box
regression, squaring and cropping. Matching facenet-pytorch operation for operation (same float32 rounding,
same tie order) keeps the detections equal to its MTCNN, which the training data was prepared with.
Boxes are float32 rows x1, y1, x2, y2, score[, 4 regression offsets] in image pixels.
"""

from __future__ import annotations

import numpy as np

PNET_CELL = 12  # P-Net sees 12 x 12 windows
PNET_STRIDE = 2
FACTOR = 0.709  # pyramid step
NORM_MEAN = np.float32(127.5)
NORM_SCALE = np.float32(0.0078125)  # 1 / 128


def pyramid_scales(height: int, width: int, min_face_size: int, factor: float = FACTOR) -> list[float]:
    """Scales at which P-Net's 12 px window covers faces of min_face_size px and up (Python floats)."""
    m = PNET_CELL / min_face_size
    minl = min(height, width) * m
    scales, scale = [], m
    while minl >= PNET_CELL:
        scales.append(scale)
        scale *= factor
        minl *= factor
    return scales


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """The pyramid level's size (h, w) for a scale, as facenet-pytorch rounds it."""
    return int(height * scale + 1), int(width * scale + 1)


def _bins(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive average pooling bins: [floor(i n_in / n_out), ceil((i + 1) n_in / n_out)) per output i."""
    i = np.arange(n_out, dtype=np.int64)
    return (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)


def integral_image(image: np.ndarray) -> np.ndarray:
    """Summed-area tables of a uint8 HxWx3 image's channels: 3 x (H+1) x (W+1), int32 (float64 past
    2^31 / 255 px). Channel planes, so crops and pyramid levels come out channel-first as the nets take them."""
    import cv2

    h, w = image.shape[:2]
    depth, dtype = (cv2.CV_32S, np.int32) if h * w * 255 < 2**31 else (cv2.CV_64F, np.float64)
    table = np.empty((3, h + 1, w + 1), dtype=dtype)
    for c, plane in enumerate(cv2.split(np.ascontiguousarray(image))):
        cv2.integral(plane, table[c], sdepth=depth)
    return table


def area_resize_window(table: np.ndarray, window: tuple[int, int, int, int], height: int, width: int) -> np.ndarray:
    """torch.nn.functional.interpolate(mode="area") of an image window, bit for bit, and MTCNN's normalisation.

    table: integral_image of the uint8 HxWx3 RGB image; window: y0, y1, x0, x1 (exclusive ends, inside
    the image, non-empty); any output size (up- or downscaling). Returns float32 3 x height x width,
    (mean of each adaptive-pooling bin - 127.5) / 128. Bin sums are exact integers; the mean is
    float32(sum) / bin rows / bin cols, in that order, as torch computes it.
    """
    y0, y1, x0, x1 = (int(v) for v in window)
    h0, h1 = _bins(y1 - y0, height)
    w0, w1 = _bins(x1 - x0, width)
    rows = table[:, h1 + y0, x0:x1 + 1] - table[:, h0 + y0, x0:x1 + 1]  # whole rows first: contiguous copies
    sums = rows[:, :, w1] - rows[:, :, w0]
    mean = sums.astype(np.float32) / (h1 - h0).astype(np.float32)[None, :, None]
    mean /= (w1 - w0).astype(np.float32)[None, None, :]
    return (mean - NORM_MEAN) * NORM_SCALE


def area_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """area_resize_window over a whole uint8 HxWx3 RGB image: float32 3 x height x width."""
    return area_resize_window(integral_image(image), (0, image.shape[0], 0, image.shape[1]), height, width)


def pnet_candidates(reg: np.ndarray, prob: np.ndarray, scale: float, threshold: float) -> np.ndarray:
    """Candidate boxes from one pyramid level's P-Net output.

    reg: float32 4 x h x w offsets; prob: float32 h x w face probability. Returns float32 (n, 9):
    x1, y1, x2, y2 of each window in image px, its score and its 4 offsets, in row-major cell order.
    """
    ys, xs = np.nonzero(prob >= threshold)
    cells = np.stack([xs, ys], axis=1).astype(np.float32)
    q1 = np.floor((PNET_STRIDE * cells + 1) / np.float32(scale))
    q2 = np.floor((PNET_STRIDE * cells + PNET_CELL - 1 + 1) / np.float32(scale))
    score = prob[ys, xs][:, None]
    offsets = reg[:, ys, xs].T
    return np.concatenate([q1, q2, score, offsets], axis=1).astype(np.float32)


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """Indices kept by greedy IoU suppression (torchvision.ops.nms), highest score first.

    boxes: float32 (n, 4), areas without the +1 pixel; a box is dropped when its IoU with a kept one
    is > threshold. Ties in score keep their input order (torchvision sorts stably).
    """
    boxes = np.asarray(boxes, dtype=np.float32)
    scores = np.asarray(scores, dtype=np.float32)
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    x1, y1, x2, y2 = (np.ascontiguousarray(c) for c in boxes.T)
    areas = (x2 - x1) * (y2 - y1)
    order = np.argsort(-scores, kind="stable")
    keep = []
    zero, thr = np.float32(0), np.float32(threshold)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 for empty boxes: NaN, never suppresses
        while order.size:
            i, rest = order[0], order[1:]
            keep.append(i)
            w = np.maximum(zero, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
            h = np.maximum(zero, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
            inter = w * h
            order = rest[~(inter / (areas[i] + areas[rest] - inter) > thr)]
    return np.asarray(keep, dtype=np.int64)


def nms_min(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """Indices kept by MTCNN's final suppression: overlap over the smaller box (+1 px areas), as
    facenet-pytorch's nms_numpy (numpy's default argsort, so its tie order too)."""
    boxes = np.asarray(boxes, dtype=np.float32)
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    x1, y1, x2, y2 = (boxes[:, k].copy() for k in range(4))
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(np.asarray(scores, dtype=np.float32))
    keep = []
    while order.size > 0:
        i = order[-1]
        keep.append(i)
        rest = order[:-1]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        overlap = (w * h) / np.minimum(area[i], area[rest])
        order = rest[overlap <= threshold]
    return np.asarray(keep, dtype=np.int64)


def pnet_regress(boxes: np.ndarray) -> np.ndarray:
    """P-Net candidates (n, 9) -> float32 (n, 5) boxes moved by their offsets (widths without +1)."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    out = np.stack([boxes[:, 0] + boxes[:, 5] * w, boxes[:, 1] + boxes[:, 6] * h,
                    boxes[:, 2] + boxes[:, 7] * w, boxes[:, 3] + boxes[:, 8] * h, boxes[:, 4]], axis=1)
    return out.astype(np.float32)


def regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """R-/O-Net box regression: (n, 5) boxes, (n, 4) offsets as fractions of the +1 px width/height."""
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    out[:, 0] = boxes[:, 0] + reg[:, 0] * w
    out[:, 1] = boxes[:, 1] + reg[:, 1] * h
    out[:, 2] = boxes[:, 2] + reg[:, 2] * w
    out[:, 3] = boxes[:, 3] + reg[:, 3] * h
    return out


def square(boxes: np.ndarray) -> np.ndarray:
    """Boxes (n, 5) made square on their longer side, about the same centre."""
    out = boxes.copy()
    h = boxes[:, 3] - boxes[:, 1]
    w = boxes[:, 2] - boxes[:, 0]
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + w * np.float32(0.5) - side * np.float32(0.5)
    out[:, 1] = boxes[:, 1] + h * np.float32(0.5) - side * np.float32(0.5)
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def crop_windows(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Integer crop windows (n, 4) y0, y1, x0, x1 (exclusive ends) of boxes clipped to the image.

    Coordinates are truncated toward zero and clipped to 1 .. size, then used 1-based, as in
    facenet-pytorch (which crops the clipped box instead of padding it, so edge faces are stretched).
    """
    b = np.trunc(boxes[:, :4]).astype(np.int32)
    x, y = np.maximum(b[:, 0], 1), np.maximum(b[:, 1], 1)
    ex, ey = np.minimum(b[:, 2], width), np.minimum(b[:, 3], height)
    return np.stack([y - 1, ey, x - 1, ex], axis=1)


def crop_inputs(table: np.ndarray, windows: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Net inputs float32 N x3xsizexsize from image windows (crop_windows) and the mask of windows used.

    table: integral_image of the uint8 HxWx3 RGB image. Empty windows (a box wholly outside the image)
    are left out. Each input equals area_resize_window of its window; all are gathered at once.
    """
    ok = (windows[:, 1] > windows[:, 0]) & (windows[:, 3] > windows[:, 2])
    win = windows[ok].astype(np.int64)
    i = np.arange(size, dtype=np.int64)[None, :]
    hs, ws = (win[:, 1] - win[:, 0])[:, None], (win[:, 3] - win[:, 2])[:, None]
    h0, h1 = win[:, 0:1] + (i * hs) // size, win[:, 0:1] - ((-(i + 1) * hs) // size)  # n x size
    w0, w1 = win[:, 2:3] + (i * ws) // size, win[:, 2:3] - ((-(i + 1) * ws) // size)
    planes = table.reshape(3, -1)
    stride = table.shape[2]
    a, b = (h1 * stride)[:, :, None], (h0 * stride)[:, :, None]
    c0, c1 = w0[:, None, :], w1[:, None, :]
    sums = planes[:, a + c1] - planes[:, b + c1] - planes[:, a + c0] + planes[:, b + c0]  # 3 x n x size x size
    mean = sums.astype(np.float32) / (h1 - h0).astype(np.float32)[None, :, :, None]
    mean /= (w1 - w0).astype(np.float32)[None, :, None, :]
    return np.ascontiguousarray(((mean - NORM_MEAN) * NORM_SCALE).transpose(1, 0, 2, 3)), ok


def onet_points(boxes: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """O-Net landmarks (n, 10: 5 x then 5 y, fractions of the +1 px box) -> float32 (n, 5, 2) image px."""
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    px = w[:, None] * landmarks[:, :5] + boxes[:, 0:1] - 1
    py = h[:, None] * landmarks[:, 5:] + boxes[:, 1:2] - 1
    return np.stack([px, py], axis=2).astype(np.float32)

"""A raised brow moves whole, its lid's lashes stay, the plain skin between stretches (ganimate/face/brow_lift.py)."""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face import brow_lift as bl
from tests.edit_faces import synthetic_landmarks

SKIN, DARK = (205, 160, 140), (60, 40, 30)
SIZE = 128
IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # the frame is the crop
BROW_PX, LASH_PX, LIFT = 6.0, 4.0, 8.0


def _lines(p: np.ndarray, xx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's brow line (points 17-26) and upper lid margin (36-39, 42-45), nan beyond them."""
    brow = np.full(xx.shape, np.nan)
    lid = np.full(xx.shape, np.nan)
    for b, e in ((slice(17, 22), slice(36, 40)), (slice(22, 27), slice(42, 46))):
        brow = np.where(np.isnan(brow), np.interp(xx, p[b, 0], p[b, 1], left=np.nan, right=np.nan), brow)
        lid = np.where(np.isnan(lid), np.interp(xx, p[e, 0], p[e, 1], left=np.nan, right=np.nan), lid)
    return brow, lid


def _face() -> tuple[np.ndarray, np.ndarray]:
    """Landmarks (scale 2: brow to lid ~26 px) and a crop with a BROW_PX dark brow under each brow line and a
    LASH_PX dark band of lashes over each upper lid's margin, plain skin between."""
    p = synthetic_landmarks(centre=(64.0, 80.0), scale=2.0)
    img = np.zeros((SIZE, SIZE, 3), np.uint8)
    img[:] = SKIN
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    brow, lid = _lines(p, xx)
    img[(yy >= brow) & (yy < brow + BROW_PX)] = DARK
    img[(yy > lid - LASH_PX) & (yy <= lid)] = DARK
    return p, img


def _generator_flow(p: np.ndarray) -> np.ndarray:
    """A backward flow as the generator's: every column above the brow raised LIFT px, the lift falling evenly to
    nothing at the lid's margin (so the brow and the lashes are stretched with the skin)."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    lids = p[[36, 37, 38, 39, 42, 43, 44, 45]]
    brow, lid = np.interp(xx, p[17:27, 0], p[17:27, 1]), np.interp(xx, lids[:, 0], lids[:, 1])  # held at the ends
    top = brow - LIFT  # where the brow's points land
    fy = LIFT * np.clip((lid - yy) / (lid - top), 0.0, 1.0)
    flow = np.zeros((SIZE, SIZE, 2), np.float32)
    flow[..., 1] = fy
    return flow


def _warp(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    return cv2.remap(img, xx + flow[..., 0], yy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _dark_runs(img: np.ndarray, x: int) -> list[tuple[int, int]]:
    """(first row, length) of each run of dark px down column x."""
    dark = (img[:, x].astype(float) @ np.array([0.299, 0.587, 0.114])) < 120
    runs, start = [], None
    for y, d in enumerate(list(dark) + [False]):
        if d and start is None:
            start = y
        elif not d and start is not None:
            runs.append((start, y - start))
            start = None
    return runs


def test_the_brow_rises_whole_and_the_lashes_stay_where_the_generator_stretched_both():
    p, img = _face()
    flow = _generator_flow(p)
    rewritten = bl.lift_brows(p, flow, img, IDENTITY).flow
    for x in (int(round(p[19, 0])), int(round(p[24, 0]))):  # the middle of each brow, over its eye
        before = _dark_runs(img, x)
        stretched, kept = _dark_runs(_warp(img, flow), x), _dark_runs(_warp(img, rewritten), x)
        assert len(before) == len(stretched) == len(kept) == 2  # brow and lashes, nothing smeared between
        (brow0, bt0), (lash0, lt0) = before
        (_, bt1), (_, lt1) = stretched
        (brow2, bt2), (lash2, lt2) = kept
        assert bt1 >= bt0 + 1 and lt1 >= lt0 + 1  # the generator's fall drew both thicker
        assert abs(bt2 - bt0) <= 1 and abs(lt2 - lt0) <= 1  # now each keeps its height
        assert abs(brow2 - (brow0 - LIFT)) <= 1  # the brow still rises as far
        assert abs(lash2 - lash0) <= 1  # the lashes stay on the lid


def test_the_flow_is_kept_outside_the_gap_between_brow_and_lid():
    p, img = _face()
    flow = _generator_flow(p)
    rewritten = bl.lift_brows(p, flow, img, IDENTITY).flow
    changed = np.abs(rewritten - flow).max(axis=2) > 1e-4
    ys, xs = np.nonzero(changed)
    assert changed.any()
    assert ys.min() >= p[17:27, 1].min() - LIFT - 1  # nothing above the raised brows' points
    assert ys.max() <= p[36:48, 1].max() + 1  # nothing below the lids' margins (down to the eyes' corners)
    assert xs.min() >= p[17, 0] - 0.1 * 92 and xs.max() <= p[26, 0] + 0.1 * 92  # within the brows' span, faded


def test_a_brow_that_does_not_rise_is_left_alone():
    p, img = _face()
    still = np.zeros((SIZE, SIZE, 2), np.float32)
    assert bl.lift_brows(p, still, img, IDENTITY).flow is still
    lowered = -_generator_flow(p)  # a frown's brows come down: not this module's
    assert np.array_equal(bl.lift_brows(p, lowered, img, IDENTITY).flow, lowered)


def test_lay_out_stretches_the_plain_steps_and_spreads_a_rise_too_big_for_them():
    source = np.linspace(0.0, 10.0, 11)
    plain = np.where((source >= 4) & (source <= 6), 1.0, 0.0)  # 2 px of plain skin between hair and lashes
    landed = bl.lay_out(source, plain, 12.0)  # 2 px more: the plain skin takes it
    assert landed[0] == 0.0 and abs(landed[-1] - 12.0) < 1e-9
    steps = np.diff(landed)
    assert np.allclose(steps[:3], 1.0) and np.allclose(steps[-3:], 1.0)  # hair and lashes keep their size
    assert steps[4] > 1.5
    landed = bl.lay_out(source, plain, 20.0)  # 10 px more than 2 px of skin can take at MOST
    steps = np.diff(landed)
    assert np.all(np.diff(landed) > 0) and abs(landed[-1] - 20.0) < 1e-9
    assert steps[0] > 1.0  # the rest spread over the whole gap
    assert steps[4] <= 1.0 + bl.MOST * 1.01 + 1.0


def _dark_face(hat: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """As _face, but the whole gap from each brow line down to its lid is dark (a brow over a lid in shadow: no
    plain skin), with forehead skin above the brows; or a hat's dark from above the brows to 0.4 of the way down
    to the lid, skin below it."""
    p = synthetic_landmarks(centre=(64.0, 80.0), scale=2.0)
    img = np.zeros((SIZE, SIZE, 3), np.uint8)
    img[:] = SKIN
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    brow, lid = _lines(p, xx)
    img[(yy >= brow) & (yy <= lid)] = DARK
    if hat:  # the hat's brim well below the brows' points, the skin under it light down to the lashes
        img[(yy >= brow + 0.4 * (lid - brow)) & (yy <= lid - LASH_PX)] = SKIN
        img[yy < brow + 0.4 * (lid - brow)] = DARK
    return p, img


def _luma(img: np.ndarray) -> np.ndarray:
    return img.astype(float) @ np.array([0.299, 0.587, 0.114])


def test_a_dark_column_stretched_past_its_length_shows_skin_between_brow_and_lid():
    p, img = _dark_face()
    flow = _generator_flow(p)
    lift = bl.lift_brows(p, flow, img, IDENTITY)
    stretched = _warp(img, lift.flow)
    shown = bl.bring_out_skin(stretched, lift, IDENTITY)
    x = int(round(p[19, 0]))
    top, low = p[19, 1] - LIFT, np.interp(x, p[36:40, 0], p[36:40, 1])  # the raised brow's points, the lid
    gap = low - top
    middle = slice(int(top + 0.45 * gap), int(top + 0.65 * gap))
    brow_rows = slice(int(top + 1), int(top + 0.08 * gap))
    assert _luma(stretched[middle, x]).max() < 100  # without it: dark all the way down
    assert _luma(shown[middle, x]).mean() > _luma(stretched[middle, x]).mean() + 8  # lighter between
    assert abs(_luma(shown[brow_rows, x]).mean() - _luma(stretched[brow_rows, x]).mean()) < 10  # the brow stays
    skin_rows = slice(0, int(p[17:27, 1].min() - LIFT - 3))
    assert np.array_equal(shown[skin_rows], stretched[skin_rows])  # nothing above the brows


def test_no_skin_is_brought_out_under_a_hat_down_to_the_brows():
    p, img = _dark_face(hat=True)
    lift = bl.lift_brows(p, _generator_flow(p), img, IDENTITY)
    assert lift.reveal is not None and float(lift.reveal.max()) < 0.05  # 0.16 without the hat
    stretched = _warp(img, lift.flow)
    assert np.abs(bl.bring_out_skin(stretched, lift, IDENTITY).astype(int) - stretched).max() <= 5


def test_a_rise_too_big_for_the_plain_skin_goes_where_there_is_room():
    source = np.linspace(0.0, 10.0, 11)
    plain = np.full(11, 0.03)  # no plain skin at all
    room = np.where((source >= 3) & (source <= 7), 1.0, 0.03)
    steps = np.diff(bl.lay_out(source, plain, 16.0, room))
    assert abs(steps.sum() - 16.0) < 1e-9
    assert np.all(steps[:2] < 1.3) and np.all(steps[-2:] < 1.3)  # the brow's hair and the lashes barely grow
    assert np.all(steps[3:7] > 2.0)

"""Seamless paste-back of edited face crops."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ganimate.face.align import invert_transform, template_points, transform_points, warp_face_by_landmarks
from ganimate.face.paste import make_feather_mask, paste_back, paste_warped

SIZE = 128


def scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A textured uint8 240x320x3 frame and 5 landmarks of a face ~90 px wide, tilted."""
    rng = np.random.default_rng(seed)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), (0, 0), 1.5)
    a = np.deg2rad(12.0)
    m = np.array([[90 * np.cos(a), -90 * np.sin(a), 120.0], [90 * np.sin(a), 90 * np.cos(a), 70.0]])
    return frame, transform_points(m, template_points(1))


def test_unchanged_crop_returns_the_frame_bit_exact():
    frame, lm = scene()
    crop, mat = warp_face_by_landmarks(frame, lm, SIZE)
    out = paste_back(frame, crop, crop.copy(), mat, make_feather_mask(SIZE))
    assert out.dtype == np.uint8 and out.shape == frame.shape
    np.testing.assert_array_equal(out, frame)
    assert out is not frame


def test_an_edit_changes_only_pixels_under_the_warped_mask():
    frame, lm = scene(1)
    crop, mat = warp_face_by_landmarks(frame, lm, SIZE)
    mask = make_feather_mask(SIZE)
    edited = crop.astype(np.float32)
    edited[40:90, 40:90] += 60.0  # inside the mask's full-weight area
    out = paste_back(frame, crop, np.clip(edited, 0, 255), mat, mask)
    changed = np.any(out != frame, axis=2)
    assert changed.sum() > 1000
    # where the mask warped into the frame is 0, nothing may change
    warped = cv2.warpAffine(mask, invert_transform(mat), (frame.shape[1], frame.shape[0]), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(warped > 0)
    outside = np.ones_like(changed)
    outside[ys.min() - 1 : ys.max() + 2, xs.min() - 1 : xs.max() + 2] = False
    assert not changed[outside].any()
    # and the edited square got brighter by about the edit
    centre = np.rint(transform_points(invert_transform(mat), [[65.0, 65.0]])[0]).astype(int)
    gain = out[centre[1], centre[0]].astype(int) - frame[centre[1], centre[0]].astype(int)
    assert np.all(gain > 40)


def test_feather_mask_shape_and_range():
    m = make_feather_mask(SIZE)
    assert m.shape == (SIZE, SIZE) and m.dtype == np.float32
    assert m.min() >= 0.0 and m.max() <= 1.0
    assert m[SIZE // 2, SIZE // 2] == 1.0
    for y, x in [(0, 0), (0, SIZE - 1), (SIZE - 1, 0), (SIZE - 1, SIZE - 1)]:
        assert m[y, x] == 0.0
    # falls off monotonically from the centre to the edge
    row = m[SIZE // 2, SIZE // 2 :]
    assert np.all(np.diff(row) <= 1e-6) and row[-1] == 0.0


def _maps(flow_xy=(0.0, 0.0), attention=1.0, colour=0.0):
    flow = np.zeros((SIZE, SIZE, 2), np.float32) + np.asarray(flow_xy, np.float32)
    return flow, np.full((SIZE, SIZE), attention, np.float32), np.full((SIZE, SIZE, 3), colour, np.float32)


def test_warped_paste_with_no_motion_and_full_attention_is_bit_exact():
    frame, lm = scene(2)
    _, mat = warp_face_by_landmarks(frame, lm, SIZE)
    out = paste_warped(frame, mat, make_feather_mask(SIZE), *_maps())
    np.testing.assert_array_equal(out, frame)


def test_warped_paste_moves_the_frames_own_pixels_by_the_flow_in_frame_units():
    frame, _ = scene(3)
    # an axis-aligned crop at half the frame's scale: 1 crop px = 2 frame px
    mat = np.array([[0.5, 0.0, -40.0], [0.0, 0.5, -30.0]])  # frame (80..336, 60..316) -> crop 0..128
    mask = np.ones((SIZE, SIZE), np.float32)
    out = paste_warped(frame, mat, mask, *_maps(flow_xy=(3.0, 0.0)))
    # output pixel p takes the input at p + (6, 0) frame px, well inside the crop's area
    np.testing.assert_array_equal(out[100:200, 100:200].astype(int), frame[100:200, 106:206].astype(int))
    np.testing.assert_array_equal(out[:50], frame[:50])  # above the crop: untouched


def test_warped_paste_takes_the_colour_map_where_attention_is_zero_and_only_under_the_mask():
    frame, lm = scene(4)
    _, mat = warp_face_by_landmarks(frame, lm, SIZE)
    mask = make_feather_mask(SIZE)
    out = paste_warped(frame, mat, mask, *_maps(attention=0.0, colour=200.0))
    centre = transform_points(invert_transform(mat), np.array([[SIZE / 2, SIZE / 2]]))[0].round().astype(int)
    assert np.all(out[centre[1], centre[0]] == 200)
    outside = cv2.warpAffine(mask, invert_transform(mat), (frame.shape[1], frame.shape[0])) == 0
    np.testing.assert_array_equal(out[outside], frame[outside])


def test_a_crop_map_is_read_at_each_frame_pixel_and_is_zero_beyond_the_crop():
    from ganimate.face.paste import lay_crop_map

    values = np.arange(100, dtype=np.float32).reshape(10, 10)  # crop px (x, y) holds 10 y + x
    matrix = np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]])  # frame -> crop: the crop is the frame's top-left 20 px
    laid = lay_crop_map(values, matrix, (40, 30, 3))
    assert laid.shape == (40, 30) and laid.dtype == np.float32
    assert laid[8, 6] == pytest.approx(values[4, 3])  # frame (6, 8) is crop (3, 4)
    assert laid[9, 7] == pytest.approx(0.5 * (values[4, 3] + values[5, 4]), abs=1e-3)  # between px: bilinear
    assert not np.any(laid[25:, :]) and not np.any(laid[:, 25:])  # beyond the crop

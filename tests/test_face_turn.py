"""A turned face's sideways motion foreshortened (ganimate/face/turn.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face import turn as ft
from ganimate.face.flow import after_flow
from tests.edit_faces import crop_landmarks, synthetic_landmarks

CROP = 128


def _turned(points: np.ndarray, far_share: float, far_left: bool = True) -> np.ndarray:
    """The points with one half (left or right of the nose tip) squeezed to far_share of its width, as a turn
    foreshortens the far half."""
    p = np.array(points, np.float64)
    mid = p[ft.NOSE_TIP, 0]
    side = p[:, 0] < mid if far_left else p[:, 0] > mid
    p[side, 0] = mid + (p[side, 0] - mid) * far_share
    return p


def _rotated(p: np.ndarray, deg: float, scale: float = 1.0, shift=(0.0, 0.0)) -> np.ndarray:
    a = np.radians(deg)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (p - p.mean(0)) @ r.T * scale + p.mean(0) + np.asarray(shift)


def test_read_turn_is_zero_frontal_signed_by_the_narrow_half_and_blind_to_roll_and_size():
    p = synthetic_landmarks()
    assert ft.read_turn(p) == pytest.approx(0.0, abs=1e-9)
    left_far = ft.read_turn(_turned(p, 0.6, far_left=True))
    right_far = ft.read_turn(_turned(p, 0.6, far_left=False))
    assert left_far < -0.2 and right_far == pytest.approx(-left_far)  # > 0: the left half is the near one
    assert ft.read_turn(_turned(p, 0.8)) > left_far  # less turned, nearer 0
    q = _turned(p, 0.6)
    assert ft.read_turn(_rotated(q, 20.0, 1.7, (30.0, -12.0))) == pytest.approx(left_far, abs=1e-9)


def test_turn_flow_is_nothing_on_a_frontal_face_and_for_motion_across_the_eye_line():
    p = crop_landmarks()
    rng = np.random.default_rng(0)
    flow = rng.normal(0.0, 2.0, (CROP, CROP, 2)).astype(np.float32)
    assert not np.any(ft.turn_flow(p, flow, 0.0))
    vertical = np.zeros((CROP, CROP, 2), np.float32)
    vertical[..., 1] = 3.0  # a lift: not foreshortened by a turn about the vertical axis
    assert np.abs(ft.turn_flow(_turned(p, 0.6), vertical, ft.read_turn(_turned(p, 0.6)))).max() < 1e-5


@pytest.mark.parametrize("far_left", [True, False])
def test_a_turned_faces_outward_move_grows_on_the_near_side_and_shrinks_on_the_far(far_left):
    p = _turned(crop_landmarks(), 0.6, far_left)
    turn = ft.read_turn(p)
    c = min(ft.GAIN * abs(turn), ft.CAP)
    assert 0.2 < c < ft.CAP  # a turn the law scales, short of its cap
    # a symmetric widening about the midline: backward flow, each output px reads from nearer the middle
    yy, xx = np.mgrid[0:CROP, 0:CROP].astype(np.float32)
    mid = float(np.mean(p[list(ft.MIDLINE), 0]))
    flow = np.zeros((CROP, CROP, 2), np.float32)
    flow[..., 0] = -0.03 * (xx - mid)  # gentle: the composition reads the flow a little off its px (second order)
    composed, = after_flow(ft.turn_flow(p, flow, turn), flow)
    far, near = (48, 54) if far_left else (54, 48)
    fx, fy = np.round(p[far]).astype(int)
    nx, ny = np.round(p[near]).astype(int)
    # each corner's move scaled by 1 -/+ c, against what the same flow moves it on the frontal face
    assert composed[fy, fx, 0] / flow[fy, fx, 0] == pytest.approx(1.0 - c, abs=0.03)
    assert composed[ny, nx, 0] / flow[ny, nx, 0] == pytest.approx(1.0 + c, abs=0.03)
    # the midline keeps its (zero) move, and the scale ramps in between
    assert abs(composed[ny, int(round(mid)), 0]) < 0.05
    scale = ft.side_scale(p, CROP, turn)[ny]
    span = scale[min(fx, nx):max(fx, nx) + 1]
    assert np.all(np.diff(span) >= -1e-6) or np.all(np.diff(span) <= 1e-6)  # monotone from corner to corner


def test_the_split_is_capped_for_a_face_near_profile():
    p = _turned(crop_landmarks(), 0.1)
    scale = ft.side_scale(p, CROP, ft.read_turn(p))
    assert scale.min() == pytest.approx(1.0 - ft.CAP, abs=1e-5) and scale.max() == pytest.approx(1.0 + ft.CAP, abs=1e-5)

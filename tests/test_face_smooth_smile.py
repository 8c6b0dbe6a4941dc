"""A closed-lip smile's lower face re-laid as the smoothest warp through its points' moves
(ganimate/face/smooth_smile.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face import smooth_smile as ss
from ganimate.face.corners import forward_moves
from ganimate.face.landmarks import interocular
from ganimate.face.ramp import bump
from tests.edit_faces import CROP, aus_of, crop_landmarks, still_flow


def test_the_thin_plate_meets_its_values_and_keeps_an_affine_field():
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 100, (30, 2))
    values = rng.normal(0, 3, (30, 2))
    np.testing.assert_allclose(ss.thin_plate(points, values, points), values, atol=1e-6)
    affine = points @ np.array([[0.1, -0.2], [0.05, 0.3]]) + np.array([2.0, -1.0])
    at = rng.uniform(-20, 120, (50, 2))
    np.testing.assert_allclose(ss.thin_plate(points, affine, at),
                               at @ np.array([[0.1, -0.2], [0.05, 0.3]]) + np.array([2.0, -1.0]), atol=1e-6)


def _lifted_with_a_crease(p: np.ndarray) -> np.ndarray:
    """A backward flow lifting the mouth smoothly, plus a sharp ripple across the skin above the upper lip that
    moves none of the face's points: a crease squeezed in between them."""
    yy, xx = np.mgrid[0:CROP, 0:CROP].astype(np.float64)
    iod = interocular(p)
    flow = still_flow()
    flow[..., 1] = 4.0 * bump(xx, yy, p[48:60].mean(0), 0.4 * iod)  # output shows the input from lower down
    ripple_at = (p[33] + p[51]) / 2
    flow[..., 1] += 2.5 * bump(xx, yy, ripple_at, 0.04 * iod) * np.sin((yy - ripple_at[1]) * 1.2)
    return flow


def test_a_crease_between_the_points_is_smoothed_away_the_points_moves_kept():
    p = crop_landmarks(1.2)
    flow = _lifted_with_a_crease(p)
    out = ss.smooth_flow(p, flow, 1.0)
    held = list(ss.HELD)
    # within half a px of moves up to 4 px (the fit bends a little, BEND, and is read every COARSE px)
    np.testing.assert_allclose(forward_moves(p[held], out), forward_moves(p[held], flow), atol=0.5)
    iod = interocular(p)
    r = int(0.05 * iod)
    cx, cy = np.round((p[33] + p[51]) / 2).astype(int)
    def ripple(f: np.ndarray) -> float:  # how far the vertical squeeze swings about the crease
        return float(np.ptp(np.gradient(f[..., 1], axis=0)[cy - r:cy + r + 1, cx - r:cx + r + 1]))

    assert ripple(out) < 0.3 * ripple(flow)
    # far from the lower face (the forehead's corner) the flow stays as it was
    np.testing.assert_array_equal(out[:8, :8], flow[:8, :8])


def test_weight_scales_the_relay_and_zero_leaves_the_flow():
    p = crop_landmarks(1.2)
    flow = _lifted_with_a_crease(p)
    assert ss.smooth_flow(p, flow, 0.0) is flow
    full, half = ss.smooth_flow(p, flow, 1.0), ss.smooth_flow(p, flow, 0.5)
    np.testing.assert_allclose(half - flow, 0.5 * (full - flow), atol=1e-4)


def test_touch_for_relays_a_closed_lip_smile_only():
    from ganimate.pipeline.render import touch_for

    closed = touch_for(aus_of(AU12=3.0), aus_of(AU12=0.5))
    assert closed.closed_smile == 1.0 and closed.needs_points
    assert touch_for(aus_of(AU12=3.0, AU25=2.0), aus_of(AU12=0.5)).closed_smile == 0.0  # the lips part
    assert touch_for(aus_of(AU12=0.5), aus_of(AU12=3.0)).closed_smile == 0.0  # a smile taken away


def test_only_faces_large_in_their_frame_are_relaid():
    small, large = crop_landmarks(0.6), crop_landmarks(3.0)
    assert interocular(small) < ss.SIZE_FROM and ss.size_share(small) == 0.0
    assert interocular(large) > ss.SIZE_FULL and ss.size_share(large) == 1.0
    assert 0.0 < ss.size_share(crop_landmarks(0.6 * (ss.SIZE_FROM + ss.SIZE_FULL) / 2 / interocular(small))) < 1.0

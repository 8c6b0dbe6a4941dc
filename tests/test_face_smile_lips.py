"""A closed-lip smile's lips stretched as real ones (ganimate/face/smile_lips.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face import smile_lips as sl
from ganimate.face.corners import forward_moves
from ganimate.face.flow import after_flow
from ganimate.face.landmarks import eye_axes, interocular
from ganimate.face.ramp import bump
from tests.edit_faces import CROP, aus_of, crop_landmarks, still_flow


def _corner_lift(points: np.ndarray, px: float) -> np.ndarray:
    """A backward flow that lifts each mouth corner by px, a bump narrower than the mouth (as the generator's)."""
    yy, xx = np.mgrid[0:CROP, 0:CROP].astype(np.float64)
    around = sum(bump(xx, yy, points[c], 0.08 * interocular(points)) for c in (48, 54))
    flow = still_flow()
    flow[..., 1] = px * around  # backward: each px shows what lay below it
    return flow


def _rises(points: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """float (68,) how far up the face each point is carried, fitted back on eyes and nose (as the shares were)."""
    _, down = eye_axes(points)
    return -(sl.rigid_moves(points, forward_moves(points, flow)) @ down)


def test_the_stretch_is_for_a_rising_smile_with_closed_lips_only():
    assert sl.stretch_share(aus_of(AU12=0.5), aus_of(AU12=3.0)) == 1.0
    assert sl.stretch_share(aus_of(AU12=3.0), aus_of(AU12=0.5)) == 0.0  # a smile taken away
    assert sl.stretch_share(aus_of(AU12=1.0), aus_of(AU12=1.0)) == 0.0  # nothing changes
    assert sl.stretch_share(aus_of(AU12=0.5), aus_of(AU12=3.0, AU25=2.0)) == 0.0  # a smile that parts the lips
    assert 0.0 < sl.stretch_share(aus_of(AU12=0.5), aus_of(AU12=3.0, AU25=0.75)) < 1.0


def test_the_lips_take_their_real_share_of_the_corners_rise_and_the_corners_stay():
    p = crop_landmarks(1.2)
    flow = _corner_lift(p, 4.0)
    before = _rises(p, flow)
    lips = list(sl.RISE_SHARE)
    corners = before[list(sl.CORNERS)].mean()
    assert corners > 2.0
    shares = np.array([sl.RISE_SHARE[i] for i in lips])
    assert np.abs(before[lips] / corners - shares).max() > 0.2  # the bump left the lips' middle behind
    extra = sl.stretch_flow(p, flow, 1.0)
    composed = after_flow(extra, flow)[0]
    after = _rises(p, composed)
    np.testing.assert_allclose(after[lips] / after[list(sl.CORNERS)].mean(), shares, atol=0.06)
    # the corners keep the generator's rise (to a tenth: the lower lip beside them is pulled to its share)
    np.testing.assert_allclose(after[list(sl.CORNERS)], before[list(sl.CORNERS)], rtol=0.1)
    half = sl.stretch_flow(p, flow, 0.5)
    np.testing.assert_allclose(half, 0.5 * extra, atol=1e-5)


def test_no_stretch_without_a_weight_or_a_rise():
    p = crop_landmarks(1.2)
    assert not sl.stretch_flow(p, _corner_lift(p, 4.0), 0.0).any()
    assert not sl.stretch_flow(p, still_flow(), 1.0).any()
    assert not sl.stretch_flow(p, _corner_lift(p, -4.0), 1.0).any()  # corners that fall


def test_touch_for_stretches_only_where_the_source_was_read():
    from ganimate.pipeline.render import touch_for

    assert touch_for(aus_of(AU12=3.0), aus_of(AU12=0.5), stretch=True).stretch == 1.0
    assert touch_for(aus_of(AU12=3.0), aus_of(AU12=0.5), stretch=True).needs_points
    assert touch_for(aus_of(AU12=3.0), None, stretch=True).stretch == 0.0
    assert touch_for(aus_of(AU12=3.0), aus_of(AU12=0.5)).stretch == 0.0

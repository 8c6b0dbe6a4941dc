"""A closed-lip smile's lips kept to real lips' area (ganimate/face/lip_area.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face import lip_area as la
from ganimate.face.corners import forward_moves
from ganimate.face.flow import after_flow
from ganimate.face.landmarks import interocular
from ganimate.face.ramp import bump
from tests.edit_faces import CROP, aus_of, crop_landmarks, still_flow


def _puff(points: np.ndarray, grow: float) -> np.ndarray:
    """A backward flow that thickens the lips about their seam by 1 + grow (up and down the crop), fading out
    over the mouth's surroundings, as the generator's smile keeps the lips full while it lifts the seam."""
    yy, xx = np.mgrid[0:CROP, 0:CROP].astype(np.float64)
    seam = points[60:68, 1].mean()
    around = bump(xx, yy, points[48:60].mean(0), 0.35 * interocular(points))
    flow = still_flow()
    flow[..., 1] = -(yy - seam) * grow / (1.0 + grow) * around  # output y shows the input nearer the seam
    return flow


def _areas(points: np.ndarray, flow: np.ndarray) -> tuple[float, float]:
    carried = points + forward_moves(points, flow)
    return tuple(la.lip_area(carried, lip) / la.lip_area(points, lip) for lip in (la.UPPER_LIP, la.LOWER_LIP))


def test_lips_the_flow_grew_are_thinned_towards_real_lips_area_the_seam_and_corners_kept():
    p = crop_landmarks(1.2)
    flow = _puff(p, 0.6)
    upper, lower = _areas(p, flow)
    assert upper > 1.3 and lower > 1.3
    composed = after_flow(la.thin_flow(p, flow, 1.0), flow)[0]
    upper_after, lower_after = _areas(p, composed)
    # most of the way to the real areas (the radial fit is held at the seam, a lip's thickness away)
    assert upper_after - la.UPPER_AREA < 0.35 * (upper - la.UPPER_AREA)
    assert lower_after - la.LOWER_AREA < 0.35 * (lower - la.LOWER_AREA)
    assert upper_after > 0.9 * la.UPPER_AREA and lower_after > 0.9 * la.LOWER_AREA  # not thinned past them
    kept = [48, 54, *range(60, 68)]
    moved_before = forward_moves(p[kept], flow)
    moved_after = forward_moves(p[kept], composed)
    np.testing.assert_allclose(moved_after, moved_before, atol=0.3)


def test_half_the_weight_thins_less():
    p = crop_landmarks(1.2)
    flow = _puff(p, 0.6)
    full = _areas(p, after_flow(la.thin_flow(p, flow, 1.0), flow)[0])
    half = _areas(p, after_flow(la.thin_flow(p, flow, 0.5), flow)[0])
    grown = _areas(p, flow)
    for f, h, g in zip(full, half, grown, strict=True):
        assert f < h < g


def test_no_thinning_without_a_weight_or_a_lip_grown_past_real_lips():
    p = crop_landmarks(1.2)
    assert not la.thin_flow(p, _puff(p, 0.6), 0.0).any()
    assert not la.thin_flow(p, still_flow(), 1.0).any()
    assert not la.thin_flow(p, _puff(p, -0.3), 1.0).any()  # lips the flow thinned are left as they are


def test_touch_for_keeps_a_closed_lip_smile_to_real_lips_on_video_too():
    from ganimate.pipeline.render import touch_for

    closed = touch_for(aus_of(AU12=3.0), aus_of(AU12=0.5))  # not a still: no stretch, but the area is kept
    assert closed.stretch == 0.0 and closed.closed_smile == 1.0 and closed.needs_points
    assert touch_for(aus_of(AU12=3.0, AU25=2.0), aus_of(AU12=0.5)).closed_smile == 0.0  # the lips part: the fill's
    assert touch_for(aus_of(AU12=0.5), aus_of(AU12=3.0)).closed_smile == 0.0  # a smile taken away
    assert touch_for(aus_of(AU12=3.0), None).closed_smile == 0.0  # nothing read the source

"""A smile that rises over parted lips shows teeth in their opening (ganimate/face/grin.py)."""

from __future__ import annotations

from ganimate.face import grin
from tests.edit_faces import aus_of, mouth_showing, opened_lips, synthetic_landmarks


def test_a_smile_that_rises_counts_and_one_that_falls_or_barely_moves_does_not():
    assert grin.grin_rise(aus_of(AU12=0.5), aus_of(AU12=3.0)) == 1.0
    assert grin.grin_rise(aus_of(AU12=3.0), aus_of(AU12=0.5)) == 0.0
    assert grin.grin_rise(aus_of(AU12=1.0), aus_of(AU12=1.3)) == 0.0  # within a reading's noise
    assert 0.0 < grin.grin_rise(aus_of(AU12=1.0), aus_of(AU12=2.0)) < 1.0


def test_a_dark_inside_reads_dark_and_teeth_read_bright():
    dark, p = mouth_showing((40, 20, 25), gap=10.0)
    teeth, _ = mouth_showing((240, 236, 228), gap=10.0)
    assert grin.inside_light(dark, p) < grin.GRIN_LIT[0]
    assert grin.inside_light(teeth, p) > grin.GRIN_LIT[1]


def test_only_lips_parted_before_and_after_over_a_dark_inside_take_the_fill():
    parted = opened_lips(synthetic_landmarks(), 10.0)
    shut = synthetic_landmarks()
    shut[[65, 66, 67], 1] = shut[[63, 62, 61], 1]  # the inner lips on one another
    assert grin.grin_weight(1.0, parted, parted, 0.3) == 1.0
    assert grin.grin_weight(1.0, shut, shut, 0.3) == 0.0  # lips together: nothing to fill
    assert grin.grin_weight(1.0, shut, parted, 0.3) == 0.0  # the edit opened them: the fill's own (fill_weight)
    assert grin.grin_weight(1.0, parted, shut, 0.3) == 0.0  # the edit closed them
    assert grin.grin_weight(1.0, parted, parted, 1.2) == 0.0  # teeth the frame shows stay
    assert grin.grin_weight(0.0, parted, parted, 0.3) == 0.0  # no smile rising
    assert 0.0 < grin.grin_weight(0.5, parted, parted, 0.3) < 1.0


def test_touch_for_reads_the_rise_only_where_the_source_was_read():
    from ganimate.pipeline.render import touch_for

    touch = touch_for(aus_of(AU12=3.0, AU25=2.0), aus_of(AU12=0.5, AU25=2.0))
    assert touch.grin == 1.0 and touch.needs_points
    assert touch_for(aus_of(AU12=3.0), None).grin == 0.0
    assert touch_for(aus_of(AU12=0.5), aus_of(AU12=3.0)).grin == 0.0

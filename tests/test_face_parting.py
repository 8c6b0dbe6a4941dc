"""Lips parted as far as real lips part where AU25 rises (ganimate/face/parting.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face import parting as fp
from ganimate.face.corners import forward_moves
from ganimate.face.flow import after_flow, flow_jacobian, unfold_flow
from ganimate.face.landmarks import interocular
from ganimate.face.lips import real_opening
from tests.edit_faces import aus_of, crop_landmarks, still_flow


def test_the_gap_is_real_lips_opening_gained_where_au25_rises_past_the_readers_noise():
    assert fp.part_gap(aus_of(AU25=2.0), aus_of(AU25=0.0)) == 0.0  # falling: face/lips.py closes them
    assert fp.part_gap(aus_of(AU25=1.0), aus_of(AU25=1.0)) == 0.0
    assert fp.part_gap(aus_of(AU25=0.0), aus_of(AU25=0.3)) == 0.0  # under RISE_FROM: a reader's noise
    assert fp.part_gap(aus_of(AU25=0.0), aus_of(AU25=3.0)) == pytest.approx(real_opening(3.0))
    assert fp.part_gap(aus_of(AU25=1.0), aus_of(AU25=3.0)) == pytest.approx(real_opening(3.0) - real_opening(1.0))
    half = fp.part_gap(aus_of(AU25=0.0), aus_of(AU25=0.7))  # halfway up the fade
    assert 0.0 < half < real_opening(0.7)
    gaps = [fp.part_gap(aus_of(AU25=0.0), aus_of(AU25=t)) for t in np.linspace(0.0, 5.0, 26)]
    assert np.all(np.diff(gaps) >= 0.0)


def test_a_closed_mouth_is_parted_by_the_gap_asked_upper_lip_up_and_lower_lip_down_corners_still():
    p = crop_landmarks()
    iod = interocular(p)
    still = still_flow()
    assert not np.any(fp.part_flow(p, still, 0.0))
    extra = fp.part_flow(p, still, 0.1)
    flow = unfold_flow(after_flow(extra, still)[0])
    moved = p + forward_moves(p, flow)
    grown = fp.shown_gap(p, flow) - fp.shown_gap(p, still)
    assert grown == pytest.approx(0.1 * iod, rel=0.1)
    up, down = -(moved[51] - p[51])[1], (moved[57] - p[57])[1]  # each lip moves as a block
    assert up == pytest.approx(fp.UPPER_SHARE * 0.1 * iod, rel=0.15)
    assert down == pytest.approx((1.0 - fp.UPPER_SHARE) * 0.1 * iod, rel=0.15)
    assert (moved[66] - moved[62])[1] > (p[66] - p[62])[1] + 1.0  # the inner lips come apart too
    assert np.abs(moved[[48, 54, 60, 64]] - p[[48, 54, 60, 64]]).max() < 0.1 * iod * 0.2  # corners barely
    still_parts = list(range(0, 4)) + list(range(13, 30)) + list(range(36, 48))  # jaw's sides, brows, bridge, eyes
    assert np.abs(moved[still_parts] - p[still_parts]).max() < 0.05
    assert np.abs(moved[30:36] - p[30:36]).max() < 0.8 * up  # the skin above follows the upper lip by less
    assert np.abs(extra[5:20, 5:20]).max() == 0.0
    # the band stretched open keeps a third of its height: the fold guard leaves it alone
    assert flow_jacobian(extra).min() > 0.25


def test_nothing_is_added_where_the_generator_already_parted_the_lips_as_far():
    p = crop_landmarks()
    iod = interocular(p)
    opened = still_flow()
    # a flow that moves everything below the mouth's middle down by 0.12 iod (backward: shows what lay higher)
    opened[int(p[62][1] + p[66][1]) // 2 + 1:, :, 1] = -0.12 * iod
    assert not np.any(fp.part_flow(p, opened, 0.1))
    # asked for more, it adds only what is missing
    more = fp.part_flow(p, opened, 0.15)
    assert 0.0 < np.abs(more).max() < 0.05 * iod

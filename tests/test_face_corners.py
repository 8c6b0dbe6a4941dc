"""A falling smile's corners brought down and in (ganimate/face/corners.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.face import corners as fc
from ganimate.face.landmarks import interocular
from tests.edit_faces import crop_landmarks, still_flow

I12 = AU_NAMES.index("AU12")


@pytest.mark.parametrize("before, after, want", [(3.0, 0.0, 3.0), (1.0, 1.1, 0.0), (1.0, 0.9, 0.0), (2.0, 1.0, 1.0)])
def test_the_fall_is_the_au12_that_falls_past_the_readers_noise(before, after, want):
    src, tgt = np.zeros(17, np.float32), np.zeros(17, np.float32)
    src[I12], tgt[I12] = before, after
    assert fc.smile_fall(src, tgt) == pytest.approx(want)


def test_corners_go_down_and_in_by_what_the_flow_leaves_of_a_real_corners_move():
    p = crop_landmarks()
    iod = interocular(p)
    still = still_flow()
    assert not np.any(fc.corner_flow(p, still, 0.0))
    extra = fc.corner_flow(p, still, 2.0)
    moves = fc.forward_moves(p[[48, 54]], extra)
    down = moves[:, 1] / iod  # the synthetic face is upright: down is +y
    assert down == pytest.approx([2 * fc.DOWN_PER_UNIT] * 2, rel=0.1)
    assert moves[0, 0] / iod == pytest.approx(2 * fc.IN_PER_UNIT, rel=0.1)  # the left corner moves right
    assert moves[1, 0] / iod == pytest.approx(-2 * fc.IN_PER_UNIT, rel=0.1)
    far = np.abs(extra[5:15, 5:15]).max()  # a forehead corner of the crop: untouched
    assert far < 1e-3
    # a flow that already moves the corners as far as real faces do gets nothing more
    done = np.zeros_like(still)
    done[..., 1] = -2 * fc.DOWN_PER_UNIT * iod
    done[..., 0] = np.where(np.arange(128)[None, :] < 64, -1.0, 1.0) * 2 * fc.IN_PER_UNIT * iod
    assert np.abs(fc.corner_flow(p, done, 2.0)).max() < 0.05 * iod

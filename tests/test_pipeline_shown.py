"""What each track shows of itself — teeth, shut eyes — read ahead of the frame being edited
(ganimate/pipeline/shown.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.pipeline.render import FaceTouch
from ganimate.pipeline.shown import with_shown_parts
from tests.edit_faces import mouth_showing


def _stream(shows_teeth: list[bool], warps: bool = True):
    """One face a frame (track 7) whose mouth shows teeth in the frames marked, shut in the others; its edit
    warps (a flow) unless not warps."""
    teeth, shut = mouth_showing((235, 232, 225), gap=6.0), mouth_showing((205, 150, 120), gap=1.0)
    edit = SimpleNamespace(flow=np.zeros((8, 8, 2), np.float32) if warps else None)
    for i, shows in enumerate(shows_teeth):
        image, points = teeth if shows else shut
        crop = SimpleNamespace(track_id=7)
        yield SimpleNamespace(index=i, image=image), [(crop, None, None, image)], [(edit, None, FaceTouch(points))]


@pytest.mark.parametrize("ahead", [0, 2, 5])
def test_frames_take_the_teeth_their_track_shows_up_to_ahead_frames_later(ahead):
    shows = [False, False, False, True, False, False]
    out = list(with_shown_parts(_stream(shows), ahead))
    assert [frame.index for frame, _, _ in out] == list(range(len(shows)))  # every frame, in order
    taken = [results[0][2].teeth for _, _, results in out]
    shown = taken[3]
    assert shown is not None and shown.teeth > 0.9
    for i, teeth in enumerate(taken):
        assert (teeth is shown) == (i >= 3 - ahead), i  # the frame showing them and those it reaches


def test_a_face_the_edit_does_not_warp_is_left_as_it_was():
    out = list(with_shown_parts(_stream([True, False], warps=False), 2))
    assert all(results[0][2].teeth is None for _, _, results in out)


def _blinks(shut_at: list[bool]):
    """One face a frame (track 4), its eyes open but in the frames marked, where it blinks (the face's own AU45 3,
    its eyes drawn shut); its edit warps."""
    from tests.test_face_lids import synthetic_eyes
    from tests.test_face_shown_lids import _shut_eyes

    open_img, points = synthetic_eyes()
    shut_img = _shut_eyes(points)
    edit = SimpleNamespace(flow=np.zeros((8, 8, 2), np.float32))
    for i, shut in enumerate(shut_at):
        image = shut_img if shut else open_img
        source = np.zeros(17, np.float32)
        source[AU_NAMES.index("AU45")] = 3.0 if shut else 0.1
        yield (SimpleNamespace(index=i, image=image), [(SimpleNamespace(track_id=4), None, source, image)],
               [(edit, None, FaceTouch(points))])


def test_frames_take_the_shut_eyes_their_track_blinks_up_to_ahead_frames_later_fading_in():
    from ganimate.pipeline.shown import FADE

    shut_at = [False, False, True, False, False]
    out = list(with_shown_parts(_blinks(shut_at), 1, teeth=False, lids=True))
    touches = [results[0][2] for _, _, results in out]
    assert touches[0].shut is None  # two frames before the blink: beyond the one frame read ahead
    blink = touches[1].shut
    assert blink is not None and blink.shut == pytest.approx(3.0)
    assert all(t.shut is blink for t in touches[1:])
    assert [t.shut_share for t in touches[1:]] == pytest.approx([k / FADE for k in range(1, 5)])
    assert all(t.teeth is None for t in touches)  # teeth not asked for
    plain = list(with_shown_parts(_blinks(shut_at), 1, teeth=True, lids=False))
    assert all(results[0][2].shut is None for _, _, results in plain)

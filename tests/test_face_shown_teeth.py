"""A face's own teeth, read and remembered (ganimate/face/shown_teeth.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face import mouth as fm
from ganimate.face import shown_teeth as st
from tests.edit_faces import mouth_showing, opened_lips


def _shown(teeth: float, opening: float = 0.2) -> st.ShownTeeth:
    return st.ShownTeeth(np.full((*fm.OWN_GRID, 3), teeth, np.float32), teeth, opening)


def test_read_shown_teeth_reads_teeth_and_their_opening_and_nothing_else():
    img, p = mouth_showing((235, 232, 225), gap=6.0)
    shown = st.read_shown_teeth(img, p)
    assert shown is not None and shown.teeth == pytest.approx(1.0)  # parted, bright and colourless
    assert shown.look.shape == (*fm.OWN_GRID, 3) and shown.look.dtype == np.float32
    assert float(np.median(shown.look[..., 1])) > 0.0  # brighter than the cheeks it is relative to
    assert shown.opening == pytest.approx(fm.mouth_opening(fm.lip_points(p)))
    assert shown.split == pytest.approx(fm.teeth_split(shown.look, fm.mouth_opening(p)))
    assert st.read_shown_teeth(*mouth_showing((215, 120, 130))) is None  # a tongue
    assert st.read_shown_teeth(*mouth_showing((235, 232, 225), gap=2.0)) is None  # lips shut


def test_own_inside_keeps_the_shown_opening_over_the_edited_one():
    img, p = mouth_showing((235, 232, 225), gap=6.0)
    shown = st.read_shown_teeth(img, p)
    wider = fm.lip_points(opened_lips(p, 14.0))
    own = st.own_inside(shown, wider)
    assert own.kept == pytest.approx(shown.opening / fm.mouth_opening(wider))
    assert 0.2 < own.kept < 0.8 and own.teeth == shown.teeth and own.look is shown.look
    assert own.split == shown.split
    assert st.own_inside(shown, fm.lip_points(p)).kept == pytest.approx(1.0)  # not opened further


def test_a_track_remembers_the_plainest_teeth():
    weak, plain = _shown(0.3), _shown(1.0)
    assert st.remember_teeth(weak, plain) is plain and st.remember_teeth(plain, weak) is plain


def test_a_frame_keeps_its_own_plain_teeth_and_takes_the_memory_where_it_shows_less():
    own, faint, memory = _shown(st.KEEP_SEEN), _shown(0.2), _shown(0.9)
    assert st.teeth_to_keep(own, memory) is own
    assert st.teeth_to_keep(faint, memory) is memory
    assert st.teeth_to_keep(None, memory) is memory
    assert st.teeth_to_keep(faint, None) is faint
    assert st.teeth_to_keep(faint, _shown(0.1)) is faint
    assert st.teeth_to_keep(None, None) is None


def test_own_teeth_needs_parted_lips_and_a_bright_colourless_inside():
    teeth, p = mouth_showing((235, 232, 225))
    assert st.own_teeth(teeth, p) == pytest.approx(1.0)
    pink, _ = mouth_showing((215, 120, 130))  # a tongue as bright as the skin, but pink
    assert st.own_teeth(pink, p) == 0.0
    dark, _ = mouth_showing((50, 20, 20))  # the cavity
    assert st.own_teeth(dark, p) == 0.0
    shut, q = mouth_showing((235, 232, 225), gap=2.0)  # a closed mouth's seam
    assert st.own_teeth(shut, q) == 0.0


def test_teeth_tinted_by_a_warm_light_are_still_the_persons_own():
    # a warm light tints teeth (d12's cream teeth read chroma 21): brighter than the cheeks, they are teeth
    cream, p = mouth_showing((240, 210, 175))  # CIELAB chroma 22, a third brighter than the skin
    assert st.own_teeth(cream, p) == pytest.approx(1.0)
    lips, _ = mouth_showing((200, 140, 125))  # lip-coloured and no brighter than the skin: not teeth
    assert st.own_teeth(lips, p) == 0.0

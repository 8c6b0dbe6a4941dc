"""Parted lips brought together (ganimate/face/lips.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.face import lips as fl
from tests.edit_faces import skin_face

LIP, TEETH = (170, 80, 85), (235, 235, 228)
I25 = AU_NAMES.index("AU25")


def _grin(gap: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic face (uint8 RGB, 68 points) whose inner lips are gap px apart at the middle, red lips drawn
    around a band of white teeth between them."""
    import cv2

    img, p = skin_face()
    p = p.copy()
    mid = (p[62, 1] + p[66, 1]) / 2
    for i, side in ((61, -1), (62, -1), (63, -1), (65, 1), (66, 1), (67, 1)):
        p[i, 1] = mid + side * gap / 2 * (0.8 if i in (61, 63, 65, 67) else 1.0)
    p[50:53, 1] -= gap / 2
    p[56:59, 1] += gap / 2
    cv2.fillPoly(img, [np.round(p[48:60] * 16).astype(np.int32)], LIP, shift=4)
    cv2.fillPoly(img, [np.round(p[60:68] * 16).astype(np.int32)], TEETH, shift=4)
    return img, p


def _teeth(img: np.ndarray) -> np.ndarray:
    """bool HxW: the teeth's white."""
    return np.all(img.astype(int) > 215, axis=2)


def _share(before: float, after: float) -> float:
    src, tgt = np.zeros(17, np.float32), np.zeros(17, np.float32)
    src[I25], tgt[I25] = before, after
    return fl.close_share(src, tgt)


@pytest.mark.parametrize("before, after, want", [
    (2.0, 0.0, 1.0),  # driven to closed lips: all of the gap
    (2.1, 0.17, 1.0),  # to an AU25 a reader cannot tell from shut: all of it (was 0.92: a line of teeth left)
    (2.0, 1.8, 0.0),  # a reader's noise: nothing
    (1.0, 2.5, 0.0),  # lips that part further are the mouth fill's
])
def test_the_share_closed_is_what_real_lips_lose_as_au25_falls(before, after, want):
    assert _share(before, after) == pytest.approx(want, abs=1e-3)


def test_a_partial_fall_closes_the_share_of_the_real_opening_it_loses():
    half = _share(2.0, 1.0)
    assert half == pytest.approx(1.0 - fl.real_opening(1.0) / fl.real_opening(2.0), abs=1e-6)
    assert 0.3 < half < 0.7
    assert _share(2.0, 0.5) > half > _share(2.0, 1.4)  # the lower the target, the more of the gap
    assert np.all(np.diff([fl.real_opening(a) for a in np.linspace(0, 5, 51)]) >= 0)  # real lips part with AU25


def test_lips_brought_together_hide_the_teeth_and_leave_the_rest_of_the_frame():
    img, p = _grin()
    assert _teeth(img).sum() > 60
    shut = fl.join_lips(img, p, 1.0)
    assert _teeth(shut).sum() <= 0.05 * _teeth(img).sum()  # nothing between them once they meet (a px at a corner)
    changed = np.any(shut != img, axis=2)
    ys, xs = np.nonzero(changed)
    iod = np.linalg.norm(p[45] - p[36])
    assert ys.min() >= p[50:53, 1].min() - 0.35 * iod and ys.max() <= p[56:59, 1].max() + 0.5 * iod
    assert xs.min() >= p[48, 0] - 2 and xs.max() <= p[54, 0] + 2  # only about the mouth
    lips_after = np.all(np.abs(shut.astype(int) - LIP) < 40, axis=2).sum()
    lips_before = np.all(np.abs(img.astype(int) - LIP) < 40, axis=2).sum()
    assert lips_after > 0.8 * lips_before  # the lips moved, not painted over
    half = fl.join_lips(img, p, 0.5)
    assert 0 < _teeth(half).sum() < 0.75 * _teeth(img).sum()  # the rest of the teeth squeezed between them


def test_closing_lips_thicken_their_outer_edges_following_part_of_the_way(monkeypatch):
    # a grin's lips are stretched thin over the teeth; shut, real ones are thicker: the inner edges come the whole
    # way, the outer edges (and the skin beyond) OUTER_FOLLOW of it (moved as blocks until session 26)
    img, p = _grin(10.0)
    x = int(round(p[62, 0]))

    def lips(follow: float) -> tuple[int, int, int]:  # (lips' px in the middle column, top row, bottom row)
        monkeypatch.setattr(fl, "OUTER_FOLLOW", follow)
        rows = np.nonzero(np.all(np.abs(fl.join_lips(img, p, 1.0)[:, x].astype(int) - LIP) < 40, axis=1))[0]
        return len(rows), rows.min(), rows.max()

    block, relaxed = lips(1.0), lips(0.5)
    assert relaxed[0] >= block[0] + 3  # thicker
    assert relaxed[1] < block[1] and relaxed[2] > block[2]  # each outer edge stayed nearer where it was
    top = np.nonzero(np.all(np.abs(img[:, x].astype(int) - LIP) < 40, axis=1))[0].min()
    assert relaxed[1] >= top  # still came down, never up


def test_teeth_between_a_lip_and_its_points_are_closed_over_too():
    img, p = _grin(10.0)
    short = p.copy()
    short[[61, 62, 63], 1] += 3.0  # the upper inner points 3 px inside the teeth, as a landmark model may put them
    short[[65, 66, 67], 1] -= 2.0
    shut = fl.join_lips(img, short, 1.0)
    assert _teeth(shut).sum() <= 0.05 * _teeth(img).sum()
    plain = fl.opening_beyond(img, short, fl.fit_mouth_frame(short), np.linspace(0, 1, 33), 8.0)
    assert 2.0 <= plain[0][16] <= 4.0 and 1.0 <= plain[1][16] <= 3.0  # the teeth's px past each curve
    exact = fl.opening_beyond(img, p, fl.fit_mouth_frame(p), np.linspace(0, 1, 33), 8.0)
    assert exact[0][16] <= 1.0 and exact[1][16] <= 1.0  # points on the lips' edges: nothing past them


def test_a_slit_the_share_would_leave_is_closed():
    img, p = _grin(10.0)
    nearly = fl.join_lips(img, p, 0.9).astype(int)  # 1 px would be left: teeth squeezed into a dashed line
    assert np.abs(nearly - fl.join_lips(img, p, 1.0)).max() <= 3  # shut as at the whole share
    assert _teeth(fl.join_lips(img, p, 0.5)).sum() > 0.2 * _teeth(img).sum()  # 5 px left stay open


def test_nothing_moves_without_a_share_or_a_gap():
    img, p = _grin()
    assert fl.join_lips(img, p, 0.0) is img
    closed_img, closed = skin_face()
    closed[60:68, 1] = closed[[60, 64], 1].mean()  # inner lips on one line: together
    assert fl.join_lips(closed_img, closed, 1.0) is closed_img


def test_teeth_as_coloured_as_the_lips_are_not_left_along_the_seam():
    # in a pink-cast photo the teeth's chroma is a lip's (opening_beyond cannot tell them), and those the inner
    # points fell short of were squeezed into a beaded line where the lips met
    import cv2

    img, p = _grin(10.0)
    pink = (245, 160, 160)  # CIELAB chroma 34 against the lips' 40
    cv2.fillPoly(img, [np.round(p[60:68] * 16).astype(np.int32)], pink, shift=4)
    short = p.copy()
    short[[61, 62, 63], 1] += 1.5  # the inner points a px or two inside the teeth
    short[[65, 66, 67], 1] -= 1.0
    teeth = lambda a: np.all(np.abs(a.astype(int) - pink) < 30, axis=2).sum()  # noqa: E731
    shut = fl.join_lips(img, short, 1.0)
    assert teeth(img) > 150 and teeth(shut) <= 0.05 * teeth(img)
    light = cv2.cvtColor(shut, cv2.COLOR_RGB2LAB)[..., 0].astype(int)  # 0..255
    seam = int(round((p[62, 1] + p[66, 1]) / 2))
    band = light[seam - 3:seam + 4, int(p[60, 0]) + 2:int(p[64, 0]) - 1]
    lip = int(cv2.cvtColor(img, cv2.COLOR_RGB2LAB)[int(p[51, 1]) + 2, int(p[51, 0]), 0])
    assert band.max() <= lip + 25  # no light line where the lips meet (the teeth's 189 against the lips' 116)


def test_a_partly_closed_mouth_keeps_its_dark_corners():
    # the band where shut lips meet is filled past the inner corners only once the mouth is all but shut

    img, p = _grin(10.0)
    at = {60: (int(p[60, 0]) - 1, int(p[60, 1])), 64: (int(p[64, 0]) + 1, int(p[64, 1]))}  # about each corner
    for x, y in at.values():
        img[y - 1:y + 2, x - 1:x + 2] = (30, 20, 20)  # a grin's dark corners, past the inner corners' points
    dark = lambda a, c: np.all(a[at[c][1] - 1:at[c][1] + 2, at[c][0] - 1:at[c][0] + 2] < 60, -1).sum()  # noqa: E731
    half = fl.join_lips(img, p, 0.4)
    shut = fl.join_lips(img, p, 1.0)
    for corner in (60, 64):
        assert dark(half, corner) == dark(img, corner) == 9
        assert dark(shut, corner) == 0


def test_the_corners_fill_in_gradually_as_the_lips_close():
    # a talking mouth's frames cross the 'all but shut' threshold one after another: no frame may switch the fill
    img, p = _grin(10.0)
    corners = [(int(p[60, 0]) - 1, int(p[60, 1])), (int(p[64, 0]) + 1, int(p[64, 1]))]
    for x, y in corners:
        img[y - 1:y + 2, x - 1:x + 2] = (30, 20, 20)

    def dark(share: float) -> float:
        out = fl.join_lips(img, p, share).astype(float)
        return float(np.mean([out[y - 1:y + 2, x - 1:x + 2].mean() for x, y in corners]))

    levels = np.array([dark(s) for s in np.linspace(0.5, 1.0, 26)])
    assert levels[-1] - levels[0] > 60  # the corners are filled once shut
    assert np.abs(np.diff(levels)).max() < 0.25 * (levels[-1] - levels[0])  # in steps, not at once


def test_where_shut_lips_meet_the_shadow_keeps_their_red():
    # a grin's pale, stretched lips with a shadow alike in every channel met in a grey line (the astronaut driven to
    # neutral); real shut lips' seam loses least of its red
    import cv2

    img, p = _grin()
    pale = (226, 190, 180)
    cv2.fillPoly(img, [np.round(p[48:60] * 16).astype(np.int32)], pale, shift=4)
    cv2.fillPoly(img, [np.round(p[60:68] * 16).astype(np.int32)], TEETH, shift=4)
    shut = fl.join_lips(img, p, 1.0).astype(np.float64)
    cols = slice(int(p[61, 0]), int(p[63, 0]) + 1)
    rows = shut[int(p[50:53, 1].min()):int(p[56:59, 1].max()) + 1, cols]
    darkest = rows[np.argmin(rows.sum(axis=2).mean(axis=1))].mean(axis=0)  # the seam's row
    fall = np.log(np.asarray(pale, np.float64) + 10.0) - np.log(darkest + 10.0)
    assert fall.mean() > 0.1  # a shadow where they meet
    assert fall[0] < 0.75 * fall[2] and fall[0] < 0.8 * fall[1]  # red falls least: the seam is redder, not grey


@pytest.mark.parametrize("dark", [
    (70, 25, 22),  # CIELAB chroma about the lips', lightness under half of theirs
    (110, 52, 50),  # a lit inside, 0.65 of the lips' lightness: left as a dark box on d9 until session 26
])
def test_a_dark_inside_the_points_stop_short_of_is_closed_over(dark):
    # a grin's dark inside as red as its lips, a few px past the lower inner points, stayed as a dark band and ticks
    # along the shut mouth (held-out smiles driven to neutral, looked at)
    import cv2

    img, p = _grin(10.0)
    inner = np.round(p[60:68] * 16).astype(np.int32)
    cv2.fillPoly(img, [inner], dark, shift=4)
    short = p.copy()
    short[[65, 66, 67], 1] -= 3.0  # the lower inner points 3 px inside the dark
    shut = fl.join_lips(img, short, 1.0)
    seam = (p[62, 1] + p[66, 1]) / 2 - 1.0  # where the lips meet: 40% of the gap from the upper lip
    light = cv2.cvtColor(shut, cv2.COLOR_RGB2LAB)[..., 0].astype(int)
    lip = int(cv2.cvtColor(np.uint8([[LIP]]), cv2.COLOR_RGB2LAB)[0, 0, 0])
    cols = slice(int(p[61, 0]), int(p[63, 0]) + 1)
    rows = light[int(seam) - 6:int(seam) + 7, cols]
    assert (rows < 0.75 * lip).sum(axis=0).max() <= 1  # at most the seam's own shadow, no band of the inside left


def test_dark_corners_out_to_the_outer_lips_are_filled_and_nothing_past_them():
    # the band past the inner corners was cut where the frame's region ended, 2 px past them: a grin's dark corners
    # further out stayed, and the fill stopped in a straight edge; it reaches the outer lips now, and no further
    img, p = _grin(10.0)
    corners = [(int(p[60, 0]) - 3, int(p[60, 1])), (int(p[64, 0]) + 3, int(p[64, 1]))]  # between inner and outer
    for x, y in corners:
        img[y - 1:y + 2, x - 1:x + 2] = (30, 20, 20)
    shut = fl.join_lips(img, p, 1.0)
    for x, y in corners:
        assert np.all(shut[y - 1:y + 2, x - 1:x + 2] < 60, axis=-1).sum() == 0
    changed = np.any(shut != img, axis=-1)
    assert not changed[:, :int(p[48, 0]) - 2].any() and not changed[:, int(p[54, 0]) + 3:].any()

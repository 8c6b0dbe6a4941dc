"""The upper teeth a dropped jaw shows (ganimate/face/jaw.py), alone and laid by face/mouth.fill_mouth."""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face import jaw
from ganimate.face import mouth as fm
from ganimate.face.corner_frame import corner_curve
from tests.edit_faces import opened_lips, skin_face


def _grid(height: float, w: int = 101, h: int = 80):
    """A flat mouth frame: u across, v down; the upper lip at v = 0, the lower at v = height."""
    u = np.broadcast_to(np.linspace(0.0, 1.0, w), (h, w))
    v = np.broadcast_to(np.arange(h, dtype=np.float64)[:, None], (h, w))
    return u, v, np.zeros((h, w)), np.full((h, w), float(height))


def test_no_share_leaves_the_inside_as_it_was():
    u, v, up, low = _grid(40.0)
    look = np.full(u.shape + (3,), -1.5, np.float32)
    out, cover = jaw.lay_upper_teeth(look, u, v, up, low, 20.0, np.full(3, 0.3, np.float32), 0.0)
    np.testing.assert_array_equal(out, look)
    assert not cover.any()


def test_the_band_hangs_its_depth_under_the_upper_lip_in_the_middle_and_tapers_out_past_the_canines():
    central = 20.0
    u, v, up, low = _grid(80.0)
    look = np.full(u.shape + (3,), -1.5, np.float32)
    teeth = np.full(3, 0.3, np.float32)
    out, cover = jaw.lay_upper_teeth(look, u, v, up, low, central, teeth, 1.0)
    depth = jaw.TEETH_SHOW * central  # 11 px: under TEETH_MOST of the 80 px opening
    mid = 50
    assert cover[int(depth) - 2, mid] > 0.99 and cover[int(depth) + 3, mid] < 0.01
    below_shade = int(np.ceil(jaw.LIP_SHADE[1] * depth))
    np.testing.assert_allclose(out[below_shade, mid], teeth + np.log(jaw.TEETH_SHADE), atol=1e-4)
    assert out[0, mid].mean() < out[below_shade, mid].mean() - 0.2  # in the upper lip's shade
    np.testing.assert_array_equal(out[40, mid], look[40, mid])  # the cavity below
    # nearer the corners the band is shallower, and none past the canines (TEETH_SIDE)
    side = int(round(100 * (0.5 + 0.8 * jaw.TEETH_SIDE)))
    assert 0.0 < cover[:, side].sum() < 0.8 * cover[:, mid].sum()
    assert out[2, side].mean() < out[2, mid].mean()  # the arch turns away from the light
    assert not cover[:, :int(100 * (0.5 - jaw.TEETH_SIDE)) - 1].any()


def test_a_low_opening_shows_no_more_than_its_share_of_teeth():
    central = 20.0
    u, v, up, low = _grid(20.0)
    _, cover = jaw.lay_upper_teeth(np.zeros(u.shape + (3,), np.float32), u, v, up, low, central,
                                   np.zeros(3, np.float32), 1.0)
    band = cover[:, 50]
    assert band[int(jaw.TEETH_MOST * 20.0) + 2] < 0.01 < band[0]


def test_fill_mouth_shows_upper_teeth_under_the_lip_of_a_dropped_jaw_only(monkeypatch):
    img, p = skin_face()
    img[30:60, 55:105] = 250  # a flash's highlight on the forehead: teeth lit brighter than the skin (face/light.py)
    scale = 5  # an inner mouth 120 px wide
    img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    p = opened_lips(p, 12.0) * scale
    interior = fm.MouthInterior(np.stack([np.stack([np.full((4, 8, 3), -1.5), np.full((4, 8, 3), 0.3)])] * 2)
                                .astype(np.float32), np.array([0.1, 0.3], np.float32))
    frame = fm.fit_mouth_frame(p)

    def at(out, t):
        vv = (1 - t) * corner_curve(np.array([0.5]), frame.upper) + t * corner_curve(np.array([0.5]), frame.lower)
        x, y = np.round(frame.to_image(np.array([0.5]), vv)[0]).astype(int)
        return out[y, x].astype(float)

    dropped = fm.fill_mouth(img, p, 1.0, 0.0, interior)
    depth = jaw.TEETH_SHOW * fm.central_width(frame.width) / (frame.lower[0] / 4 - frame.upper[0] / 4)  # of the gap
    under_lip, middle = at(dropped, 0.5 * depth), at(dropped, 0.5)
    assert under_lip.sum() > 2.5 * middle.sum()  # pale teeth under the upper lip, the dark cavity below
    assert under_lip.sum() > at(img, 0.5 * depth).sum()
    # a smile's map is teeth already: nothing is laid over it
    smiling = fm.fill_mouth(img, p, 1.0, 1.0, interior)
    monkeypatch.setattr(fm, "lay_upper_teeth", lambda look, u, *a: (look, np.zeros(u.shape, np.float32)))
    np.testing.assert_array_equal(smiling, fm.fill_mouth(img, p, 1.0, 1.0, interior))
    assert not np.array_equal(dropped, fm.fill_mouth(img, p, 1.0, 0.0, interior))

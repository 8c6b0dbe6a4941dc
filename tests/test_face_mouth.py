"""The inside of a mouth an edit opens, laid from the landmarks (ganimate/face/mouth.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face import mouth as fm
from ganimate.face.corner_frame import corner_curve
from ganimate.face.light import skin_highlight
from ganimate.face.shown_teeth import own_inside, read_shown_teeth
from tests.edit_faces import mouth_showing, opened_lips, skin_face, synthetic_landmarks


def _interior(value_smile: float = 0.5, value_speak: float = -0.5, bins=(0.1, 0.3)) -> fm.MouthInterior:
    maps = np.zeros((len(bins), 2, 4, 8, 3), np.float32)
    maps[:, 0], maps[:, 1] = value_speak, value_smile
    return fm.MouthInterior(maps, np.array(bins, np.float32))


def _incisor(p: np.ndarray, t: float = 0.25) -> np.ndarray:
    """int (2,): the px t of the way down the opening in the middle of a central incisor, clear of the line drawn
    between the two (and, a quarter of the way down, of the one along the upper teeth's edge:
    face/mouth.tooth_lines)."""
    frame = fm.fit_mouth_frame(p)
    u = np.array([0.5 + fm.TOOTH_SPAN / 4 * fm.TOOTH_WIDTHS[0] / np.sum(fm.TOOTH_WIDTHS)])
    v = (1 - t) * corner_curve(u, frame.upper) + t * corner_curve(u, frame.lower)
    return np.round(frame.to_image(u, v)[0]).astype(int)


def test_the_mouth_frame_puts_the_corners_at_u_0_and_1_and_the_lips_through_their_points():
    p = opened_lips(synthetic_landmarks(angle_deg=12.0), 8.0)
    frame = fm.fit_mouth_frame(p)
    uv = frame.to_local(p[[60, 64]])
    np.testing.assert_allclose(uv, [[0, 0], [1, 0]], atol=1e-9)
    np.testing.assert_allclose(frame.to_image(uv[:, 0], uv[:, 1]), p[[60, 64]], atol=1e-9)
    for idx, coeffs in ((fm.UPPER, frame.upper), (fm.LOWER, frame.lower)):
        pts = frame.to_local(p[list(idx)])
        assert np.abs(corner_curve(pts[:, 0], coeffs) - pts[:, 1]).max() < 0.6  # within a px of its points
    assert corner_curve(np.array([0.5]), frame.upper)[0] < -3 < 3 < corner_curve(np.array([0.5]), frame.lower)[0]


def test_mouth_opening_is_the_inner_gap_over_the_inner_width():
    p = synthetic_landmarks()
    assert fm.mouth_opening(p) == pytest.approx(2.0 / 24.0)
    assert fm.mouth_opening(opened_lips(p, 6.0)) == pytest.approx(6.0 / 24.0)


def test_lip_points_move_only_the_inner_lips_into_the_lips():
    p = opened_lips(synthetic_landmarks(), 6.0)
    q = fm.lip_points(p)
    moved = [i for i in range(68) if not np.allclose(q[i], p[i])]
    assert moved == [61, 62, 63, 65, 66, 67]
    np.testing.assert_allclose(q[62], p[62] + fm.INSET * (p[51] - p[62]))
    assert fm.mouth_opening(q) > fm.mouth_opening(p)


def test_sample_mouth_reads_the_upper_part_near_the_upper_lip():
    img, p = skin_face()
    p = opened_lips(p, 10.0)
    mid = (p[62, 1] + p[66, 1]) / 2
    img[int(mid) - 6:int(round(mid)), 60:100] = (250, 250, 250)  # teeth under the upper lip
    img[int(round(mid)):int(mid) + 6, 60:100] = (40, 10, 10)  # the dark inside
    s = fm.sample_mouth(img, p, (8, 16))
    assert s.shape == (8, 16, 3) and s.dtype == np.float32
    assert s[1, 4:12].mean() > 200 and s[6, 4:12].mean() < 60


def test_skin_colour_keeps_the_brightness_and_part_of_the_tint():
    img, p = skin_face()
    img[:] = (200, 150, 120)
    c = fm.skin_colour(img, p).astype(np.float64) + 1
    rgb = np.array([201.0, 151.0, 121.0])
    grey = rgb @ (0.299, 0.587, 0.114)
    np.testing.assert_allclose(c, grey * (rgb / grey) ** fm.CAST, rtol=1e-5)
    assert c @ (0.299, 0.587, 0.114) == pytest.approx(grey, rel=0.02)
    img[:] = 128
    np.testing.assert_allclose(fm.skin_colour(img, p), 128, atol=1e-3)


def test_fill_weight_grows_with_how_far_the_edit_opened_the_mouth():
    p = synthetic_landmarks()
    assert fm.fill_weight(p, p) == 0.0
    width = 24.0
    weights = [fm.fill_weight(p, opened_lips(p, 2.0 + g * width)) for g in (0.01, 0.03, 0.05, 0.1, 0.3)]
    assert weights[0] == 0.0 and weights[-1] == 1.0 == weights[-2]
    assert all(a <= b for a, b in zip(weights, weights[1:], strict=False)) and 0 < weights[1] < weights[2] < 1
    assert fm.fill_weight(opened_lips(p, 8.0), opened_lips(p, 8.0)) == 0.0  # open and left open: its own inside


def test_appearance_interpolates_the_openings_and_the_smile_and_clamps_beyond():
    interior = _interior()
    interior.maps[1] += 1.0  # the wider bin one log unit brighter
    np.testing.assert_allclose(interior.appearance(0.2, 0.0), -0.5 + 0.5, atol=1e-6)
    np.testing.assert_allclose(interior.appearance(0.05, 1.0), 0.5, atol=1e-6)
    np.testing.assert_allclose(interior.appearance(0.9, 1.0), 1.5, atol=1e-6)
    np.testing.assert_allclose(interior.appearance(0.1, 0.25), -0.5 * 0.75 + 0.5 * 0.25, atol=1e-6)


def test_the_interior_map_round_trips_and_refuses_another_layout(tmp_path):
    interior = _interior()
    interior.save(tmp_path / "m.npz")
    back = fm.MouthInterior.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.maps, interior.maps)
    np.testing.assert_array_equal(back.openings, interior.openings)
    np.savez(tmp_path / "bad.npz", maps=np.zeros((2, 4, 8, 3)), openings=np.zeros(2))
    with pytest.raises(ValueError, match="not a mouth interior map"):
        fm.MouthInterior.load(tmp_path / "bad.npz")


def test_fill_mouth_lays_the_map_inside_the_lips_only():
    img, p = skin_face()
    p = opened_lips(p, 10.0)
    interior = _interior(value_smile=0.4)
    np.testing.assert_array_equal(fm.fill_mouth(img, p, 0.0, 1.0, interior), img)
    out = fm.fill_mouth(img, p, 1.0, 1.0, interior)
    changed = np.any(out != img, axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 50
    # inside the inner lips' box (the corners, the lips' curves) and nowhere else
    assert xs.min() >= p[60, 0] - 1 and xs.max() <= p[64, 0] + 1
    assert ys.min() >= p[[61, 62, 63], 1].min() - 1 and ys.max() <= p[[65, 66, 67], 1].max() + 1
    # the middle of the mouth is the cheeks' colour times a teeth-bright map, laid as bright as real teeth under the
    # face's light (teeth_brightness), rolled off under white
    centre = _incisor(p)
    skin = fm.skin_colour(img, p)
    want = fm.roll_off((skin + 1) * fm.teeth_brightness(skin_highlight(img, p, float(skin @ fm.LUMA))) - 1)
    np.testing.assert_allclose(out[centre[1], centre[0]], want, atol=1.5)
    half = fm.fill_mouth(img, p, 0.5, 1.0, interior)[centre[1], centre[0]].astype(float)
    np.testing.assert_allclose(half, (img[centre[1], centre[0]] + want) / 2, atol=1.5)


def test_the_ends_of_an_opened_mouth_are_in_the_lips_shadow(monkeypatch):
    img, p = skin_face()
    scale = 4  # an inner mouth ~100 px wide: its ends are several px
    import cv2

    img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    p = opened_lips(p, 10.0) * scale
    interior = _interior(value_smile=0.3)
    frame = fm.fit_mouth_frame(p)

    def at(out, u):
        v = 0.5 * (corner_curve(np.array([u]), frame.upper) + corner_curve(np.array([u]), frame.lower))
        x, y = np.round(frame.to_image(np.array([u]), v)[0]).astype(int)
        return float(out[y, x].astype(float).mean())

    shaded = fm.fill_mouth(img, p, 1.0, 1.0, interior)
    monkeypatch.setattr(fm, "CORNER_DARK", 0.0)
    plain = fm.fill_mouth(img, p, 1.0, 1.0, interior)
    assert at(shaded, 0.04) < 0.6 * at(plain, 0.04) and at(shaded, 0.96) < 0.6 * at(plain, 0.96)
    assert at(shaded, 0.5) == at(plain, 0.5)  # the middle is as it was
    assert at(shaded, 0.04) < 0.6 * at(shaded, 0.5)


def test_smile_share_runs_from_the_speaking_to_the_smiling_mouth():
    assert fm.smile_share(0.0) == 0.0 and fm.smile_share(5.0) == 1.0
    assert 0.0 < fm.smile_share(1.2) < 1.0


def test_the_shipped_map_shows_teeth_in_a_smile():
    from ganimate.infer.models import DEFAULT_MOUTH

    interior = fm.MouthInterior.load(DEFAULT_MOUTH)
    assert np.all(np.diff(interior.openings) > 0)
    h, w = interior.maps.shape[2:4]
    middle = interior.maps[:, :, h // 4: 3 * h // 4, w // 4: 3 * w // 4]  # (B, 2, ., ., 3)
    grey = middle.mean(axis=(2, 3, 4))
    spread = (middle.max(axis=-1) - middle.min(axis=-1)).mean(axis=(2, 3))  # log-RGB: 0 for white or grey
    smiles = (interior.openings > 0.12) & (interior.openings < 0.4)  # teeth-showing smiles are common there
    assert smiles.sum() >= 2
    assert np.all(grey[:-1, 1] > grey[:-1, 0] + 0.1)  # a smiling mouth is brighter (the widest bin: few smiles)
    assert np.all(grey[smiles, 1] > 0.0)  # than the cheeks, too: teeth
    assert np.all(spread[smiles, 1] < 0.5 * spread[smiles, 0])  # and whiter than a speaking mouth's inside


def test_keep_hues_clamps_the_hue_into_the_lips_range_and_keeps_lightness_and_chroma():
    import cv2

    img, p = skin_face()
    p = opened_lips(p, 10.0)
    img[60:130, 50:110] = (170, 90, 80)  # lips (and the rest of the mouth's box) one warm red
    hues = fm.lip_hues(img, p)
    assert hues is not None
    centre, lo, hi = hues
    assert abs(lo) < 1.0 and abs(hi) < 1.0  # a single colour: a range of ~0 about its hue
    violet = np.full((4, 4, 3), (150.0, 80.0, 170.0), np.float32)
    kept = fm.keep_hues(violet, hues)
    lab_in = cv2.cvtColor(violet / 255.0, cv2.COLOR_RGB2LAB)
    lab_out = cv2.cvtColor(np.clip(kept, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    np.testing.assert_allclose(lab_out[..., 0], lab_in[..., 0], atol=1.5)  # lightness kept
    hue_out = np.degrees(np.arctan2(lab_out[..., 2], lab_out[..., 1]))
    assert np.abs((hue_out - centre + 180) % 360 - 180).max() < 3.0  # now the lips' hue
    lips_colour = np.full((4, 4, 3), (170.0, 90.0, 80.0), np.float32)
    np.testing.assert_allclose(fm.keep_hues(lips_colour, hues), lips_colour, atol=1.0)  # in range: unchanged
    np.testing.assert_array_equal(fm.keep_hues(violet, None), violet)
    grey = img.copy()
    grey[:] = 128
    assert fm.lip_hues(grey, p) is None  # no coloured lip pixel: nothing to keep to


def test_a_smile_at_lfws_size_shows_its_teeth_apart():
    # inner lips 40 px wide (LFW's smiles: 35-45 px): the line between the central incisors at its whole depth, where
    # from 30 px to 60 px it was a quarter of it and real smiles' teeth show apart at this size
    u = np.linspace(0.0, 1.0, 2001)[None]
    lines = fm.tooth_lines(u, 40.0, np.full((1, 2001, 3), 0.4))[0]
    assert lines[1000] == pytest.approx(-fm.GAP_DEPTH, abs=0.01)
    assert not np.any(fm.tooth_lines(u, 18.0, np.full((1, 2001, 3), 0.4)))  # a mouth of a few px stays a plate


def test_tooth_lines_shade_between_the_teeth_where_the_look_is_teeth_and_the_mouth_is_wide():
    u = np.linspace(0.0, 1.0, 2001)[None]
    teeth, cavity = np.full((1, 2001, 3), 0.4), np.full((1, 2001, 3), np.log(0.25))
    lines = fm.tooth_lines(u, 100.0, teeth)[0]
    assert lines.max() <= 0.0 and lines.min() == pytest.approx(-fm.GAP_DEPTH, abs=0.01)
    np.testing.assert_allclose(lines, lines[::-1], atol=1e-6)  # the same on both sides of the middle
    central = np.sum(fm.TOOTH_SPAN / 2 * np.array(fm.TOOTH_WIDTHS[:1]) / np.sum(fm.TOOTH_WIDTHS))
    assert lines[1000] == pytest.approx(-fm.GAP_DEPTH, abs=0.01)  # the line between the central incisors
    assert lines[int(round((0.5 + central / 2) * 2000))] > -0.01  # the middle of a central incisor: no shadow
    assert lines[int(round((0.5 + central) * 2000))] < -0.3 * fm.GAP_DEPTH  # the next line
    minima = np.flatnonzero((lines[1:-1] < lines[:-2]) & (lines[1:-1] <= lines[2:]) & (lines[1:-1] < -0.1))
    assert len(minima) == 2 * len(fm.TOOTH_WIDTHS) - 1  # ten teeth, nine lines between them
    assert not np.any(fm.tooth_lines(u, 100.0, cavity))  # a dark inside has no teeth
    assert not np.any(fm.tooth_lines(u, fm.TEETH_FROM - 1, teeth))  # too small to show them
    partial = fm.tooth_lines(u, (fm.TEETH_FROM + fm.TEETH_FULL) / 2, teeth).min()
    assert -fm.GAP_DEPTH < partial < 0.0


def test_tooth_lines_end_at_the_upper_teeths_edge_and_the_lower_teeth_are_narrower():
    width = 200.0
    u = np.linspace(0.0, 1.0, 4001)[None].repeat(3, 0)
    central = fm.TOOTH_SPAN / 2 * fm.TOOTH_WIDTHS[0] / np.sum(fm.TOOTH_WIDTHS) * width  # px
    crown = fm.UPPER_CROWN * central
    depth = np.array([0.3 * crown, crown, crown + 0.5 * fm.LOWER_CROWN * central])[:, None].repeat(4001, 1)
    teeth = np.full((3, 4001, 3), 0.4)
    tall = fm.tooth_lines(u, width, teeth, depth, np.full(depth.shape, 3.0 * crown))
    np.testing.assert_allclose(tall[0], fm.tooth_lines(u[:1], width, teeth[:1])[0], atol=1e-6)  # upper: as before
    assert tall[1].max() < -0.9 * fm.GAP_DEPTH  # the upper teeth's edge: a shadow across the mouth
    lower = tall[2]  # below it the lower teeth, 0.63 as wide: their first line nearer the middle
    minima = np.flatnonzero((lower[1:-1] < lower[:-2]) & (lower[1:-1] <= lower[2:]) & (lower[1:-1] < -0.1)) + 1
    beside = minima[minima > 2000].min() / 4000.0 - 0.5
    assert beside == pytest.approx(fm.LOWER_WIDTH * central / width, rel=0.05)
    # an opening that ends before the upper teeth's edge: their lines reach the lower lip, with no edge's shadow
    near_lip = np.full(depth.shape, 0.7 * crown)
    short = fm.tooth_lines(u, width, teeth, near_lip, np.full(depth.shape, 0.75 * crown))
    np.testing.assert_allclose(short[0], tall[0], atol=1e-6)


def test_fill_mouth_draws_the_teeth_apart_in_a_wide_smile():
    import cv2

    img, p = skin_face()
    scale = 5  # an inner mouth 120 px wide
    img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    p = opened_lips(p, 10.0) * scale
    out = fm.fill_mouth(img, p, 1.0, 1.0, _interior(value_smile=0.4)).astype(float)
    frame = fm.fit_mouth_frame(p)
    # a quarter of the way down the opening: the upper teeth (face/mouth.UPPER_CROWN)
    mid_t = 0.75 * corner_curve(np.array([0.5]), frame.upper) + 0.25 * corner_curve(np.array([0.5]), frame.lower)
    central = fm.TOOTH_SPAN / 2 * fm.TOOTH_WIDTHS[0] / np.sum(fm.TOOTH_WIDTHS)
    line = np.round(frame.to_image(np.array([0.5]), mid_t)[0]).astype(int)
    tooth = np.round(frame.to_image(np.array([0.5 + central / 2]), mid_t)[0]).astype(int)
    assert out[line[1], line[0]].sum() < 0.85 * out[tooth[1], tooth[0]].sum()


def test_jaw_look_keeps_the_teeth_under_each_lip_and_opens_the_cavity_between():
    h, w = fm.OWN_GRID
    own = np.zeros((h, w, 3), np.float32)
    own[: h // 2], own[h // 2:] = 0.3, 0.2  # upper teeth, lower teeth
    cavity = np.full((4, 8, 3), -1.5, np.float32)
    look = fm.jaw_look(fm.OwnInside(own, kept=0.5, teeth=1.0), cavity)
    assert look.shape == (h, w, 3)
    t = (np.arange(h) + 0.5) / h
    np.testing.assert_allclose(look[t < 0.25 - fm.JAW_EDGE], 0.3, atol=1e-6)  # a quarter each: half the opening
    np.testing.assert_allclose(look[t > 0.75 + fm.JAW_EDGE], 0.2, atol=1e-6)
    np.testing.assert_allclose(look[(t > 0.25 + fm.JAW_EDGE) & (t < 0.75 - fm.JAW_EDGE)], -1.5, atol=1e-6)
    whole = fm.jaw_look(fm.OwnInside(own, kept=1.0, teeth=1.0), cavity)  # not opened further: its own inside
    np.testing.assert_allclose(whole[t < 0.5 - fm.JAW_EDGE], 0.3, atol=1e-6)
    np.testing.assert_allclose(whole[t > 0.5 + fm.JAW_EDGE], 0.2, atol=1e-6)
    assert whole.min() > 0.19  # and no line of the cavity where its halves meet


def test_a_jaw_dropped_from_a_grin_opens_below_the_upper_teeth_not_through_them():
    h, w = fm.OWN_GRID
    t = (np.arange(h) + 0.5) / h
    own = np.full((h, w, 3), 0.3, np.float32)  # a grin's inside: upper teeth from lip to lip
    cavity = np.full((4, 8, 3), -1.5, np.float32)
    split = fm.teeth_split(own, 0.2)
    assert split == pytest.approx(fm.SPLIT[1])  # a grin's upper teeth fill most of its inside
    assert fm.teeth_split(own, 0.6) == pytest.approx(fm.SPLIT[0])  # a tall one's, its upper half
    assert fm.teeth_split(own, 0.3) > fm.teeth_split(own, 0.4)
    look = fm.jaw_look(fm.OwnInside(own, kept=0.8, teeth=1.0, split=split), cavity)
    dark = t[look[:, 0, 0] < -0.5]
    assert dark.size and dark.min() > 0.8 * split - fm.JAW_EDGE - 1e-6  # the cavity under the upper teeth
    np.testing.assert_allclose(look[t < 0.8 * split - fm.JAW_EDGE], 0.3, atol=1e-6)
    at_middle = fm.jaw_look(fm.OwnInside(own, kept=0.8, teeth=1.0), cavity)  # split at the middle: through them
    assert at_middle[np.argmin(np.abs(t - 0.5)), 0, 0] < -0.5


def test_an_inside_with_a_dark_gap_between_two_rows_of_teeth_splits_at_the_gap():
    h, w = fm.OWN_GRID
    t = (np.arange(h) + 0.5) / h
    own = np.full((h, w, 3), np.log(1.2), np.float32)  # teeth above and below
    own[(t > 0.6) & (t < 0.75)] = np.log(0.5)  # and the dark between: a child's lower teeth, a laugh
    assert 0.6 < fm.teeth_split(own, 0.2) < 0.75
    own[(t > 0.6) & (t < 0.75)] = np.log(1.1)  # hardly darker: a grin's teeth, split by their crown
    assert fm.teeth_split(own, 0.2) == pytest.approx(fm.SPLIT[1])
    falling = np.repeat(np.log(np.linspace(1.2, 0.5, h))[:, None, None], w, 1).repeat(3, 2).astype(np.float32)
    assert fm.teeth_split(falling, 0.2) == pytest.approx(fm.SPLIT[1])  # darker towards the lower lip: no gap


def test_fill_mouth_keeps_the_teeth_a_face_showed_and_draws_no_gaps_over_them():
    img, p = mouth_showing((235, 232, 225))
    opened = opened_lips(p, 12.0)
    own = own_inside(read_shown_teeth(img, p), fm.lip_points(opened))
    assert own is not None and own.teeth == pytest.approx(1.0) and 0.3 < own.kept < 0.8
    interior = _interior(value_smile=-2.0, value_speak=-2.0)  # a map all cavity
    out = fm.fill_mouth(img, opened, 1.0, 1.0, interior, own).astype(float)
    plain = fm.fill_mouth(img, opened, 1.0, 1.0, interior).astype(float)
    frame = fm.fit_mouth_frame(opened)

    def at(t):
        top, bottom = corner_curve(np.array([0.5]), frame.upper), corner_curve(np.array([0.5]), frame.lower)
        xy = np.round(frame.to_image(np.array([0.5]), top + t * (bottom - top))[0]).astype(int)
        return xy[1], xy[0]

    assert out[at(0.5)].sum() < 0.5 * out[at(0.15)].sum()  # the cavity between, the teeth under the upper lip
    assert out[at(0.15)].sum() > 2.0 * plain[at(0.15)].sum()  # where the map alone is all cavity
    pink, _ = mouth_showing((215, 120, 130))
    assert read_shown_teeth(pink, p) is None


def test_keep_lip_thickness_gives_a_stretched_lip_its_own_height_and_leaves_a_thinned_one():
    p = opened_lips(synthetic_landmarks(), 0.0)  # a closed mouth
    lips = fm.lip_points(p)
    thickness = lips[62, 1] - p[51, 1]
    moved = opened_lips(p, 20.0)  # the jaw dropped: outer lips 10 px up and down
    opened = fm.lip_points(p)  # the flow stretched both lips: their inner points stayed near the seam
    opened[[61, 62, 63], 1] -= 3.0
    opened[[65, 66, 67], 1] += 3.0
    kept = fm.keep_lip_thickness(opened, lips, p, moved)
    np.testing.assert_allclose(kept[62, 1] - moved[51, 1], thickness, atol=1e-9)  # upper lip as thick as before
    np.testing.assert_allclose(moved[57, 1] - kept[66, 1], p[57, 1] - lips[66, 1], atol=1e-9)
    assert fm.mouth_opening(kept) > fm.mouth_opening(opened) + 0.1
    others = [i for i in range(68) if i not in (61, 62, 63, 65, 66, 67)]
    np.testing.assert_array_equal(kept[others], opened[others])
    # lips the edit thinned (the inner points already further out than their thickness) stay where carried
    wide = opened.copy()
    wide[[61, 62, 63], 1] = moved[[50, 51, 52], 1] + 0.5 * thickness
    np.testing.assert_array_equal(fm.keep_lip_thickness(wide, lips, p, moved)[[61, 62, 63]], wide[[61, 62, 63]])


def test_teeth_are_brighter_under_a_harder_light():
    assert fm.teeth_brightness(1.0) == pytest.approx(np.exp(fm.TEETH_LIGHT[0]))
    assert fm.teeth_brightness(1.1) < fm.teeth_brightness(1.4) < fm.teeth_brightness(1.8)
    assert fm.teeth_brightness(0.01) == fm.TEETH_BRIGHT[0] and fm.teeth_brightness(100.0) == fm.TEETH_BRIGHT[1]
    # the lift takes the map's teeth (log-RGB over the cheeks) to that brightness, up or down
    dull, bright = np.full(3, np.log(1.2)), np.full(3, np.log(2.0))
    assert fm.teeth_lift(dull, 1.8) > 0.0 > fm.teeth_lift(bright, 1.1)
    assert np.exp(np.log(1.2) + fm.teeth_lift(dull, 1.4)) == pytest.approx(fm.teeth_brightness(1.4))


def test_a_face_lit_hard_is_given_brighter_teeth():
    img, p = skin_face()
    p = opened_lips(p, 10.0)
    interior = _interior(value_smile=0.3)
    centre = np.round((p[62] + p[66]) / 2).astype(int)
    soft = fm.fill_mouth(img, p, 1.0, 1.0, interior)[centre[1], centre[0]].astype(float)
    lit = img.copy()
    lit[30:60, 55:105] = np.clip(lit[30:60, 55:105].astype(int) + 60, 0, 255)  # a flash's highlight on the forehead
    assert skin_highlight(lit, p, 150.0) > skin_highlight(img, p, 150.0)
    hard = fm.fill_mouth(lit, p, 1.0, 1.0, interior)[centre[1], centre[0]].astype(float)
    assert hard.mean() > soft.mean() + 10


def test_the_maps_teeth_are_lifted_and_keep_the_lights_hue_where_the_cavity_keeps_the_lips():
    import cv2

    img, p = skin_face()
    img = (img * 0.5).astype(np.uint8)  # dim light: lifted teeth that stay under white
    p = opened_lips(p, 10.0)
    cv2.fillPoly(img, [np.round(p[48:60] * 16).astype(np.int32)], (150, 30, 50), shift=4)  # red lips
    cv2.fillPoly(img, [np.round(p[60:68] * 16).astype(np.int32)], (120, 90, 80), shift=4)
    centre = _incisor(p)
    skin = fm.skin_colour(img, p)
    teeth = fm.fill_mouth(img, p, 1.0, 1.0, _interior(value_smile=0.4))[centre[1], centre[0]]
    light = skin_highlight(img, p, float(skin @ fm.LUMA))
    np.testing.assert_allclose(teeth, (skin + 1) * fm.teeth_brightness(light) - 1, atol=2.0)

    def hue(rgb) -> float:
        lab = cv2.cvtColor(np.asarray(rgb, np.float32).reshape(1, 1, 3) / 255.0, cv2.COLOR_RGB2LAB)[0, 0]
        return float(np.degrees(np.arctan2(lab[2], lab[1])))

    lips = fm.lip_hues(img, p)
    assert lips is not None and abs(hue(teeth) - hue(skin)) < 3.0 and hue(teeth) > lips[0] + lips[2] + 5.0
    cavity = fm.fill_mouth(img, p, 1.0, 0.0, _interior(value_speak=-0.5))[centre[1], centre[0]]
    assert hue(cavity) <= lips[0] + lips[2] + 0.5  # the dark inside is kept to the lips' hues


def test_colours_past_white_roll_off_keeping_their_order_and_chromaticity():
    # lit teeth over light cheeks went past white on a third of held-out faces: stopped at it, a flat white plate
    bright = np.array([[180.0, 150.0, 120.0], [260.0, 230.0, 200.0], [300.0, 270.0, 240.0], [400.0, 350.0, 300.0]])
    rolled = fm.roll_off(bright)
    np.testing.assert_allclose(rolled[0], bright[0])  # under the knee: as it was
    assert np.all(rolled.max(axis=1) < 255.0)
    assert np.all(np.diff(rolled.max(axis=1)) > 3.0)  # brighter stays brighter: no plate
    np.testing.assert_allclose(rolled / rolled.max(axis=1, keepdims=True), bright / bright.max(axis=1, keepdims=True))


def test_a_smile_under_its_full_strength_lays_its_teeth_as_bright_as_a_full_ones():
    img, p = skin_face()
    p = opened_lips(p, 10.0)
    interior = _interior(value_smile=float(np.log(1.4)), value_speak=float(np.log(0.17)))
    skin = fm.skin_colour(img, p)
    want = fm.teeth_brightness(skin_highlight(img, p, float(skin @ fm.LUMA)))
    centre = np.round((p[62] + p[66]) / 2).astype(int)
    inside = np.zeros(img.shape[:2], np.uint8)
    import cv2

    cv2.fillPoly(inside, [np.round(p[60:68]).astype(np.int32)], 1)

    def lum(out: np.ndarray) -> np.ndarray:
        return (out.astype(np.float64) @ fm.LUMA) / float(skin @ fm.LUMA)

    for smile in (1.0, 0.95, 0.9):
        out = fm.fill_mouth(img, p, 1.0, smile, interior)
        # the mix with the dropped jaw's dark inside took 19% off at 0.9 when the lift was the smiling map's
        assert lum(out)[centre[1], centre[0]] == pytest.approx(want, rel=0.05)
        assert lum(out)[inside > 0].max() < want * 1.08  # and nothing past the teeth's brightness
    dark = fm.fill_mouth(img, p, 1.0, 0.3, interior)
    assert lum(dark)[centre[1], centre[0]] < 0.6  # mostly the dropped jaw: its inside stays dark


def test_a_smiles_teeth_meet_the_upper_lip_sharply_and_are_brightest_under_it():
    import cv2

    img, p = skin_face()
    scale = 2  # an inner mouth 48 px wide, 20 px open: LFW's size
    img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    p = opened_lips(p, 10.0) * scale

    def at(out, t):  # down the middle of a central incisor, clear of the line between the two
        x, y = _incisor(p, t)
        return out[y, x].astype(float)

    flat = fm.fill_mouth(img, p, 1.0, 1.0, _interior(value_smile=0.4, value_speak=0.4))
    lip, laid = at(img, 0.06), at(flat, 0.3)
    assert np.abs(at(flat, 0.06) - laid).sum() < 0.25 * np.abs(lip - laid).sum()  # a px under the lip: the teeth
    rows = np.arange(12)
    profile = (0.3 - 0.6 * ((rows + 0.5 - 6.0) / 6.0) ** 2)[:, None, None]  # a median's smooth rise and fall
    maps = np.zeros((2, 2, 12, 8, 3), np.float32)
    maps[:, :] = profile
    shaped = fm.fill_mouth(img, p, 1.0, 1.0, fm.MouthInterior(maps, np.array([0.1, 0.3], np.float32)))
    assert at(shaped, 0.15).sum() > 1.1 * at(shaped, 0.85).sum()  # bright under the upper lip, dim over the lower

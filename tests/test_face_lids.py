"""Closing the lids from the landmarks: the lid curves, the cover and the lash line, the AU45 -> closure map."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ganimate.face.lids import close_eye, close_lids, fit_lid_curves, lid_closure, lid_lines

SKIN = (205, 160, 135)


def synthetic_eyes() -> tuple[np.ndarray, np.ndarray]:
    """A skin-coloured uint8 200x240x3 image with two almond eyes (white sclera, dark iris) and float64 (68, 2)
    landmarks whose eye points (36-47) lie on their lids and brow points (17-26) 35 px above them; the other
    points sit far below, off the eyes."""
    img = np.full((200, 240, 3), SKIN, np.uint8)
    img = (img.astype(np.int16) + np.random.default_rng(0).integers(-6, 7, img.shape)).clip(0, 255).astype(np.uint8)
    points = np.tile([120.0, 190.0], (68, 1))
    for first, cx in ((36, 70.0), (42, 170.0)):
        half, height = 30.0, 12.0  # eye half-width, lid height above / below the corner line
        u = np.linspace(-1, 1, 200)
        top = np.stack([cx + half * u, 100 - height * (1 - u**2)], 1)
        bottom = np.stack([cx + half * u, 100 + height * (1 - u**2)], 1)
        poly = np.concatenate([top, bottom[::-1]]).astype(np.int32)
        cv2.fillPoly(img, [poly], (245, 245, 240))
        cv2.circle(img, (int(cx), 100), 10, (60, 40, 30), -1)  # the iris fits inside the opening
        cv2.polylines(img, [top.astype(np.int32)], False, (40, 30, 25), 2)  # lashes on the upper lid
        for k, uu in enumerate((-1.0, -1 / 3, 1 / 3, 1.0)):
            idx = (first, first + 1, first + 2, first + 3)[k]
            points[idx] = (cx + half * uu, 100 - height * (1 - uu**2))
        points[first + 5] = (cx - half / 3, 100 + height * (1 - 1 / 9))
        points[first + 4] = (cx + half / 3, 100 + height * (1 - 1 / 9))
        brow = 17 if first == 36 else 22
        points[brow:brow + 5] = np.stack([cx + np.linspace(-half, half, 5), np.full(5, 65.0)], 1)
    return img, points


def opening_mask(points: np.ndarray, eye: int, shape) -> np.ndarray:
    curve = fit_lid_curves(points, eye)
    lines = lid_lines(curve, 0.0)
    poly = np.concatenate([lines["lid"], lines["bottom"][::-1]])
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.rint(poly).astype(np.int32)], 1)
    return cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)


def test_lid_curves_pass_through_the_lid_landmarks_and_the_corners():
    _, points = synthetic_eyes()
    for eye, (up, lo) in enumerate((((37, 38), (41, 40)), ((43, 44), (47, 46)))):
        curve = fit_lid_curves(points, eye)
        lines = lid_lines(curve, 0.0)
        for i in up:
            assert np.min(np.linalg.norm(lines["lid"] - points[i], axis=1)) < 1.0
        # runs on along the corner line a little past each corner, further past the outer one (36 and 45)
        ends = curve.to_eye(lines["lid"][[0, -1]])
        np.testing.assert_allclose(ends[:, 1], 0.0, atol=1e-9)
        past = np.array([-ends[0, 0], ends[1, 0] - 1.0])  # eye widths past the first and the second corner
        outer, inner = (0, 1) if eye == 0 else (1, 0)
        assert 0.0 < past[inner] < 0.1 and past[inner] + 0.05 < past[outer] < 0.25
        uv = curve.to_eye(points[list(lo)])
        assert (uv[:, 1] > 0).all()  # the lower lid lies below the corner line, along "down"


def test_closing_covers_the_eyeball_with_skin_and_leaves_the_rest_exact():
    img, points = synthetic_eyes()
    closed = close_lids(img, points, 1.0)
    for eye in (0, 1):
        inside = opening_mask(points, eye, img.shape)
        before, after = img[inside].astype(int), closed[inside].astype(int)
        white = lambda px: (px.min(1) > 225).mean()  # noqa: E731
        dark = lambda px: (px.sum(1) < 250).mean()  # noqa: E731
        assert white(before) > 0.4 and white(after) < 0.02  # the sclera is gone
        assert dark(before) > 0.15
        # the lash line is the only dark left: a band along the shut line; the iris above it took skin
        ys = np.nonzero(inside)[0][(after.sum(1) < 250)]
        assert np.percentile(ys, 5) >= 97 and np.percentile(ys, 95) <= 110
        # away from the lash band the eyeball took skin
        skin = np.abs(after - np.array(SKIN)).sum(1) < 60
        away = np.abs(np.nonzero(inside)[0] - 103) > 8
        assert skin[away].mean() > 0.8
    for cx in (70, 170):  # the iris (radius 10 about (cx, 100)) above the lash band
        yy, xx = np.mgrid[88:96, cx - 6:cx + 7]
        iris = closed[yy, xx][((xx - cx) ** 2 + (yy - 100) ** 2) < 100].astype(int)
        assert (np.abs(iris - np.array(SKIN)).sum(-1) < 60).mean() > 0.9
    far = np.ones(img.shape[:2], bool)
    far[70:140, 20:220] = False  # the cover stops well short of the brows (y 65)
    np.testing.assert_array_equal(closed[far], img[far])


def test_half_closure_covers_the_top_of_the_opening_and_keeps_its_bottom():
    img, points = synthetic_eyes()
    half = close_eye(img, points, 0, 0.5)
    # the iris' top (above the corner line) is covered, its bottom below the new lid edge is untouched
    assert np.abs(half[92, 70].astype(int) - np.array(SKIN)).sum() < 60
    np.testing.assert_array_equal(half[108:110, 60:80], img[108:110, 60:80])
    np.testing.assert_array_equal(half[:, 130:], img[:, 130:])  # the other eye is untouched


def test_no_closure_is_a_copy():
    img, points = synthetic_eyes()
    out = close_lids(img, points, 0.0)
    np.testing.assert_array_equal(out, img)
    assert out is not img


@pytest.mark.parametrize("au45", [0.0, 0.5])
def test_closure_is_zero_up_to_the_start(au45):
    assert lid_closure(au45, 0.5, 4.0) == 0.0


def test_closure_rises_smoothly_to_one_at_full():
    values = [lid_closure(a, 0.5, 4.0) for a in np.linspace(0.5, 5.0, 40)]
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))
    assert lid_closure(4.0, 0.5, 4.0) == pytest.approx(1.0)
    assert lid_closure(5.0, 0.5, 4.0) == 1.0
    assert 0.3 < lid_closure(2.25, 0.5, 4.0) < 0.7


def test_shut_lids_meet_near_the_corner_line_not_at_the_lower_lid():
    # real shut eyes (the shared clips' closed frames): the lash line lies near the line between the corners;
    # a lid drawn down to the lower lid makes a bowl-shaped line under a pale band that reads as an open eye
    img, points = synthetic_eyes()
    closed = close_lids(img, points, 1.0)
    grey = closed.astype(int).sum(2)
    for cx in (70, 170):  # the eyes' middles: corner line y 100, lower lid y 112, its cover's bottom ~116
        column = grey[90:122, cx - 3:cx + 4].mean(1)
        darkest = 90 + int(np.argmin(column))
        assert 100 <= darkest <= 106
        # below the lash line down to the lower lid: skin, no sclera and no pale band, lightening away from it
        below = closed[darkest + 4:113, cx - 10:cx + 11].astype(int)
        assert (below.min(2) > 225).mean() == 0.0
        assert below.sum(2).mean() <= sum(SKIN) + 15
        rows = below.sum(2).mean(1)
        assert rows[-1] > rows[0] and np.abs(closed[114, cx - 10:cx + 11].astype(int) - SKIN).sum(1).mean() < 60


def test_the_lower_lid_rises_late():
    from ganimate.face.lids import fit_lid_curves as fit

    _, points = synthetic_eyes()
    curve = fit(points, 0)
    mid = len(lid_lines(curve, 0.0)["rise"]) // 2
    v = {c: curve.to_eye(lid_lines(curve, c)["rise"])[mid, 1] for c in (0.0, 0.5, 1.0)}
    shut = curve.to_eye(lid_lines(curve, 1.0)["shut"])[mid, 1]
    assert v[1.0] == pytest.approx(shut)
    assert v[0.0] - v[0.5] < 0.3 * (v[0.0] - v[1.0])  # half closed: the lower lid has barely moved


def test_the_lashes_beyond_the_outer_corner_go_under_the_lid():
    # lashes run on a few px up and out past the outer corner's point: left there, a shut eye kept a dark tick
    # above its corner (the astronaut of make demo, looked at)
    img, points = synthetic_eyes()
    for corner, out in ((points[36], -1.0), (points[45], 1.0)):
        a = np.round(corner).astype(int)
        cv2.line(img, (int(a[0]), int(a[1]) - 1), (int(a[0] + out * 6), int(a[1]) - 6), (40, 30, 25), 2)
    closed = close_lids(img, points, 1.0)
    for corner, out in ((points[36], -1.0), (points[45], 1.0)):
        x, y = int(round(corner[0] + out * 4)), int(round(corner[1])) - 5  # above the shut lid's lash line
        patch = closed[y - 2:y + 1, min(x, x - int(out) * 2):max(x, x - int(out) * 2) + 1].astype(int)
        assert np.abs(patch - np.array(SKIN)).sum(-1).mean() < 60  # skin, not lashes


def test_a_shut_lids_lashes_run_on_to_the_outer_corner_and_fade_at_the_inner():
    # real shut eyes keep a dark lash line out to the outer corner, thinner; it faded there with the inner corner's
    # taper
    img, points = synthetic_eyes()
    closed = close_lids(img, points, 1.0)
    for eye, outer in ((0, 0.02), (1, 0.98)):
        curve = fit_lid_curves(points, eye)

        def brightness(u: float, curve=curve) -> int:
            x, y = np.round(curve.to_image(np.array(u), np.array(1.5))).astype(int)  # just below the shut line
            return int(closed[y, x].astype(int).sum())

        def core(u: float, curve=curve) -> int:  # the darkest px across the line there (it thins out)
            xy = np.round(curve.to_image(np.full(9, u), np.linspace(-0.5, 3.5, 9))).astype(int)
            return int(closed[xy[:, 1], xy[:, 0]].astype(int).sum(-1).min())

        assert core(outer) < 200 and core(0.5) < 200  # lash-dark at the outer corner as mid-lid
        assert brightness(1.0 - outer) > 400  # the inner corner's lashes fade out


def test_a_lid_asked_to_close_by_a_hair_keeps_its_own_lashes():
    # OpenFace reads AU45 0.6-1.3 on many open eyes: a target there closes the lids by a hair, and covering the
    # lash band at once made those eyes look half shut
    img, points = synthetic_eyes()
    out = close_lids(img, points, 0.02)
    for cx in (70.0, 170.0):
        u = np.linspace(-0.6, 0.6, 9)
        xs = np.round(cx + 30.0 * u).astype(int)
        ys = np.round(100 - 12.0 * (1 - u**2)).astype(int)  # the drawn lashes on the upper lid
        assert out[ys, xs].astype(int).sum(-1).mean() < 1.3 * img[ys, xs].astype(int).sum(-1).mean() + 20
    assert np.abs(out.astype(int) - img.astype(int)).max() < 40  # a hair's change, nowhere a cover


def test_the_drawn_lashes_take_the_skins_hue_not_a_blue_iris():
    # the open lid's margin, where the lashes' colour is read, crosses the iris: a blue one drew a blue lash line
    import cv2

    img, points = synthetic_eyes()
    for cx in (70.0, 170.0):
        u = np.linspace(-1, 1, 200)
        top = np.stack([cx + 30.0 * u, 100 - 12.0 * (1 - u**2)], 1)
        cv2.polylines(img, [top.astype(np.int32)], False, (25, 35, 140), 2)  # the margin reads blue
    closed = close_lids(img, points, 1.0)
    for eye in (0, 1):
        curve = fit_lid_curves(points, eye)
        x, y = np.round(curve.to_image(np.array(0.5), np.array(1.5))).astype(int)  # on the lash line, mid-lid
        lab = cv2.cvtColor(closed[y - 1:y + 2, x - 1:x + 2].astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
        skin = cv2.cvtColor(np.array([[SKIN]], np.float32) / 255.0, cv2.COLOR_RGB2LAB)[0, 0]
        a, b = lab[..., 1].mean(), lab[..., 2].mean()
        assert lab[..., 0].mean() < 45  # dark: the lashes
        assert b > 0 and abs(np.degrees(np.arctan2(b, a) - np.arctan2(skin[2], skin[1]))) < 25  # warm, not blue


def test_a_low_brow_above_the_lid_is_not_smeared_over_it():
    # a low brow over a deep-set eye lies just above the cover: inpainted from it, the shut lid took a dark band
    img, points = synthetic_eyes()
    for cx in (70, 170):
        cv2.rectangle(img, (cx - 34, 68), (cx + 34, 78), (35, 25, 20), -1)  # brow hair down to the cover's top
    closed = close_lids(img, points, 1.0)
    for cx in (70, 170):
        lid = closed[81:88, cx - 12:cx + 13].astype(int)  # the shut lid's top, mid-eye
        assert (np.abs(lid - np.array(SKIN)).sum(-1) < 60).mean() > 0.9
        brow = closed[68:73, cx - 25:cx + 26].astype(int).sum(-1)  # the brow itself stays (the cover fades
        assert (brow < 250).mean() > 0.9  # over its lower edge only)


def _across_shut_line(closed: np.ndarray, points: np.ndarray, eye: int, u: float) -> tuple[np.ndarray, np.ndarray]:
    """(v px from the shut line's middle, down the face; brightness, RGB summed) across the shut line at u."""
    curve = fit_lid_curves(points, eye)
    shut_v = float(curve.to_eye(lid_lines(curve, 1.0)["lid"])[:, 1].mean())
    v = np.arange(-8.0, 12.0, 0.25)
    xy = curve.to_image(np.full_like(v, u), shut_v + v).astype(np.float32)
    lum = closed.astype(np.float32).sum(-1)
    return v, cv2.remap(lum, xy[:, 0:1], xy[:, 1:2], cv2.INTER_LINEAR)[:, 0]


def test_a_shut_lids_edge_is_sharp_and_its_lashes_hang_below_it():
    # a lash line faded up over the lid as far as down was a blurred bar on a large eye (a toddler's portrait)
    img, points = synthetic_eyes()
    closed = close_lids(img, points, 1.0)
    v, lum = _across_shut_line(closed, points, 0, 0.5)
    k = int(np.argmin(lum))
    half = lum[k] + 0.5 * (np.median(lum[:8]) - lum[k])  # half-way from the line's core to the lid above
    above = v[k] - v[:k][lum[:k] > half].max()
    below = v[k + 1:][lum[k + 1:] > lum[k] + 0.5 * (np.median(lum[-8:]) - lum[k])].min() - v[k]
    assert above <= 1.5  # the lid's margin: an edge about a px wide
    assert below >= 2.0 * above  # the lashes hang below it


def test_a_shut_lids_lashes_thin_towards_the_outer_corner():
    # real shut eyes' lash lines taper to the outer corner; at full width out to it they ended as a blunt bar
    img, points = synthetic_eyes()
    closed = close_lids(img, points, 1.0)

    def thickness(u: float) -> float:
        v, lum = _across_shut_line(closed, points, 0, u)
        return float((lum < lum.min() + 0.5 * (np.median(lum) - lum.min())).sum() * (v[1] - v[0]))

    assert thickness(0.1) < 0.8 * thickness(0.5)  # eye 0's outer corner is at u = 0 (the image's left)


def test_an_eye_already_shut_in_the_frame_keeps_a_dark_lash_line():
    # the points of a shut eye lie nearly where an open one's do, so the open lid's margin fell on the lid's skin and
    # the lashes were drawn in its colour: each blink washed out under a held eyes-closed edit (d9)
    img, points = synthetic_eyes()
    shut = img.copy()
    for cx in (70, 170):
        cv2.ellipse(shut, (cx, 100), (31, 14), 0, 0, 360, SKIN, -1)  # the eye covered by its lid
        cv2.line(shut, (cx - 28, 101), (cx + 28, 101), (40, 30, 25), 2)  # its own lash line, on the corner line
    closed = close_lids(shut, points, 1.0)
    for eye in (0, 1):
        v, lum = _across_shut_line(closed, points, eye, 0.5)
        assert lum.min() < 0.5 * np.median(lum)  # a dark line across the shut eye, not a pale one


def test_closure_for_closes_only_what_the_face_does_not_already_close():
    from ganimate.au.names import AU_NAMES
    from ganimate.config import LidConfig
    from ganimate.face.lids import closure_for

    def aus(au45):
        a = np.zeros(len(AU_NAMES), np.float32)
        a[AU_NAMES.index("AU45")] = au45
        return a

    lids = LidConfig()
    assert closure_for(aus(4.0), None, aus(0.0)) == 0.0
    assert closure_for(aus(2.5), lids) == pytest.approx(lid_closure(2.5, lids.start, lids.full))  # source unknown
    assert closure_for(aus(2.0), lids, aus(2.0)) == 0.0  # a blink asked for as it is shown: nothing more to close
    assert closure_for(aus(1.0), lids, aus(2.0)) == 0.0  # opening is not the lids' to do
    assert closure_for(aus(4.0), lids, aus(2.0)) == pytest.approx(1.0)  # shut whatever it shows
    assert closure_for(aus(4.0), lids, aus(4.5)) == 1.0 and closure_for(aus(2.0), lids, aus(4.5)) == 0.0
    c_s, c_t = lid_closure(1.5, lids.start, lids.full), lid_closure(3.0, lids.start, lids.full)
    # the rest of the way: the eye's opening left after both is the one the target alone would leave an open eye
    assert (1 - c_s) * (1 - closure_for(aus(3.0), lids, aus(1.5))) == pytest.approx(1 - c_t)

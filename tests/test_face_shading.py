"""The expression's shading at run time: mesh, piecewise-affine resampling, and shading by each channel's share."""

from dataclasses import replace

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.face.shading import (
    AuShading,
    change_on_frame,
    extend_points,
    face_region,
    lift_creases,
    piecewise_coords,
    scale_channels,
    shade_face,
    triangulate,
)
from ganimate.infer.models import DEFAULT_SHADING


@pytest.fixture(scope="module")
def shipped():
    return AuShading.load(DEFAULT_SHADING)


def _face(shipped, scale=4.0, offset=(20.0, 30.0)):
    """A face's 68 points (float (68, 2)): the shipped mean shape, scaled and moved."""
    return shipped.mean_points * scale + np.array(offset, np.float32)


def test_forehead_points_lie_above_the_brows(shipped):
    p = _face(shipped)
    ext = extend_points(p)
    assert ext.shape == (78, 2)
    np.testing.assert_array_equal(ext[:68], p)
    assert np.all(ext[68:, 1] < p[17:27, 1] - 5)


def test_triangles_tile_the_points_convex_hull():
    import cv2

    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 100, (40, 2)).astype(np.float32)
    tris = triangulate(pts)
    def cross(u, v):
        return u[0] * v[1] - u[1] * v[0]

    area = sum(abs(cross(pts[b] - pts[a], pts[c] - pts[a])) / 2 for a, b, c in tris)
    assert area == pytest.approx(cv2.contourArea(cv2.convexHull(pts)), rel=1e-4)


def test_piecewise_coords_of_an_affine_motion_are_that_motion(shipped):
    src = extend_points(_face(shipped, 1.0, (0, 0)))
    tris = triangulate(src)
    a = np.array([[1.3, 0.2, 5.0], [-0.1, 0.9, 2.0]])
    dst = src @ a[:, :2].T + a[:, 2]
    coords, inside = piecewise_coords(src, dst, tris, (64, 64))
    assert inside.sum() > 1000
    yy, xx = np.mgrid[0:64, 0:64]
    want = np.stack([xx, yy], -1) @ a[:, :2].T + a[:, 2]
    np.testing.assert_allclose(coords[inside], want[inside], atol=1e-3)
    assert not inside[0, 0] and not inside[63, 63]  # the corners lie outside the face's mesh


def test_face_region_leaves_out_the_eyes_and_lips(shipped):
    region = face_region(shipped.mean_points, shipped.side, shipped.triangles)
    for idx in (range(36, 42), range(42, 48), range(48, 60)):
        x, y = np.round(shipped.mean_points[list(idx)].mean(0)).astype(int)
        assert not region[y, x]
    x, y = np.round(shipped.mean_points[[31, 48]].mean(0)).astype(int)  # the cheek beside the nose's wing
    assert region[y, x]


def test_change_is_linear_in_the_rise_of_each_au_and_ignores_falls():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(17, 8, 8)).astype(np.float32)
    s = AuShading(w, np.zeros((68, 2), np.float32), np.zeros((0, 3), np.int32))
    a, b = rng.uniform(0, 5, 17), rng.uniform(0, 5, 17)
    rise = np.maximum(b - a, 0)
    assert 0 < np.count_nonzero(rise) < 17
    np.testing.assert_allclose(s.change(a, b), np.tensordot(rise, w, axes=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(s.change(a, a), 0.0)
    np.testing.assert_array_equal(s.change(b, np.minimum(a, b)), 0.0)  # only falls: nothing


def test_save_and_load_round_trip_and_refuse_another_au_order(tmp_path, shipped):
    path = tmp_path / "s.npz"
    shipped.save(path)
    back = AuShading.load(path)
    np.testing.assert_array_equal(back.weights, shipped.weights)
    np.testing.assert_array_equal(back.triangles, shipped.triangles)
    np.testing.assert_array_equal(back.channels, shipped.channels)
    np.savez(path, weights=shipped.weights, mean_points=shipped.mean_points, triangles=shipped.triangles,
             au_names=np.array(AU_NAMES))  # a map fitted before the channels: every channel alike
    np.testing.assert_array_equal(AuShading.load(path).channels, np.ones(3, np.float32))
    np.savez(path, weights=shipped.weights, mean_points=shipped.mean_points, triangles=shipped.triangles,
             au_names=np.array(AU_NAMES[::-1]))
    with pytest.raises(ValueError, match="AU order"):
        AuShading.load(path)


def test_shading_darkens_inside_the_mesh_keeps_hue_and_leaves_the_rest_exact(shipped):
    grey = replace(shipped, channels=np.ones(3, np.float32))
    rng = np.random.default_rng(2)
    img = rng.integers(60, 200, (340, 300, 3), dtype=np.uint8)
    points = _face(shipped)
    change = np.full((shipped.side, shipped.side), -0.2, np.float32)
    out = shade_face(img, points, change, grey)
    ext = extend_points(points)
    changed = np.any(out != img, axis=2)
    ys, xs = np.nonzero(changed)
    assert xs.min() >= ext[:, 0].min() - 2 and xs.max() <= ext[:, 0].max() + 2
    assert ys.min() >= ext[:, 1].min() - 2 and ys.max() <= ext[:, 1].max() + 2
    cx, cy = np.round(points[30]).astype(int)  # the nose tip: deep inside, the full change
    ratio = (out[cy, cx].astype(float) + 10) / (img[cy, cx].astype(float) + 10)
    np.testing.assert_allclose(ratio, np.exp(-0.2), atol=0.01)  # every channel alike: the hue stays
    np.testing.assert_array_equal(shade_face(img, points, np.zeros_like(change), grey), img)


def test_the_shipped_shading_darkens_skin_redder_keeping_its_luminance_change(shipped):
    """Real smiles and frowns darken red least and blue most (the shipped shares, fitted on training pairs);
    each channel's log change is the map's times its share, and their Rec. 601 sum is the map's."""
    r, g, b = shipped.channels
    assert r < 0.9 < 1.0 < g < 1.15 < b < 1.4
    assert float(np.array([0.299, 0.587, 0.114]) @ shipped.channels) == pytest.approx(1.0, abs=1e-4)
    img = np.broadcast_to(np.array([200, 150, 130], np.uint8), (340, 300, 3)).copy()
    points = _face(shipped)
    out = shade_face(img, points, np.full((shipped.side, shipped.side), -0.3, np.float32), shipped)
    cx, cy = np.round(points[30]).astype(int)
    logs = np.log((out[cy, cx].astype(float) + 10) / (img[cy, cx].astype(float) + 10))
    np.testing.assert_allclose(logs, -0.3 * shipped.channels, atol=0.01)
    assert out[cy, cx, 0] / out[cy, cx, 2] > img[cy, cx, 0] / img[cy, cx, 2]  # redder than it was


def test_the_shipped_smile_shades_the_cheeks_not_the_forehead(shipped):
    """The fitted map's smile (AU06 2, AU12 3) acts below the eyes more than above the brows."""
    a = np.zeros(17, np.float32)
    b = a.copy()
    b[AU_NAMES.index("AU06")], b[AU_NAMES.index("AU12")] = 2.0, 3.0
    ch = np.abs(shipped.change(a, b))
    m = shipped.mean_points
    below = ch[int(m[29, 1]):int(m[8, 1])].mean()
    above = ch[:int(m[19, 1])].mean()
    assert below > 1.5 * above


def test_the_shipped_maps_fade_out_at_the_edge_of_the_face(shipped):
    """No step where the shading stops: ~0 on the mesh's outline and the forehead's top, small at the edges of
    the eyes and lips (a shorter fade there: a smile's folds reach the mouth's corners)."""
    import cv2

    from ganimate.face.shading import SHADING_AUS

    region = face_region(shipped.mean_points, shipped.side, shipped.triangles)
    ring = region & ~cv2.erode(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    filled = region.astype(np.uint8)
    cv2.floodFill(filled, None, (0, 0), 2)  # the outside of the outline; what stays 0 are the holes
    near_hole = cv2.dilate((filled == 0).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    for name in SHADING_AUS:
        m = np.abs(shipped.weights[AU_NAMES.index(name)])
        assert m.max() > 0.005
        assert m[ring & ~near_hole].max() < 0.05 * m.max(), name
        assert m[ring & near_hole].max() < 0.2 * m.max(), name


@pytest.mark.parametrize("log_change, colour", [(0.3, (240, 200, 170)), (-0.8, (30, 12, 6))])
def test_shading_that_would_clip_a_channel_scales_all_three_alike(shipped, log_change, colour):
    """A lit highlight brightened (red to 255; below CLIPPED, a blown-out one is held whole) or a dark pixel
    darkened (blue at 0) keeps its channels' ratios: clipping one channel alone turned a frown's lit nose bridge
    yellow."""
    grey = replace(shipped, channels=np.ones(3, np.float32))
    img = np.broadcast_to(np.array(colour, np.uint8), (340, 300, 3)).copy()
    points = _face(shipped)
    change = np.full((shipped.side, shipped.side), log_change, np.float32)
    out = shade_face(img, points, change, grey)
    cx, cy = np.round(points[30]).astype(int)
    ratio = (out[cy, cx].astype(float) + 10) / (img[cy, cx].astype(float) + 10)
    assert ratio.max() - ratio.min() < 0.04  # one factor (up to rounding)
    assert abs(np.log(ratio.mean())) > 0.01  # and still shaded, as far as the channel's room allows


@pytest.mark.parametrize("log_change", [0.5, -2.0])
def test_a_pixel_whose_channel_would_clip_keeps_the_shares_of_its_change(log_change):
    """Held back as a whole where one channel would leave 10..265: that channel lands on its limit and the
    others keep their shares of the change (no channel clipped alone, no hue the shading does not make)."""
    channels = np.array([0.76, 1.06, 1.29], np.float32)
    lifted = np.array([[[250.0, 200.0, 150.0], [60.0, 40.0, 30.0]]], np.float32)
    change = np.full((1, 2), log_change, np.float32)
    out = scale_channels(lifted, change, channels)
    assert np.all(out >= 10.0 - 1e-3) and np.all(out <= 265.0 + 1e-3)
    logs = np.log(out / lifted)
    shares = logs / logs.sum(axis=2, keepdims=True)
    np.testing.assert_allclose(shares, np.broadcast_to(channels / channels.sum(), shares.shape), atol=1e-4)
    limit = 265.0 if log_change > 0 else 10.0
    assert np.isclose(out, limit, atol=1e-2).any()  # a pixel was held with one channel at its limit


def test_a_falling_smile_takes_out_darkening_only_for_the_aus_that_fall(shipped):
    src, tgt = np.zeros(17, np.float32), np.zeros(17, np.float32)
    assert not np.any(shipped.fall_change(src, tgt))
    src[AU_NAMES.index("AU12")] = 3.0
    fall = shipped.fall_change(src, tgt)
    assert fall.max() <= 0.0 and fall.min() < -0.02  # the smile's folds, to be lifted
    assert not np.any(shipped.fall_change(tgt, src))  # a rising smile lifts nothing
    tgt[AU_NAMES.index("AU12")] = 2.9  # a reader's noise
    assert not np.any(shipped.fall_change(src, tgt))


def test_lifting_creases_brightens_the_faces_own_dark_lines_keeps_hue_and_leaves_the_rest(shipped):
    import cv2

    points = _face(shipped)
    img = np.zeros((340, 300, 3), np.uint8)
    img[:] = (200, 150, 125)
    src, tgt = np.zeros(17, np.float32), np.zeros(17, np.float32)
    src[AU_NAMES.index("AU12")], src[AU_NAMES.index("AU06")] = 3.0, 2.0
    darkening = shipped.fall_change(src, tgt)
    (x0, y0, _, _), laid = change_on_frame(points, darkening, shipped, img.shape)
    iy, ix = np.unravel_index(np.argmin(laid), laid.shape)
    mid = np.array([ix + x0, iy + y0])  # where the smile's map darkens most: the fold beside the nose
    cv2.line(img, (int(mid[0]) - 4, int(mid[1]) - 12), (int(mid[0]) + 4, int(mid[1]) + 12), (120, 80, 62), 3)
    out = lift_creases(img, points, darkening, shipped)
    before, after = img[mid[1], mid[0]].astype(float), out[mid[1], mid[0]].astype(float)
    assert after.sum() > before.sum() + 15  # the crease lighter
    def hue(c):  # CIELAB hue angle of one uint8 RGB colour, degrees
        lab = cv2.cvtColor(np.uint8([[c]]), cv2.COLOR_RGB2LAB)[0, 0].astype(float) - 128.0
        return np.degrees(np.arctan2(lab[2], lab[1]))

    assert abs(hue(out[mid[1], mid[0]]) - hue(img[mid[1], mid[0]])) < 6  # lightness only
    flat = np.all(img == (200, 150, 125), axis=2)
    assert np.abs(out[flat].astype(int) - img[flat]).max() <= 1  # skin no darker than its surroundings stays
    assert lift_creases(img, points, np.zeros((shipped.side, shipped.side), np.float32), shipped) is img


def test_a_crease_the_warp_squeezed_is_lifted_whole(shipped):
    """Beyond the map's cap (LIFT_GAIN x its darkening) only where the flow squeezed the skin: a deep crease beside
    the nose lifts further there (never past the skin about it), and only as far as the cap elsewhere."""
    import cv2

    from ganimate.face.shading import squeezed_skin

    points = _face(shipped)
    img = np.zeros((340, 300, 3), np.uint8)
    img[:] = (200, 150, 125)
    src, tgt = np.zeros(17, np.float32), np.zeros(17, np.float32)
    src[AU_NAMES.index("AU12")] = 1.0  # a small fall: a small cap
    darkening = shipped.fall_change(src, tgt)
    (x0, y0, _, _), laid = change_on_frame(points, darkening, shipped, img.shape)
    iy, ix = np.unravel_index(np.argmin(laid), laid.shape)
    mid = (int(ix + x0), int(iy + y0))
    cv2.line(img, (mid[0] - 4, mid[1] - 12), (mid[0] + 4, mid[1] + 12), (60, 40, 30), 3)
    capped = lift_creases(img, points, darkening, shipped)
    # a flow that squeezes everything (a uniform contraction towards the crop's middle), its crop the frame itself
    size = 300
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    flow = np.dstack([(xx - size / 2) * 0.3, (yy - size / 2) * 0.3]).astype(np.float32)
    squeezed = squeezed_skin(flow, np.array([[1.0, 0, 0], [0, 1.0, 0]]), img.shape)
    assert squeezed[mid[1], mid[0]] == pytest.approx(1.0)  # det 1.69: squeezed
    # a fall of AU12 under 0.8 is a reader's spread, not a smile taken away: nothing squeezed is lifted
    assert not np.any(squeezed_skin(flow, np.array([[1.0, 0, 0], [0, 1.0, 0]]), img.shape, fall=0.6))
    whole = lift_creases(img, points, darkening, shipped, squeezed)
    lum = lambda a: float(a[mid[1], mid[0]].astype(float) @ [0.299, 0.587, 0.114])  # noqa: E731
    assert lum(whole) > lum(capped) + 20  # past the cap
    assert lum(whole) < 0.299 * 200 + 0.587 * 150 + 0.114 * 125  # no brighter than the skin about it
    still = squeezed_skin(np.zeros((size, size, 2), np.float32), np.array([[1.0, 0, 0], [0, 1.0, 0]]), img.shape)
    assert not np.any(still)  # a flow that moves nothing squeezes nothing
    assert np.array_equal(lift_creases(img, points, darkening, shipped, still), capped)


def test_hair_or_a_hat_above_the_brows_is_not_shaded(shipped):
    from ganimate.face.forehead import read_reach

    points = _face(shipped)
    iod = float(np.linalg.norm(points[45] - points[36]))
    img = np.zeros((340, 300, 3), np.uint8)
    img[:] = (205, 160, 140)  # skin
    hat_edge = int(points[17:27, 1].min() - 0.15 * iod)  # the forehead's mesh reaches 0.3 above the brows
    img[:hat_edge] = (30, 30, 40)  # a dark hat from 0.15 eye distances above the brows up
    img[hat_edge - 6:hat_edge] = (235, 235, 235)  # its brim a light band, which darkening would show
    reach = read_reach(img, points)
    assert reach is not None
    change = np.full((shipped.side, shipped.side), -0.2, np.float32)
    free, held = shade_face(img, points, change, shipped), shade_face(img, points, change, shipped, reach=reach)
    brim = slice(hat_edge - 6, hat_edge)

    def darkened(im):
        return float(np.abs(im[brim].astype(int) - img[brim]).mean())

    assert darkened(free) > 1.0  # without the reach the brim is darkened with the forehead
    assert darkened(held) < 0.2 * darkened(free)  # with it, at most its lowest px (the hold fades in there)
    np.testing.assert_array_equal(held[:hat_edge - 7], img[:hat_edge - 7])  # the hat above its brim: untouched
    face = slice(int(points[17:27, 1].max()) + 2, int(points[30, 1]))
    np.testing.assert_array_equal(held[face], free[face])  # below the brows the shading is whole
    assert np.any(held[face] != img[face])


def test_a_laid_map_fades_in_from_the_mesh_outline_without_a_step(shipped):
    """A uniform map laid on a face is 0 at the mesh's outline and whole EDGE inter-ocular distances inside it: the
    forehead's top is not cut in a straight step (a flat map showed one across the forehead's top points)."""
    from ganimate.face.landmarks import interocular
    from ganimate.face.shading import EDGE

    points = _face(shipped, scale=6.0)
    img = np.zeros((460, 420, 3), np.uint8)
    (x0, y0, _, _), laid = change_on_frame(points, np.full((shipped.side, shipped.side), -0.2, np.float32), shipped,
                                           img.shape)
    top = extend_points(points)[68:]
    col = int(round(float(top[:, 0].mean()))) - x0  # down the middle of the forehead, from its top point
    iod = interocular(points)
    column = laid[:, col]
    y_top = int(np.argmax(column != 0))  # the mesh's outline in that column
    assert y_top > 0 and abs(y_top + y0 - float(top[:, 1].min())) < 0.1 * iod
    assert abs(column[y_top]) < 0.05  # at the outline: nearly nothing
    assert np.all(np.diff(np.abs(column[y_top:y_top + int(0.8 * EDGE * iod)])) >= -1e-4)  # rising into the face
    np.testing.assert_allclose(column[y_top + int(1.5 * EDGE * iod)], -0.2, atol=1e-3)  # whole beyond the fade
    steps = np.abs(np.diff(column[:y_top + int(2 * EDGE * iod)]))
    assert steps.max() < 0.2 / 3  # no step: the change spreads over several px


def test_clipped_highlights_are_not_shaded(shipped):
    """A blown-out forehead (a channel at 255) keeps no skin detail to shade: it is held, where a skin of the same
    hue below the clipping is darkened whole (gloria_estefan's lit forehead turned a flat grey slab)."""
    grey = replace(shipped, channels=np.ones(3, np.float32))
    points = _face(shipped)
    cx, cy = np.round(points[30]).astype(int)
    change = np.full((shipped.side, shipped.side), -0.2, np.float32)
    clipped = np.broadcast_to(np.array([255, 236, 238], np.uint8), (340, 300, 3)).copy()
    np.testing.assert_array_equal(shade_face(clipped, points, change, grey)[cy, cx], clipped[cy, cx])
    skin = np.broadcast_to(np.array([200, 150, 130], np.uint8), (340, 300, 3)).copy()
    ratio = (shade_face(skin, points, change, grey)[cy, cx].astype(float) + 10) / (skin[cy, cx].astype(float) + 10)
    np.testing.assert_allclose(ratio, np.exp(-0.2), atol=0.01)

"""Fitting the AU -> shading map: a planted map is recovered through clip offsets, exposure and noise."""

import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.training.au_shading import band_pass, fit_au_shading, steady_rows


def test_a_planted_symmetric_map_is_recovered():
    rng = np.random.default_rng(0)
    side, n = 24, 600
    region = np.zeros((side, side), bool)
    region[3:21, 3:21] = True
    yy, xx = np.mgrid[0:side, 0:side]
    true12 = -0.05 * np.exp(-((np.abs(xx - 11.5) - 5) ** 2 + (yy - 15) ** 2) / 8.0)  # two folds, mirrored
    aus = rng.uniform(0, 3, (n, 17))
    groups = np.repeat(np.arange(6), n // 6)
    maps = (rng.normal(0, 0.3, (6, side, side))[groups]  # each clip's own face and light
            + aus[:, AU_NAMES.index("AU12"), None, None] * true12
            + aus[:, AU_NAMES.index("AU25"), None, None] * 0.03 * (yy > 15)  # a nuisance AU's own change
            + rng.normal(0, 0.1, (n, 1, 1))  # exposure
            + rng.normal(0, 0.01, (n, side, side)))
    w = fit_au_shading(maps.astype(np.float32), aus, groups, region, ridge=1.0, smooth=0.0, taper=0.0)
    got = w[AU_NAMES.index("AU12")][region]
    want = true12[region] - np.median(true12[region])  # the exposure step takes out the map's median
    assert np.corrcoef(got, want)[0, 1] > 0.95
    np.testing.assert_array_equal(w[AU_NAMES.index("AU25")], 0.0)  # fitted, but not a shading AU
    assert np.all(w[:, ~region] == 0.0)


def test_band_pass_takes_out_slow_light_and_keeps_a_crease():
    side = 48
    region = np.ones((side, side), bool)
    yy, xx = np.mgrid[0:side, 0:side]
    slow = 0.01 * xx  # light falling across the face
    crease = -0.2 * (np.abs(xx - 24) < 1)
    out = band_pass((slow + crease)[None].astype(np.float32), region, 6.0)[0]
    inner = slice(12, 36)
    assert np.abs(out[inner, 5:20]).max() < 0.03
    assert out[inner, 24].mean() < -0.15


def test_steady_rows_drop_frames_whose_head_moved():
    pts = np.zeros((10, 68, 2))
    pts[7] += 5.0  # one frame's head 5 px off
    keep = steady_rows(pts, np.zeros(10), 3.0)
    assert keep.sum() == 9 and not keep[7]


def test_edge_taper_rises_from_zero_at_the_edge_and_holes_to_one_inside():
    from ganimate.training.au_shading import edge_taper

    region = np.zeros((32, 32), bool)
    region[2:30, 2:30] = True
    region[14:18, 14:18] = False  # a hole
    t = edge_taper(region, 4.0, 2.0)
    assert t[2, 16] < 0.05 and t[16, 2] < 0.05 and t[13, 16] < 0.05  # outline and hole
    assert t[8, 8] == 1.0 and t[24, 24] == 1.0
    assert np.all(t[~region] == 0.0)
    assert t[16, 11] == 1.0 and t[16, 5] < 1.0  # 3 px from the hole: faded in; 3 px from the outline: not yet

"""training/shading_check.py: how strongly the shading map shades a face beside real pairs' change."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.face.shading import AuShading, shade_face
from ganimate.infer.models import DEFAULT_SHADING
from ganimate.training.shading_check import channel_shares, compare_shading, gained

CROP = 128


@pytest.fixture(scope="module")
def shipped():
    return AuShading.load(DEFAULT_SHADING)


def _pairs(shipped, share: float, n: int = 4, channels=(1.0, 1.0, 1.0)):
    """n people: a neutral crop (smooth random skin) and a smiling one shaded by share of the map's smile, with
    OpenFace-like AUs; all faces at the map's mean shape scaled to the crop."""
    rng = np.random.default_rng(3)
    points = shipped.mean_points * (CROP / shipped.side)
    a = np.zeros(17, np.float32)
    b = a.copy()
    b[AU_NAMES.index("AU06")], b[AU_NAMES.index("AU12")] = 2.0, 3.0
    crops, aus, pairs = [], [], []
    for k in range(n):
        skin = rng.normal(0, 8, (CROP // 8, CROP // 8, 1)).repeat(8, 0).repeat(8, 1)
        face = np.clip(120 + skin + np.array([30, 0, -20]), 0, 255).astype(np.uint8)
        shading = AuShading(shipped.weights, shipped.mean_points, shipped.triangles, np.float32(channels))
        crops += [face, shade_face(face, points, share * shipped.change(a, b), shading)]
        aus += [a, b]
        pairs.append((2 * k, 2 * k + 1))
    return np.stack(crops), np.repeat(points[None], 2 * n, 0), np.stack(aus), pairs


@pytest.mark.parametrize("share", [0.5, 1.0, 2.0])
def test_real_faces_shaded_by_a_share_of_the_map_read_that_gain(shipped, share):
    crops, points, aus, pairs = _pairs(shipped, share)
    c = compare_shading(crops, points, aus, pairs, shipped)
    assert c.n == 4
    assert c.gain == pytest.approx(share, rel=0.15)
    assert c.correlation > 0.9


def test_unchanged_faces_read_no_gain(shipped):
    crops, points, aus, pairs = _pairs(shipped, 0.0)
    assert abs(compare_shading(crops, points, aus, pairs, shipped).gain) < 0.05


def test_gained_scales_only_the_named_aus(shipped):
    g = gained(shipped, {"AU04": 2.0})
    k = AU_NAMES.index("AU04")
    np.testing.assert_allclose(g.weights[k], 2.0 * shipped.weights[k])
    others = [i for i in range(17) if i != k]
    np.testing.assert_array_equal(g.weights[others], shipped.weights[others])
    assert g.weights is not shipped.weights


@pytest.mark.parametrize("channels", [(1.0, 1.0, 1.0), (0.7, 1.08, 1.5)])
def test_channel_shares_read_the_colour_real_faces_were_shaded_with(shipped, channels):
    channels = np.array(channels) / (np.array([0.299, 0.587, 0.114]) @ np.array(channels))
    crops, points, aus, pairs = _pairs(shipped, 1.0, channels=channels)
    region = compare_shading(crops, points, aus, pairs, shipped).region
    got = channel_shares(crops, points, [(pairs, region)], shipped)
    np.testing.assert_allclose(got, channels, atol=0.05)
    assert float(np.array([0.299, 0.587, 0.114]) @ got) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(channel_shares(crops, points, [([], region)], shipped), np.ones(3))


def test_gained_carries_or_replaces_the_channels(shipped):
    assert gained(shipped, {}).channels is shipped.channels
    np.testing.assert_array_equal(gained(shipped, {}, np.array([0.5, 1.0, 2.0])).channels, [0.5, 1.0, 2.0])

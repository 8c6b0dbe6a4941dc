"""Fitting the mouth interior map (training/mouth_interior.py) on synthetic mouths."""

from __future__ import annotations

import numpy as np

from ganimate.training import mouth_interior as mi
from tests.edit_faces import skin_face
from tests.test_face_mouth import _opened


def test_relative_mouth_is_the_inside_over_the_cheeks_colour():
    from ganimate.face.mouth import skin_colour

    img, p = skin_face()
    p = _opened(p, 10.0)
    img[60:120, 55:105] = (180, 180, 180)  # the mouth's whole box: its inside is uniform
    rel = mi.relative_mouth(img, p)
    assert rel.shape == (*mi.GRID, 3)
    want = np.log(181.0) - np.log(skin_colour(img, p) + 1.0)
    np.testing.assert_allclose(rel[2:-2, 4:-4], np.broadcast_to(want, rel[2:-2, 4:-4].shape), atol=1e-3)


def test_fit_interior_keeps_the_median_per_bin_and_smile_and_pools_a_thin_cell():
    rng = np.random.default_rng(0)
    h, w = mi.GRID
    n = 1200
    openings = rng.uniform(0.06, 0.25, n)
    smiles = rng.integers(0, 2, n)
    mouths = np.zeros((n, h, w, 3), np.float32)
    mouths[smiles == 1] = 0.3  # teeth
    mouths[smiles == 0] = -0.6  # the dark inside
    mouths += rng.normal(0, 0.05, mouths.shape).astype(np.float32)
    mouths[:5] = 9.0  # outliers: the median ignores them
    # the 0.18-0.26 bin gets only a few smiles: its smile map falls back to every mouth of the bin
    thin = (openings >= 0.18) & (smiles == 1)
    smiles[np.flatnonzero(thin)[5:]] = -1
    interior = mi.fit_interior(mouths, openings, smiles)
    assert len(interior.openings) == 3  # bins 0.06-0.12, 0.12-0.18, 0.18-0.26; the wider ones are empty
    np.testing.assert_allclose(interior.maps[:2, 1], 0.3, atol=0.05)
    np.testing.assert_allclose(interior.maps[:, 0], -0.6, atol=0.05)
    np.testing.assert_allclose(interior.maps[2, 1], -0.6, atol=0.1)  # pooled: nearly all speaking
    in_bin = (openings >= 0.06) & (openings < 0.12) & (smiles >= 0)
    assert interior.openings[0] == np.float32(np.median(openings[in_bin]))

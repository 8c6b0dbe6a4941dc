"""Fitting the mouth interior map (training/mouth_interior.py) on synthetic mouths."""

from __future__ import annotations

import numpy as np

from ganimate.training import mouth_interior as mi
from tests.edit_faces import opened_lips, skin_face


def test_relative_mouth_is_the_inside_over_the_cheeks_colour():
    from ganimate.face.mouth import skin_colour

    img, p = skin_face()
    p = opened_lips(p, 10.0)
    img[60:120, 55:105] = (180, 180, 180)  # the mouth's whole box: its inside is uniform
    rel = mi.relative_mouth(img, p)
    assert rel.shape == (*mi.GRID, 3)
    want = np.log(181.0) - np.log(skin_colour(img, p) + 1.0)
    np.testing.assert_allclose(rel[2:-2, 4:-4], np.broadcast_to(want, rel[2:-2, 4:-4].shape), atol=1e-3)


def test_fit_interior_keeps_each_kinds_modal_look_per_bin_and_pools_a_thin_cell():
    rng = np.random.default_rng(0)
    h, w = mi.GRID
    n = 1200
    openings = rng.uniform(0.06, 0.25, n)
    kinds = rng.integers(0, 2, n)
    mouths = np.zeros((n, h, w, 3), np.float32)
    teeth, cavity = np.log(1.3), np.log(0.25)
    mouths[kinds == 1] = teeth
    jaw = np.flatnonzero(kinds == 0)
    mouths[jaw] = cavity  # 40% of the dropped jaws: the modal look
    mouths[jaw[: 3 * len(jaw) // 10]] = teeth  # 30% show teeth, 30% neither: a plain median would be neither
    mouths[jaw[3 * len(jaw) // 10: 6 * len(jaw) // 10]] = np.log(0.65)
    mouths += rng.normal(0, 0.05, mouths.shape).astype(np.float32)
    mouths[:5] = 9.0  # outliers: the median ignores them
    # the 0.18-0.26 bin gets only a few smiles: its smile map is the smiles' median over all bins
    thin = (openings >= 0.18) & (kinds == 1)
    kinds[np.flatnonzero(thin)[5:]] = -1
    interior = mi.fit_interior(mouths, openings, kinds)
    assert len(interior.openings) == 3  # bins 0.06-0.12, 0.12-0.18, 0.18-0.26; the wider ones are empty
    np.testing.assert_allclose(interior.maps[:, 1], teeth, atol=0.05)  # the thin cell too: teeth, not mixed
    # the modal look keeps the cavity alone (the median over all dropped jaws is the look between)
    np.testing.assert_allclose(interior.maps[:, 0], cavity, atol=0.05)
    in_bin = (openings >= 0.06) & (openings < 0.12) & (kinds >= 0)
    assert interior.openings[0] == np.float32(np.median(openings[in_bin]))


def test_modal_look_is_the_commoner_of_dark_and_bright_and_drops_the_middle():
    lum = np.array([0.2, 0.3, 0.7, 1.2, 0.1, np.nan])
    assert mi.modal_look(lum).tolist() == [True, True, False, False, True, False]
    assert mi.modal_look(np.array([1.0, 1.4, 0.2, 0.7])).tolist() == [True, True, False, False]


def test_open_mouths_keeps_parted_lips_only_and_sorts_smiles_from_dropped_jaws():
    openings = np.array([0.2, 0.2, 0.2, 0.03, 0.2, 0.2, 0.2, 0.2])
    au12 = np.array([2.0, 0.3, 1.2, 2.0, 2.0, np.nan, 0.1, 0.2])
    au25 = np.array([2.0, 1.8, 2.0, 3.0, 0.8, 2.0, 2.0, 2.0])  # row 4: a gap between the points, lips not parted
    au26 = np.array([0.0, 1.5, 2.0, 0.0, 2.0, 2.0, 2.0, 0.4])
    heldout = np.array([False, False, False, False, False, False, True, False])
    rows, kinds = mi.open_mouths(openings, au12, au25, au26, heldout)
    assert rows.tolist() == [0, 1, 2, 7]  # 3 too little gap, 4 lips closed, 5 no label, 6 held out
    assert kinds.tolist() == [1, 0, -1, -1]  # 7: lips parted over a jaw that did not drop

"""Reading an image at fractional pixel positions (ganimate/face/sample.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face.sample import read_at


def test_a_plane_is_read_bilinearly_in_the_shape_of_its_points():
    plane = np.arange(20, dtype=np.float32).reshape(4, 5)  # px (x, y) holds 5 y + x
    xy = np.array([[[1.0, 2.0], [1.5, 2.0]], [[1.5, 2.5], [0.0, 0.0]]])
    got = read_at(plane, xy)
    assert got.shape == (2, 2) and got.dtype == np.float32
    assert got[0, 0] == pytest.approx(11.0) and got[0, 1] == pytest.approx(11.5)
    assert got[1, 0] == pytest.approx(14.0) and got[1, 1] == pytest.approx(0.0)


def test_beyond_the_plane_its_edge_or_the_value_given():
    plane = np.full((4, 5), 7.0, np.float32)
    far = np.array([[-10.0, 1.0], [2.0, 40.0]])
    assert np.allclose(read_at(plane, far), 7.0)  # the edge's values
    assert np.allclose(read_at(plane, far, outside=0.0), 0.0)


def test_colour_images_keep_their_channels_and_dtype():
    image = np.zeros((6, 6, 3), np.uint8)
    image[:, :, 0], image[:, :, 2] = 200, 50
    got = read_at(image, np.array([[2.5, 3.5], [0.0, 5.0], [4.0, 1.0]]))
    assert got.shape == (3, 3) and got.dtype == np.uint8
    assert np.array_equal(got, np.tile(np.array([200, 0, 50], np.uint8), (3, 1)))


def test_many_points_read_as_few_and_none_read_as_nothing():
    rng = np.random.default_rng(0)
    plane = rng.random((50, 60)).astype(np.float32)
    xy = rng.uniform(-2.0, 62.0, (9001, 2))  # more than one row of the remap's maps
    many = read_at(plane, xy)
    assert many.shape == (9001,)
    assert np.array_equal(many[8990:], read_at(plane, xy[8990:]))
    assert read_at(plane, np.zeros((0, 2))).shape == (0,)

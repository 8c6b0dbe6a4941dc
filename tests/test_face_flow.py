"""Keeping a warping generator's flow from creasing or folding the face (ganimate/face/flow.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face import flow as ff


def _band_flow(amplitude: float, size: int = 64) -> np.ndarray:
    """A backward flow whose x component steps by `amplitude` px across a band 2-3 px wide at x = 32: the
    determinant is 1 + d flow_x / dx there (a squeeze for amplitude > 0, a fold for amplitude < -2)."""
    xx = np.mgrid[0:size, 0:size][1].astype(np.float32)
    fx = amplitude * 0.5 * (1.0 + np.tanh((xx - 32.0) / 1.0))
    return np.dstack([fx, np.zeros_like(fx)]).astype(np.float32)


def test_the_jacobian_of_a_uniform_or_linear_flow():
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float32)
    np.testing.assert_allclose(ff.flow_jacobian(np.full((32, 32, 2), 3.0, np.float32)), 1.0)
    stretch = np.dstack([np.zeros_like(yy), -0.6 * (yy - 16.0)])  # output y reads input 16 + 0.4 (y - 16)
    np.testing.assert_allclose(ff.flow_jacobian(stretch), 0.4, atol=1e-6)


def test_a_uniform_flow_and_a_stretch_are_left_alone():
    uniform = np.full((64, 64, 2), 2.5, np.float32)
    np.testing.assert_array_equal(ff.unfold_flow(uniform), uniform)
    yy = np.mgrid[0:64, 0:64][0].astype(np.float32)
    opening = np.dstack([np.zeros_like(yy), -0.6 * (yy - 32.0)]).astype(np.float32)  # a mouth opening: 0.4
    np.testing.assert_array_equal(ff.unfold_flow(opening), opening)


def test_a_squeeze_is_relaxed_there_only():
    squeeze = _band_flow(3.0)
    assert ff.flow_jacobian(squeeze).max() > 2.0
    relaxed = ff.unfold_flow(squeeze)
    assert ff.flow_jacobian(relaxed).max() < 1.6
    far = np.abs(np.arange(64) - 32) > 14
    np.testing.assert_allclose(relaxed[:, far], squeeze[:, far], atol=1e-3)  # away from the band: as it was
    assert np.abs(relaxed[:, ~far] - squeeze[:, ~far]).max() > 0.1


def test_a_fold_is_undone():
    fold = _band_flow(-4.0)
    assert ff.flow_jacobian(fold).min() < -0.2
    assert ff.flow_jacobian(ff.unfold_flow(fold)).min() > 0.0


def test_after_flow_reads_the_flow_and_the_maps_where_the_second_warp_points():
    size = 32
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    flow = np.dstack([0.1 * xx, np.zeros_like(xx)]).astype(np.float32)  # a stretch along x
    attention = (xx / size).astype(np.float32)
    colour = np.dstack([yy, yy, yy]).astype(np.float32)
    none = np.zeros((size, size, 2), np.float32)
    same = ff.after_flow(none, flow, attention, colour)
    for got, want in zip(same, (flow, attention, colour), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    shift = np.zeros((size, size, 2), np.float32)
    shift[..., 0], shift[..., 1] = 2.0, 3.0  # output p shows the edit's output at p + (2, 3)
    composed, att, col = ff.after_flow(shift, flow, attention, colour)
    inner = (slice(4, 24), slice(4, 24))
    # one warp from the input: p + (2, 3) + flow(p + (2, 3))
    np.testing.assert_allclose(composed[inner][..., 0], 2.0 + 0.1 * (xx[inner] + 2.0), atol=1e-4)
    np.testing.assert_allclose(composed[inner][..., 1], 3.0, atol=1e-5)
    np.testing.assert_allclose(att[inner], (xx[inner] + 2.0) / size, atol=1e-5)
    np.testing.assert_allclose(col[inner][..., 0], yy[inner] + 3.0, atol=1e-4)


def test_hold_flow_keeps_a_flow_where_it_lands_and_where_it_reads_from():
    from ganimate.face.flow import hold_flow

    flow = np.zeros((32, 32, 2), np.float32)
    flow[..., 0] = -4.0  # each px reads from 4 px to its left: the picture moves right
    hold = np.ones((32, 32), np.float32)
    hold[:, :10] = 0.0  # held on the left (hair)
    out = hold_flow(flow, hold)
    assert np.all(out[:, :10] == 0.0)  # held where it lands
    assert np.all(out[:, 10:14] == 0.0)  # and where it would read the held hair in
    np.testing.assert_array_equal(out[:, 15:], flow[:, 15:])  # whole beyond
    np.testing.assert_array_equal(hold_flow(flow, np.ones((32, 32), np.float32)), flow)

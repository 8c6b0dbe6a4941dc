"""The background beside a face held still while the jaw slides along it (ganimate/face/backdrop.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face import backdrop as fb
from ganimate.face.landmarks import interocular
from tests.edit_faces import synthetic_landmarks

SIZE = 170


def _uniform(fx: float, fy: float) -> np.ndarray:
    return np.dstack([np.full((SIZE, SIZE), fx), np.full((SIZE, SIZE), fy)]).astype(np.float32)


def _beside_jaw(p: np.ndarray, point: int, out: float) -> tuple[int, int]:
    """The crop px `out` inter-ocular distances beyond jaw point `point`, away from the nose tip."""
    away = p[point] - p[30]
    x, y = np.rint(p[point] + out * interocular(p) * away / np.linalg.norm(away)).astype(int)
    return x, y


def _along_and_across(p: np.ndarray, xy: tuple[int, int], flow=(0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors along the jaw line and across it (away from the face) at its nearest point to crop px xy,
    the line carried by a uniform backward flow (px)."""
    near, _ = fb.nearest_on_line(p[:17] - np.asarray(flow), np.array([xy], float))
    across = (np.array(xy, float) - near[0]) / np.linalg.norm(np.array(xy, float) - near[0])
    return np.array([-across[1], across[0]]), across


def test_inside_the_jaw_line_the_flow_is_untouched():
    p = synthetic_landmarks()
    flow = _uniform(1.5, -2.0)
    held = fb.hold_backdrop(p, flow)
    for x, y in (p[30], p[57], p[8] + (0, -3), p[4] + 0.15 * (p[30] - p[4])):
        np.testing.assert_array_equal(held[int(round(y)), int(round(x))], flow[int(round(y)), int(round(x))])


def test_beyond_the_band_the_slide_along_the_jaw_is_taken_off_and_the_move_across_it_kept():
    p = synthetic_landmarks()
    x, y = _beside_jaw(p, 3, 0.18)  # beside the cheek, within the mask (face/mask.GROW)
    along, across = _along_and_across(p, (x, y), (0.0, 3.0))
    down = fb.hold_backdrop(p, _uniform(0.0, 3.0))[y, x]  # a jaw dropping: mostly a slide along the line here
    assert abs(3.0 * along[1]) > 2.0  # (the slide the flow had)
    assert abs(down @ along) < 1e-4
    np.testing.assert_allclose(down, 3.0 * across[1] * across, atol=1e-5)
    _, across = _along_and_across(p, (x, y), 2.0 * across)
    widening = _uniform(*(2.0 * across))  # a cheek widening: across the line (the line carried with it)
    assert fb.hold_backdrop(p, widening)[y, x] @ across > 0.99 * 2.0


def test_the_hold_fades_in_over_the_band_and_not_above_the_jaws_ends():
    p = synthetic_landmarks()
    down = fb.hold_backdrop(p, _uniform(0.0, 3.0))
    slides = []
    for out in (0.02, 0.05, 0.18):
        x, y = _beside_jaw(p, 3, out)
        slides.append(abs(down[y, x] @ _along_and_across(p, (x, y), (0.0, 3.0))[0]))
    assert slides[0] > slides[1] > slides[2]
    above = np.rint(p[0] + (4.0, -15.0)).astype(int)  # the temple, above the jaw's first point
    np.testing.assert_allclose(down[above[1], above[0]], (0.0, 3.0), atol=1e-6)


def test_the_jaw_line_is_where_the_flow_carries_it():
    p = synthetic_landmarks()
    flow = _uniform(2.0, -6.0)  # backward: the face moved 6 px down and 2 px left
    held = fb.hold_backdrop(p, flow)
    x, y = np.rint(p[8] + (0.0, 3.0)).astype(int)  # under the input's chin, inside the carried one
    np.testing.assert_array_equal(held[y, x], flow[y, x])
    # the same flow read about a jaw that stays put holds that px partly
    assert not np.array_equal(fb.hold_backdrop(p, _uniform(2.0, 0.0))[y, x], (2.0, 0.0))

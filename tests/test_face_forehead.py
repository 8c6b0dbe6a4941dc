"""Where the forehead ends above the brows: hair or a hat stays (ganimate/face/forehead.py)."""

from __future__ import annotations

import numpy as np

from ganimate.face import forehead as fh
from ganimate.face import frown as ff
from ganimate.face.align import crop_transform, transform_points
from ganimate.face.landmarks import five_points
from tests.edit_faces import synthetic_landmarks
from tests.test_face_brows import _face_with_brows

HAT = (30, 30, 40)


def _face(points: np.ndarray, hat_above: float | None) -> np.ndarray:
    """Skin with dark brows; with hat_above, a dark hat from that many px above the brows' highest point up."""
    img = _face_with_brows(points, below=6.0)
    if hat_above is not None:
        img[: int(round(points[17:27, 1].min() - hat_above))] = HAT
    return img


def _reach_above_brows(reach: fh.Reach, points: np.ndarray) -> np.ndarray:
    """px above the brows' line where each inner column's forehead ends (columns between the brows' ends)."""
    top = np.interp(reach.s, reach.brow_s, reach.brow_v)
    inside = (reach.s >= reach.brow_s.min()) & (reach.s <= reach.brow_s.max())
    return (top - reach.v)[inside]


def test_bare_forehead_has_no_reach_and_a_hat_is_found_where_it_starts():
    p = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    iod = np.linalg.norm(p[45] - p[36])
    assert fh.read_reach(_face(p, None), p) is None  # skin up to the search's top: nothing held
    assert fh.read_reach(_face(p, 0.5 * fh.SEARCH * iod), p) is not None
    for above in (0.2 * iod, 0.4 * iod):
        reach = fh.read_reach(_face(p, above), p)
        found = _reach_above_brows(reach, p)
        # the brows' line runs through their points, the hat's edge is level over the highest one
        brows_span = p[17:27, 1].max() - p[17:27, 1].min()
        assert np.all(found >= above - 2.0) and np.all(found <= above + brows_span + 2.0)


def test_a_highlight_on_the_forehead_is_not_a_hat():
    p = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    img = _face(p, None)
    iod = np.linalg.norm(p[45] - p[36])
    band = slice(int(p[17:27, 1].min() - 0.4 * iod), int(p[17:27, 1].min() - 0.2 * iod))
    img[band] = np.rint(img[band] + 0.5 * (255.0 - img[band])).astype(np.uint8)  # shine: CIELAB 19 from the skin
    assert fh.read_reach(img, p) is None


def test_hold_is_whole_below_the_reach_and_nothing_above_it():
    p = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    iod = np.linalg.norm(p[45] - p[36])
    reach = fh.read_reach(_face(p, 0.3 * iod), p)
    x = np.full(4, p[19:25, 0].mean())
    hat_edge = p[17:27, 1].min() - 0.3 * iod
    y = np.array([p[30, 1], p[17:27, 1].min() - 0.5, hat_edge + (fh.FADE + 0.1) * iod, hat_edge - 3.0])
    hold = fh.hold_at(reach, x, y)
    np.testing.assert_allclose(hold[:3], 1.0)  # the nose, the brows and the skin well below the hat move whole
    assert hold[3] == 0.0  # the hat stays


def test_hold_in_crop_reads_the_frame_hold_through_the_crop():
    p = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    iod = np.linalg.norm(p[45] - p[36])
    reach = fh.read_reach(_face(p, 0.3 * iod), p)
    matrix = crop_transform(five_points(p), 128)
    crop_hold = fh.hold_in_crop(reach, matrix, 128)
    assert crop_hold.shape == (128, 128) and crop_hold.dtype == np.float32
    nose, hat = transform_points(matrix, np.array([p[30], [p[27, 0], p[17:27, 1].min() - 0.5 * iod]]))
    assert crop_hold[int(nose[1]), int(nose[0])] == 1.0
    assert crop_hold[int(hat[1]), int(hat[0])] == 0.0


def test_the_frown_slides_the_brows_but_not_a_hat_above_them():
    p = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    iod = np.linalg.norm(p[45] - p[36])
    img = _face(p, 0.2 * iod)
    reach = fh.read_reach(img, p)
    free, held = ff.lower_brows(img, p, 0.05), ff.lower_brows(img, p, 0.05, reach)
    x = int(round(p[21:23, 0].mean()))  # between the inner brows, where the drop is largest

    def hat_rows(im: np.ndarray) -> int:
        return int((np.abs(im[:, x].astype(int) - HAT).sum(1) < 10).sum())

    def brow_top(im: np.ndarray, c: int) -> int:  # the first dark row of column c below the hat
        y0 = int(p[17:27, 1].min() - 0.1 * iod)
        return y0 + int(np.argmax(im[y0:, c].astype(int).sum(1) < 300))

    assert hat_rows(free) > hat_rows(img)  # without the reach the hat's edge is dragged down
    assert hat_rows(held) == hat_rows(img)
    for c in (int(round(p[20, 0])), int(round(p[23, 0]))):  # the brows still come down
        assert brow_top(held, c) > brow_top(img, c)


def test_a_face_cut_off_at_the_frames_top_or_too_small_is_read_without_error():
    p = synthetic_landmarks(centre=(150.0, 60.0), scale=2.0)  # brows ~ 8 px from the top: the search runs off it
    img = _face(p, None)
    reach = fh.read_reach(img, p)
    if reach is not None:  # the frame's edge, replicated, may read as the forehead's end; the brows still move
        assert np.all(fh.hold_at(reach, p[17:27, 0], p[17:27, 1]) == 1.0)
    tiny = synthetic_landmarks(centre=(20.0, 20.0), scale=0.1)  # eyes ~ 5 px apart
    assert fh.read_reach(np.zeros((40, 40, 3), np.uint8), tiny) is None

"""Glare on glasses kept still while the face behind the lenses moves (ganimate/face/glare.py, render.edit_face)."""

from __future__ import annotations

import numpy as np

from ganimate.face import glare as gr
from ganimate.face import glasses as gl
from ganimate.face.landmarks import interocular
from tests.test_face_glasses import _face, _lifting_edit

GLARE = np.array((235, 238, 242), np.float64)


def _with_glare(img: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(img with a soft grey-white highlight on the left lens between eye and brow, bool HxW where it is strong)."""
    iod = float(interocular(p))
    centre = p[36:42].mean(0) + (0.05 * iod, -0.17 * iod)
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]]
    share = np.exp(-0.5 * (((xx - centre[0]) / (0.08 * iod)) ** 2 + ((yy - centre[1]) / (0.04 * iod)) ** 2))
    out = img.astype(np.float64) + share[..., None] * (GLARE - img)
    return np.clip(np.round(out), 0, 255).astype(np.uint8), share > 0.5


def test_glare_is_read_on_a_face_wearing_glasses_and_not_on_bare_skin():
    img, p, _ = _face()
    shone, spot = _with_glare(img, p)
    glare = gr.read_glare(shone, p)
    assert glare is not None
    layer = np.zeros(img.shape, np.float32)
    x0, y0, x1, y1 = glare.box
    layer[y0:y1, x0:x1] = glare.layer
    assert layer[spot].mean() > 40  # most of the highlight's light over the skin
    far = np.ones(img.shape[:2], bool)
    far[np.nonzero(spot)[0].min() - 12: np.nonzero(spot)[0].max() + 12,
        np.nonzero(spot)[1].min() - 16: np.nonzero(spot)[1].max() + 16] = False
    assert layer[far].max() < 8  # and nothing of the face or the eyes beyond it
    assert gr.read_glare(img, p) is None  # glasses without glare
    bare, q, _ = _face(wears=False)
    assert gr.read_glare(_with_glare(bare, q)[0], q) is None  # a bright spot on bare skin is the skin's own


def test_glare_taken_off_and_added_back_over_an_untouched_frame_is_exact():
    img, p, _ = _face()
    shone, spot = _with_glare(img, p)
    glare = gr.read_glare(shone, p)
    hidden = gr.hide_glare(shone, glare)
    lum = hidden.astype(np.float64) @ (0.299, 0.587, 0.114)
    assert lum[spot].mean() < 200  # taken off, the highlight is mostly skin
    assert np.array_equal(gr.restore_glare(hidden, hidden, shone, glare), shone)


def test_edit_face_keeps_the_glare_still_while_the_skin_behind_it_moves():
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.landmarks import five_points
    from ganimate.pipeline.render import FaceTouch, edit_face

    img, p, _ = _face()
    shone, spot = _with_glare(img, p)
    crop, matrix = warp_face_by_landmarks(shone, five_points(p), 128)
    edit = _lifting_edit(p, matrix, px=2.5)
    rims = gl.read_rims(shone, p)[0]
    mask = np.ones((128, 128), np.float32)

    def bright(out: np.ndarray) -> np.ndarray:  # rows of the highlight's px in the output
        return np.nonzero(out.astype(np.float64) @ (0.299, 0.587, 0.114) > 225)[0]

    def bright_rows(out: np.ndarray) -> float:
        return float(bright(out).mean())

    moved = edit_face(shone, crop, matrix, edit, mask, FaceTouch(p, rims=rims))
    kept = edit_face(shone, crop, matrix, edit, mask, FaceTouch(p, rims=rims, glare=gr.read_glare(shone, p)))
    before = bright_rows(shone)
    assert before - bright_rows(moved) > 2  # the flow lifted the highlight with the skin
    assert abs(bright_rows(kept) - before) < 0.5  # held, it stays where it was
    assert 0.75 < len(bright(kept)) / len(bright(shone)) < 1.25  # and keeps its size


def test_a_shining_rim_is_no_glare_when_the_glare_is_read_with_the_rims_painted_out():
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.landmarks import five_points
    from ganimate.pipeline.render import FaceTouch, edit_face

    img, p, drawn = _face()
    img[drawn] = (225, 225, 230)  # metal rims shine
    shone, spot = _with_glare(img, p)
    rims = gl.read_rims(shone, p)[0]
    assert rims is not None
    crop, matrix = warp_face_by_landmarks(shone, five_points(p), 128)
    edit = _lifting_edit(p, matrix, px=2.5)
    mask = np.ones((128, 128), np.float32)
    moved = edit_face(shone, crop, matrix, edit, mask, FaceTouch(p, rims=rims))
    glare = gr.read_glare(gl.hide_rims(shone, rims), p, worn=True)
    kept = edit_face(shone, crop, matrix, edit, mask, FaceTouch(p, rims=rims, glare=glare))
    lum = (0.299, 0.587, 0.114)
    darker = (kept.astype(np.float64) @ lum) - (moved.astype(np.float64) @ lum) < -25
    rows, cols = np.nonzero(spot)
    darker[rows.min() - 10: rows.max() + 10, cols.min() - 10: cols.max() + 10] = False  # the held highlight itself
    # read on the frame with its rims, the rims' light was taken off the skin painted under them: a dark trace
    # of the rims moved with the skin (300 px darker by 25 grey levels)
    assert darker.sum() < 3

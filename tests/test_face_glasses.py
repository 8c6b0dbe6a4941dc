"""Glasses kept still while the face behind them moves (ganimate/face/glasses.py, render.edit_face)."""

from __future__ import annotations

import cv2
import numpy as np

from ganimate.face import glasses as gl
from ganimate.face.landmarks import interocular
from tests.edit_faces import synthetic_landmarks

SKIN, DARK, RIM = (205, 150, 120), (60, 45, 40), (40, 40, 45)


def _face(scale: float = 2.0, wears: bool = True, size: int = 320) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(uint8 RGB face with eyes, brows and, if wears, round glasses drawn a px thick; its 68 points; bool HxW the
    drawn rims and bridge)."""
    rng = np.random.default_rng(0)
    c = size / 2.0
    p = synthetic_landmarks(centre=(c, c + 4 * scale), scale=scale)
    img = np.full((size, size, 3), 90, np.uint8)
    cv2.ellipse(img, (int(c), int(c + 4 * scale)), (int(44 * scale), int(56 * scale)), 0, 0, 360, SKIN, -1)
    for eye in (p[36:42], p[42:48]):
        cv2.fillConvexPoly(img, np.round(eye).astype(np.int32), DARK)
    for brow in (p[17:22], p[22:27]):
        cv2.polylines(img, [np.round(brow).astype(np.int32)], False, DARK, max(int(3 * scale), 1))
    drawn = np.zeros((size, size), np.uint8)
    if wears:
        iod = interocular(p)
        ends = []
        for eye in (p[36:42], p[42:48]):
            centre = eye.mean(0) + (0.0, 0.04 * iod)
            axes = (int(0.27 * iod), int(0.19 * iod))
            cv2.ellipse(drawn, (int(centre[0]), int(centre[1])), axes, 0, 0, 360, 1, 1)
            ends.append(centre[0] + (axes[0] if centre[0] < c else -axes[0]))
        y = int(round(p[27, 1] + 0.02 * iod))
        cv2.line(drawn, (int(ends[0]), y), (int(ends[1]), y), 1, 1)
        img[drawn > 0] = RIM
    noisy = np.clip(img.astype(np.float64) + rng.normal(0, 2.0, img.shape), 0, 255)
    return noisy.astype(np.uint8), p, drawn > 0


def _rims_in_frame(rims: gl.Rims, shape: tuple[int, ...]) -> np.ndarray:
    full = np.zeros(shape[:2], bool)
    x0, y0, x1, y1 = rims.box
    full[y0:y1, x0:x1] = rims.mask > 0
    return full


def test_glasses_are_found_where_they_are_drawn_and_not_on_a_bare_face():
    img, p, drawn = _face()
    rims, _ = gl.read_rims(img, p)
    assert rims is not None
    mask = _rims_in_frame(rims, img.shape)
    assert mask[drawn].mean() > 0.85  # the rims and the bridge are covered
    near = cv2.dilate(drawn.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert mask[~near].sum() < 0.2 * mask.sum()  # and little else: no eye, no brow
    bare, q, _ = _face(wears=False)
    assert gl.read_rims(bare, q) == (None, None)


def test_a_face_too_small_for_its_rims_is_left_alone_unless_it_was_found_wearing_them_a_little_larger():
    img, p, _ = _face(scale=1.2, size=200)
    assert gl.KNOWN_IOD < interocular(p) < gl.MIN_IOD
    assert gl.read_rims(img, p) == (None, None)
    _, lenses = gl.read_rims(*_face()[:2])
    rims, kept = gl.read_rims(img, p, lenses)  # the same face a frame later, a little farther away
    assert rims is not None and kept is not None
    tiny, q, _ = _face(scale=1.0, size=160)
    assert interocular(q) < gl.KNOWN_IOD and gl.read_rims(tiny, q, lenses) == (None, None)


def test_hidden_rims_are_painted_out_and_restored_exactly_over_an_edit():
    img, p, drawn = _face()
    rims, _ = gl.read_rims(img, p)
    hidden = gl.hide_rims(img, rims)
    mask = _rims_in_frame(rims, img.shape)
    assert np.array_equal(hidden[~mask], img[~mask])  # only the rims are painted
    lum = hidden.astype(np.float64) @ (0.299, 0.587, 0.114)
    assert lum[drawn & mask].mean() > 100  # skin, not the dark rim
    edited = hidden.copy()
    edited[::2] = 255  # any edit
    back = gl.restore_rims(edited, img, rims)
    assert np.array_equal(back[mask], img[mask])
    x0, y0, x1, y1 = rims.box
    outside = np.ones(img.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(back[outside], edited[outside])


def _lifting_edit(points: np.ndarray, matrix: np.ndarray, size: int = 128, px: float = 4.0):
    """A CropEdit whose backward flow lifts everything above the nose's tip by px crop px (raised brows)."""
    from ganimate.face.align import transform_points
    from ganimate.infer.generator import CropEdit

    tip = transform_points(matrix, points[[30]])[0]
    yy, _ = np.mgrid[0:size, 0:size].astype(np.float32)
    up = np.clip((tip[1] - yy) / 8.0, 0.0, 1.0) * px
    flow = np.dstack([np.zeros_like(up), up]).astype(np.float32)
    ones = np.ones((size, size), np.float32)
    return CropEdit(np.zeros((size, size, 3), np.float32), ones, np.zeros((size, size, 3), np.float32), flow)


def test_edit_face_keeps_the_rims_it_is_given_still_and_moves_the_rest():
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.landmarks import five_points
    from ganimate.pipeline.render import FaceTouch, edit_face

    img, p, drawn = _face()
    crop, matrix = warp_face_by_landmarks(img, five_points(p), 128)
    mask = np.ones((128, 128), np.float32)
    edit = _lifting_edit(p, matrix)
    moved = edit_face(img, crop, matrix, edit, mask, FaceTouch(p))
    kept = edit_face(img, crop, matrix, edit, mask, FaceTouch(p, rims=gl.read_rims(img, p)[0]))
    assert np.abs(moved[drawn].astype(int) - img[drawn]).mean() > 20  # the flow moved the rims
    assert np.array_equal(kept[drawn], img[drawn])  # held, they stay as they were
    # farther from the rims than the flow carries (what it carries from them was painted out) the face moves as
    # without them: the brows still rise
    reach = 2 * int(np.ceil(4.0 * abs(matrix[0, 0]) ** -1)) + 7  # the flow's 4 crop px in frame px, and a margin
    near = cv2.dilate(drawn.astype(np.uint8), np.ones((reach, reach), np.uint8)) > 0
    above = np.zeros(img.shape[:2], bool)
    above[: int(p[17:27, 1].max()) + 2] = True
    assert np.abs(moved[above].astype(int) - img[above]).max() > 100  # the flow moved the brows
    assert np.array_equal(kept[above & ~near], moved[above & ~near])


def _without_bridge(img: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The face with its glasses' bridge painted over with skin (a bowed head hides it)."""
    out = img.copy()
    iod = interocular(p)
    x0, x1 = int(p[27, 0] - 0.05 * iod), int(p[27, 0] + 0.05 * iod) + 1  # between the lenses
    y0, y1 = int(p[27, 1] - 0.3 * iod), int(p[29, 1] + 2)
    out[y0:y1, x0:x1] = SKIN
    return out


def test_a_face_found_wearing_glasses_keeps_them_where_its_bridge_is_hidden():
    img, p, drawn = _face()
    rims, lenses = gl.read_rims(img, p)
    assert rims is not None
    hidden = _without_bridge(img, p)
    assert gl.read_rims(hidden, p) == (None, None)  # on its own, no bridge: no glasses
    again, kept = gl.read_rims(hidden, p, lenses)
    assert again is not None and kept is not None
    full = _rims_in_frame(again, img.shape)
    lens_px = drawn & (_without_bridge(drawn.astype(np.uint8)[..., None].repeat(3, 2) * 255, p)[..., 0] > 0)
    assert full[lens_px].mean() > 0.8  # the lenses are still traced
    bare, q, _ = _face(wears=False)
    assert gl.read_rims(bare, q, lenses) == (None, None)  # a face without them is not given any


def test_edited_frames_keeps_each_tracks_glasses_from_frame_to_frame():
    """Frame 1 shows the bridge, frame 2 hides it: the track found wearing glasses keeps them; with --no-glasses
    nothing is looked for."""
    from ganimate.config import CropConfig
    from ganimate.face.align import transform_points
    from ganimate.face.landmarks import five_points
    from ganimate.face.types import Face
    from ganimate.pipeline import render
    from ganimate.pipeline.faces import cut_face
    from ganimate.video.reader import VideoFrame

    img, p, _ = _face()
    five = five_points(p).astype(np.float32)
    face = Face(np.array([0, 0, 320, 320], np.float32), five, 1.0)
    frames = [img, _without_bridge(img, p)]
    crops = [cut_face(f, 3, face, CropConfig(size=128), None) for f in frames]
    lm_matrix = render.cut_for_landmarks(img, five, crops[0].crop, crops[0].matrix, 128)[1]

    class Marks:  # the landmark model, reading the drawn face's own points
        size = 128

        def locate(self, batch, mirror=False):
            return np.repeat(transform_points(lm_matrix, p)[None], len(batch), axis=0)

    class Lifting:  # a warping generator that lifts the whole crop by 3 px
        size = 128

        def edit_maps(self, batch, targets, sources=None):
            flow = np.zeros((128, 128, 2), np.float32)
            flow[..., 1] = 3.0
            ones = np.ones((128, 128), np.float32)
            return [CropEdit(np.zeros((128, 128, 3), np.float32), ones, np.zeros((128, 128, 3), np.float32), flow)
                    for _ in batch]

    from ganimate.infer.generator import CropEdit

    seen, original = [], render.edit_face

    def recorded(image, crop, matrix, edit, mask, touch, finish, bare=None):
        seen.append(touch.rims is not None)
        return original(image, crop, matrix, edit, mask, touch, finish, bare)

    zeros = np.zeros((1, 17), np.float32)
    stream = [(VideoFrame(index=i, time=i / 25, pts=None, time_base=None, image=f), [c], zeros, zeros)
              for i, (f, c) in enumerate(zip(frames, crops, strict=True))]
    render.edit_face, saved = recorded, render.edit_face
    try:
        list(render.edited_frames(stream, Lifting(), 1, {}, Marks(), glasses=True))
        assert seen == [True, True]
        seen.clear()
        list(render.edited_frames(stream, Lifting(), 1, {}, Marks(), glasses=False))
        assert seen == [False, False]
    finally:
        render.edit_face = saved


def test_a_rim_traced_near_an_eye_does_not_snap_onto_its_lid():
    # a lens outline passing just above an eye, its rim a weak line, the eye's lid a strong one beside it: laid
    # back over a closed lid, a rim that took the lid kept that eye open
    size = 320
    p = synthetic_landmarks(centre=(size / 2.0, size / 2.0), scale=2.0)
    iod = float(interocular(p))
    _, down = gl.eye_axes(p)
    top_lid = p[[37, 38, 43, 44]].mean(0) @ down - p[36:48].mean(0) @ down  # the upper lids over the eyes' middle
    half_height = 0.2
    downward = (top_lid - 0.035 * iod) / iod + half_height  # the outline's top 0.035 iod above the upper lids
    lenses = gl.Lenses(np.array([[2.0, 0.27, half_height, 0.0, downward]] * 2), 10.0)
    ridges = np.zeros((size, size), np.float32)
    for outline in gl.lens_outlines(p, lenses.params[None], 180)[0]:
        cv2.polylines(ridges, [np.round(outline).astype(np.int32)], True, 15.0, 1)
    for lid in (p[36:40], p[42:46]):
        cv2.polylines(ridges, [np.round(lid).astype(np.int32)], False, 40.0, 1)
    mask = gl.trace_rims(ridges, p, lenses, float(p[27, 1])) > 0
    eyes = gl.eye_guard(ridges.shape, p, gl.EYE_GUARD) > 0
    assert not mask[eyes].any()
    drawn = np.zeros((size, size), np.uint8)
    for outline in gl.lens_outlines(p, lenses.params[None], 180)[0]:
        cv2.polylines(drawn, [np.round(outline).astype(np.int32)], True, 1, 1)
    wide = gl.eye_guard(ridges.shape, p, gl.EYE_GUARD + gl.TRACE_GUARD) > 0
    assert mask[(drawn > 0) & ~wide].mean() > 0.9  # the rims themselves are traced wherever they leave the eyes

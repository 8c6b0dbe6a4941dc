"""One face's edit into its frame: the warping generator's flow applied at the frame's resolution."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")  # the test model is exported here

from ganimate.face.align import transform_points, warp_face_by_landmarks  # noqa: E402
from ganimate.face.paste import make_feather_mask  # noqa: E402
from ganimate.infer.generator import Generator  # noqa: E402
from ganimate.pipeline.render import paste_edit  # noqa: E402


def test_a_warping_generator_moves_the_frames_pixels_and_leaves_the_rest(tmp_path):
    from ganimate.export.generator import build_random_warp_generator_onnx

    path = build_random_warp_generator_onnx(tmp_path / "warp.onnx", size=64, flow_px=(2.0, 0.0))
    gen = Generator(path, backend="onnxruntime")
    assert gen.warp
    rng = np.random.default_rng(0)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8), (0, 0), 2.0)
    five = np.array([[170, 130], [230, 130], [200, 160], [178, 190], [222, 190]], np.float64)
    crop, matrix = warp_face_by_landmarks(frame, five, gen.size)
    edit = gen.edit_maps(crop[None], np.zeros((1, 17)))[0]
    np.testing.assert_allclose(edit.flow[..., 0], 2.0, atol=1e-4)
    assert edit.attention.min() > 0.999
    out = paste_edit(frame, crop, matrix, edit, np.ones((64, 64), np.float32))
    # the crop spans ~194 frame px for 64 crop px: the face's pixels come from ~6 px to the right
    scale = 1.0 / np.sqrt(abs(np.linalg.det(matrix[:, :2])))
    shift = int(round(2.0 * scale))
    centre = out[150:170, 190:210].astype(int)
    assert np.abs(centre - frame[150:170, 190 + shift:210 + shift].astype(int)).mean() < 2.0
    assert np.abs(centre - frame[150:170, 190:210].astype(int)).mean() > 5.0
    far = paste_edit(frame, crop, matrix, edit, make_feather_mask(64))
    np.testing.assert_array_equal(far[:20], frame[:20])  # outside the face: bit-exact


def _astronaut_setup(astronaut, tmp_path, flow_px, mirror=False):
    """A 64 px random warping generator, the astronaut's face cut for it, and the landmark model's 68 points
    read on its own crop (float (68, 2), landmark-crop px) with that crop's frame -> crop matrix."""
    from ganimate.config import CropConfig, DetectConfig
    from ganimate.export.generator import build_random_warp_generator_onnx
    from ganimate.face.detect import FaceDetector
    from ganimate.infer.landmarks import LandmarkEstimator
    from ganimate.pipeline.faces import cut_face
    from ganimate.pipeline.render import cut_for_landmarks

    gen = Generator(build_random_warp_generator_onnx(tmp_path / "warp.onnx", size=64, flow_px=flow_px),
                    backend="onnxruntime")
    marks = LandmarkEstimator.load(None, backend="onnxruntime", threads=1)
    face = FaceDetector(DetectConfig()).detect(astronaut)[0]
    crop = cut_face(astronaut, 0, face, CropConfig(size=64), None)
    lm_crop, lm_matrix = cut_for_landmarks(astronaut, crop.face.landmarks, crop.crop, crop.matrix, marks.size)
    assert lm_crop.shape == (128, 128, 3)  # the generator's 64 px crop is not the landmark model's: cut anew
    return gen, crop, marks.locate(lm_crop[None], mirror=mirror)[0], lm_matrix

class _Counted:
    """A generator that records each call's number of crops and its sources, then runs the one it wraps."""

    def __init__(self, generator):
        self.generator, self.size, self.crops, self.sources = generator, generator.size, [], []

    def edit_maps(self, crops, targets, sources=None):
        self.crops.append(len(crops))
        self.sources.append(sources)
        return self.generator.edit_maps(crops, targets, sources)



def test_the_outline_mask_keeps_every_pixel_beyond_the_face_exact(astronaut, tmp_path):
    from ganimate.face.align import invert_transform, transform_points
    from ganimate.face.mask import outline_points
    from ganimate.pipeline.render import face_mask

    gen, crop, points, lm_matrix = _astronaut_setup(astronaut, tmp_path, (3.0, 0.0))
    ellipse = make_feather_mask(gen.size)
    mask = face_mask(transform_points(invert_transform(lm_matrix), points), crop.matrix, ellipse)
    assert (mask <= ellipse).all() and (mask < ellipse).sum() > 50  # the outline only takes away
    edit = gen.edit_maps(crop.crop[None], np.zeros((1, 17)))[0]
    out = paste_edit(astronaut, crop.crop, crop.matrix, edit, mask)
    changed = np.any(out != astronaut, axis=2)
    assert changed.sum() > 2000
    # the outline in frame px: nothing changed beyond it (the mask is read bilinearly from the 64 px crop:
    # up to two crop pixels of spread with the outline's rasterisation, ~4 frame px here)
    crop_px = 1.0 / np.sqrt(abs(np.linalg.det(crop.matrix[:, :2])))
    outline = transform_points(invert_transform(lm_matrix), outline_points(points)).astype(np.float32)
    hull = cv2.convexHull(outline)
    ys, xs = np.nonzero(changed)
    depth = [cv2.pointPolygonTest(hull, (float(x), float(y)), True) for x, y in zip(xs, ys, strict=True)]
    assert min(depth) > -2 * crop_px


def test_advect_points_finds_where_the_flow_carried_a_point():
    from ganimate.face.align import crop_transform, invert_transform, transform_points
    from ganimate.face.paste import advect_points

    five = np.array([[170, 130], [230, 130], [200, 160], [178, 190], [222, 190]], np.float64)
    matrix = crop_transform(five, 64)
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    # a smooth backward flow that pulls the crop's middle down: output p shows the input at p + flow(p)
    flow = np.dstack([np.zeros_like(xx), -3.0 * np.exp(-((xx - 32) ** 2 + (yy - 30) ** 2) / 200.0)])
    points = transform_points(invert_transform(matrix), np.array([[32.0, 30.0], [5.0, 5.0]]))
    moved = advect_points(points, flow, matrix)
    # a point of the input shows up where output + flow(output) lands on it
    back = transform_points(matrix, moved)
    f = np.array([flow[int(round(y)), int(round(x))] for x, y in back])
    np.testing.assert_allclose(back + f, transform_points(matrix, points), atol=0.1)
    assert transform_points(matrix, moved)[0, 1] > 32.0  # pulled from above: the point moves down
    np.testing.assert_allclose(moved[1], points[1], atol=0.05)  # where the flow is ~0 nothing moves


def test_edit_face_closes_the_lids_after_the_paste_and_only_with_a_closure(astronaut, tmp_path):
    from ganimate.face.align import invert_transform, transform_points
    from ganimate.pipeline.render import FaceTouch, edit_face

    gen, crop, read, lm_matrix = _astronaut_setup(astronaut, tmp_path, (0.0, 0.0), mirror=True)
    points = transform_points(invert_transform(lm_matrix), read)
    edit = gen.edit_maps(crop.crop[None], np.zeros((1, 17)))[0]
    mask = make_feather_mask(64)
    pasted = paste_edit(astronaut, crop.crop, crop.matrix, edit, mask)
    np.testing.assert_array_equal(edit_face(astronaut, crop.crop, crop.matrix, edit, mask, FaceTouch(points, 0.0)),
                                  pasted)
    closed = edit_face(astronaut, crop.crop, crop.matrix, edit, mask, FaceTouch(points, 1.0))
    changed = np.any(closed != pasted, axis=2)
    ys, xs = np.nonzero(changed)
    eyes = points[36:48]
    assert changed.sum() > 200
    assert ys.min() >= eyes[:, 1].min() - 25 and ys.max() <= eyes[:, 1].max() + 25  # only around the eyes


def test_edit_face_shades_the_face_only_with_a_change(astronaut, tmp_path):
    from ganimate.face.align import invert_transform, transform_points
    from ganimate.face.shading import extend_points
    from ganimate.pipeline.context import load_shading
    from ganimate.pipeline.render import FaceTouch, Finish, edit_face

    shading = load_shading()
    gen, crop, read, lm_matrix = _astronaut_setup(astronaut, tmp_path, (0.0, 0.0))
    points = transform_points(invert_transform(lm_matrix), read)
    edit = gen.edit_maps(crop.crop[None], np.zeros((1, 17)))[0]
    mask = make_feather_mask(64)
    pasted = paste_edit(astronaut, crop.crop, crop.matrix, edit, mask)
    zero = np.zeros((shading.side, shading.side), np.float32)
    np.testing.assert_array_equal(edit_face(astronaut, crop.crop, crop.matrix, edit, mask,
                                            FaceTouch(points, 0.0, zero), Finish(shading)), pasted)
    smile = np.zeros(17, np.float32)
    from ganimate.au.names import AU_NAMES

    smile[AU_NAMES.index("AU06")], smile[AU_NAMES.index("AU12")] = 2.0, 3.0
    shaded = edit_face(astronaut, crop.crop, crop.matrix, edit, mask,
                       FaceTouch(points, 0.0, shading.change(np.zeros(17), smile)), Finish(shading))
    changed = np.any(shaded != pasted, axis=2)
    ys, xs = np.nonzero(changed)
    ext = extend_points(points)
    assert changed.sum() > 500
    assert xs.min() >= ext[:, 0].min() - 2 and xs.max() <= ext[:, 0].max() + 2
    assert ys.min() >= ext[:, 1].min() - 2 and ys.max() <= ext[:, 1].max() + 2


def test_with_the_ellipse_mask_the_landmarks_are_read_only_where_a_face_is_shaded_may_open_or_drops_its_jaw(
        astronaut, tmp_path):
    from ganimate.au.names import AU_NAMES
    from ganimate.infer.landmarks import LandmarkEstimator
    from ganimate.pipeline.context import load_mouth, load_shading
    from ganimate.pipeline.render import Finish, edited_frames
    from ganimate.video.reader import VideoFrame

    gen, crop, _, _ = _astronaut_setup(astronaut, tmp_path, (0.0, 0.0))
    marks = LandmarkEstimator.load(None, backend="onnxruntime", threads=1)
    calls = []

    class Counted:
        size = marks.size

        def locate(self, crops, mirror=False):
            calls.append(len(crops))
            return marks.locate(crops, mirror=mirror)

    frame = VideoFrame(index=0, time=0.0, pts=None, time_base=None, image=astronaut)
    smile = np.zeros((1, 17), np.float32)
    smile[0, AU_NAMES.index("AU12")] = 3.0
    jaw = np.zeros((1, 17), np.float32)
    jaw[0, AU_NAMES.index("AU26")] = 3.0
    shading, mouth = Finish(shading=load_shading()), Finish(mouth=load_mouth())
    still = np.zeros((1, 17), np.float32)
    # a jaw that drops takes its chin along (face/chin.py) whatever the finish, a closed-lip smile that rises keeps
    # its lips to real lips' area (face/lip_area.py); a smile that falls, unshaded, reads nothing
    for target, source, finish, reads in ((still, still, shading, 0), (smile, still, shading, 1),
                                          (jaw, still, shading, 1), (smile, still, mouth, 1), (still, smile, mouth, 0),
                                          (jaw, still, mouth, 1), (jaw, still, Finish(), 1),
                                          (still, still, Finish(), 0)):
        calls.clear()
        stream = [(frame, [crop], target, source)]
        out = list(edited_frames(stream, gen, 4, {}, Counted(), outline=False, finish=finish))
        assert len(out) == 1 and len(calls) == reads


def _mouth_opening_edit(points: np.ndarray, matrix: np.ndarray, size: int = 64, stretch: float = 0.6):
    """A CropEdit whose backward flow stretches the crop vertically about the mouth's seam (points float (68, 2)
    frame px; matrix frame -> crop), near the mouth only: the lips part; attention 1 (the face's own pixels)."""
    from ganimate.face.align import transform_points
    from ganimate.infer.generator import CropEdit

    seam = transform_points(matrix, points[[62, 66]]).mean(0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    near = np.exp(-((xx - seam[0]) ** 2 / 60.0 + (yy - seam[1]) ** 2 / 30.0))
    flow = np.dstack([np.zeros_like(xx), -stretch * (yy - seam[1]) * near]).astype(np.float32)
    ones = np.ones((size, size), np.float32)
    return CropEdit(np.zeros((size, size, 3), np.float32), ones, np.zeros((size, size, 3), np.float32), flow)


def test_edit_face_fills_a_mouth_the_flow_opens_and_only_then():
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.landmarks import five_points
    from ganimate.face.mouth import MouthInterior, lip_points
    from ganimate.face.paste import advect_points
    from ganimate.pipeline.render import FaceTouch, Finish, edit_face
    from tests.edit_faces import skin_face

    img, points = skin_face()
    crop, matrix = warp_face_by_landmarks(img, five_points(points), 64)
    mask = np.ones((64, 64), np.float32)
    interior = MouthInterior(np.full((2, 2, 4, 8, 3), 0.5, np.float32), np.array([0.1, 0.3], np.float32))
    opening = _mouth_opening_edit(points, matrix)
    pasted = edit_face(img, crop, matrix, opening, mask, FaceTouch(points, smile=1.0))  # the warp alone
    filled = edit_face(img, crop, matrix, opening, mask, FaceTouch(points, smile=1.0), Finish(mouth=interior))
    changed = np.any(filled != pasted, axis=2)
    opened = advect_points(lip_points(points), opening.flow, matrix)
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 20
    assert xs.min() >= opened[60, 0] - 1 and xs.max() <= opened[64, 0] + 1
    assert ys.min() >= opened[[61, 62, 63], 1].min() - 1 and ys.max() <= opened[[65, 66, 67], 1].max() + 1
    # a flow that leaves the mouth as it is: nothing laid
    still = _mouth_opening_edit(points, matrix, stretch=0.0)
    np.testing.assert_array_equal(
        edit_face(img, crop, matrix, still, mask, FaceTouch(points, smile=1.0), Finish(mouth=interior)),
        paste_edit(img, crop, matrix, still, mask))
    # without the mouth finish the opened mouth is the warp's alone (beyond the jaw line its slide is held,
    # face/backdrop.py)
    jaw = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(jaw, [np.rint(points[:17]).astype(np.int32)], 1)
    jaw = cv2.erode(jaw, np.ones((7, 7), np.uint8))  # the crop's flow is read bilinearly across the line
    np.testing.assert_array_equal(pasted[jaw > 0], paste_edit(img, crop, matrix, opening, mask)[jaw > 0])


def test_edit_face_fills_lips_asked_to_part_where_the_flow_stretched_them_apart_around_their_seam():
    """A flow that stretches the lips apart around their seam leaves their tissue points by it: the fill's weight
    stayed near 0 and the stretched lip showed. Lips asked to part (touch.part) are filled wherever each lip's
    thickness leaves room."""
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.landmarks import five_points
    from ganimate.face.mouth import MouthInterior
    from ganimate.pipeline.render import FaceTouch, Finish, edit_face
    from tests.edit_faces import skin_face

    img, points = skin_face()
    crop, matrix = warp_face_by_landmarks(img, five_points(points), 64)
    mask = np.ones((64, 64), np.float32)
    interior = MouthInterior(np.full((2, 2, 4, 8, 3), np.log(0.2), np.float32), np.array([0.1, 0.3], np.float32))
    stretched = _mouth_opening_edit(points, matrix, stretch=0.15)
    pasted = paste_edit(img, crop, matrix, stretched, mask).astype(float)

    def darkened(touch):
        out = edit_face(img, crop, matrix, stretched, mask, touch, Finish(mouth=interior)).astype(float)
        return (pasted - out).sum(axis=2)

    kept_apart = darkened(FaceTouch(points, apart=0.005))  # asked to part (a relative transfer: no parting added)
    by_tissue = darkened(FaceTouch(points))
    assert kept_apart.max() > 100.0  # a dark inside laid
    assert kept_apart.sum() > 5.0 * max(by_tissue.sum(), 1.0)


@pytest.mark.parametrize("drive", [None, (("AU12", 1.5), ("AU04", 2.0))])
def test_edited_frames_asks_the_generator_for_the_driven_targets(astronaut, tmp_path, drive):
    """With drive gains the generator gets source + gain x (target - source) per AU; the shading and the rest of
    the finish still see the target itself."""
    from ganimate.au.drive import drive_of
    from ganimate.au.names import AU_NAMES
    from ganimate.pipeline.render import edited_frames
    from ganimate.video.reader import VideoFrame

    gen, crop, _, _ = _astronaut_setup(astronaut, tmp_path, (0.0, 0.0))
    asked = []

    class Recorded:
        size = gen.size

        def edit_maps(self, crops, targets, sources=None):
            asked.append(np.array(targets))
            return gen.edit_maps(crops, targets, sources)

    frame = VideoFrame(index=0, time=0.0, pts=None, time_base=None, image=astronaut)
    target, source = np.zeros((1, 17), np.float32), np.zeros((1, 17), np.float32)
    target[0, AU_NAMES.index("AU12")], source[0, AU_NAMES.index("AU12")] = 3.0, 1.0
    target[0, AU_NAMES.index("AU04")], source[0, AU_NAMES.index("AU04")] = 2.0, 0.5
    target[0, AU_NAMES.index("AU25")] = 2.0
    gains = None if drive is None else drive_of(drive)
    out = list(edited_frames([(frame, [crop], target, source)], Recorded(), 4, {}, drive=gains))
    assert len(out) == 1 and len(asked) == 1
    want = target.copy()
    if drive is not None:
        want[0, AU_NAMES.index("AU12")] = 1.0 + 1.5 * 2.0
        want[0, AU_NAMES.index("AU04")] = 0.5 + 2.0 * 1.5
    np.testing.assert_allclose(asked[0], want, atol=1e-6)


@pytest.mark.parametrize("anchor", [False, True])
def test_edited_frames_anchors_the_generator_at_each_faces_source_only_when_asked(astronaut, tmp_path, anchor):
    from ganimate.pipeline.render import edited_frames
    from ganimate.video.reader import VideoFrame

    gen, crop, _, _ = _astronaut_setup(astronaut, tmp_path, (0.0, 0.0))
    recorded = _Counted(gen)
    frame = VideoFrame(index=0, time=0.0, pts=None, time_base=None, image=astronaut)
    target, source = np.full((1, 17), 2.0, np.float32), np.full((1, 17), 0.5, np.float32)
    list(edited_frames([(frame, [crop], target, source)], recorded, 4, {}, anchor=anchor))
    if anchor:
        np.testing.assert_array_equal(recorded.sources[0], source)
    else:
        assert recorded.sources == [None]


def test_edit_face_lifts_the_cheeks_only_with_a_lift_and_within_the_mask():
    from ganimate.face.cheeks import apples
    from ganimate.pipeline.render import FaceTouch, edit_face
    from tests.edit_faces import skin_face

    img, points = skin_face()
    crop, matrix, mask, still = _still_edit(img, points)
    pasted = paste_edit(img, crop, matrix, still, mask)
    np.testing.assert_array_equal(edit_face(img, crop, matrix, still, mask, FaceTouch(points)), pasted)
    lowered = edit_face(img, crop, matrix, still, mask, FaceTouch(points, lift=-0.06))  # a falling AU06's
    assert np.any(lowered != pasted) and FaceTouch(points, lift=-0.06).needs_points
    lifted = edit_face(img, crop, matrix, still, mask, FaceTouch(points, lift=0.06))
    assert np.any(lifted != lowered)
    changed = np.any(lifted != pasted, axis=2)
    assert changed.sum() > 100
    ys, xs = np.nonzero(changed)
    near = np.min(np.linalg.norm(np.stack([xs, ys], 1)[:, None] - apples(points)[None], axis=-1), axis=1)
    iod = np.linalg.norm(points[45] - points[36])
    assert np.percentile(near, 90) < 0.6 * iod  # about the cheeks' apples
    # nothing beyond the crop's mask moves: the mask's zeros carried into the frame
    outside = cv2.warpAffine((mask == 0).astype(np.uint8), np.asarray(matrix, np.float64),
                             (img.shape[1], img.shape[0]), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_NEAREST,
                             borderValue=1)
    assert not np.any(changed & (outside > 0))


def test_edit_face_raises_the_brows_only_with_a_rise_and_leaves_the_eyes_and_below():
    from ganimate.pipeline.render import FaceTouch, edit_face
    from tests.edit_faces import skin_face

    img, points = skin_face()
    crop, matrix, mask, still = _still_edit(img, points)
    pasted = paste_edit(img, crop, matrix, still, mask)
    raised = edit_face(img, crop, matrix, still, mask, FaceTouch(points, brows=(0.04, 0.04)))
    assert FaceTouch(points, brows=(0.04, 0.0)).needs_points and not FaceTouch(points).needs_points
    changed = np.any(raised != pasted, axis=2)
    assert changed.sum() > 50
    ys, _ = np.nonzero(changed)
    iod = np.linalg.norm(points[45] - points[36])
    assert ys.max() <= points[36:48, 1].max() + 1  # nothing below the eyes moves
    assert ys.min() >= points[17:27, 1].min() - 0.7 * iod - 1  # nor above the forehead's fade


def test_edited_frames_moves_cheeks_and_brows_by_their_aus_and_reads_landmarks_for_them(astronaut, tmp_path,
                                                                                        monkeypatch):
    from ganimate.au.names import AU_NAMES
    from ganimate.infer.landmarks import LandmarkEstimator
    from ganimate.pipeline import render
    from ganimate.video.reader import VideoFrame

    gen, crop, _, _ = _astronaut_setup(astronaut, tmp_path, (0.0, 0.0))
    marks = LandmarkEstimator.load(None, backend="onnxruntime", threads=1)
    frame = VideoFrame(index=0, time=0.0, pts=None, time_base=None, image=astronaut)
    source, target = np.zeros((1, 17), np.float32), np.zeros((1, 17), np.float32)
    source[0, AU_NAMES.index("AU06")], target[0, AU_NAMES.index("AU06")] = 0.5, 2.5
    source[0, AU_NAMES.index("AU04")], target[0, AU_NAMES.index("AU04")] = 1.0, 3.0
    source[0, AU_NAMES.index("AU01")], target[0, AU_NAMES.index("AU01")] = 0.5, 2.5
    source[0, AU_NAMES.index("AU02")], target[0, AU_NAMES.index("AU02")] = 1.0, 2.0
    touches = []
    seen = render.edit_face

    def recorded(image, crop_, matrix, edit, mask, touch, finish, bare=None):
        touches.append((touch.lift, touch.drop, *touch.brows))
        return seen(image, crop_, matrix, edit, mask, touch, finish, bare)

    monkeypatch.setattr(render, "edit_face", recorded)
    for cheeks, frown, brows, want in ((0.0, 0.0, 0.0, (0.0, 0.0, 0.0, 0.0)), (0.04, 0.0, 0.0, (0.08, 0.0, 0.0, 0.0)),
                                       (0.0, 0.02, 0.0, (0.0, 0.04, 0.0, 0.0)),
                                       (0.0, 0.0, 0.01, (0.0, 0.0, 0.02, 0.01))):
        touches.clear()
        out = list(render.edited_frames([(frame, [crop], target, source)], gen, 4, {}, marks, outline=False,
                                        cheeks=cheeks, frown=frown, brows=brows))
        assert len(out) == 1 and touches == [pytest.approx(want)]


def test_touch_for_needs_points_only_where_something_moves_and_nothing_without_a_source_reading():
    from ganimate.au.names import AU_NAMES
    from ganimate.config import LidConfig
    from ganimate.pipeline.context import load_shading
    from ganimate.pipeline.render import touch_for

    shading = load_shading()
    source, target = np.zeros(17, np.float32), np.zeros(17, np.float32)
    assert not touch_for(target, source, LidConfig(), shading, 0.04, 0.02).needs_points  # nothing rises
    target[AU_NAMES.index("AU06")], target[AU_NAMES.index("AU04")] = 2.0, 3.0
    touch = touch_for(target, source, LidConfig(), shading, 0.04, 0.02)
    assert touch.needs_points and touch.lift == pytest.approx(0.08) and touch.drop == pytest.approx(0.06)
    assert touch.change is not None and np.any(touch.change)
    unread = touch_for(target, None, LidConfig(), shading, 0.04, 0.02)  # no source: no shading, lift or drop
    assert unread.change is None and unread.lift == 0.0 and unread.drop == 0.0 and not unread.needs_points
    target[AU_NAMES.index("AU01")] = 2.0
    assert touch_for(target, source, brows=0.01).brows == pytest.approx((0.02, 0.0))
    assert touch_for(target, source, brows=0.01).needs_points and touch_for(target, None, brows=0.01).brows == (0, 0)
    assert touch_for(source, target, brows=0.01).brows == (0.0, 0.0)  # brows coming down: the frown's, not this
    target[AU_NAMES.index("AU45")] = 4.0
    assert touch_for(target, None, LidConfig()).closure == 1.0 and touch_for(target, None).closure == 0.0
    source[AU_NAMES.index("AU25")] = 2.0  # parted lips driven to closed ones: closed only when asked
    assert touch_for(target, source).close == 0.0
    closing = touch_for(target, source, close_lips=True)
    assert closing.close == pytest.approx(1.0) and closing.needs_points
    assert touch_for(target, None, close_lips=True).close == 0.0
    assert closing.part == 0.0 and closing.apart == 0.0
    parting = touch_for(source, target, close_lips=True)  # the other way: closed lips asked to part, when asked
    assert parting.part > 0.0 and parting.close == 0.0 and parting.needs_points
    kept = touch_for(source, target)  # without close_lips: no parting, but the fill still reads the lips' room
    assert kept.part == 0.0 and kept.apart == parting.part
    assert touch_for(source, None, close_lips=True).part == 0.0 and touch_for(source, None).apart == 0.0
    source[AU_NAMES.index("AU12")] = 2.5  # a smile driven away: its corners topped up only with the drive's
    assert touch_for(target, source).fall == 0.0
    falling = touch_for(target, source, corners=True)
    assert falling.fall == pytest.approx(2.5) and falling.needs_points
    assert falling.jaw == 0.0
    dropping = touch_for(target + 3.0 * (np.arange(17) == AU_NAMES.index("AU26")), source)
    assert dropping.jaw == 1.0 and dropping.needs_points  # a jaw that drops takes its chin along (face/chin.py)
    assert touch_for(dropping_target := target + 3.0 * (np.arange(17) == AU_NAMES.index("AU26")), None).jaw == 0.0
    assert touch_for(source, dropping_target).jaw == 0.0


def test_edit_face_brings_the_chin_down_with_a_lower_lip_the_flow_dropped_only_with_a_jaw_share():
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.landmarks import five_points
    from ganimate.pipeline.render import FaceTouch, edit_face
    from tests.edit_faces import skin_face

    img, points = skin_face()
    crop, matrix = warp_face_by_landmarks(img, five_points(points), 64)
    mask = np.ones((64, 64), np.float32)
    mask[int(transform_points(matrix, points[8:9])[0, 1]) - 6:] = 0.0  # the crop's mask ends above the chin
    opening = _mouth_opening_edit(points, matrix, stretch=0.8)
    pasted = edit_face(img, crop, matrix, opening, mask, FaceTouch(points))
    dropped = edit_face(img, crop, matrix, opening, mask, FaceTouch(points, jaw=1.0))
    changed = np.any(dropped != pasted, axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 50
    assert ys.min() >= points[[56, 57, 58], 1].mean() - 1 and ys.max() > points[8, 1]  # from the lower lip down
    sides = sorted(points[[4, 12], 0])
    assert xs.min() >= sides[0] - 1 and xs.max() <= sides[1] + 1  # within the jaw's sides


def test_edit_face_brings_parted_lips_together_only_with_a_share():
    from ganimate.pipeline.render import FaceTouch, edit_face
    from tests.test_face_lips import _grin, _teeth

    img, points = _grin()
    crop, matrix, mask, still = _still_edit(img, points)
    kept = edit_face(img, crop, matrix, still, mask, FaceTouch(points))
    shut = edit_face(img, crop, matrix, still, mask, FaceTouch(points, close=1.0))
    assert _teeth(kept).sum() == _teeth(img).sum() > 60
    assert _teeth(shut).sum() <= 0.05 * _teeth(img).sum()


def test_edit_face_brings_a_falling_smiles_corners_down_only_with_a_fall():
    from ganimate.pipeline.render import FaceTouch, edit_face
    from tests.edit_faces import skin_face

    img, points = skin_face()
    img[np.hypot(*(np.mgrid[0:160, 0:160][::-1] - points[48][:, None, None])) < 3] = (120, 40, 50)  # a corner dot
    crop, matrix, mask, still = _still_edit(img, points)
    pasted = edit_face(img, crop, matrix, still, mask, FaceTouch(points))
    fallen = edit_face(img, crop, matrix, still, mask, FaceTouch(points, fall=2.0))
    changed = np.any(fallen != pasted, axis=2)
    ys, xs = np.nonzero(changed)
    iod = np.linalg.norm(points[45] - points[36])
    near = np.min(np.linalg.norm(np.stack([xs, ys], 1)[:, None] - points[[48, 54]][None], axis=-1), axis=1)
    assert changed.sum() > 50 and np.percentile(near, 90) < 0.5 * iod  # about the corners
    def dot(im):  # the corner dot's centre (y, x)
        return np.argwhere(np.all(np.abs(im.astype(int) - (120, 40, 50)) < 30, axis=2)).mean(0)

    (y0, x0), (y1, x1) = dot(pasted), dot(fallen)
    assert y1 - y0 > 0.04 * iod and x1 - x0 > 0.03 * iod  # the left corner went down and in


def _still_edit(img: np.ndarray, points: np.ndarray):
    """(crop, matrix, mask, edit) of a face cut at 64 px with a warping edit that moves nothing: what the finish
    alone does shows."""
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.landmarks import five_points
    from ganimate.infer.generator import CropEdit

    crop, matrix = warp_face_by_landmarks(img, five_points(points), 64)
    ones, zeros = np.ones((64, 64), np.float32), np.zeros((64, 64, 3), np.float32)
    return crop, matrix, make_feather_mask(64), CropEdit(zeros, ones, zeros, np.zeros((64, 64, 2), np.float32))


def test_edit_face_holds_a_hat_above_the_brows_still_while_the_face_below_moves():
    from dataclasses import replace

    from ganimate.pipeline.render import FaceTouch, edit_face
    from tests.edit_faces import synthetic_landmarks
    from tests.test_face_forehead import HAT, _face

    points = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    iod = np.linalg.norm(points[45] - points[36])
    img = _face(points, 0.25 * iod)
    img[200:210, 140:160] = (120, 60, 50)  # a mark on the face below the brows, to see it move
    crop, matrix, mask, still = _still_edit(img, points)
    down = still.flow.copy()
    down[..., 1] = -1.5  # backward: every crop px shows what lay 1.5 px above it, so the face moves down
    moving = replace(still, flow=down)
    free = edit_face(img, crop, matrix, moving, mask, FaceTouch())
    held = edit_face(img, crop, matrix, moving, mask, FaceTouch(points))
    def hat_rows(im):  # rows of hat colour down the middle of the forehead
        return int((np.abs(im[:, 150].astype(int) - HAT).sum(-1) < 3).sum())

    assert hat_rows(free) >= hat_rows(img) + 3  # unheld, the flow drags the hat's edge down
    assert abs(hat_rows(held) - hat_rows(img)) <= 1  # held to a px (the hold is laid in the 64 px crop)
    np.testing.assert_array_equal(held[195:215], free[195:215])  # below the brows the motion is whole
    assert np.any(held[195:215] != img[195:215])


def test_edit_face_holds_hair_beside_the_brows_still_while_the_brows_move():
    from dataclasses import replace

    from ganimate.pipeline.render import FaceTouch, edit_face
    from tests.edit_faces import synthetic_landmarks
    from tests.test_face_temples import HAIR, _face

    points = synthetic_landmarks(centre=(150.0, 170.0), scale=2.0)
    iod = np.linalg.norm(points[45] - points[36])
    img = _face(points, 0.2 * iod)
    nose = np.rint(points[30]).astype(int)
    img[nose[1] - 5:nose[1] + 5, nose[0] - 10:nose[0] + 10] = (120, 60, 50)  # a mark on the face, to see it move
    crop, matrix, _, still = _still_edit(img, points)
    mask = np.ones_like(still.attention)  # the whole crop pasted: the hair beside the brows lies in it
    sideways = still.flow.copy()
    sideways[..., 0] = -5.0  # backward: every crop px shows what lay 5 px left of it, so the face moves right
    moving = replace(still, flow=sideways)
    free = edit_face(img, crop, matrix, moving, mask, FaceTouch())
    held = edit_face(img, crop, matrix, moving, mask, FaceTouch(points))
    row = int(round(points[17, 1]))  # the brows' outer ends' height

    def hair_cols(im):  # columns of hair colour left of the face along that row
        return int((np.abs(im[row, :150].astype(int) - HAIR).sum(-1) < 3).sum())

    assert hair_cols(free) >= hair_cols(img) + 5  # unheld, the flow drags the hair's edge along
    assert abs(hair_cols(held) - hair_cols(img)) <= 2  # held to a crop px (the hold is laid in the 64 px crop)
    face = (slice(int(points[30, 1]) - 5, int(points[30, 1]) + 5), slice(int(points[36, 0]), int(points[45, 0])))
    np.testing.assert_array_equal(held[face], free[face])  # the face moves whole
    assert np.any(held[face] != img[face])


def test_edited_frames_fills_a_frame_with_the_teeth_its_track_shows_a_frame_later(monkeypatch):
    """Frame 0's mouth is shut, frame 1 shows its teeth: with a mouth finish frame 0 is given frame 1's teeth
    (pipeline/shown.py); without one, none are read."""
    from ganimate.config import CropConfig
    from ganimate.face.align import transform_points
    from ganimate.face.landmarks import five_points
    from ganimate.face.mouth import MouthInterior
    from ganimate.face.types import Face
    from ganimate.infer.generator import CropEdit
    from ganimate.pipeline import render
    from ganimate.pipeline.faces import cut_face
    from ganimate.video.reader import VideoFrame
    from tests.edit_faces import mouth_showing

    shown = [mouth_showing((205, 150, 120), gap=1.0), mouth_showing((235, 232, 225), gap=6.0)]
    five = five_points(shown[0][1]).astype(np.float32)
    face = Face(np.array([0, 0, 160, 160], np.float32), five, 1.0)
    crops = [cut_face(img, 3, face, CropConfig(size=64), None) for img, _ in shown]
    lm_matrix = render.cut_for_landmarks(shown[0][0], five, crops[0].crop, crops[0].matrix, 64)[1]
    read = iter([p for _, p in shown] * 2)

    class Marks:  # the landmark model, reading each frame's drawn points in turn
        size = 64

        def locate(self, batch, mirror=False):
            return np.stack([transform_points(lm_matrix, next(read)) for _ in batch])

    class Still:  # a warping generator that moves nothing
        size = 64

        def edit_maps(self, batch, targets, sources=None):
            z = np.zeros((64, 64, 3), np.float32)
            return [CropEdit(z, np.ones((64, 64), np.float32), z, np.zeros((64, 64, 2), np.float32)) for _ in batch]

    taken, original = [], render.edit_face

    def recorded(image, crop, matrix, edit, mask, touch, finish, bare=None):
        taken.append(touch.teeth)
        return original(image, crop, matrix, edit, mask, touch, finish, bare)

    monkeypatch.setattr(render, "edit_face", recorded)
    zeros = np.zeros((1, 17), np.float32)
    stream = [(VideoFrame(index=i, time=i / 25, pts=None, time_base=None, image=img), [c], zeros, zeros)
              for i, ((img, _), c) in enumerate(zip(shown, crops, strict=True))]
    interior = MouthInterior(np.zeros((2, 2, 4, 8, 3), np.float32), np.array([0.1, 0.3], np.float32))
    list(render.edited_frames(stream, Still(), 1, {}, Marks(), finish=render.Finish(mouth=interior)))
    assert taken[1] is not None and taken[1].teeth > 0.9
    assert taken[0] is taken[1]
    taken.clear()
    list(render.edited_frames(stream, Still(), 1, {}, Marks()))
    assert taken == [None, None]


def test_edit_face_lays_the_shut_eyes_a_track_showed_where_the_lids_close():
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.landmarks import five_points
    from ganimate.face.shown_lids import read_shown_lids
    from ganimate.pipeline.render import FaceTouch, edit_face
    from tests.test_face_lids import synthetic_eyes
    from tests.test_face_shown_lids import _cover, _shut_eyes

    img, points = synthetic_eyes()
    shut = _shut_eyes(points)
    crop, matrix = warp_face_by_landmarks(img, five_points(points), 64)
    mask = np.ones((64, 64), np.float32)
    still = _mouth_opening_edit(points, matrix, stretch=0.0)
    shown = read_shown_lids(shut, points, 3.0)
    covered = edit_face(img, crop, matrix, still, mask, FaceTouch(points, 1.0)).astype(float)
    laid = edit_face(img, crop, matrix, still, mask, FaceTouch(points, 1.0, shut=shown)).astype(float)
    inside = _cover(points, 0, img.shape)
    assert np.abs(laid[inside] - shut[inside]).mean() < 0.6 * np.abs(covered[inside] - shut[inside]).mean()
    np.testing.assert_array_equal(edit_face(img, crop, matrix, still, mask, FaceTouch(points, 0.0, shut=shown)),
                                  edit_face(img, crop, matrix, still, mask, FaceTouch(points, 0.0)))  # not closing


@pytest.mark.parametrize("hold", [0.0, 0.35])
def test_edited_frames_gives_an_unmoved_face_its_last_edit_again_without_the_models(astronaut, tmp_path, hold):
    from ganimate.pipeline.hold import crop_region
    from ganimate.pipeline.render import edited_frames
    from ganimate.video.reader import VideoFrame

    gen, crop, _, _ = _astronaut_setup(astronaut, tmp_path, (2.0, 1.0))
    counted = _Counted(gen)

    repeated = astronaut.copy()
    repeated[200:203, 250:253] ^= 1  # a repeated frame with a codec's noise
    moved = np.clip(astronaut.astype(int) + 6, 0, 255).astype(np.uint8)  # the light changed
    target, other = np.full((1, 17), 1.0, np.float32), np.full((1, 17), 2.0, np.float32)
    source = np.zeros((1, 17), np.float32)
    frames = [(VideoFrame(index=i, time=i / 25, pts=None, time_base=None, image=im), [crop], t, source)
              for i, (im, t) in enumerate([(astronaut, target), (repeated, target), (moved, target), (moved, other)])]
    stats = {}
    outs = [image for _, image in edited_frames(frames, counted, 1, stats, hold=hold)]
    x0, y0, x1, y1 = crop_region(crop.matrix, gen.size, astronaut.shape)
    changed = np.any(outs[0] != astronaut, axis=2)
    assert changed.any() and not changed[:y0].any() and not changed[y1:].any()  # the region holds every change
    assert not changed[:, :x0].any() and not changed[:, x1:].any()
    assert outs[2].astype(int).mean() > outs[0].astype(int).mean() + 3  # the moved face: edited afresh
    if hold:
        # frames 0, 2 (moved) and 3 (a new target) edited; 1 held
        assert sum(counted.crops) == 3 and stats["held"] == 1 and stats["faces"] == 4
        want = np.clip(repeated.astype(int) + outs[0].astype(int) - astronaut, 0, 255)
        np.testing.assert_array_equal(outs[1], want)  # the last edit's change, on the repeated frame's pixels
    else:
        assert sum(counted.crops) == 4 and stats["held"] == 0
        assert np.abs(outs[1].astype(int) - outs[0]).max() > 0


def test_edited_frames_edits_a_face_afresh_after_a_frame_without_it(astronaut, tmp_path):
    from ganimate.pipeline.render import edited_frames
    from ganimate.video.reader import VideoFrame

    gen, crop, _, _ = _astronaut_setup(astronaut, tmp_path, (2.0, 1.0))
    counted = _Counted(gen)

    target, source = np.full((1, 17), 1.0, np.float32), np.zeros((1, 17), np.float32)
    none = np.zeros((0, 17), np.float32)
    frames = [(VideoFrame(index=i, time=i / 25, pts=None, time_base=None, image=astronaut),
               [crop] if i != 1 else [], target if i != 1 else none, source if i != 1 else none) for i in range(3)]
    stats = {}
    outs = [image for _, image in edited_frames(frames, counted, 1, stats, hold=0.35)]
    assert sum(counted.crops) == 2 and stats["held"] == 0  # frame 2's face was not held over the gap
    np.testing.assert_array_equal(outs[1], astronaut)
    np.testing.assert_array_equal(outs[2], outs[0])  # the same face and target: the same edit


@pytest.mark.parametrize("far_left", [True, False])
def test_edit_face_moves_a_turned_faces_far_corner_less_and_its_near_corner_more(far_left):
    from ganimate.face import turn as ft
    from ganimate.face.landmarks import five_points
    from ganimate.infer.generator import CropEdit
    from ganimate.pipeline.render import FaceTouch, edit_face
    from tests.edit_faces import skin_face

    img, points = skin_face()
    for i in (48, 54):  # a dark dot on each lip corner, to follow
        cv2.circle(img, tuple(int(v) for v in np.round(points[i])), 2, (20, 20, 20), -1)
    crop, matrix = warp_face_by_landmarks(img, five_points(points), 64)
    mid = float(transform_points(matrix, points[list(ft.MIDLINE)])[:, 0].mean())
    xx = np.mgrid[0:64, 0:64][1].astype(np.float32)
    flow = np.zeros((64, 64, 2), np.float32)
    flow[..., 0] = -0.2 * (xx - mid)  # the mouth widened about the face's midline, the same on both sides
    ones, zeros = np.ones((64, 64), np.float32), np.zeros((64, 64, 3), np.float32)
    edit, mask = CropEdit(zeros, ones, zeros, flow), make_feather_mask(64)
    turned = np.array(points)
    nose = points[ft.NOSE_TIP, 0]
    side = points[:, 0] < nose if far_left else points[:, 0] > nose
    turned[side, 0] = nose + (points[side, 0] - nose) * 0.6  # the far half foreshortened, as a turn shows it
    c = min(ft.GAIN * abs(ft.read_turn(turned)), ft.CAP)
    assert c > 0.2

    def corner_moves(touch_points):
        out = edit_face(img, crop, matrix, edit, mask, FaceTouch(touch_points))
        moves = []
        for i in (48, 54):
            x0, y0 = np.round(points[i]).astype(int)
            ys, xs = np.nonzero(out[y0 - 4:y0 + 5, x0 - 12:x0 + 13, 0] < 60)
            moves.append(abs(xs.mean() - 12.0))
        return np.array(moves)

    frontal, moved = corner_moves(points), corner_moves(turned)
    assert frontal.min() > 1.5 and abs(frontal[0] - frontal[1]) < 0.5  # the same outward move on both sides
    far, near = (0, 1) if far_left else (1, 0)
    assert moved[far] < frontal[far] * (1.0 - 0.6 * c) and moved[near] > frontal[near] * (1.0 + 0.6 * c)

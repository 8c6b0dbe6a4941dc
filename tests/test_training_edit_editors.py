"""The editors edit_eval judges: the geometry-only baseline warp, and the run-time path's paste hook."""

import numpy as np
import pytest

pytest.importorskip("torch")  # ganimate.training.landmark_crops imports the torch dataset module
pytest.importorskip("skimage")  # the baseline's piecewise-affine warp (a dev dependency)
from ganimate.face.align import crop_transform  # noqa: E402
from ganimate.face.landmarks import five_points  # noqa: E402
from ganimate.face.paste import make_feather_mask, paste_back  # noqa: E402
from ganimate.face.types import Face  # noqa: E402
from ganimate.training import edit_editors as ed  # noqa: E402
from tests.edit_faces import skin_face, synthetic_landmarks  # noqa: E402


def test_warp_moves_a_landmark_where_asked_and_leaves_far_pixels_alone():
    src = np.round(synthetic_landmarks())
    dst = src.copy()
    dst[54] += (3.0, -2.0)  # pull the right mouth corner out and up
    img = np.random.default_rng(0).integers(0, 255, (160, 160, 3), dtype=np.uint8)  # every pixel its own
    out = ed.warp_landmarks(img, src, dst, ring_scale=1.3)
    (sx, sy), (dx, dy) = src[54].astype(int), dst[54].astype(int)
    assert np.array_equal(out[dy, dx], img[sy, sx])  # the corner's pixel now sits where it was sent
    assert not np.array_equal(out[dy, dx], img[dy, dx])
    assert np.array_equal(out[int(src[30, 1]), int(src[30, 0])], img[int(src[30, 1]), int(src[30, 0])])  # nose
    # outside the anchor ring (1.3 x the landmarks' half-extent) the photo is copied bit for bit
    lo, hi = src.min(0), src.max(0)
    c, half = (lo + hi) / 2, (hi - lo) / 2 * 1.3
    yy, xx = np.mgrid[0:160, 0:160]
    far = ((xx - c[0]) / half[0]) ** 2 + ((yy - c[1]) / half[1]) ** 2 > 1.05
    assert far.sum() > 1000
    assert np.array_equal(out[far], img[far])
    changed = np.any(out != img, axis=2)
    assert changed[int(dst[54, 1]) - 3:int(dst[54, 1]) + 4, int(dst[54, 0]) - 3:int(dst[54, 0]) + 4].all()


def test_warp_without_motion_is_the_identity():
    img, pts = skin_face()
    out = ed.warp_landmarks(img, pts, pts)
    assert np.abs(out.astype(int) - img).max() <= 1


def test_geometry_targets_follow_the_face_pose():
    upright = synthetic_landmarks()
    turned = synthetic_landmarks(angle_deg=90.0, scale=2.0)
    motion = np.zeros((68, 2))
    motion[54] = (0.01, 0.0)  # 1% of the crop side, along the crop's x axis
    d_up = ed.geometry_targets(upright, motion)[54] - upright[54]
    d_turned = ed.geometry_targets(turned, motion)[54] - turned[54]
    side = 1.0 / np.sqrt(abs(np.linalg.det(crop_transform(five_points(upright), 1)[:, :2])))
    assert np.linalg.norm(d_up) == pytest.approx(0.01 * side)  # the crop side in photo px
    assert abs(d_up[1]) < 0.05 * abs(d_up[0])  # an upright face: the crop's x is the photo's x
    rot90 = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert d_turned == pytest.approx(2.0 * rot90 @ d_up, abs=1e-6)  # turned 90 degrees, twice the size
    assert np.array_equal(ed.geometry_targets(upright, np.zeros((68, 2))), upright)


class _Geometry:
    """Moves landmark 54 by (dx, 0) crop units per unit of AU12 change."""

    def displacement(self, aus_from, aus_to):
        d = np.zeros((68, 2), np.float32)
        d[54, 0] = 0.02 * (aus_to[8] - aus_from[8])
        return d


def test_geometry_editor_warps_by_the_au_change():
    img, pts = skin_face()
    photo = ed.FacePhoto(img, pts, np.zeros(17, np.float32))
    editor = ed.GeometryEditor(_Geometry())
    target = np.zeros(17, np.float32)
    assert np.abs(editor(photo, target).astype(int) - img).max() <= 1  # no AU change, no motion
    target[8] = 2.0
    want = ed.geometry_targets(pts, _Geometry().displacement(photo.aus, target))
    assert want[54, 0] - pts[54, 0] > 2  # a visible move
    assert np.array_equal(editor(photo, target), ed.warp_landmarks(img, pts, want, editor.ring_scale))


class _FakeGenerator:
    size = 32

    def edit(self, crops, aus):
        out = np.clip(crops.astype(np.float32) + 40, 0, 255)
        return out, np.full(crops.shape[:3], 0.5, np.float32)

    def edit_maps(self, crops, aus, sources=None):
        from ganimate.infer.generator import CropEdit

        return [CropEdit(o, a) for o, a in zip(*self.edit(crops, aus), strict=True)]


class _FakeDetector:
    def __init__(self, pts):
        self.five = five_points(pts).astype(np.float32)

    def detect(self, image):
        return [Face(box=np.array([40, 40, 120, 140], np.float32), landmarks=self.five, score=0.99)]


def test_runtime_editor_pastes_through_its_paste_function():
    img, pts = skin_face()
    seen = {}

    def paste(frame, crop, edit, matrix, mask, touch, finish):
        seen["attention"] = edit.attention.shape
        seen["flow"] = edit.flow
        seen["points"] = touch.points
        return ed.paste_generator_output(frame, crop, edit, matrix, mask, touch, finish)

    photo = ed.FacePhoto(img, pts, np.zeros(17, np.float32))
    out = ed.RuntimeEditor(_FakeGenerator(), _FakeDetector(pts), paste=paste)(photo, np.zeros(17))
    # the generator's maps for one face (no warp here); no landmark model, so no points to finish at
    assert seen == {"attention": (32, 32), "flow": None, "points": None}
    default = ed.RuntimeEditor(_FakeGenerator(), _FakeDetector(pts))(photo, np.zeros(17))
    assert np.array_equal(out, default)
    assert out[84, 80].astype(int).sum() > img[84, 80].astype(int).sum() + 60  # the face got brighter
    assert np.array_equal(out[:5, :5], img[:5, :5])  # outside the feathered mask: untouched

    from ganimate.face.align import warp_face_by_landmarks

    crop, m = warp_face_by_landmarks(img, _FakeDetector(pts).five, 32)
    edited = _FakeGenerator().edit(crop[None], np.zeros((1, 17)))[0][0]
    assert np.array_equal(out, paste_back(img, crop, edited, m, make_feather_mask(32)))


def test_runtime_editor_without_a_face_is_an_error():
    from ganimate.errors import GanimateError

    class _NoFace:
        def detect(self, image):
            return []

    img, pts = skin_face()
    with pytest.raises(GanimateError, match="no face"):
        ed.RuntimeEditor(_FakeGenerator(), _NoFace())(ed.FacePhoto(img, pts, np.zeros(17), "x.jpg"), np.zeros(17))

"""Face tracking on project-made clips of the astronaut photo moving with a known affine motion."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from face_media import SIZE, astronaut_frame, moving_clip

from ganimate.config import DetectConfig, TrackConfig
from ganimate.errors import GanimateError
from ganimate.face.align import transform_points
from ganimate.face.track import FaceTracker, TrackedFace, iou, is_scene_cut, match_boxes, thumbnail

FPS = 25.0
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def blank_face(frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The frame with the head inpainted away from its surroundings (a flat or noisy patch would
    itself fool MTCNN now and then)."""
    cx, cy = landmarks.mean(axis=0).astype(int)
    r = 70
    mask = np.zeros(frame.shape[:2], np.uint8)
    mask[max(cy - r, 0) : cy + r, max(cx - r, 0) : cx + r] = 255
    return cv2.inpaint(frame, mask, 5, cv2.INPAINT_TELEA)


@pytest.fixture(scope="module")
def detector():
    from ganimate.face.detect import FaceDetector

    return FaceDetector(DetectConfig())  # one thread per net (DetectConfig.threads)


@pytest.fixture(scope="module")
def clip(detector):
    """40 frames of known motion, and the true landmarks per frame (frame 0's detection, moved)."""
    frames, mats = moving_clip(40)
    ref = detector.detect(frames[0])[0].landmarks
    return frames, [transform_points(m, ref) for m in mats]


def run(tracker: FaceTracker, frames: list[np.ndarray]) -> list[list[TrackedFace]]:
    return [tracker.update(f) for f in frames]


# --- pure helpers --------------------------------------------------------------------------------


def test_iou():
    a = np.array([0, 0, 2, 2], np.float32)
    assert iou(a, a) == pytest.approx(1.0)
    assert iou(a, np.array([1, 0, 3, 2])) == pytest.approx(2 / 6)
    assert iou(a, np.array([5, 5, 6, 6])) == 0.0
    assert iou(a, np.array([1, 1, 1, 1])) == 0.0  # empty box


def test_match_boxes_is_greedy_one_to_one():
    tracks = [np.array([0, 0, 10, 10.0]), np.array([20, 0, 30, 10.0])]
    dets = [np.array([21, 0, 31, 10.0]), np.array([1, 0, 11, 10.0]), np.array([100, 0, 110, 10.0])]
    assert sorted(match_boxes(tracks, dets, 0.3)) == [(0, 1), (1, 0)]
    # two detections on one track: only the better one is taken
    assert match_boxes(tracks[:1], [np.array([5, 0, 15, 10.0]), np.array([1, 0, 11, 10.0])], 0.3) == [(0, 1)]
    assert match_boxes(tracks, [], 0.3) == []


def test_scene_cut_test_tells_motion_from_cuts():
    frames, _ = moving_clip(40)
    assert not is_scene_cut(None, thumbnail(frames[0]))
    assert not any(is_scene_cut(thumbnail(a), thumbnail(b)) for a, b in zip(frames, frames[1:], strict=False))
    assert is_scene_cut(thumbnail(frames[0]), thumbnail(np.ascontiguousarray(frames[0][:, ::-1])))


# --- the tracker -----------------------------------------------------------------------------------


def test_one_track_follows_a_moving_face(detector, clip):
    frames, truth = clip
    out = run(FaceTracker(detector, TrackConfig(), FPS), frames)
    assert all(len(o) == 1 and o[0].track_id == 0 for o in out)
    statuses = [o[0].status for o in out]
    assert statuses[0] == "detected" and "refined" in statuses and "bridged" not in statuses
    # full detection every detect_every frames, refinement in between
    assert [i for i, s in enumerate(statuses) if s == "detected"] == list(range(0, 40, TrackConfig().detect_every))
    err = np.array([np.linalg.norm(o[0].face.landmarks - t, axis=1).mean() for o, t in zip(out, truth, strict=True)])
    assert err.mean() < 2.0 and err.max() < 4.0, err
    f = out[5][0].face
    assert f.landmarks.dtype == np.float32 and f.landmarks.shape == (5, 2) and f.box.shape == (4,)


def test_smoothing_steadies_a_still_face(detector):
    # a still photo with fresh sensor noise each frame: raw O-Net landmarks jitter, smoothed ones barely
    rng = np.random.default_rng(0)
    base = astronaut_frame()
    frames = [np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8) for _ in range(30)]
    steady = run(FaceTracker(detector, TrackConfig(), FPS), frames)
    raw = run(FaceTracker(detector, TrackConfig(smooth_min_cutoff=1e6), FPS), frames)  # ~no smoothing

    def jitter(out):
        lm = np.array([o[0].face.landmarks for o in out])
        return np.linalg.norm(np.diff(lm, axis=0), axis=2).mean()

    assert jitter(steady) < 0.5 * jitter(raw), (jitter(steady), jitter(raw))
    assert jitter(steady) < 0.3


def test_a_short_gap_is_bridged(detector, clip):
    frames, truth = clip
    frames = frames[:20]
    for i in (8, 9, 10):
        frames[i] = blank_face(frames[i], truth[i])
    out = run(FaceTracker(detector, TrackConfig(), FPS), frames)
    assert all(len(o) == 1 and o[0].track_id == 0 for o in out)
    assert [o[0].status for o in out[8:11]] == ["bridged"] * 3
    for o in out[8:11]:  # the last smoothed face, reused
        np.testing.assert_array_equal(o[0].face.landmarks, out[7][0].face.landmarks)
    assert out[11][0].status in ("refined", "detected")  # found again as soon as it is back
    assert np.linalg.norm(out[19][0].face.landmarks - truth[19], axis=1).mean() < 3.0


def test_a_missing_face_is_searched_every_few_frames_not_every_frame(detector, clip):
    from ganimate.face.track import LOST_DETECT_EVERY

    frames, truth = clip
    frames = list(frames[:5]) + [blank_face(f, t) for f, t in zip(frames[5:12], truth[5:12], strict=True)]
    calls = []

    class Counting:
        def detect(self, frame):
            calls.append(1)
            return detector.detect(frame)

        def __getattr__(self, name):
            return getattr(detector, name)

    out = run(FaceTracker(Counting(), TrackConfig(), FPS), frames)
    assert all(len(o) == 1 and o[0].status == "bridged" for o in out[5:])
    # frame 0, then from the frame after the face was first missed (6) every LOST_DETECT_EVERY frames,
    # not on each of the 6 frames as before
    assert len(calls) == 1 + len(range(6, 12, LOST_DETECT_EVERY)) < 1 + 6


def test_a_long_gap_ends_the_track_and_a_new_one_starts(detector, clip):
    frames, truth = clip
    frames = list(frames[:5]) + [blank_face(f, t) for f, t in zip(frames[5:35], truth[5:35], strict=True)]
    frames += list(clip[0][35:40])
    max_missing = TrackConfig().max_missing
    out = run(FaceTracker(detector, TrackConfig(), FPS), frames)
    assert all(len(o) == 1 and o[0].track_id == 0 for o in out[:5])
    assert all(len(o) == 1 and o[0].status == "bridged" for o in out[5 : 5 + max_missing])
    assert all(o == [] for o in out[5 + max_missing : 35])  # the track ended: nothing to edit
    assert all(len(o) == 1 and o[0].track_id == 1 for o in out[35:])
    assert out[35][0].status == "detected"


def test_a_new_face_starts_a_new_track(detector):
    # one face first; a second one appears at frame 3 and is picked up at the next full detection
    base = astronaut_frame()
    one = np.concatenate([base, np.full_like(base, 90)], axis=1)
    two = np.concatenate([base, base], axis=1)
    frames = [one] * 3 + [two] * 6
    out = run(FaceTracker(detector, TrackConfig(detect_every=5), FPS), frames)
    assert [len(o) for o in out] == [1, 1, 1, 1, 1, 2, 2, 2, 2]
    assert [t.track_id for t in out[8]] == [0, 1]
    assert out[8][0].face.landmarks[:, 0].max() < SIZE < out[8][1].face.landmarks[:, 0].min()


def test_a_scene_cut_ends_tracks_at_once(detector):
    base = astronaut_frame()
    other = np.ascontiguousarray(base[:, ::-1])  # a different shot: the face elsewhere
    out = run(FaceTracker(detector, TrackConfig(), FPS), [base] * 3 + [other] * 3)
    assert all(o[0].track_id == 0 for o in out[:3])
    assert len(out[3]) == 1 and out[3][0].track_id == 1 and out[3][0].status == "detected"


class ScriptedDetector:
    """Stands in for FaceDetector: returns given faces; O-Net never sees a face."""

    config = DetectConfig()

    def __init__(self, faces):
        self.faces = faces

    def detect(self, frame):
        return list(self.faces)

    def run_onet(self, patches):
        n = len(patches)
        return np.zeros((n, 4), np.float32), np.zeros((n, 10), np.float32), np.zeros(n, np.float32)


def test_only_sure_detections_start_tracks():
    from ganimate.face.types import Face

    frame = np.zeros((100, 100, 3), np.uint8)
    lm = np.array([[30, 40], [60, 40], [45, 55], [33, 70], [57, 70]], np.float32)
    box = np.array([20, 20, 70, 85], np.float32)
    cfg = TrackConfig()
    weak = FaceTracker(ScriptedDetector([Face(box, lm, cfg.new_track_score - 0.02)]), cfg, FPS)
    assert weak.update(frame) == []
    every = TrackConfig(detect_every=1)
    sure = FaceTracker(ScriptedDetector([Face(box, lm, cfg.new_track_score + 0.02)]), every, FPS)
    assert [t.status for t in sure.update(frame)] == ["detected"]
    # once tracked, a weaker detection (above DetectConfig.min_score) still keeps the face
    sure.detector.faces = [Face(box + 1, lm + 1, cfg.new_track_score - 0.02)]
    out = sure.update(frame)
    assert [(t.track_id, t.status) for t in out] == [(0, "detected")]


def test_bad_settings_raise_user_errors(detector):
    with pytest.raises(GanimateError):
        FaceTracker(detector, TrackConfig(), fps=0)
    with pytest.raises(GanimateError):
        FaceTracker(detector, TrackConfig(detect_every=0), fps=25)
    with pytest.raises(GanimateError):
        FaceTracker(detector, TrackConfig(), fps=25).update(np.zeros((8, 8), np.uint8))


# --- real clips ---------------------------------------------------------------------------------------


def _bench():
    path = Path(__file__).resolve().parents[1] / "bench" / "track_stats.py"
    spec = importlib.util.spec_from_file_location("track_stats", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "data" / "videos").is_dir(), reason="../shared real data is not present")
@pytest.mark.parametrize("name", ["1461_01_021_noam_chomsky.avi", "d0.mp4", "multi_face.avi"])
def test_tracking_on_real_clips(detector, name):
    stats = _bench().clip_stats(SHARED / "data" / "videos" / name, detector, TrackConfig(), max_frames=90)
    # the tracker holds a face on every frame where OpenFace found one
    assert stats.coverage >= 0.99, stats
    assert stats.switches == 0, stats  # the followed face keeps its track id
    # crop-centre steadiness where the head is stillest: sub-pixel frame to frame
    assert stats.still_median_crop_px < 1.0, stats

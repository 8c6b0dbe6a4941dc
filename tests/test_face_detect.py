"""MTCNN detection and O-Net refinement on a project-made moving clip of the astronaut photo."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
from face_media import astronaut_frame, moving_clip

from ganimate.config import DetectConfig
from ganimate.errors import GanimateError
from ganimate.face.align import transform_points
from ganimate.face.refine import cut_patches, decode_onet, square_patches


@pytest.fixture(scope="module")
def detector():
    import torch

    from ganimate.face.detect import FaceDetector

    torch.set_num_threads(1)  # 2 shared cores: more threads only contend
    return FaceDetector(DetectConfig())


def test_detects_the_astronaut_with_plausible_landmarks(detector):
    faces = detector.detect(astronaut_frame())
    assert len(faces) == 1
    f = faces[0]
    assert f.score > 0.99
    assert f.box.dtype == np.float32 and f.box.shape == (4,)
    assert f.landmarks.dtype == np.float32 and f.landmarks.shape == (5, 2)
    lm = f.landmarks
    x1, y1, x2, y2 = f.box
    assert 40 < x2 - x1 < 90 and 40 < y2 - y1 < 110
    assert np.all((lm[:, 0] > x1) & (lm[:, 0] < x2) & (lm[:, 1] > y1) & (lm[:, 1] < y2))
    assert lm[0, 0] < lm[1, 0] and lm[3, 0] < lm[4, 0]  # image-left eye / mouth corner first
    assert lm[0, 1] < lm[2, 1] < lm[3, 1]  # eyes above nose above mouth


def test_landmarks_follow_the_known_motion(detector):
    frames, mats = moving_clip(12)
    ref = detector.detect(frames[0])[0].landmarks
    errs = []
    for frame, m in zip(frames[1:], mats[1:], strict=True):
        faces = detector.detect(frame)
        assert len(faces) == 1
        errs.append(np.linalg.norm(faces[0].landmarks - transform_points(m, ref), axis=1))
    errs = np.array(errs)
    assert errs.mean() < 2.0, errs.mean()
    assert errs.max() < 5.0, errs.max()


def test_detect_batch_equals_single(detector):
    frames, _ = moving_clip(8)
    batch = detector.detect_batch(frames[:3])
    for frame, faces in zip(frames[:3], batch, strict=True):
        single = detector.detect(frame)
        assert len(single) == len(faces) == 1
        np.testing.assert_allclose(faces[0].landmarks, single[0].landmarks, atol=1e-3)


def test_no_face_in_a_flat_frame(detector):
    assert detector.detect(np.full((200, 240, 3), 128, np.uint8)) == []
    assert detector.detect_batch([]) == []


@pytest.mark.parametrize(
    "frame",
    [np.zeros((64, 64, 3), np.float32), np.zeros((64, 64), np.uint8), np.zeros((64, 64, 4), np.uint8), "x"],
)
def test_bad_frames_raise_a_user_error(detector, frame):
    with pytest.raises(GanimateError):
        detector.detect(frame)


def test_refine_follows_the_known_motion(detector):
    from ganimate.face.refine import OnetRefiner

    frames, mats = moving_clip(12)
    ref = detector.detect(frames[0])[0].landmarks
    refiner = OnetRefiner(detector)
    errs = []
    for prev, cur, m in zip(frames[:-1], frames[1:], mats[1:], strict=True):
        # O-Net alone, looking where the full detector found the face one frame earlier
        face = refiner.refine(cur, detector.detect(prev)[0].box[None])[0]
        assert face.score > 0.95
        errs.append(np.linalg.norm(face.landmarks - transform_points(m, ref), axis=1))
    errs = np.array(errs)
    assert errs.mean() < 2.0, errs.mean()
    assert errs.max() < 5.0, errs.max()


def test_refine_scores_low_where_there_is_no_face(detector):
    from ganimate.face.refine import OnetRefiner

    frame = astronaut_frame()
    box = detector.detect(frame)[0].box
    blank = frame.copy()
    x1, y1, x2, y2 = box.astype(int)
    blank[max(y1 - 10, 0) : y2 + 10, max(x1 - 10, 0) : x2 + 10] = 128
    faces = OnetRefiner(detector).refine(blank, np.stack([box, box + 150]))
    assert len(faces) == 2
    assert all(f.score < DetectConfig().thresholds[2] for f in faces), [f.score for f in faces]
    assert OnetRefiner(detector).refine(frame, np.zeros((0, 4))) == []


def test_square_patches_are_square_and_centred():
    sq = square_patches(np.array([[10.0, 20.0, 50.0, 100.0]]), expand=1.0)
    x0, y0, side = sq[0]
    assert side == 80
    assert (x0 + side / 2, y0 + side / 2) == (30.0, 60.0)
    assert square_patches(np.array([[0.0, 0.0, 10.0, 10.0]]), expand=1.5)[0, 2] == 15


def test_cut_patches_normalises_and_pads_black():
    frame = np.full((40, 40, 3), 255, np.uint8)
    p = cut_patches(frame, np.array([[-20, 0, 40]]))  # left half outside the frame
    assert p.shape == (1, 3, 48, 48) and p.dtype == np.float32
    np.testing.assert_allclose(p[0, :, :, :20], -127.5 / 128)
    np.testing.assert_allclose(p[0, :, :, 28:], 127.5 / 128)


def test_decode_onet_maps_fractions_to_frame_pixels():
    squares = np.array([[100, 50, 40]])
    lm = np.array([[0.25, 0.75, 0.5, 0.3, 0.7, 0.4, 0.4, 0.6, 0.8, 0.8]])
    reg = np.array([[0.1, 0.0, -0.1, 0.05]])
    face = decode_onet(squares, reg, lm, np.array([0.9]))[0]
    np.testing.assert_allclose(face.landmarks[:, 0], 100 + 40 * lm[0, :5])
    np.testing.assert_allclose(face.landmarks[:, 1], 50 + 40 * lm[0, 5:])
    np.testing.assert_allclose(face.box, [104, 50, 135, 91])
    assert face.score == pytest.approx(0.9)


def test_runtime_face_modules_import_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['facenet_pytorch'] = None\n"
        "import ganimate.face.detect, ganimate.face.refine, ganimate.face.track, ganimate.face.smooth\n"
        "import ganimate.face.align, ganimate.face.paste\n"
        "assert sys.modules['torch'] is None\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_detection_on_a_downscaled_frame_matches_full_size():
    """A 2048 px frame is detected at max_side; boxes and landmarks come back in full-size pixels."""
    from ganimate.face.detect import FaceDetector, downscale_factor
    from ganimate.synth import load_astronaut

    big = cv2.resize(load_astronaut(), (2048, 2048), interpolation=cv2.INTER_CUBIC)
    assert downscale_factor(big.shape, 960) == pytest.approx(960 / 2048)
    assert downscale_factor(big.shape, 0) == 1.0
    small = FaceDetector(DetectConfig(max_side=960)).detect(big)
    full = FaceDetector(DetectConfig(max_side=0, min_face_size=80)).detect(big)
    assert len(small) == 1 and len(full) == 1
    face_size = float(np.linalg.norm(full[0].landmarks[0] - full[0].landmarks[1]))
    err = np.abs(small[0].landmarks - full[0].landmarks).max()
    assert err < 0.1 * face_size, err

"""MTCNN detection and O-Net refinement on a project-made moving clip of the astronaut photo, and their
parity with facenet-pytorch's MTCNN (where the train extra is installed) on those and on real frames."""

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
    from ganimate.face.detect import FaceDetector

    return FaceDetector(DetectConfig())  # one thread per net (DetectConfig.threads)


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


def test_one_detector_serves_several_threads(detector):
    import threading

    frames, _ = moving_clip(8)
    want = [detector.detect(f)[0].landmarks for f in frames]
    got: dict[int, list] = {}

    def work(k):
        got[k] = [detector.detect(f)[0].landmarks for f in frames for _ in range(2)][::2]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [0, 1, 2]
    for k in got:
        for a, b in zip(got[k], want, strict=True):
            np.testing.assert_array_equal(a, b)


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


def test_detection_and_refinement_run_without_torch():
    """torch made unimportable: the ONNX detector still finds the astronaut and O-Net still refines it."""
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['facenet_pytorch'] = None\n"
        "from skimage.data import astronaut\n"
        "from ganimate.face.detect import FaceDetector\n"
        "from ganimate.face.refine import OnetRefiner\n"
        "det = FaceDetector(); img = astronaut(); faces = det.detect(img)\n"
        "assert len(faces) == 1 and faces[0].score > 0.99, faces\n"
        "again = OnetRefiner(det).refine(img, faces[0].box[None])[0]\n"
        "assert again.score > 0.99 and abs(again.landmarks - faces[0].landmarks).max() < 3\n"
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


# -- parity with facenet-pytorch's MTCNN (skipped without the train extra) --

# Boxes and landmarks agree to this many pixels. Measured on 79 frames (the astronaut at 512 and 320 px,
# the 12-frame moving clip, the 9 shared photos including a group, frames 0 and 40 of the 28 shared
# clips; OpenVINO f32 against torch on an AMD EPYC with AVX512): worst 2.2e-4 px for boxes, 1.2e-4 px
# for landmarks, 4e-7 for scores; O-Net refinement 1.2e-4 px. The same faces are found in every frame.
PARITY_PX = 0.01
PARITY_SCORE = 1e-4


@pytest.fixture(scope="module")
def facenet():
    torch = pytest.importorskip("torch")
    facenet_pytorch = pytest.importorskip("facenet_pytorch")
    torch.set_num_threads(1)
    cfg = DetectConfig()
    return torch, facenet_pytorch.MTCNN(min_face_size=cfg.min_face_size, thresholds=list(cfg.thresholds),
                                        keep_all=True, select_largest=False, post_process=False).eval()


def _detection_size(image: np.ndarray) -> np.ndarray:
    from ganimate.face.detect import downscale_factor

    s = downscale_factor(image.shape, DetectConfig().max_side)
    if s == 1.0:
        return image
    return cv2.resize(image, (round(image.shape[1] * s), round(image.shape[0] * s)), interpolation=cv2.INTER_AREA)


def _differences(detector, facenet, image: np.ndarray) -> tuple[int, float, float, float]:
    """(faces, worst box px, worst landmark px, worst score) between ganimate and facenet-pytorch on image."""
    torch, mt = facenet
    small = _detection_size(image)
    boxes, points = detector.mtcnn_boxes(small)
    with torch.inference_mode():
        want_boxes, want_probs, want_points = mt.detect(small, landmarks=True)
    if want_boxes is None:
        assert len(boxes) == 0, boxes
        return 0, 0.0, 0.0, 0.0
    assert len(boxes) == len(want_boxes), (boxes[:, 4], want_probs)
    return (len(boxes), float(np.abs(boxes[:, :4] - want_boxes).max()), float(np.abs(points - want_points).max()),
            float(np.abs(boxes[:, 4] - np.asarray(want_probs, np.float64)).max()))


class TorchOnet:
    """The refiner's detector interface on facenet-pytorch's O-Net (what refinement ran before the port)."""

    config = DetectConfig()

    def __init__(self, facenet):
        self.torch, self.mt = facenet

    def run_onet(self, patches):
        with self.torch.inference_mode():
            reg, lm, prob = self.mt.onet(self.torch.from_numpy(patches))
        return reg.numpy(), lm.numpy(), prob[:, 1].numpy()


def _refine_differences(detector, facenet, image: np.ndarray, boxes: np.ndarray) -> float:
    from ganimate.face.refine import OnetRefiner

    ours = OnetRefiner(detector).refine(image, boxes)
    theirs = OnetRefiner(TorchOnet(facenet)).refine(image, boxes)
    worst = 0.0
    for a, b in zip(ours, theirs, strict=True):
        assert abs(a.score - b.score) < PARITY_SCORE
        worst = max(worst, float(np.abs(a.box - b.box).max()), float(np.abs(a.landmarks - b.landmarks).max()))
    return worst


def _frames_of_test_media(clip_path):
    from skimage.data import astronaut

    from ganimate.video.reader import read_frames

    frames = [astronaut(), astronaut_frame(), *moving_clip(6)[0]]
    frames += [f.image for i, f in zip(range(30), read_frames(clip_path), strict=False) if i % 10 == 0]
    return frames


def test_detections_equal_facenet_pytorch_on_test_media(detector, facenet, clip_path):
    found = 0
    for image in _frames_of_test_media(clip_path):
        n, box, lm, score = _differences(detector, facenet, image)
        found += n
        assert box < PARITY_PX and lm < PARITY_PX and score < PARITY_SCORE, (box, lm, score)
    assert found >= 9  # the astronaut in every frame


def test_refinement_equals_facenet_pytorch_on_test_media(detector, facenet):
    frames, _ = moving_clip(6)
    ref = detector.detect(frames[0])[0].box
    for frame in frames[1:]:
        # the first box off-centre on purpose: the refiner's second, recentred pass runs too
        boxes = np.stack([ref, ref + np.array([12, -9, 12, -9], np.float32)])
        assert _refine_differences(detector, facenet, frame, boxes) < PARITY_PX


@pytest.mark.shared
@pytest.mark.slow
def test_detections_and_refinement_equal_facenet_pytorch_on_real_frames(detector, facenet, shared_dir):
    from ganimate.video.reader import read_frames

    images = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
              for p in sorted((shared_dir / "data" / "images").glob("*.jpg"))]
    clips = sorted(p for p in (shared_dir / "data" / "videos").iterdir() if p.suffix in {".avi", ".mp4", ".wmv"})
    images += [next(iter(read_frames(p))).image for p in clips]  # each clip's first frame
    assert len(images) >= 30
    found, worst = 0, [0.0, 0.0, 0.0, 0.0]
    for image in images:
        n, box, lm, score = _differences(detector, facenet, image)
        found += n
        worst = [max(w, v) for w, v in zip(worst, (box, lm, score, 0.0), strict=True)]
        faces = detector.detect(image)
        if faces:
            worst[3] = max(worst[3], _refine_differences(detector, facenet, image, np.stack([f.box for f in faces])))
    assert found >= len(images) - 2  # nearly every photo and clip has a face
    assert worst[0] < PARITY_PX and worst[1] < PARITY_PX and worst[2] < PARITY_SCORE and worst[3] < PARITY_PX, worst

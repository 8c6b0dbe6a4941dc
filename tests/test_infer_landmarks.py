"""The shipped landmark model through the run-time backend: crops -> 68 points, mirror averaging, and the
`aus --landmarks` path on project-made media."""

import csv

import numpy as np
import pytest

from ganimate.face.align import warp_face_by_landmarks
from ganimate.face.landmarks import five_points, flip_landmarks, interocular
from ganimate.infer.landmarks import LandmarkEstimator


@pytest.fixture(scope="module")
def model():
    return LandmarkEstimator.load(None, backend="onnxruntime", threads=1)


@pytest.fixture(scope="module")
def face(astronaut):
    """The astronaut's MTCNN 5 points (frame px) and her aligned crop at the model's size."""
    from ganimate.config import DetectConfig
    from ganimate.face.detect import FaceDetector

    faces = FaceDetector(DetectConfig()).detect(astronaut)
    assert faces, "MTCNN finds the astronaut"
    five = max(faces, key=lambda f: f.area).landmarks
    return five, warp_face_by_landmarks(astronaut, five, 128)[0]


def test_points_land_on_the_face_the_detector_found(model, face, astronaut):
    from ganimate.pipeline.source import locate_landmarks

    five, _ = face
    points = locate_landmarks(astronaut, five, model)
    assert points.shape == (68, 2) and points.dtype == np.float32
    # the 5 points derived from the 68 sit where MTCNN put its own (eyes, nose, mouth corners)
    err = np.linalg.norm(five_points(points) - five, axis=1) / interocular(points)
    assert err.max() < 0.15, err
    # and the layout is a face: brows above eyes above nose above mouth above chin
    y = points[:, 1]
    assert y[17:27].mean() < y[36:48].mean() < y[31:36].mean() < y[48:68].mean() < y[8]


def test_the_mirror_average_is_symmetric_and_close_to_one_read(model, face):
    _, crop = face
    both = model.locate(np.stack([crop, crop[:, ::-1]]), mirror=True)
    # reading the mirrored crop gives the mirror image of the reading, point for point: the flip permutation
    # and the x -> S-1-x mapping are right (a wrong pairing of left and right points breaks this)
    np.testing.assert_allclose(both[1], flip_landmarks(both[0], crop.shape[1]), atol=1e-3)
    single = model.locate(crop[None])[0]
    assert np.linalg.norm(single - both[0], axis=1).mean() < 0.03 * interocular(single)
    assert not np.allclose(single, both[0], atol=1e-4)


def test_an_empty_batch_reads_nothing(model):
    assert model.locate(np.zeros((0, 128, 128, 3), np.uint8), mirror=True).shape == (0, 68, 2)


def test_aus_with_landmarks_writes_openface_columns_that_follow_the_face(clip_path, tmp_path):
    from model_files import random_estimator

    from ganimate.cli import build_run_config
    from ganimate.pipeline.aus import run_aus
    from ganimate.pipeline.progress import frame_progress

    out = tmp_path / "aus.csv"
    with frame_progress(False) as p:
        run_aus(clip_path, out, build_run_config(au_model=random_estimator(), quiet=True), p, landmarks=True)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f, skipinitialspace=True))
    assert len(rows) == 50 and all(r["success"] == "1" for r in rows)
    pts = np.array([[[float(r[f"x_{i}"]), float(r[f"y_{i}"])] for i in range(68)] for r in rows])
    # the clip moves the face a little: the points move with it, smoothly, and keep a face's size
    iod = interocular(pts)
    assert iod.min() > 15 and iod.max() / iod.min() < 1.4
    centre = pts.mean(axis=1)
    assert np.abs(np.diff(centre, axis=0)).max() < 0.25 * iod.mean()


def test_the_mouth_reader_reads_her_mouth_where_the_landmark_model_does(face):
    """The shipped mouth reader (infer/mouth_points.py) reads the astronaut's smile, lips parted over her teeth,
    close to the landmark model's own mouth (a wrong cut or a wrong way back would put it elsewhere), and leaves
    every other point."""
    from ganimate.face.mouth import mouth_opening

    _, crop = face
    own = LandmarkEstimator.load(None, backend="onnxruntime", threads=1, mouth=False)
    read = LandmarkEstimator.load(None, backend="onnxruntime", threads=1)
    assert own.mouth is None and read.mouth is not None
    a, b = own.locate(crop[None])[0], read.locate(crop[None])[0]
    np.testing.assert_array_equal(a[:48], b[:48])
    err = np.linalg.norm(a[48:] - b[48:], axis=1) / interocular(a)
    assert err.mean() < 0.04 and err.max() < 0.08, err
    assert 0.1 < mouth_opening(b) < 0.3 and abs(mouth_opening(b) - mouth_opening(a)) < 0.05  # parted a little

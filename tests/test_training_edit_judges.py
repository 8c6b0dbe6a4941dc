"""The judges outside the project: dlib (skipped without `pip install '.[eval]'`) and an ONNX landmark judge."""

import numpy as np
import pytest

from ganimate.training import edit_judges as ej


@pytest.fixture(scope="module")
def dlib_judge():
    if not ej.dlib_available():
        pytest.skip("dlib / face-recognition-models not installed (pip install '.[eval]')")
    return ej.DlibJudge()


def test_dlib_reads_the_astronauts_face(dlib_judge, astronaut):
    where = dlib_judge.locate(astronaut)
    assert where is not None
    pts = dlib_judge.landmarks(astronaut, where)
    assert pts.shape == (68, 2)
    assert pts[36, 0] < pts[39, 0] < pts[42, 0] < pts[45, 0]  # eyes left to right
    assert pts[27, 1] < pts[30, 1] < pts[51, 1] < pts[57, 1] < pts[8, 1]  # nose above mouth above chin
    box = np.array([where.left(), where.top(), where.right(), where.bottom()])
    assert (pts.mean(0) > box[:2]).all() and (pts.mean(0) < box[2:]).all()


def test_dlib_landmarks_follow_a_shift(dlib_judge, astronaut):
    where = dlib_judge.locate(astronaut)
    shifted = np.roll(astronaut, (6, 10), axis=(0, 1))  # 10 px right, 6 down, read in the same box
    d = dlib_judge.landmarks(shifted, where) - dlib_judge.landmarks(astronaut, where)
    assert np.median(d, axis=0) == pytest.approx((10, 6), abs=1.5)


def test_dlib_identity_distance(dlib_judge, astronaut):
    where = dlib_judge.locate(astronaut)
    a = dlib_judge.descriptor(astronaut, where)
    assert a.shape == (128,)
    assert ej.identity_distance(a, a) == 0.0
    darker = (astronaut * 0.8).astype(np.uint8)
    assert ej.identity_distance(a, dlib_judge.descriptor(darker, where)) < 0.15
    rng = np.random.default_rng(0)
    scrambled = astronaut.copy()
    y0, x0, y1, x1 = where.top(), where.left(), where.bottom(), where.right()
    patch = scrambled[y0:y1, x0:x1].reshape(-1, 3)
    scrambled[y0:y1, x0:x1] = patch[rng.permutation(len(patch))].reshape(y1 - y0, x1 - x0, 3)
    assert ej.identity_distance(a, dlib_judge.descriptor(scrambled, where)) > 0.3


def test_dlib_falls_back_to_given_landmarks(dlib_judge):
    blank = np.full((100, 100, 3), 128, np.uint8)
    assert dlib_judge.locate(blank) is None
    box = dlib_judge.locate(blank, fallback=np.array([[20.0, 30.0], [70.0, 80.0]]))
    assert (box.left(), box.top(), box.right(), box.bottom()) == (20, 30, 70, 80)


def _constant_landmark_onnx(path, size: int, where: tuple[float, float]) -> None:
    """A model whose `landmarks` output puts all 68 points at one place, crop units (x + 0.5) / S."""
    import onnx
    from onnx import TensorProto, helper

    const = np.tile(np.array(where, np.float32), (1, 68, 1))
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["m"], keepdims=0),  # (N,) ... keeps the batch dim alive
        helper.make_node("Constant", [], ["c"], value=helper.make_tensor("c", TensorProto.FLOAT, const.shape,
                                                                         const.ravel())),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
        helper.make_node("Add", ["c", "z"], ["landmarks"]),
    ]
    graph = helper.make_graph(
        nodes, "lm",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("landmarks", TensorProto.FLOAT, None)],
        initializer=[helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def test_onnx_landmark_judge_maps_crop_units_back_to_the_photo(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("torch")  # ganimate.training.landmark_crops imports the torch dataset module
    from ganimate.face.align import FACE_TEMPLATE, invert_transform, transform_points
    from ganimate.training.landmark_crops import five_points
    from tests.edit_faces import skin_face

    size = 64
    img, pts = skin_face()
    five = five_points(pts)
    for k in (0, 2, 4):  # left eye, nose, right mouth corner of the template, in crop units, land on the photo
        unit = (FACE_TEMPLATE[k] * size + 0.5) / size
        path = tmp_path / f"lm{k}.onnx"
        _constant_landmark_onnx(path, size, tuple(unit))
        judge = ej.OnnxLandmarkJudge(path)  # no detector: located by the fallback landmarks
        where = judge.locate(img, fallback=pts)
        out = judge.landmarks(img, where)
        assert out.shape == (68, 2)
        want = transform_points(invert_transform(where), FACE_TEMPLATE[k:k + 1] * size)[0]
        assert out[0] == pytest.approx(want, abs=1e-4)  # float32 crop units
        assert np.linalg.norm(out[0] - five[k]) < 3.0  # the similarity fit's residual, a few px


def test_onnx_landmark_judge_needs_a_landmarks_output(tmp_path):
    pytest.importorskip("onnx")
    import onnx
    from onnx import TensorProto, helper

    from ganimate.errors import GanimateError

    graph = helper.make_graph([helper.make_node("Identity", ["image"], ["aus"])], "g",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("aus", TensorProto.FLOAT, [1, 3, 8, 8])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "a.onnx"))
    with pytest.raises(GanimateError, match="landmarks"):
        ej.OnnxLandmarkJudge(tmp_path / "a.onnx")
    with pytest.raises(GanimateError, match="not found"):
        ej.OnnxLandmarkJudge(tmp_path / "missing.onnx")

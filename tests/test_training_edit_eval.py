"""The edit evaluation harness: held-out photo choice, both experiments with stand-in judges, the tables."""

import csv

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")  # ganimate.training.landmark_crops imports the torch dataset module
from ganimate.au.names import AU_NAMES, au_index  # noqa: E402
from ganimate.face.types import Face  # noqa: E402
from ganimate.training import edit_eval as ee  # noqa: E402
from ganimate.training.edit_editors import FacePhoto  # noqa: E402
from ganimate.training.generator_eval import TARGETS  # noqa: E402
from ganimate.training.holdout import is_heldout_person  # noqa: E402
from ganimate.training.landmark_crops import five_points  # noqa: E402
from tests.edit_faces import skin_face, synthetic_landmarks  # noqa: E402

HELD = [f"Person_{i}" for i in range(300) if is_heldout_person(f"Person_{i}")][:3]
TRAIN = [f"Person_{i}" for i in range(300) if not is_heldout_person(f"Person_{i}")][:1]


def _write_faces(root, rows):
    """rows: (path, expression, AU12); writes the three CSVs and the JPEGs edit_eval reads."""
    img, pts = skin_face()
    xy = [f"x_{i}" for i in range(68)] + [f"y_{i}" for i in range(68)]
    with open(root / "openface_landmarks.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "success", "confidence", *xy])
        for path, _, _ in rows:
            w.writerow([path, 1, 0.98, *pts[:, 0], *pts[:, 1]])
        w.writerow(["lfw/Nobody/Nobody_0001.jpg", 0, 0, *[""] * 136])
    with open(root / "openface_aus.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "success", "confidence", *(f"{n}_r" for n in AU_NAMES)])
        for path, _, au12 in rows:
            aus = np.zeros(17)
            aus[au_index("AU12")] = au12
            w.writerow([path, 1, 0.98, *aus])
    with open(root / "lfw_expressions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "identity", "expression_muxspace"])
        for path, expr, _ in rows:
            w.writerow([path, path.split("/")[1], expr])
    for path, _, _ in rows:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


@pytest.fixture()
def faces(tmp_path):
    a, b, c = HELD
    rows = [(f"lfw/{a}/{a}_0001.jpg", "neutral", 0.1), (f"lfw/{a}/{a}_0002.jpg", "happiness", 1.0),
            (f"lfw/{a}/{a}_0003.jpg", "happiness", 2.5), (f"lfw/{a}/{a}_0004.jpg", "neutral", 0.0),
            (f"lfw/{b}/{b}_0001.jpg", "neutral", 0.2),
            (f"lfw/{c}/{c}_0001.jpg", "happiness", 2.0),
            (f"lfw/{TRAIN[0]}/{TRAIN[0]}_0001.jpg", "neutral", 0.0),
            (f"lfw/{TRAIN[0]}/{TRAIN[0]}_0002.jpg", "happiness", 3.0)]
    _write_faces(tmp_path, rows)
    return tmp_path


def test_heldout_neutral_photos_and_pairs(faces):
    labels = ee.read_labels(faces)
    a, b, _ = HELD
    assert "lfw/Nobody/Nobody_0001.jpg" not in labels.landmarks  # OpenFace found no face
    assert ee.neutral_paths(labels, 10) == sorted([f"lfw/{a}/{a}_0001.jpg", f"lfw/{b}/{b}_0001.jpg"])
    assert len(ee.neutral_paths(labels, 1)) == 1
    # only the held-out person with both labels; the happy photo with the strongest AU12
    assert ee.reenactment_pairs(labels, 10) == [(f"lfw/{a}/{a}_0001.jpg", f"lfw/{a}/{a}_0003.jpg")]
    photo = ee.load_photo(faces, labels, f"lfw/{a}/{a}_0003.jpg")
    assert photo.image.shape == (160, 160, 3) and photo.aus[au_index("AU12")] == pytest.approx(2.5)


def test_target_vector_sets_only_the_targeted_aus():
    own = np.arange(17, dtype=np.float32) / 10
    t = ee.target_vector(own, TARGETS["smile"])
    assert t[au_index("AU12")] == 3.0 and t[au_index("AU06")] == 2.0
    others = [i for i in range(17) if AU_NAMES[i] not in ("AU06", "AU12")]
    assert np.array_equal(t[others], own[others])


# Stand-ins: a landmark judge that reads where the synthetic mouth corners are (they are painted as dots),
# an identity "descriptor" of mean colour, an estimator whose AU12 is the mean brightness of the crop.

CORNER_DOT = (0, 255, 0)


class _CornerJudge:
    name = "fake"

    def locate(self, image, fallback=None):
        return "here"

    def landmarks(self, image, where):
        pts = synthetic_landmarks()
        green = np.argwhere((image[..., 1] > 200) & (image[..., 0] < 60))
        if len(green):
            left, right = green[green[:, 1] < 80], green[green[:, 1] >= 80]
            pts[48] = left[:, ::-1].mean(0) if len(left) else pts[48]
            pts[54] = right[:, ::-1].mean(0) if len(right) else pts[54]
        return pts

    def descriptor(self, image, where):
        return image.reshape(-1, 3).mean(0) / 255.0


class _Estimator:
    size = 32

    def estimate(self, crops):
        out = np.zeros((len(crops), 17), np.float32)
        out[:, au_index("AU12")] = crops.astype(np.float32).mean(axis=(1, 2, 3)) / 50
        return out


class _Detector:
    def detect(self, image):
        return [Face(np.array([30, 30, 130, 150], np.float32), five_points(synthetic_landmarks()).astype(np.float32),
                     0.99)]


def _dots(img, pts, spread):
    out = img.copy()
    for k, sign in ((48, -1), (54, 1)):
        x, y = np.round(pts[k] + (sign * spread, 0)).astype(int)
        out[y - 1:y + 2, x - 1:x + 2] = CORNER_DOT
    return out


def _widen(photo: FacePhoto, target: np.ndarray) -> np.ndarray:
    """An 'editor' that widens the mouth by 2 px a side per unit of target AU12 over the photo's, and
    brightens the face by 10 per unit."""
    d = float(target[au_index("AU12")] - photo.aus[au_index("AU12")])
    base = photo.image.copy()
    base[(base[..., 1] > 200) & (base[..., 0] < 60)] = (205, 150, 120)  # remove the old dots
    out = np.clip(base.astype(np.float32) + 10 * d * (base[..., :1] > 150), 0, 255).astype(np.uint8)
    return _dots(out, photo.landmarks, 2 * d)


def _judges():
    j = _CornerJudge()
    return ee.Judges([j], j, _Estimator(), _Detector())


def _photo(au12: float) -> FacePhoto:
    img, pts = skin_face()
    aus = np.zeros(17, np.float32)
    aus[au_index("AU12")] = au12
    return FacePhoto(_dots(img, pts, 0.0), pts, aus, f"p{au12}")


def test_single_targets_with_stand_in_judges():
    res = ee.run_single_targets({"widen": _widen, "same": lambda p, t: p.image.copy()}, _judges(),
                                [_photo(0.0), _photo(0.0)], grid_faces=1, log=lambda *_: None)
    assert res.n_faces == 2 and len(res.inputs) == 1 and len(res.grids["widen"]["smile"]) == 1
    smile, same = res.means["widen"]["smile"], res.means["same"]["smile"]
    iod = 46.0  # synthetic eyes: outer corners 46 px apart
    assert smile["d_mouth_width/fake"] == pytest.approx(2 * 2 * 3 / iod, rel=0.05)  # AU12 0 -> 3: 6 px a side
    assert smile["rise_AU12"] > 0.2 and smile["rise_blurred_AU12"] > 0.2 and smile["identity"] > 0
    assert same["d_mouth_width/fake"] == 0 and same["rise_AU12"] == 0 and same["identity"] == 0
    assert same["foreign_hue"] == same["foreign_hue_unedited"] > 0  # the 18 dot pixels: under 1 % of the face
    assert same["foreign_hue_new"] == 0  # an edit that changes nothing makes no foreign hue
    assert same["outside_change"] == 0
    assert res.means["widen"]["frown"]["d_mouth_width/fake"] == 0  # frown does not touch AU12
    table = ee.single_table(res, {"d_mouth_width/fake": 0.1}, ["fake"])
    assert "| smile | Δ mouth_width (fake) |  | +0.261 | +0.000 | +0.100 |" in table
    assert "≥ 1.3" in table and "≤ 30%" in table and "≥ +0.15" in table
    assert "| eyes closed | lid gap, pooled: mean after / mean before (fake) |  | 100% | 100% |  |" in table
    # pooled: the mean gap after over the mean gap before, whatever the mean of per-face ratios
    res.means["widen"]["eyes closed"].update({"lid_gap_before/fake": 0.2, "lid_gap_after/fake": 0.05,
                                              "lid_ratio/fake": 0.9})
    assert "| eyes closed | lid gap, pooled: mean after / mean before (fake) |  | 25% | 100% |  |" in \
        ee.single_table(res, {}, ["fake"])


def test_reenactment_ratios_against_the_real_smile():
    neutral, happy = _photo(0.0), _photo(2.0)
    happy = FacePhoto(_widen(neutral, happy.aus), neutral.landmarks, happy.aus, "happy")  # the "real" smile
    half = {"half": lambda p, t: _widen(p, p.aus + (t - p.aus) / 2), "full": _widen}
    res = ee.run_reenactment(half, _judges(), [(neutral, happy)], log=lambda *_: None)
    assert res.n_pairs == 1
    assert res.summary["full"]["mouth_widening_ratio"] == pytest.approx(1.0)
    assert res.summary["full"]["way_fraction"] == pytest.approx(1.0, abs=0.02)
    assert res.summary["full"]["identity"] == pytest.approx(res.summary["full"]["identity_real"])
    assert res.summary["half"]["mouth_widening_ratio"] == pytest.approx(0.5, abs=0.05)
    assert res.summary["half"]["way_fraction"] == pytest.approx(0.5, abs=0.05)
    assert res.summary["half"]["au12_rise_ratio"] == pytest.approx(0.5, abs=0.1)
    table = ee.reenactment_table(res)
    row = next(line for line in table.splitlines() if line.startswith("| mouth widening / real's | 0.9–1.2 |"))
    assert row.split("|")[4].strip() == "1.00"  # columns: measure, goal, half, full


def test_a_photo_without_a_runtime_face_is_skipped():
    class _None:
        def detect(self, image):
            return []

    j = _CornerJudge()
    res = ee.run_single_targets({"same": lambda p, t: p.image}, ee.Judges([j], j, _Estimator(), _None()),
                                [_photo(0.0)], log=lambda *_: None)
    assert res.n_faces == 0 and res.skipped == ["p0.0"]


def test_bad_paths_are_one_error(tmp_path):
    from ganimate.errors import GanimateError

    with pytest.raises(GanimateError, match="not found"):
        ee.main(["--generator", str(tmp_path / "nope.onnx"), "--out", str(tmp_path / "o")])
    with pytest.raises(SystemExit):
        ee.main(["--out", str(tmp_path / "o")])  # nothing to judge


@pytest.mark.shared
@pytest.mark.slow
def test_edit_eval_on_real_photos(shared_dir, tmp_path):
    """The whole command on 2 held-out photos and 2 pairs: the shipped generator and the baseline."""
    import json

    from ganimate.infer.models import DEFAULT_GENERATOR
    from ganimate.training.edit_judges import dlib_available

    if not dlib_available():
        pytest.skip("dlib / face-recognition-models not installed (pip install '.[eval]')")
    out = tmp_path / "eval"
    ee.main(["--generator", str(DEFAULT_GENERATOR), "--baseline", "--faces", "2", "--pairs", "2",
             "--data", str(shared_dir / "data"), "--out", str(out)])
    doc = json.loads((out / "edit_eval.json").read_text())
    assert doc["single_targets"]["faces"] == 2 and doc["reenactment"]["pairs"] == 2
    base = doc["single_targets"]["means"]["geometry baseline"]
    assert base["smile"]["d_mouth_width/dlib"] > 0.02  # the warp pulls the lip corners apart
    assert base["mouth open"]["d_lip_gap/dlib"] > 0.02
    assert base["eyes closed"]["outside_change"] < 0.5  # a lid warp moves nothing outside the face
    assert 0 < doc["single_targets"]["means"]["generator.onnx"]["smile"]["identity"] < 1.0
    assert "| smile | AU12 rise | ≥ 1.3 |" in (out / "edit_eval.md").read_text()
    grid = cv2.imread(str(out / "grid_geometry_baseline.png"))
    assert grid.shape == (24 + 2 * 160, 6 * 160, 3)


def test_jaw_slide_reads_a_sideways_shift_not_a_symmetric_widening():
    img, pts = skin_face()

    def reading(points):
        return ee.Reading({"fake": points}, np.zeros(3), np.zeros(17, np.float32), np.zeros(17, np.float32))

    slid, widened = pts.copy(), pts.copy()
    slid[:17, 0] += 3.0  # the whole jaw 3 px to the right, eyes and nose held
    widened[:8, 0] -= 3.0  # each side 3 px outwards
    widened[9:17, 0] += 3.0
    iod = float(np.linalg.norm(pts[45] - pts[36]))
    assert ee.compare(img, reading(pts), img, reading(slid))["jaw_slide/fake"] == pytest.approx(3.0 / iod, rel=1e-3)
    assert ee.compare(img, reading(pts), img, reading(widened))["jaw_slide/fake"] == pytest.approx(0.0, abs=1e-3)


def test_smile_removal_reads_the_way_back_against_the_real_neutral():
    neutral, happy = _photo(0.0), _photo(2.0)
    happy = FacePhoto(_widen(neutral, happy.aus), neutral.landmarks, happy.aus, "happy")
    undo = {"none": lambda p, t: p.image, "back": lambda p, t: neutral.image}
    res = ee.run_reenactment(undo, _judges(), [(happy, neutral)], log=lambda *_: None)
    table = ee.removal_table(res)
    row = next(line for line in table.splitlines() if line.startswith("| mouth narrowing / real's |"))
    none, back = (float(c) for c in row.split("|")[2:4])  # columns: measure, none, back
    assert none == pytest.approx(0.0) and back == pytest.approx(1.0)
    assert "| identity distance to the happy photo |" in table

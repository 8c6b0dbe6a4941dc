import csv
import json

import cv2
import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.errors import GanimateError
from ganimate.training.prepare import (
    PrepareConfig,
    collect_media,
    pad_image,
    prepare_dataset,
)

skimage_data = pytest.importorskip("skimage.data")


def _write_photos(root, n_people=2, per_person=2):
    """A folder per person of jittered astronaut photos plus an OpenFace-style label table."""
    base = skimage_data.astronaut()
    rng = np.random.default_rng(0)
    rows = []
    for p in range(n_people):
        for k in range(per_person):
            person = root / f"Person_{p}"
            person.mkdir(parents=True, exist_ok=True)
            m = cv2.getRotationMatrix2D((256, 256), rng.uniform(-8, 8), rng.uniform(0.9, 1.1))
            m[:, 2] += rng.uniform(-15, 15, 2)
            img = cv2.warpAffine(base, m, (512, 512), borderMode=cv2.BORDER_REFLECT)
            path = person / f"Person_{p}_{k:04d}.jpg"
            cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
            aus = rng.uniform(0, 5, len(AU_NAMES)).round(2)
            rows.append([f"Person_{p}/{path.name}", 1, 0.98, *aus])
    labels = root / "labels.csv"
    with open(labels, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "success", "confidence", *[f"{a}_r" for a in AU_NAMES]])
        w.writerows(rows)
    return labels, rows


def test_prepare_photos_writes_aligned_crops_and_labels(tmp_path):
    photos = tmp_path / "photos"
    labels, rows = _write_photos(photos)
    out = tmp_path / "ds"
    stats = prepare_dataset([photos], out, labels, PrepareConfig(size=64), progress=False)
    assert stats.crops == len(rows) and stats.no_face == 0
    meta = json.loads((out / "dataset.json").read_text())
    assert meta["count"] == len(rows) and meta["size"] == 64
    with open(out / "aus.csv") as fh:
        got = list(csv.DictReader(fh))
    assert [r["identity"] for r in got] == ["Person_0", "Person_0", "Person_1", "Person_1"]
    by_name = {r[0].split("/")[-1]: r[3:] for r in rows}
    for r in got:
        expected = by_name[r["source"].split("/")[-1]]
        assert [float(r[f"{a}_r"]) for a in AU_NAMES] == pytest.approx([float(v) for v in expected], abs=1e-3)
        crop = cv2.imread(str(out / r["file"]))
        assert crop.shape == (64, 64, 3)
    # alignment: every crop shows the face at the same place, so crops agree far better than the photos
    crops = np.stack([cv2.imread(str(out / r["file"])).astype(np.float32) for r in got])
    assert np.abs(crops - crops.mean(0)).mean() < 25


def test_prepare_skips_photos_without_labels_and_refuses_non_empty_output(tmp_path):
    photos = tmp_path / "photos"
    labels, rows = _write_photos(photos, n_people=1, per_person=2)
    lines = labels.read_text().splitlines()
    labels.write_text("\n".join(lines[:2]) + "\n")  # only the first photo is labelled
    out = tmp_path / "ds"
    stats = prepare_dataset([photos], out, labels, PrepareConfig(size=64), progress=False)
    assert stats.crops == 1 and stats.no_label == 1
    with pytest.raises(GanimateError, match="not empty"):
        prepare_dataset([photos], out, labels, PrepareConfig(size=64), progress=False)


def test_prepare_one_video_with_its_featureextraction_csv_as_labels(tmp_path, astronaut):
    from ganimate.au.openface_csv import OpenFaceCsvWriter
    from ganimate.synth import make_face_clip

    clip = make_face_clip(tmp_path / "clip.mp4", astronaut, n_frames=6, fps=25, size=(256, 256), audio=False)
    rng = np.random.default_rng(1)
    truth = rng.uniform(0, 5, (6, len(AU_NAMES))).round(2)
    labels = tmp_path / "clip.openface.csv"  # beside the video too, but given explicitly as the label file
    with OpenFaceCsvWriter(labels) as w:
        for i in range(6):
            w.write_row(i + 1, 0, i / 25, 0.98, i != 2, truth[i])  # frame 3 not tracked: no crop from it
    out = tmp_path / "ds"
    stats = prepare_dataset([clip], out, labels, PrepareConfig(size=64), progress=False)
    with open(out / "aus.csv") as fh:
        got = list(csv.DictReader(fh))
    assert stats.crops == len(got) >= 3
    assert all(int(r["frame"]) != 2 for r in got)
    for r in got:
        expected = truth[int(r["frame"])]
        assert [float(r[f"{a}_r"]) for a in AU_NAMES] == pytest.approx(expected, abs=1e-3)
    other = make_face_clip(tmp_path / "other.mp4", astronaut, n_frames=3, fps=25, size=(256, 256), audio=False)
    with pytest.raises(GanimateError, match="labels one video"):
        prepare_dataset([clip, other], tmp_path / "ds2", labels, PrepareConfig(size=64), progress=False)


def test_collect_media_errors_and_identities(tmp_path):
    with pytest.raises(GanimateError):
        collect_media([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanimateError, match="no images or videos"):
        collect_media([tmp_path / "empty"])
    (tmp_path / "flat").mkdir()
    cv2.imwrite(str(tmp_path / "flat" / "a.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "flat" / "Bob").mkdir()
    cv2.imwrite(str(tmp_path / "flat" / "Bob" / "b.png"), np.zeros((8, 8, 3), np.uint8))
    items = {i.path.name: i.identity for i in collect_media([tmp_path / "flat"])}
    assert items == {"a.png": "a", "b.png": "Bob"}


def test_pad_image_replicates_border():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    padded, pad = pad_image(img, 0.5)
    assert pad == 2 and padded.shape == (6, 7, 3)
    np.testing.assert_array_equal(padded[2:4, 2:5], img)
    np.testing.assert_array_equal(padded[0, 0], img[0, 0])


def test_merge_datasets_renumbers_and_keeps_rows(tmp_path):
    from ganimate.training.prepare import merge_datasets

    parts = []
    for k in range(2):
        photos = tmp_path / f"photos{k}"
        labels, _ = _write_photos(photos, n_people=1, per_person=2)
        parts.append(tmp_path / f"ds{k}")
        prepare_dataset([photos], parts[-1], labels, PrepareConfig(size=32), progress=False)
    merged = tmp_path / "merged"
    assert merge_datasets(parts, merged) == 4
    with open(merged / "aus.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["file"] for r in rows] == [f"crops/{i:07d}.jpg" for i in range(4)]
    assert all((merged / r["file"]).exists() for r in rows)
    assert json.loads((merged / "dataset.json").read_text())["count"] == 4

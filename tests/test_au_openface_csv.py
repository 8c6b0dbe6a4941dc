"""OpenFace AU CSV reading and streaming writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES, N_AUS
from ganimate.au.openface_csv import OpenFaceCsvWriter, read_openface_csv, write_openface_csv
from ganimate.errors import GanimateError

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
AU_HEADER = ", ".join(f"{n}_r" for n in AU_NAMES)


def _random_aus(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.round(rng.uniform(0, 5, size=(n, N_AUS)), 2).astype(np.float32)


def test_round_trip_write_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    aus = _random_aus(rng, 40)
    aus[7] = np.nan  # a frame without a face
    path = tmp_path / "out.csv"
    with OpenFaceCsvWriter(path) as writer:
        for i in range(40):
            writer.write_row(i + 1, 0, i / 25, 0.98 if i != 7 else 0.0, i != 7, aus[i])
        assert not path.exists(), "the file must appear only when the writer closes"
    assert writer.rows_written == 40
    track = read_openface_csv(path)
    assert len(track) == 40
    np.testing.assert_array_equal(track.frame, np.arange(1, 41))
    np.testing.assert_allclose(track.timestamp, np.round(np.arange(40) / 25, 3), atol=1e-9)
    assert track.success.sum() == 39 and not track.success[7]
    assert np.isnan(track.aus[7]).all()
    ok = np.arange(40) != 7
    np.testing.assert_allclose(track.aus[ok], aus[ok], atol=1e-6)
    assert track.aus.dtype == np.float32 and track.aus.shape == (40, N_AUS)
    # OpenFace layout: ", " separators and the exact column order
    header = path.read_text().splitlines()[0]
    assert header == f"frame, face_id, timestamp, confidence, success, {AU_HEADER}"


def test_write_whole_track_and_more_decimals(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    aus = rng.uniform(0, 5, size=(5, N_AUS)).astype(np.float32)
    src = tmp_path / "a.csv"
    with OpenFaceCsvWriter(src, au_decimals=4) as writer:
        for i in range(5):
            writer.write_row(i + 1, 2, i * 0.04, 0.9, True, aus[i])
    track = read_openface_csv(src)
    np.testing.assert_allclose(track.aus, aus, atol=5e-5)
    assert (track.face_id == 2).all()
    dst = tmp_path / "b.csv"
    write_openface_csv(dst, track, au_decimals=4)
    again = read_openface_csv(dst)
    np.testing.assert_array_equal(again.aus, track.aus)
    np.testing.assert_array_equal(again.frame, track.frame)


def test_writer_error_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), OpenFaceCsvWriter(path) as writer:
        writer.write_row(1, 0, 0.0, 1.0, True, np.zeros(N_AUS))
        raise RuntimeError("decoder failed")
    assert not path.exists()
    with OpenFaceCsvWriter(path) as writer, pytest.raises(ValueError):
        writer.write_row(1, 0, 0.0, 1.0, True, np.zeros(5))


def test_any_column_order_whitespace_and_image_layout(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    aus = _random_aus(rng, 3)
    order = rng.permutation(N_AUS)
    cols = ["  confidence", "AU99_c", *[f"{AU_NAMES[i]}_r " for i in order], "path ", " success"]
    lines = [",".join(cols)]
    for r in range(3):
        cells = ["0.9", "1", *[f" {aus[r, i]:.2f}" for i in order], f"img{r}.jpg", "1"]
        lines.append(" ,".join(cells))
    lines.append("")  # trailing blank line
    lines.append("0.0,0," + ",".join("" for _ in order) + ",missing.jpg,0")  # no face: empty AUs
    path = tmp_path / "img.csv"
    path.write_text("\n".join(lines) + "\n")
    track = read_openface_csv(path)
    assert len(track) == 4
    np.testing.assert_allclose(track.aus[:3], aus, atol=1e-6)
    assert np.isnan(track.aus[3]).all()
    assert track.success.tolist() == [True, True, True, False]
    assert track.names == ("img0.jpg", "img1.jpg", "img2.jpg", "missing.jpg")
    np.testing.assert_array_equal(track.frame, np.arange(4))  # no frame column: row index
    assert np.isnan(track.timestamp).all()


def test_no_success_column_means_aus_present(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    row_ok = ",".join(["1.0"] * N_AUS)
    row_gap = ",".join([""] * N_AUS)
    path.write_text(f"name,confidence,{AU_HEADER.replace(' ', '')}\na,0.9,{row_ok}\nb,0.0,{row_gap}\n")
    track = read_openface_csv(path)
    assert track.success.tolist() == [True, False]
    assert track.names == ("a", "b")


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("frame, AU01_r, AU02_r\n1, 0.1, 0.2\n", "missing column(s) AU04_r"),
        (f"frame, success, {AU_HEADER}\n", "no rows"),
        (f"frame, success, {AU_HEADER}\n1, 1, " + ", ".join(["0.5"] * 16) + ", abc\n", ":2: column 'AU45_r' "
         "has non-numeric value 'abc'"),
        (f"frame, success, {AU_HEADER}\n1, 1, 0.5\n", ":2: row has 3 fields"),
        (f"frame, success, {AU_HEADER}\n1.5, 1, " + ", ".join(["0.5"] * 17) + "\n", "whole number"),
        (f"frame, success, {AU_HEADER}\n1, 2, " + ", ".join(["0.5"] * 17) + "\n", "0 or 1"),
        (f"frame, frame, {AU_HEADER}\n", "appears twice"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, content: str, expect: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(GanimateError) as info:
        read_openface_csv(path)
    msg = str(info.value)
    assert str(path) in msg and expect in msg and "\n" not in msg


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GanimateError, match="cannot open"):
        read_openface_csv(tmp_path / "nope.csv")


def _parse_plainly(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Independent reference reader for the FeatureExtraction layout: split on ', '."""
    lines = path.read_text().strip().splitlines()
    header = [c.strip() for c in lines[0].split(",")]
    rows = [[c.strip() for c in line.split(",")] for line in lines[1:]]
    idx = [header.index(f"{n}_r") for n in AU_NAMES]
    aus = np.array([[float(r[i]) for i in idx] for r in rows], dtype=np.float32)
    frames = np.array([int(r[header.index("frame")]) for r in rows])
    success = np.array([r[header.index("success")] == "1" for r in rows])
    return frames, success, aus


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared not present")
@pytest.mark.parametrize("name", ["0188_03_021_al_pacino", "s13", "multi_face"])
def test_reads_real_openface_file(name: str) -> None:
    path = SHARED / "data" / "videos" / f"{name}.openface.csv"
    track = read_openface_csv(path)
    frames, success, aus = _parse_plainly(path)
    assert len(track) == len(frames) > 0
    np.testing.assert_array_equal(track.frame, frames)
    np.testing.assert_array_equal(track.success, success)
    np.testing.assert_array_equal(track.aus, aus)
    assert track.aus.min() >= 0 and track.aus.max() <= 5


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared not present")
def test_reads_real_image_file() -> None:
    path = SHARED / "data" / "images" / "openface_aus.csv"
    track = read_openface_csv(path)
    lines = path.read_text().strip().splitlines()
    first = lines[1].split(",")
    assert len(track) == len(lines) - 1
    assert track.names is not None and track.names[0] == first[0]
    np.testing.assert_allclose(track.aus[0], [float(v) for v in first[2:]], atol=1e-6)
    assert track.success.all()


def test_writer_refuses_to_overwrite_an_input(tmp_path: Path) -> None:
    video = tmp_path / "clip.csv"
    video.write_text("keep me")
    with pytest.raises(GanimateError, match="overwrite the input"), OpenFaceCsvWriter(video, inputs=[video]):
        pass
    assert video.read_text() == "keep me"


def test_row_parsers_read_aus_and_landmarks_and_refuse_empty_cells():
    from ganimate.au.names import AU_NAMES
    from ganimate.au.openface_csv import LANDMARK_COLUMNS, aus_from_row, landmarks_from_row

    row = {f"{n}_r": str(i / 10) for i, n in enumerate(AU_NAMES)}
    row.update({c: str(i) for i, c in enumerate(LANDMARK_COLUMNS)})
    aus, pts = aus_from_row(row), landmarks_from_row(row)
    assert aus.dtype == np.float32 and aus[3] == np.float32(0.3)
    assert pts.shape == (68, 2) and tuple(pts[5]) == (5.0, 73.0)  # x_5 is column 5, y_5 column 68 + 5
    assert aus_from_row({**row, "AU12_r": ""}) is None and aus_from_row({**row, "AU01_r": "nan"}) is None
    assert landmarks_from_row({**row, "y_67": ""}) is None and landmarks_from_row({"x_0": "1"}) is None


def test_a_temp_file_that_cannot_be_opened_raises_its_own_error_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    real_open = Path.open

    def failing_open(self, *args, **kwargs):
        if ".ganimate-tmp-" in self.name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", failing_open)
    with pytest.raises(PermissionError):
        with OpenFaceCsvWriter(tmp_path / "out.csv"):
            pass
    assert list(tmp_path.iterdir()) == []

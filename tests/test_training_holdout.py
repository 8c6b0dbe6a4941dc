import json
import os
import subprocess
import sys

import pytest

from ganimate.errors import GanimateError
from ganimate.training.holdout import (
    HELDOUT_CLIPS,
    clip_person,
    heldout_lfw_people,
    is_heldout,
    is_heldout_clip,
    is_heldout_person,
    write_holdout_json,
)

NAMES = [f"Person_{i:05d}" for i in range(5000)]


def test_about_ten_percent_of_people():
    held = heldout_lfw_people(NAMES)
    assert 0.085 <= len(held) / len(NAMES) <= 0.115
    assert held == sorted(held) and set(held) <= set(NAMES)
    assert heldout_lfw_people(NAMES + NAMES) == held


def test_choice_does_not_depend_on_python_hash_seed():
    code = ("from ganimate.training.holdout import heldout_lfw_people as h; "
            "print(','.join(h([f'P{i}' for i in range(300)])))")
    runs = {
        subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                       capture_output=True, text=True, check=True).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1 and runs.pop().strip() == ",".join(heldout_lfw_people([f"P{i}" for i in range(300)]))


def test_clips_and_sources():
    assert len(HELDOUT_CLIPS) == 4
    for stem in HELDOUT_CLIPS:
        assert is_heldout(stem, f"../shared/data/videos/{stem}.mp4")
        assert is_heldout(stem, f"C:\\data\\videos\\{stem}.avi")
    held_all = set(heldout_lfw_people(NAMES))
    trained = next(n for n in NAMES if n not in held_all)
    held = min(held_all)
    assert is_heldout(held, f"/x/faces/lfw/{held}/{held}_0001.jpg")
    assert not is_heldout(trained, f"/x/faces/lfw/{trained}/{trained}_0001.jpg")
    # the source decides the kind: a held-out name on a UTKFace photo or a non-LFW photo is training data
    assert not is_heldout(held, f"faces/utkface/{held}.jpg.chip.jpg")
    assert not is_heldout(HELDOUT_CLIPS[1], f"images/{HELDOUT_CLIPS[1]}.png")
    assert not is_heldout("d13", "videos/d13.mp4")


def test_same_person_held_out_in_clips_and_lfw():
    stem = next(s for s in HELDOUT_CLIPS if clip_person(s))
    person = "_".join(w.capitalize() for w in clip_person(stem).split("_"))
    assert is_heldout_person(person) and is_heldout(person, f"lfw/{person}/{person}_0003.jpg")
    # a YouTube-Faces-style clip of any hash-held-out LFW person is held out, and only those
    held = heldout_lfw_people(NAMES)[:3]
    trained = [n for n in NAMES[:200] if n not in held][:3]
    for name in held:
        assert is_heldout_clip(f"0001_01_001_{name.lower()}")
    for name in trained:
        assert not is_heldout_clip(f"0001_01_001_{name.lower()}")
    assert clip_person("d12") is None


def test_write_holdout_json(tmp_path):
    lfw = tmp_path / "faces" / "lfw"
    for name in NAMES[:200]:
        (lfw / name).mkdir(parents=True)
        (lfw / name / f"{name}_0001.jpg").write_bytes(b"")
    videos = tmp_path / "videos"
    videos.mkdir()
    for stem in ("d12", "d13", "default"):
        (videos / f"{stem}.mp4").write_bytes(b"")
    doc = write_holdout_json(tmp_path / "card" / "holdout.json", lfw)
    on_disk = json.loads((tmp_path / "card" / "holdout.json").read_text())
    assert on_disk == doc
    assert doc["lfw_people"] == heldout_lfw_people(NAMES[:200])
    assert doc["lfw_photos_heldout"] == len(doc["lfw_people"]) and doc["lfw_people_total"] == 200
    assert doc["clips"] == list(HELDOUT_CLIPS) and doc["clips_heldout_found"] == ["d12", "default"]
    with pytest.raises(GanimateError):
        write_holdout_json(tmp_path / "x.json", tmp_path / "missing")


@pytest.mark.shared
def test_holdout_of_real_lfw(shared_dir, tmp_path):
    lfw = shared_dir / "data" / "faces" / "lfw"
    doc = write_holdout_json(tmp_path / "holdout.json", lfw)
    assert 0.09 <= doc["lfw_people_heldout"] / doc["lfw_people_total"] <= 0.11
    assert all((lfw / name).is_dir() for name in doc["lfw_people"])
    videos = {p.stem for p in (shared_dir / "data" / "videos").iterdir()}
    assert set(HELDOUT_CLIPS) <= videos
    assert set(HELDOUT_CLIPS) <= set(doc["clips_heldout_found"]) <= videos
    # people in both sets (YouTube Faces clips of LFW people) are held out on both sides
    for stem in doc["clips_heldout_found"]:
        person = clip_person(stem)
        if person:
            folder = "_".join(w.capitalize() for w in person.split("_"))
            assert not (lfw / folder).is_dir() or folder in doc["lfw_people"]

"""The command line as a user meets it: one clear line on stderr and a non-zero exit for bad input."""

import os
import subprocess
import sys

import pytest
from model_files import identity_generator, random_estimator


def ganimate(*args, cwd=None):
    env = dict(os.environ, GANIMATE_DEBUG="")
    return subprocess.run([sys.executable, "-m", "ganimate", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def _one_line_error(proc, pattern):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("error:"), proc.stderr
    assert pattern.lower() in lines[-1].lower(), lines[-1]


def test_help_lists_every_command():
    proc = ganimate("--help")
    assert proc.returncode == 0
    for cmd in ("transfer", "keyframes", "aus", "prepare", "train", "export"):
        assert cmd in proc.stdout


@pytest.fixture(scope="module")
def models():
    return ["--model", identity_generator(), "--au-model", random_estimator()]


def test_missing_source(tmp_path, models):
    _one_line_error(ganimate("transfer", tmp_path / "nope.mp4", tmp_path / "nope.mp4", "-o", tmp_path / "o.mp4",
                             *models), "not found")


def test_text_file_named_mp4(tmp_path, models):
    fake = tmp_path / "fake.mp4"
    fake.write_text("hello, I am not a video")
    _one_line_error(ganimate("transfer", fake, fake, "-o", tmp_path / "o.mp4", *models), "fake.mp4")
    assert not (tmp_path / "o.mp4").exists()


def test_output_equal_to_input_is_refused_and_input_untouched(clip_path, tmp_path, models):
    before = clip_path.read_bytes()
    proc = ganimate("transfer", clip_path, clip_path, "-o", clip_path, *models)
    _one_line_error(proc, "")
    assert clip_path.read_bytes() == before


def test_output_equal_to_the_reference_is_refused_before_any_work_and_the_reference_untouched(clip_path, tmp_path,
                                                                                              models):
    ref = tmp_path / "ref.mp4"
    ref.write_bytes(clip_path.read_bytes())
    proc = ganimate("transfer", clip_path, ref, "-o", ref, *models)
    _one_line_error(proc, "would overwrite the input")
    assert ref.read_bytes() == clip_path.read_bytes()
    aus = tmp_path / "ref.csv"
    aus.write_text("frame, AU01_r\n1, 0.0\n")
    _one_line_error(ganimate("transfer", clip_path, "--aus", aus, "-o", aus, *models), "would overwrite the input")
    assert aus.read_text() == "frame, AU01_r\n1, 0.0\n"


def test_keyframes_refuses_outputs_over_its_curves_or_its_still(tmp_path, models):
    import cv2
    import numpy as np

    curves = tmp_path / "c.json"
    text = '{"curves": {"AU12": [[0, 1]]}}'
    curves.write_text(text)
    still = tmp_path / "face.png"
    cv2.imwrite(str(still), np.full((64, 64, 3), 128, np.uint8))
    before = still.read_bytes()
    _one_line_error(ganimate("keyframes", curves, "--source", still, "-o", curves, *models), "would overwrite")
    _one_line_error(ganimate("keyframes", curves, "--source", still, "-o", still, *models), "would overwrite")
    _one_line_error(ganimate("keyframes", curves, "--source", still, "-o", tmp_path / "o.mp4", "--plot", curves,
                             *models), "would overwrite")
    assert curves.read_text() == text and still.read_bytes() == before
    assert not (tmp_path / "o.mp4").exists()


def test_unwritable_output_folder(clip_path, tmp_path, models):
    _one_line_error(ganimate("transfer", clip_path, clip_path, "-o", tmp_path / "no" / "such" / "o.mp4", *models),
                    "")


def test_curves_with_syntax_error_and_unknown_au(tmp_path, models):
    bad = tmp_path / "bad.json"
    bad.write_text('{"fps": 25, "duration": 1, "curves": {"AU12": [[0, 0], [1, 3]],}}')
    _one_line_error(ganimate("keyframes", bad, "-o", tmp_path / "o.mp4", *models), "json")
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"fps": 25, "duration": 1, "curves": {"AU99": [[0, 1]]}}')
    _one_line_error(ganimate("keyframes", unknown, "-o", tmp_path / "o.mp4", *models), "AU99")
    negative = tmp_path / "neg.json"
    negative.write_text('{"fps": 25, "duration": 1, "curves": {"AU12": [[0, -1]]}}')
    _one_line_error(ganimate("keyframes", negative, "-o", tmp_path / "o.mp4", *models), "")
    assert not (tmp_path / "o.mp4").exists()


def test_bad_option_values(clip_path, tmp_path, models):
    _one_line_error(ganimate("transfer", clip_path, clip_path, "-o", tmp_path / "o.mp4", "--face", "biggest",
                             *models), "--face")
    _one_line_error(ganimate("transfer", clip_path, clip_path, "-o", tmp_path / "o.mp4", "--backend", "tpu",
                             *models), "backend")
    _one_line_error(ganimate("transfer", clip_path, clip_path, "-o", tmp_path / "o.mp4", "--precision", "fp8",
                             *models), "precision")
    _one_line_error(ganimate("transfer", clip_path, clip_path, "-o", tmp_path / "o.mp4", "--mask", "square",
                             *models), "--mask")
    assert not (tmp_path / "o.mp4").exists()


def test_transfer_runs_from_the_command_line(clip_path, tmp_path, models):
    out = tmp_path / "o.mp4"
    proc = ganimate("transfer", clip_path, clip_path, "-o", out, "--quiet", "--precision", "f32", *models)
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and "wrote" in proc.stdout
    assert "generator on OpenVINO CPU f32" in proc.stdout  # the precision in use is visible


def test_a_face_number_that_never_appears_is_named_as_such(clip_path, tmp_path, models):
    proc = ganimate("transfer", clip_path, clip_path, "-o", tmp_path / "o.mp4", "--face", "7", *models)
    _one_line_error(proc, "face 7 never appears")
    assert not (tmp_path / "o.mp4").exists()


def test_aus_names_a_face_number_that_never_appears(clip_path, tmp_path, models):
    proc = ganimate("aus", clip_path, "-o", tmp_path / "a.csv", "--face", "4", "--au-model", models[3])
    _one_line_error(proc, "face 4 never appears")
    assert not (tmp_path / "a.csv").exists()

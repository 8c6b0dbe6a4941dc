"""training/teacher_check.py: pairs chosen by crowd labels, real vs taught shape change."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.training.au_geometry import AuGeometry
from ganimate.training.teacher_check import compare_contrast, contrast_pairs


def _face() -> np.ndarray:
    rng = np.random.default_rng(0)
    p = rng.uniform(30, 90, (68, 2))
    p[36], p[45] = [40, 50], [88, 50]  # outer eye corners: inter-ocular distance 48 px
    p[48], p[54] = [52, 95], [76, 95]
    return p


def test_pairs_take_each_persons_first_neutral_and_strongest_expressive_row():
    ids = ["a", "a", "a", "b", "b", "c"]
    labels = ["neutral", "happiness", "happiness", "happiness", None, "neutral"]
    aus = np.zeros((6, 17))
    aus[1, AU_NAMES.index("AU12")], aus[2, AU_NAMES.index("AU12")] = 1.0, 3.0
    assert contrast_pairs(ids, labels, aus, "happiness", "AU12") == [(0, 2)]  # b has no neutral, c no smile


@pytest.mark.parametrize("share", [1.0, 0.5])
def test_a_teacher_that_moves_the_corners_a_share_of_the_real_motion_reads_that_share(share):
    base = _face()
    smile = base.copy()
    smile[48] += [-2.4, -1.2]
    smile[54] += [2.4, -1.2]  # each corner out and up: the width grows by 4.8 px = 0.1 inter-ocular
    w = np.zeros((17, 68, 2), np.float32)
    k = AU_NAMES.index("AU12")
    w[k, 48], w[k, 54] = np.array([-2.4, -1.2]) * share / 128 / 3, np.array([2.4, -1.2]) * share / 128 / 3
    aus = np.zeros((2, 17))
    aus[1, k] = 3.0
    c = compare_contrast(np.stack([base, smile]), aus, [(0, 1)], AuGeometry(w), 128.0)
    assert c.n == 1 and c.real["mouth_width"] == pytest.approx(0.1, abs=1e-6)
    assert c.taught["mouth_width"] == pytest.approx(share * 0.1, abs=1e-4)
    assert c.taught["corners_up"] == pytest.approx(share * c.real["corners_up"], abs=1e-4) and c.real["corners_up"] > 0


def test_a_missing_input_is_one_line_and_exit_1(tmp_path, capsys):
    from ganimate.errors import run_script
    from ganimate.training.teacher_check import main

    with pytest.raises(SystemExit) as stop:
        run_script(lambda: main([str(tmp_path), str(tmp_path / "labels.csv")]))
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 1 and err.startswith("error: not found:") and "\n" not in err


def test_split_expressions_keeps_labelled_lfw_photos_of_one_split():
    from types import SimpleNamespace

    from ganimate.training.holdout import is_heldout_person
    from ganimate.training.teacher_check import split_expressions

    held = next(n for n in (f"Person_{i}" for i in range(200)) if is_heldout_person(n))
    train = next(n for n in (f"Person_{i}" for i in range(200)) if not is_heldout_person(n))
    files = [f"lfw/{train}_0001.png", f"lfw/{held}_0001.png", "clip/d0_0001.png", f"lfw/{train}_0002.png"]
    sources = [f"faces/lfw/{train}/{train}_0001.jpg", f"faces/lfw/{held}/{held}_0001.jpg", "videos/d0.mp4",
               f"faces/lfw/{train}/{train}_0002.jpg"]
    aus = np.zeros((4, 17))
    aus[3, 0] = np.nan  # an unlabelled AU: left out
    table = SimpleNamespace(files=files, sources=sources, identities=[train, held, "d0", train], aus=aus)
    labels = {f"lfw/{train}/{train}_0001.jpg": "happiness", f"lfw/{held}/{held}_0001.jpg": "neutral",
              f"lfw/{train}/{train}_0002.jpg": "anger"}
    assert split_expressions(table, labels, held=False) == ["happiness", None, None, None]
    assert split_expressions(table, labels, held=True) == [None, "neutral", None, None]

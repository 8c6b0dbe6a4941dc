"""training/real_strength.py: real faces at the edit targets' intensities, paired within a person."""

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.training.real_strength import LOW, STRONG, measure, strong_pairs

K12 = AU_NAMES.index("AU12")


def _table():
    """6 rows of 3 people: A has a strong smile and two neutral rows, B a strong smile and a half smile, C only
    a strong smile."""
    aus = np.zeros((7, 17), np.float32)
    aus[[0, 3, 5], K12] = 3.0
    aus[4, K12] = 1.5  # B's other row is not low enough
    aus[6, K12] = 2.0  # A's weak smile: not strong
    people = np.array(["A", "A", "A", "B", "B", "C", "A"])
    return aus, people


def test_a_strong_row_is_paired_with_a_low_row_of_the_same_person_only():
    aus, people = _table()
    pairs = strong_pairs(aus, people, np.ones(7, bool), {"AU12": 3.0}, limit=10)
    assert len(pairs) == 1
    low, strong = pairs[0]
    assert strong == 0 and low in (1, 2) and people[low] == people[strong]
    assert aus[strong, K12] >= STRONG * 3.0 and aus[low, K12] < LOW


def test_keep_and_limit_bound_the_pairs():
    aus, people = _table()
    assert strong_pairs(aus, people, np.array([0, 1, 1, 1, 1, 1, 1], bool), {"AU12": 3.0}, limit=10) == []
    aus2 = np.zeros((40, 17), np.float32)
    aus2[::2, K12] = 3.0
    people2 = np.repeat(np.arange(20), 2)
    assert len(strong_pairs(aus2, people2, np.ones(40, bool), {"AU12": 3.0}, limit=7)) == 7
    assert len(strong_pairs(aus2, people2, np.ones(40, bool), {"AU12": 3.0}, limit=100)) == 20


def test_measure_reads_the_rise_and_the_shape_change_of_the_pairs():
    rng = np.random.default_rng(0)
    points = np.tile(rng.uniform(20, 100, (1, 68, 2)), (4, 1, 1))
    points[:, 36], points[:, 45] = (30.0, 50.0), (90.0, 50.0)  # eye corners 60 px apart
    points[:, 48], points[:, 54] = (45.0, 100.0), (75.0, 100.0)
    points[1, 48, 0], points[1, 54, 0] = 39.0, 81.0  # row 1 is 12 px (0.2 eye distances) wider
    readings = np.zeros((4, 17), np.float32)
    readings[1, K12] = 2.5
    aus = np.zeros((4, 17), np.float32)
    aus[1, K12] = 3.0
    s = measure([(0, 1)], "AU12", "mouth_width", aus, points, readings, np.array(["lfw"] * 4))
    assert s.pairs == 1 and s.kinds == {"lfw": 1}
    assert s.rise == pytest.approx(2.5) and s.labelled == pytest.approx(3.0)
    assert s.shape == pytest.approx(0.2, abs=1e-6)
    assert measure([], "AU12", "mouth_width", aus, points, readings, np.array(["lfw"] * 4)).pairs == 0


def test_a_folder_without_crops_is_one_line(tmp_path):
    from ganimate.errors import GanimateError
    from ganimate.training.real_strength import main

    with pytest.raises(GanimateError, match="not found: .*aus.csv"):
        main([str(tmp_path)])

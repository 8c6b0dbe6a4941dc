"""The yardstick of real shut eyes at LFW's size (training/shut_eyes.py)."""

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.training import shut_eyes as se


def _aus(au45: float) -> np.ndarray:
    a = np.zeros(len(AU_NAMES), np.float32)
    a[AU_NAMES.index("AU45")] = au45
    return a


def test_shut_open_pairs_take_each_persons_first_shut_and_first_open_photo():
    aus = {"lfw/A/A_0001.jpg": _aus(0.1), "lfw/A/A_0002.jpg": _aus(2.5), "lfw/A/A_0003.jpg": _aus(3.0),
           "lfw/B/B_0001.jpg": _aus(2.2),  # shut only
           "lfw/C/C_0001.jpg": _aus(1.0), "lfw/C/C_0002.jpg": _aus(0.2), "lfw/C/C_0003.jpg": _aus(2.0),
           "lfw/D/D_0001.jpg": _aus(0.0), "lfw/D/D_0002.jpg": _aus(2.4)}
    landmarks = set(aus) - {"lfw/D/D_0002.jpg"}  # D's shut photo has no landmarks
    assert se.shut_open_pairs(aus, landmarks) == [("lfw/A/A_0002.jpg", "lfw/A/A_0001.jpg"),
                                                  ("lfw/C/C_0003.jpg", "lfw/C/C_0002.jpg")]


def test_lid_ratios_median_of_people_and_pooled():
    median, pooled = se.lid_ratios([10.0, 2.0, 10.0], [5.0, 4.0, 2.0])
    assert median == pytest.approx(0.5)  # ratios 0.5, 2.0, 0.2
    assert pooled == pytest.approx(11.0 / 22.0)  # the narrow eye's 200% weighs little

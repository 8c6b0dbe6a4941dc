"""A track's memory of its face: the strongest reading, the latest of equals (ganimate/face/remember.py)."""

from __future__ import annotations

from ganimate.face.remember import remember_most


def test_the_strongest_reading_is_kept_and_the_latest_of_equals():
    weak, strong, later = [0.3], [1.0], [1.0]

    def first(reading):
        return reading[0]

    assert remember_most(None, None, first) is None
    assert remember_most(None, weak, first) is weak
    assert remember_most(weak, strong, first) is strong
    assert remember_most(strong, weak, first) is strong
    assert remember_most(strong, None, first) is strong
    assert remember_most(strong, later, first) is later

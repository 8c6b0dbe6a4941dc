"""AU names, descriptions and value scales."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.au.names import AU_DESCRIPTIONS, AU_MAX, AU_NAMES, N_AUS, au_index, from_model_scale, to_model_scale


def test_names_are_the_17_openface_intensity_aus() -> None:
    assert N_AUS == len(AU_NAMES) == 17
    numbers = [int(n[2:]) for n in AU_NAMES]
    assert numbers == sorted(numbers) and len(set(numbers)) == 17
    assert set(AU_DESCRIPTIONS) == set(AU_NAMES)
    assert all(AU_DESCRIPTIONS[n].strip() for n in AU_NAMES)


@pytest.mark.parametrize("spelling", ["AU12", "au12", "12", "AU12_r", " au12_R ", "012"])
def test_au_index_spellings(spelling: str) -> None:
    assert AU_NAMES[au_index(spelling)] == "AU12"


@pytest.mark.parametrize("bad", ["AU13", "AU", "smile", "", "AU12_c"])
def test_au_index_unknown(bad: str) -> None:
    with pytest.raises(KeyError):
        au_index(bad)


def test_model_scale_round_trip_and_clipping() -> None:
    rng = np.random.default_rng(0)
    aus = rng.uniform(0, AU_MAX, size=(10, N_AUS))
    scaled = to_model_scale(aus)
    assert scaled.dtype == np.float32 and scaled.min() >= 0 and scaled.max() <= 1
    np.testing.assert_allclose(from_model_scale(scaled), aus, atol=1e-5)
    np.testing.assert_array_equal(to_model_scale(np.array([-1.0, 7.0, 2.5])), [0.0, 1.0, 0.5])
    out = from_model_scale(np.array([-0.5, 1.5, 0.2]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.0, AU_MAX, 1.0], atol=1e-6)

"""The generator's maps, anchored at the AUs a face already shows (ganimate/infer/generator.py)."""

from __future__ import annotations

import numpy as np

from ganimate.infer.generator import Generator, anchored_flow

SIZE = 8


class _Session:
    """A warping generator's outputs that depend on each crop and its AUs: the flow moves by the first AU (model
    scale) and by the crop's mean, the attention and colour by the second AU."""

    def run(self, inputs):
        image, aus = inputs["image"], inputs["aus"]
        n = len(image)
        base = image.mean(axis=(1, 2, 3))[:, None, None, None]
        flow = np.ones((n, 2, SIZE, SIZE), np.float32) * (3.0 * aus[:, 0, None, None, None] + base)
        attention = np.ones((n, 1, SIZE, SIZE), np.float32) * (0.5 + 0.4 * aus[:, 1, None, None, None])
        colour = np.ones((n, 3, SIZE, SIZE), np.float32) * (aus[:, 1, None, None, None] - 0.5)
        return {"output": image, "colour": colour, "attention": attention, "flow": flow}


def _generator() -> Generator:
    g = Generator.__new__(Generator)
    g.session, g.size, g.warp = _Session(), SIZE, True
    return g


def _crops(n: int) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (n, SIZE, SIZE, 3), dtype=np.uint8)


def test_anchored_maps_move_nothing_where_nothing_is_asked_to_change():
    gen, crops = _generator(), _crops(2)
    shown = np.random.default_rng(2).uniform(0, 3, (2, 17)).astype(np.float32)
    assert min(np.abs(e.flow).min() for e in gen.edit_maps(crops, shown)) > 0.05  # unanchored, they move
    for e in gen.edit_maps(crops, shown, shown):
        assert np.abs(e.flow).max() == 0.0


def test_anchored_maps_are_the_flow_asked_less_the_flow_shown_with_the_asked_attention_and_colour():
    gen, crops = _generator(), _crops(3)
    rng = np.random.default_rng(3)
    shown, asked = rng.uniform(0, 3, (3, 17)), rng.uniform(0, 3, (3, 17))
    at_asked, at_shown = gen.edit_maps(crops, asked), gen.edit_maps(crops, shown)
    for a, s, e in zip(at_asked, at_shown, gen.edit_maps(crops, asked, shown), strict=True):
        assert np.abs(a.flow - s.flow).max() > 0.1  # the AUs asked and shown differ
        np.testing.assert_allclose(e.flow, a.flow - s.flow, atol=1e-5)
        np.testing.assert_allclose(e.attention, a.attention, atol=1e-6)
        np.testing.assert_allclose(e.colour, a.colour, atol=1e-4)


def test_anchored_flow_takes_the_shown_flow_off():
    asked = np.full((4, 4, 2), 2.0, np.float32)
    shown = np.zeros((4, 4, 2), np.float32)
    shown[..., 1] = 0.5
    out = anchored_flow(asked, shown)
    assert out.dtype == np.float32 and np.allclose(out[..., 0], 2.0) and np.allclose(out[..., 1], 1.5)

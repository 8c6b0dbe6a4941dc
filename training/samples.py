"""PNG sample grids during training: fixed input faces re-animated to a few target expressions.

Each row is one face: the input, the outputs at each target, then the attention map of each output
(white = pixel kept from the input). Targets are the face's own AUs with some AUs set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from ganimate.atomic import atomic_output
from ganimate.au.names import AU_MAX, au_index

from .dataset import tensor_to_images

# (label, {AU: intensity on the 0..5 scale}); an empty dict = the input's own AUs (reconstruction).
SAMPLE_EXPRESSIONS: tuple[tuple[str, dict[str, float]], ...] = (
    ("smile", {"AU06": 2.0, "AU12": 3.0}),
    ("brows up", {"AU01": 3.0, "AU02": 3.0}),
    ("mouth open", {"AU25": 3.0, "AU26": 3.0}),
    ("eyes closed", {"AU45": 4.0}),
    ("own AUs", {}),
)


def expression_targets(own_aus: np.ndarray, expression: dict[str, float]) -> np.ndarray:
    """own_aus float (R,17) on the /5 scale -> float32 (R,17) with the expression's AUs set (/5 scale)."""
    targets = np.array(own_aus, dtype=np.float32, copy=True)
    for name, value in expression.items():
        targets[:, au_index(name)] = value / AU_MAX
    return np.clip(targets, 0.0, 1.0)


@torch.no_grad()
def sample_grid(generator: torch.nn.Module, images: torch.Tensor, own_aus: np.ndarray,
                expressions=SAMPLE_EXPRESSIONS, labels: bool = True) -> np.ndarray:
    """uint8 H x W x 3 grid. images: float R x3xSxS in [-1, 1] on the generator's device; own_aus (R,17) /5."""
    was_training = generator.training
    generator.eval()
    try:
        outputs, attentions = [], []
        for _, expr in expressions:
            target = torch.from_numpy(expression_targets(own_aus, expr)).to(images.device)
            out, att = generator(images, target)[:2]  # GANimation's 3 outputs or the warp's 4
            outputs.append(tensor_to_images(out))
            attentions.append(np.repeat(tensor_to_images(att), 3, axis=3))
    finally:
        generator.train(was_training)
    columns = [tensor_to_images(images)] + outputs + attentions
    rows = np.concatenate(columns, axis=2)  # R x S x (cols*S) x 3
    grid = np.concatenate(list(rows), axis=0)
    size = images.shape[-1]
    if not labels or size < 64:  # names do not fit above smaller tiles
        return grid
    names = ["input"] + [name for name, _ in expressions] + [f"A: {name}" for name, _ in expressions]
    header = Image.new("RGB", (grid.shape[1], 14), (0, 0, 0))
    draw = ImageDraw.Draw(header)
    for i, name in enumerate(names):
        draw.text((i * size + 2, 1), name, fill=(255, 255, 255))
    return np.concatenate([np.asarray(header), grid], axis=0)


def save_png(image: np.ndarray, path: Path) -> Path:
    """Write uint8 H x W x 3 RGB to a PNG, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
    return path

"""The last stages shared by transfer and keyframes: generate, paste back, encode."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ganimate.config import RunConfig
from ganimate.errors import GanimateError
from ganimate.face.paste import make_feather_mask, paste_back, paste_warped
from ganimate.pipeline.stream import map_batched


def edited_frames(stream: Iterable[tuple], generator, batch_size: int, stats: dict):
    """(frame, crops, targets (n,17)) -> (frame, output uint8 HxWx3) with every face's edit pasted."""
    mask = make_feather_mask(generator.size)
    pairs = ((frame, list(zip(crops, targets, strict=True))) for frame, crops, targets in stream)

    def run(items):
        crops = np.stack([c.crop for c, _ in items])
        targets = np.stack([t for _, t in items])
        return generator.edit_maps(crops, targets)

    for frame, items, results in map_batched(pairs, run, batch_size):
        image = frame.image
        for (crop, _), edit in zip(items, results, strict=True):
            image = paste_edit(image, crop.crop, crop.matrix, edit, mask)
        stats["frames"] = stats.get("frames", 0) + 1
        stats["faces"] = stats.get("faces", 0) + (1 if items else 0)
        yield frame, image


def paste_edit(image: np.ndarray, crop: np.ndarray, matrix: np.ndarray, edit, mask: np.ndarray) -> np.ndarray:
    """One face's edit (a CropEdit of the crop uint8 SxSx3 cut with matrix, frame -> crop) into a frame
    (uint8 HxWx3 RGB): warped at the frame's resolution when the generator predicts a flow, else pasted as
    the residual of its composited crop."""
    if edit.flow is not None:
        return paste_warped(image, matrix, mask, edit.flow, edit.attention, edit.colour)
    return paste_back(image, crop, edit.output, matrix, mask)


def render_edits(stream, generator, run: RunConfig, info, src: Path | None, out: Path, preview: Path | None,
                 stats: dict) -> None:
    """Encode the edited frames to OUT (audio remuxed from src), and optionally a side-by-side preview."""
    from contextlib import ExitStack

    from ganimate.video.writer import VideoWriter

    inputs = [p for p in (src,) if p is not None]
    with ExitStack() as stack:
        writer = stack.enter_context(
            VideoWriter(out, info, run.encode, audio_from=src, inputs=inputs, encode_in_thread=True)
        )
        side = None
        if preview is not None:
            side = stack.enter_context(VideoWriter(preview, _side_info(info), run.encode, audio_from=src,
                                                   inputs=inputs))
        for frame, image in edited_frames(stream, generator, run.infer.batch_size, stats):
            writer.write(frame.replace_image(image))
            if side is not None:
                side.write(frame.replace_image(np.concatenate([frame.image, image], axis=1)))
        if stats.get("faces", 0) == 0:  # raised inside the writers' block, so no output is left behind
            raise GanimateError(f"no face found in any frame of {src if src is not None else out}")


def _side_info(info):
    from dataclasses import replace

    return replace(info, width=info.width * 2)

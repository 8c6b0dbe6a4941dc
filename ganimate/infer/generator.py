"""The expression generator: aligned crops + target AUs -> edited crops and attention."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganimate.au.names import N_AUS, to_model_scale
from ganimate.infer.backend import open_model
from ganimate.infer.models import DEFAULT_GENERATOR, resolve_model
from ganimate.infer.tensors import crops_to_tensor, tensor_to_crops


@dataclass(frozen=True)
class CropEdit:
    """One crop's edit. output: float32 SxSx3 RGB 0..255 (composited at the crop's size); attention: float32
    SxS in [0, 1]; colour: float32 SxSx3 RGB 0..255 and flow: float32 SxSx2 crop px (backward displacement),
    both None for a generator without a warp (its output is pasted as a residual)."""

    output: np.ndarray
    attention: np.ndarray
    colour: np.ndarray | None = None
    flow: np.ndarray | None = None


class Generator:
    def __init__(self, path: Path, backend: str = "auto", device: str = "auto", threads: int = 0,
                 precision: str = "auto", hint: str = "LATENCY"):
        info, self.session = open_model(path, "generator", "a generator", backend, device, threads,
                                        precision, hint)
        self.path = path
        self.info = info
        self.size = info.image_size
        self.warp = info.metadata.get("ganimate.warp") == "1"  # outputs colour and flow too

    @classmethod
    def load(cls, path: Path | None = None, backend: str = "auto", device: str = "auto", threads: int = 0,
             precision: str = "auto", hint: str = "LATENCY"):
        return cls(resolve_model(path, DEFAULT_GENERATOR, "generator model"), backend, device, threads,
                   precision, hint)

    def edit(self, crops: np.ndarray, aus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """crops uint8 NxSxSx3 RGB, aus float (N,17) intensities 0..5 ->
        (edited float32 NxSxSx3 RGB 0..255, attention float32 NxSxS in [0, 1]; 1 = keep the input)."""
        out = self._run(crops, aus)
        # ONNX value names are unique, so the composited image cannot share the input's name "image":
        # the contract calls it "output" (any output other than "attention" is accepted)
        image = out["output"] if "output" in out else next(v for k, v in out.items() if k != "attention")
        return tensor_to_crops(image), np.asarray(out["attention"], dtype=np.float32)[:, 0]

    def _run(self, crops: np.ndarray, aus: np.ndarray) -> dict[str, np.ndarray]:
        if crops.ndim != 4 or crops.shape[1:] != (self.size, self.size, 3):
            raise ValueError(f"expected N x {self.size} x {self.size} x 3 crops, got {crops.shape}")
        aus = np.asarray(aus, dtype=np.float32).reshape(len(crops), N_AUS)
        return self.session.run({"image": crops_to_tensor(crops), "aus": to_model_scale(aus)})

    def edit_maps(self, crops: np.ndarray, aus: np.ndarray, sources: np.ndarray | None = None) -> list[CropEdit]:
        """Like edit, per crop, with the colour map and flow of a warping generator (None otherwise).

        sources: float (N,17), the AUs each crop shows (None: not known). A warping generator is then run at them
        too and its flow there taken off (anchored_flow): asked for the AUs a face already shows, it still moved
        it (up to 4-5 crop px on some video frames: d10's lips parted and its mouth was filled); what is left is
        the motion of the change asked."""
        if not self.warp:
            return [CropEdit(o, a) for o, a in zip(*self.edit(crops, aus), strict=True)]
        n = len(crops)
        if sources is not None:
            crops = np.concatenate([crops, crops])
            aus = np.concatenate([np.asarray(aus, np.float32).reshape(n, N_AUS),
                                  np.asarray(sources, np.float32).reshape(n, N_AUS)])
        out = self._run(crops, aus)
        output, colour = tensor_to_crops(out["output"][:n]), tensor_to_crops(out["colour"][:n])
        flow = np.ascontiguousarray(np.asarray(out["flow"], dtype=np.float32).transpose(0, 2, 3, 1))
        if sources is not None:
            flow = anchored_flow(flow[:n], flow[n:])
        attention = np.asarray(out["attention"][:n], dtype=np.float32)[:, 0]
        return [CropEdit(*maps) for maps in zip(output, attention, colour, flow, strict=True)]


def anchored_flow(asked: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """float32 (..., S, S, 2): a warping generator's backward flow at the AUs asked (float32 (..., S, S, 2) crop
    px) less its flow at the AUs the face already shows (the same shape): the motion of the change alone, zero
    where nothing is asked to change (to first order in the flows, a few px on a 128 px crop)."""
    return np.ascontiguousarray(np.asarray(asked, np.float32) - np.asarray(shown, np.float32))

"""A face that has not moved keeps the edit it was last given.

A video repeats frames: a 24 fps film carried at 30 fps shows every fourth frame twice (d12: 15 of 75), a
frozen shot or a still portrait held between keyframes shows the same face for many. Edited afresh, a repeated
face still changed: the tracker's smoothing catches up on it, so the crop, the flow and the mouth's fill moved by
a fraction of a px, and the repeated frames of d12 held at an open mouth changed by 2.5/255 where the source
changed by under 0.2 (shimmer on a still face). A face whose pixels have changed by less than a codec's noise
since the frame its edit was last made on, asked for the same target, gets that edit again: its change to the
frame (the residual, zero outside the crop's box) added to the new frame, so whatever the codec changed still
shows and pixels outside the face stay the source's. Its models do not run.

Two halves, both in frame order: which faces are held is decided before the models run (StillFaces), and the
residual each rendered face made is kept where faces are pasted (Residuals): a held face's key frame is the last
one its track rendered before it, so its residual is there by the time the held frame is pasted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ganimate.face.paste import crop_region as paste_region

Region = tuple[int, int, int, int]  # x0, y0, x1, y1: frame px, end-exclusive


def crop_region(matrix: np.ndarray, size: int, shape: tuple[int, ...]) -> Region:
    """The frame px box that face/paste.crop_region pastes an aligned crop of side size (cut with matrix, float
    (2, 3) frame -> crop) into: every pixel a paste of that crop's edit can change; empty where the crop lies outside
    a frame of this shape."""
    found = paste_region(matrix, size, shape)
    return found[0] if found is not None else (0, 0, 0, 0)


def region_change(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a - b| (0..255, over pixels and channels) of two uint8 arrays of one shape; inf when they are empty."""
    if a.size == 0:
        return float("inf")
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def _keep_only(per_track: dict, tracks) -> None:
    """Drop from per_track (track id -> anything) the tracks not in tracks (an iterable of track ids)."""
    for track in set(per_track) - set(tracks):
        del per_track[track]


@dataclass(frozen=True)
class Key:
    """The frame a track's edit was last made on: its crop's region, that region's pixels (uint8 hxwx3) and the
    target (float (17,))."""

    region: Region
    pixels: np.ndarray
    target: np.ndarray


@dataclass
class StillFaces:
    """Per track, the key frame of its last edit; still(...) says whether a face keeps it. tolerance: mean |change|
    (0..255) under which a face's region counts as unmoved (0: none is held); target_tolerance: AU units under
    which a target counts as the same."""

    tolerance: float
    target_tolerance: float = 1e-3
    keys: dict[int, Key] = field(default_factory=dict)

    def still(self, track: int, image: np.ndarray, matrix: np.ndarray, size: int, target: np.ndarray) -> bool:
        """Whether this face (of track, in image uint8 HxWx3, its crop of side size cut with matrix) keeps its
        track's last edit. If not, this frame becomes the track's key: its edit is about to be made."""
        if self.tolerance <= 0.0:  # holding off: no key is kept
            return False
        key = self.keys.get(track)
        target = np.asarray(target, np.float32)
        if key is not None:
            x0, y0, x1, y1 = key.region
            if (np.abs(target - key.target).max() <= self.target_tolerance
                    and region_change(image[y0:y1, x0:x1], key.pixels) < self.tolerance):
                return True
        region = crop_region(matrix, size, image.shape)
        x0, y0, x1, y1 = region
        self.keys[track] = Key(region, image[y0:y1, x0:x1].copy(), target.copy())
        return False

    def keep_only(self, tracks) -> None:
        """Forget the tracks not in this frame (an iterable of track ids): a key holds a crop's pixels, and a long
        video has many tracks. A face back after a frame without it is edited afresh."""
        _keep_only(self.keys, tracks)


@dataclass
class Residuals:
    """Per track, the change its last rendered face made to its frame: (region, int16 hxwx3 after - before)."""

    kept: dict[int, tuple[Region, np.ndarray]] = field(default_factory=dict)

    def keep(self, track: int, region: Region, before: np.ndarray, after: np.ndarray) -> None:
        """Remember the change a face's paste made (before, after: uint8 HxWx3 frames) inside its region."""
        x0, y0, x1, y1 = region
        self.kept[track] = (region, after[y0:y1, x0:x1].astype(np.int16) - before[y0:y1, x0:x1].astype(np.int16))

    def keep_only(self, tracks) -> None:
        """Forget the tracks not in this frame (an iterable of track ids), as StillFaces.keep_only does."""
        _keep_only(self.kept, tracks)

    def apply(self, track: int, image: np.ndarray) -> np.ndarray:
        """image (uint8 HxWx3) with the track's last change added (a new array; image itself if it has none)."""
        if track not in self.kept:
            return image
        (x0, y0, x1, y1), change = self.kept[track]
        out = image.copy()
        out[y0:y1, x0:x1] = np.clip(image[y0:y1, x0:x1].astype(np.int16) + change, 0, 255).astype(np.uint8)
        return out

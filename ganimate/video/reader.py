"""Streaming video decode: one upright RGB frame at a time, constant memory whatever the length.

Each frame carries its presentation timestamp (``pts`` in ``time_base`` units, and ``time`` in
seconds = pts * time_base, as stored in the container, so it need not start at 0), so variable
frame rate survives a decode -> process -> encode round trip through
:class:`ganimate.video.writer.VideoWriter`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ganimate.errors import GanimateError
from ganimate.video.probe import (
    check_readable,
    is_image,
    normalize_rotation,
    open_video,
    read_image,
    stream_fps,
    upright,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class VideoFrame:
    """One decoded frame.

    index: 0, 1, 2, ... in presentation order.
    time: presentation time in seconds (pts * time_base when the file has timestamps).
    pts / time_base: the container's timestamp of this frame (None when unknown).
    image: uint8 HxWx3 RGB, upright (display orientation), C-contiguous.
    """

    index: int
    time: float
    pts: int | None
    time_base: Fraction | None
    image: np.ndarray

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    def replace_image(self, image: np.ndarray) -> VideoFrame:
        """The same frame (index and timing) with another picture, e.g. the edited one."""
        return VideoFrame(self.index, self.time, self.pts, self.time_base, image)


def read_frames(path: Path | str, *, threads: bool = True) -> Iterator[VideoFrame]:
    """Decode a video (or a still image: one frame) lazily, frame by frame.

    The file is opened and checked now: missing, empty, unreadable, not a video, damaged beyond
    opening, no video stream -> GanimateError naming the file. While iterating, a decoding error
    part-way stops the iteration cleanly after the last good frame with a warning (logged on
    ``ganimate.video.reader``); when not even one frame decodes, GanimateError is raised.

    threads: let the decoder use frame/slice threads (``thread_type = "AUTO"``).
    """
    path = check_readable(path)
    if is_image(path):
        return _image_frames(path)
    container, stream = open_video(path)
    if threads:
        stream.thread_type = "AUTO"
    return _decode(path, container, stream)


def _image_frames(path: Path) -> Iterator[VideoFrame]:
    image = read_image(path)
    yield VideoFrame(index=0, time=0.0, pts=0, time_base=Fraction(1), image=image)


def _decode(path: Path, container, stream) -> Iterator[VideoFrame]:
    import av

    fps = stream_fps(stream)
    index = 0
    rotation: int | None = None
    size: tuple[int, int] | None = None  # coded (w, h) of the first frame
    last_pts: int | None = None
    last_tb: Fraction | None = None
    error: Exception | None = None
    warned_resize = False

    def convert(frame) -> VideoFrame:
        nonlocal rotation, size, last_pts, last_tb, warned_resize
        if rotation is None:
            rotation = normalize_rotation(frame.rotation)
            size = (frame.width, frame.height)
        if (frame.width, frame.height) != size:
            # a mid-stream resolution change: keep one size for the whole clip
            if not warned_resize:
                log.warning("%s: picture size changes mid-stream; scaling to %dx%d", path, *size)
                warned_resize = True
            rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
        else:
            rgb = frame.to_ndarray(format="rgb24")
        tb = frame.time_base if frame.time_base is not None else stream.time_base
        pts = frame.pts
        if pts is None and last_pts is not None and last_tb is not None:
            pts = last_pts + max(1, round(1 / (fps * last_tb)))
            tb = last_tb
        if pts is not None and tb is not None:
            time = float(pts * tb)
            last_pts, last_tb = pts, Fraction(tb)
        else:
            time = index / float(fps)
            pts, tb = None, None
        return VideoFrame(
            index=index,
            time=time,
            pts=pts,
            time_base=Fraction(tb) if tb is not None else None,
            image=upright(rgb, rotation),
        )

    try:
        try:
            for packet in container.demux(stream):
                for frame in stream.decode(packet):
                    vf = convert(frame)
                    index += 1
                    yield vf
        except (av.error.FFmpegError, EOFError, ValueError, MemoryError) as e:
            error = e
            try:  # frames still inside the decoder
                for frame in stream.decode(None):
                    vf = convert(frame)
                    index += 1
                    yield vf
            except (av.error.FFmpegError, EOFError, ValueError):
                pass
    finally:
        container.close()

    if error is not None:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        reason = str(reason).splitlines()[0]
        if index == 0:
            raise GanimateError(f"{path}: no frame could be decoded ({reason})") from error
        log.warning("%s: decoding stopped after %d frames (%s); the rest of the file is skipped", path, index, reason)
    elif index == 0:
        raise GanimateError(f"{path}: no frame could be decoded (empty or damaged video stream)")

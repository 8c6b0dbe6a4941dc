"""Streaming video encode with the source's timing, rotation and audio; atomic output.

    info = probe_video(src)
    with VideoWriter(out, info, EncodeConfig(), audio_from=src) as w:
        for frame in read_frames(src):
            w.write(frame.replace_image(edit(frame.image)))

Decisions (tested in tests/test_video_writer.py):

- Output goes to a temporary file beside ``out`` (:func:`ganimate.atomic.atomic_output`) and is
  renamed onto ``out`` only when the ``with`` block ends without an exception; otherwise the
  temporary file is deleted and ``out`` is left as it was. ``out`` may not be ``audio_from`` or any
  of ``inputs``.
- Timing: each frame's pts/time_base (from :class:`~ganimate.video.reader.VideoFrame`) is written
  as is, so variable frame rate and the source's start offset survive; the stream time base is the
  first frame's. Plain arrays get the next slot at ``info.fps``. Timestamps that do not increase
  are nudged forward by one tick (the encoder and muxer need strictly increasing ones).
- Rotation: frames are given to and taken from the program upright. The writer turns each frame
  back to the source's stored orientation and writes the same display matrix (``info.rotation``),
  so the output is stored exactly like the source (same coded size, same rotation metadata) and
  shows upright in any player that honours rotation, like the source.
- Pixel format: ``EncodeConfig.pix_fmt`` (yuv420p), except when the stored size has an odd
  dimension, which 4:2:0 (and 4:2:2 for odd widths) cannot represent in H.264: then yuv444p is
  used and the output keeps the exact source size (no padding, no crop metadata). yuv444p H.264
  (High 4:4:4) plays in FFmpeg-based players (VLC, mpv) but not in some browsers/QuickTime.
  Colours: RGB -> BT.601 limited range, tagged as such.
- Audio (``audio_from``): the first audio stream's packets are copied untouched (no re-encode),
  interleaved with the video as it is written, whole (also any audio past the last video frame).
  When the output container cannot hold that codec (e.g. wmav2 into .mp4) it is re-encoded to AAC
  and a warning saying so is logged on ``ganimate.video.writer``.
- ``encode_in_thread=True``: frames go through a bounded queue to one encoder thread (swscale and
  libx264 release the GIL), so decoding/inference and encoding overlap. Errors from that thread
  surface on the next ``write()`` or at exit. Arrays are copied on ``write()`` (into the AVFrame),
  so the caller may reuse its buffer at once.
"""

from __future__ import annotations

import io
import logging
import queue
import sys
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path

import numpy as np

from ganimate.atomic import atomic_output
from ganimate.config import EncodeConfig
from ganimate.errors import GanimateError
from ganimate.video.probe import DEFAULT_FPS, codec_name, normalize_rotation, to_coded
from ganimate.video.reader import VideoFrame

log = logging.getLogger(__name__)

_X264_LIKE = frozenset({"libx264", "libx264rgb", "libx265"})
_420 = frozenset({"yuv420p", "yuvj420p", "nv12", "nv21", "yuv420p10le"})
_422 = frozenset({"yuv422p", "yuvj422p", "yuv422p10le"})
_SPC_SMPTE170M = 6  # AVCOL_SPC_SMPTE170M (BT.601)
_RANGE_MPEG = 1  # AVCOL_RANGE_MPEG (limited)
_AUDIO_LEAD_S = 0.2  # audio is muxed up to this far ahead of the last video frame


def choose_pix_fmt(requested: str, width: int, height: int) -> str:
    """The requested pixel format, or yuv444p when the (stored) size cannot be subsampled."""
    if requested in _420 and (width % 2 or height % 2):
        return "yuv444p"
    if requested in _422 and width % 2:
        return "yuv444p"
    return requested


def _as_fraction(x) -> Fraction:
    if isinstance(x, Fraction):
        return x
    return Fraction(x).limit_denominator(1_000_000)


def _reason(e: BaseException) -> str:
    msg = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return str(msg).splitlines()[0]


class _AudioCopier:
    """Feeds the first audio stream of a file into the output: packet copy, or AAC re-encode."""

    def __init__(self, src_path: Path, output, out_path: Path):
        import av

        self._av = av
        self.src_path = src_path
        try:
            self.src = av.open(str(src_path), mode="r")
        except (av.error.FFmpegError, OSError) as e:
            raise GanimateError(f"{src_path}: cannot open it to copy its audio ({_reason(e)})") from e
        self.output = output
        self.ain = self.src.streams.audio[0] if self.src.streams.audio else None
        self.out_stream = None
        self.reencode = False
        self.done = self.ain is None
        self._packets = None
        self._pending: list = []  # packets (copy) or frames (re-encode) not yet muxed
        self._samples = 0
        self._start: int | None = None
        if self.ain is None:
            return
        if self._can_copy(output.format.name):
            self.out_stream = output.add_stream_from_template(self.ain)
        else:
            name = codec_name(self.ain)
            log.warning(
                "%s: the %s audio of %s cannot go into a .%s file; re-encoding it to AAC",
                out_path,
                name,
                src_path.name,
                out_path.suffix.lstrip(".") or output.format.name,
            )
            self.reencode = True
            cc = self.ain.codec_context
            channels = cc.layout.nb_channels if cc.layout is not None else 2
            layout = {1: "mono", 2: "stereo"}.get(channels, "stereo")
            rate = cc.sample_rate or 48000
            self.out_stream = output.add_stream("aac", rate=rate, layout=layout)
            self.ain.thread_type = "AUTO"
        self._packets = self.src.demux(self.ain)

    def _can_copy(self, fmt: str) -> bool:
        """Trial: can a container of this format take the codec untouched (header test in memory)?"""
        av = self._av
        try:
            with av.open(io.BytesIO(), mode="w", format=fmt) as trial:
                trial.add_stream_from_template(self.ain)
                trial.start_encoding()
            return True
        except (av.error.FFmpegError, ValueError, NotImplementedError, TypeError):
            return False

    def _next_item(self):
        """The next packet (copy) or frame (re-encode) with its time in seconds, None at the end."""
        while not self._pending:
            if self._packets is None:
                return None
            packet = next(self._packets, None)
            if packet is None:
                self._packets = None
                if self.reencode:  # drain the decoder
                    self._pending.extend(self.ain.decode(None))
                continue
            if packet.size == 0 or packet.dts is None:
                continue  # demux's end-of-stream marker
            if self.reencode:
                self._pending.extend(self.ain.decode(packet))
            else:
                self._pending.append(packet)
        return self._pending[0]

    def _time(self, item) -> float:
        if self.reencode:
            rate = item.sample_rate or 48000
            start = self._start if self._start is not None else self._start_of(item)
            return (start + self._samples) / rate
        ts = item.pts if item.pts is not None else item.dts
        return float(ts * item.time_base) if ts is not None and item.time_base else 0.0

    def _start_of(self, frame) -> int:
        rate = frame.sample_rate or 48000
        if frame.pts is not None and frame.time_base:
            return int(round(frame.pts * frame.time_base * rate))
        return 0

    def pump(self, until: float | None) -> None:
        """Mux audio up to ``until`` seconds (None: all that is left)."""
        if self.done:
            return
        av = self._av
        try:
            while True:
                item = self._next_item()
                if item is None:
                    break
                if until is not None and self._time(item) > until:
                    return
                self._pending.pop(0)
                if self.reencode:
                    if self._start is None:
                        self._start = self._start_of(item)
                    # decoder pts can repeat within a packet (ASF): count samples instead
                    item.pts = self._start + self._samples
                    item.time_base = Fraction(1, item.sample_rate)
                    self._samples += item.samples
                    for p in self.out_stream.encode(item):
                        self.output.mux(p)
                else:
                    item.stream = self.out_stream
                    self.output.mux(item)
        except (av.error.FFmpegError, EOFError, ValueError) as e:
            log.warning(
                "%s: audio copy stopped early (%s); the rest of the audio is dropped", self.src_path, _reason(e)
            )
            self._pending.clear()
        # end of the audio (or an error): flush the encoder once
        if self.reencode:
            try:
                for p in self.out_stream.encode(None):
                    self.output.mux(p)
            except (av.error.FFmpegError, ValueError) as e:
                log.warning("%s: could not finish the re-encoded audio (%s)", self.src_path, _reason(e))
        self.done = True

    def close(self) -> None:
        try:
            self.src.close()
        except Exception:  # pragma: no cover - closing a reader cannot lose data
            pass


class VideoWriter:
    """Encode frames to ``path`` (H.264 by default); see the module docstring for the decisions.

    path: output file; its extension picks the container (.mp4, .mkv, .mov, .avi ...).
    info: the source's VideoInfo (or anything with width, height, fps and optionally rotation):
        display size of the frames that will be written, frame rate, display rotation to keep.
    encode: codec, crf, preset, pix_fmt (None: EncodeConfig()).
    audio_from: copy this file's first audio stream into the output (None: no audio).
    inputs: more files the output must not overwrite (audio_from is always checked).
    encode_in_thread / queue_size: encode in a worker thread behind a bounded queue.
    """

    def __init__(
        self,
        path: Path | str,
        info,
        encode: EncodeConfig | None = None,
        audio_from: Path | str | None = None,
        *,
        inputs: Sequence[Path | str] = (),
        encode_in_thread: bool = False,
        queue_size: int = 8,
    ):
        self.path = Path(path)
        self.info = info
        encode = encode if encode is not None else EncodeConfig()
        self.encode_config = encode
        self.audio_from = Path(audio_from) if audio_from is not None else None
        self.inputs = tuple(Path(p) for p in inputs) + ((self.audio_from,) if self.audio_from else ())
        self.width = int(info.width)
        self.height = int(info.height)
        fps = getattr(info, "fps", None)
        self.fps = _as_fraction(fps) if fps else DEFAULT_FPS
        if self.fps <= 0:
            self.fps = DEFAULT_FPS
        self.rotation = normalize_rotation(getattr(info, "rotation", 0) or 0)
        cw, ch = (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)
        self.coded_size = (cw, ch)
        self.pix_fmt = choose_pix_fmt(encode.pix_fmt, cw, ch)
        self.encode_in_thread = encode_in_thread
        self.queue_size = max(1, int(queue_size))
        self.frames_written = 0  # frames accepted by write()
        self._stack: ExitStack | None = None
        self._tmp: Path | None = None
        self._container = None
        self._vstream = None
        self._audio: _AudioCopier | None = None
        self._tb: Fraction | None = None
        self._last_pts: int | None = None
        self._nudged = False
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._abort = threading.Event()
        self._closed = False

    # -- context manager -----------------------------------------------------------------------

    def __enter__(self) -> VideoWriter:
        import av

        stack = ExitStack()
        try:
            self._tmp = stack.enter_context(atomic_output(self.path, inputs=self.inputs))
            try:
                # AVI times packets by count: the usual shift for a negative audio start would
                # insert an empty video frame
                options = {"avoid_negative_ts": "disabled"} if self.path.suffix.lower() == ".avi" else {}
                self._container = av.open(str(self._tmp), mode="w", options=options)
            except (av.error.FFmpegError, ValueError) as e:
                raise GanimateError(f"{self.path}: cannot write a video file with this extension ({_reason(e)})") from e
        except BaseException:
            stack.__exit__(*sys.exc_info())  # as a failure: the temp file goes, and this error is the one raised
            raise
        self._stack = stack
        if self.pix_fmt != self.encode_config.pix_fmt:
            log.info(
                "%s: stored size %dx%d is odd; encoding %s instead of %s to keep it",
                self.path,
                *self.coded_size,
                self.pix_fmt,
                self.encode_config.pix_fmt,
            )
        if self.encode_in_thread:
            self._queue = queue.Queue(maxsize=self.queue_size)
            self._thread = threading.Thread(target=self._worker, name="ganimate-encode", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        stack, self._stack = self._stack, None
        if stack is None:
            return False
        if exc_type is None:
            try:
                self._finish()
            except BaseException as e:
                self._teardown()
                stack.__exit__(type(e), e, e.__traceback__)  # deletes the temp file
                raise
            stack.close()  # renames the temp file onto the target
            return False
        self._abort.set()
        self._teardown()
        stack.__exit__(exc_type, exc, tb)
        return False

    # -- writing -------------------------------------------------------------------------------

    def write(self, frame: VideoFrame | np.ndarray) -> None:
        """Queue or encode one upright uint8 HxWx3 RGB frame (a VideoFrame keeps its timing)."""
        if self._stack is None:
            raise RuntimeError("VideoWriter.write() outside its with-block")
        self._raise_worker_error()
        av_frame = self._to_av_frame(frame)
        self.frames_written += 1
        if self._queue is None:
            self._encode(av_frame)
            return
        while True:
            try:
                self._queue.put(av_frame, timeout=0.1)
                return
            except queue.Full:
                self._raise_worker_error()
                if self._thread is not None and not self._thread.is_alive():
                    raise GanimateError(f"{self.path}: the encoder thread stopped") from None

    def _to_av_frame(self, frame):
        import av

        if isinstance(frame, VideoFrame):
            image, pts, tb, time = frame.image, frame.pts, frame.time_base, frame.time
        else:
            image, pts, tb, time = frame, None, None, None
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected a uint8 HxWx3 RGB image, got {image.dtype} {image.shape}")
        if image.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"frame is {image.shape[1]}x{image.shape[0]}, the writer was opened for {self.width}x{self.height}"
            )
        if self._tb is None:
            self._tb = Fraction(tb) if tb else 1 / self.fps
        out_pts = self._out_pts(pts, tb, time)
        coded = np.ascontiguousarray(to_coded(image, self.rotation))
        vf = av.VideoFrame.from_ndarray(coded, format="rgb24")
        vf.pts = out_pts
        vf.time_base = self._tb
        return vf

    def _out_pts(self, pts, tb, time) -> int:
        wtb = self._tb
        if pts is not None and tb:
            p = int(pts) if Fraction(tb) == wtb else int(round(pts * Fraction(tb) / wtb))
        elif time is not None:
            p = int(round(Fraction(time).limit_denominator(10**9) / wtb))
        elif self._last_pts is None:
            p = 0
        else:
            p = self._last_pts + max(1, int(round(1 / (self.fps * wtb))))
        if self._last_pts is not None and p <= self._last_pts:
            if not self._nudged:
                log.warning("%s: frame timestamps do not increase; nudging them forward", self.path)
                self._nudged = True
            p = self._last_pts + 1
        self._last_pts = p
        return p

    # -- encoding (this thread or the worker) ----------------------------------------------------

    def _setup(self) -> None:
        import av

        out = self._container
        cfg = self.encode_config
        try:
            s = out.add_stream(cfg.codec, rate=self.fps)
        except (av.error.FFmpegError, ValueError) as e:
            raise GanimateError(f"{self.path}: cannot encode {cfg.codec} into this file ({_reason(e)})") from e
        s.width, s.height = self.coded_size
        s.pix_fmt = self.pix_fmt
        s.time_base = self._tb
        s.codec_context.time_base = self._tb
        if cfg.codec in _X264_LIKE:
            s.codec_context.options = {"crf": str(cfg.crf), "preset": cfg.preset}
        if cfg.threads > 0:
            s.codec_context.thread_count = cfg.threads
        if self.pix_fmt.startswith("yuv") and not self.pix_fmt.startswith("yuvj"):
            s.codec_context.colorspace = _SPC_SMPTE170M
            s.codec_context.color_range = _RANGE_MPEG
        if self.rotation:
            s.set_display_rotation(self.rotation)
        self._vstream = s
        if self.audio_from is not None:
            self._audio = _AudioCopier(self.audio_from, out, self.path)

    def _encode(self, vf) -> None:
        import av

        if self._vstream is None:
            self._setup()
        s = self._vstream
        if self.pix_fmt.startswith("yuv") and not self.pix_fmt.startswith("yuvj"):
            yuv = vf.reformat(format=self.pix_fmt, dst_colorspace="ITU601", dst_color_range="MPEG")
        else:
            yuv = vf.reformat(format=self.pix_fmt)
        yuv.pts, yuv.time_base = vf.pts, vf.time_base
        try:
            for packet in s.encode(yuv):
                self._container.mux(packet)
            if self._audio is not None:
                self._audio.pump(float(vf.pts * vf.time_base) + _AUDIO_LEAD_S)
        except av.error.FFmpegError as e:
            raise GanimateError(f"{self.path}: writing the video failed ({_reason(e)})") from e

    def _flush(self) -> None:
        import av

        try:
            if self._vstream is not None:
                for packet in self._vstream.encode(None):
                    self._container.mux(packet)
            if self._audio is not None:
                self._audio.pump(None)
        except av.error.FFmpegError as e:
            raise GanimateError(f"{self.path}: writing the video failed ({_reason(e)})") from e

    def _worker(self) -> None:
        q = self._queue
        while True:
            item = q.get()
            if item is None:
                return
            if self._error is not None or self._abort.is_set():
                continue  # keep draining so write() never blocks forever
            try:
                self._encode(item)
            except BaseException as e:  # surfaced by write() / __exit__
                self._error = e

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            e = self._error
            raise e

    def _stop_worker(self) -> None:
        if self._thread is None:
            return
        while True:
            try:
                self._queue.put(None, timeout=0.1)
                break
            except queue.Full:
                if not self._thread.is_alive():
                    break
        self._thread.join()
        self._thread = None

    def _finish(self) -> None:
        self._stop_worker()
        self._raise_worker_error()
        if self.frames_written == 0:
            raise GanimateError(f"{self.path}: no video frames to write")
        self._flush()
        self._close_container(raise_errors=True)

    def _teardown(self) -> None:
        try:
            self._stop_worker()
        finally:
            self._close_container(raise_errors=False)

    def _close_container(self, raise_errors: bool) -> None:
        import av

        if self._closed:
            return
        self._closed = True
        try:
            if self._container is not None:
                self._container.close()
        except (av.error.FFmpegError, OSError) as e:
            if raise_errors:
                raise GanimateError(f"{self.path}: finishing the video file failed ({_reason(e)})") from e
        finally:
            if self._audio is not None:
                self._audio.close()


def ThreadedVideoWriter(*args, queue_size: int = 8, **kwargs) -> VideoWriter:  # noqa: N802
    """A VideoWriter that encodes in its own thread behind a bounded queue."""
    return VideoWriter(*args, encode_in_thread=True, queue_size=queue_size, **kwargs)

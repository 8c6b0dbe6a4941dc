"""What a media file holds: size, frame rate, length, rotation, audio; still-image detection.

Conventions used by the whole ``ganimate.video`` package:

- Sizes are in *display orientation*: a phone clip stored as 1920x1080 with a 90-degree display
  matrix is reported (and its frames delivered) as 1080x1920, upright.
- ``rotation`` is the FFmpeg/PyAV display-matrix angle, counter-clockwise, normalised to
  0/90/180/270: the stored picture turned ``rotation`` degrees counter-clockwise is what a player
  shows (``np.rot90(stored, k=rotation // 90)``). A portrait phone video that ffprobe describes as
  "rotation of -90.00 degrees" has ``rotation == 270``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ganimate.errors import GanimateError

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".dib", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pnm"}
)
# Formats PIL may report for a still image whose extension we did not recognise.
_STILL_FORMATS = frozenset({"JPEG", "PNG", "BMP", "DIB", "WEBP", "TIFF", "PPM", "MPO"})
# Never sniffed as images even if PIL could open them (GIF and APNG can be animations).
_VIDEO_EXTENSIONS = frozenset(
    {
        ".mp4",
        ".m4v",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".wmv",
        ".asf",
        ".flv",
        ".mpg",
        ".mpeg",
        ".ts",
        ".mts",
        ".m2ts",
        ".3gp",
        ".ogv",
        ".gif",
        ".y4m",
    }
)
VIDEO_EXTENSIONS = _VIDEO_EXTENSIONS  # what a folder of videos (batch short form) is scanned for
DEFAULT_FPS = Fraction(25)


@dataclass(frozen=True)
class VideoInfo:
    """One video's properties (display orientation; see the module docstring).

    fps: average frame rate. frame_count: best estimate, 0 if unknown. duration: seconds (0.0 if
    unknown). rotation: 0/90/180/270, counter-clockwise. audio_codec: FFmpeg codec name of the first
    audio stream (e.g. "aac", "wmav2"), None without audio. video_codec: e.g. "h264", "mpeg4".
    For a still image: frame_count 1, fps 1, duration 0.0, video_codec the image format ("jpeg").
    """

    width: int
    height: int
    fps: Fraction
    frame_count: int
    duration: float
    rotation: int = 0
    has_audio: bool = False
    audio_codec: str | None = None
    video_codec: str = ""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in display orientation."""
        return self.width, self.height

    @property
    def coded_size(self) -> tuple[int, int]:
        """(width, height) of the pictures as stored in the file (before the display rotation)."""
        return (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)


# ---------------------------------------------------------------------------------------------
# helpers shared with reader.py / writer.py


def normalize_rotation(degrees: float | None) -> int:
    """Display-matrix angle (any sign, PyAV's counter-clockwise convention) -> 0/90/180/270."""
    if degrees is None or not math.isfinite(degrees):
        return 0
    quarter = int(round(degrees / 90.0))
    if abs(degrees - 90.0 * quarter) > 1.0:
        log.warning("display rotation %.1f degrees is not a multiple of 90; using %d", degrees, quarter * 90)
    return (quarter * 90) % 360


def upright(coded: np.ndarray, rotation: int) -> np.ndarray:
    """Stored picture -> display orientation (contiguous copy only when turned)."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(coded, k=k)) if k else coded


def to_coded(image: np.ndarray, rotation: int) -> np.ndarray:
    """Display orientation -> stored picture (inverse of :func:`upright`)."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=-k)) if k else image


def check_readable(path: Path | str) -> Path:
    """Path exists, is a non-empty regular file and can be opened; else GanimateError naming it."""
    path = Path(path)
    if not path.exists():
        raise GanimateError(f"{path}: file not found")
    if path.is_dir():
        raise GanimateError(f"{path}: is a directory, not a video file")
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except PermissionError as e:
        raise GanimateError(f"{path}: cannot be read (permission denied)") from e
    except OSError as e:
        raise GanimateError(f"{path}: cannot be read ({e.strerror or e})") from e
    if size == 0:
        raise GanimateError(f"{path}: file is empty")
    return path


def open_video(path: Path | str):
    """av.open() a file for reading and pick its first video stream; errors -> GanimateError.

    Returns (container, video_stream). The caller closes the container.
    """
    import av

    path = check_readable(path)
    try:
        container = av.open(str(path), mode="r")
    except av.error.InvalidDataError as e:
        raise GanimateError(f"{path}: not a video file, or it is damaged or truncated") from e
    except av.error.FFmpegError as e:
        raise GanimateError(f"{path}: cannot be opened as a video ({_av_reason(e)})") from e
    except (OSError, ValueError) as e:
        raise GanimateError(f"{path}: cannot be opened as a video ({e})") from e
    if not container.streams.video:
        container.close()
        raise GanimateError(f"{path}: contains no video stream")
    return container, container.streams.video[0]


def _av_reason(e: Exception) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return str(msg).splitlines()[0] if msg else type(e).__name__


def codec_name(stream) -> str:
    """FFmpeg's name of a stream's codec ("mp3", not the decoder's "mp3float")."""
    cc = stream.codec_context
    try:
        return cc.codec.canonical_name
    except AttributeError:  # pragma: no cover - older PyAV
        return cc.name


def _tag_seconds(value) -> float:
    """'HH:MM:SS.fffffffff' -> seconds; 0.0 when absent or malformed."""
    if not value:
        return 0.0
    try:
        h, m, sec = str(value).split(":")
        return int(h) * 3600 + int(m) * 60 + float(sec)
    except ValueError:
        return 0.0


def stream_fps(stream) -> Fraction:
    """Average frame rate of a PyAV video stream, with fallbacks; never 0."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and rate > 0 and rate < 1000:
            return Fraction(rate)
    return DEFAULT_FPS


def first_frame_rotation(container, stream, max_packets: int = 300) -> int:
    """Display rotation carried by the first decodable frame (0 if none). Leaves the container
    positioned after the packets it read: use on a container you will not read further."""
    import av

    n = 0
    try:
        for packet in container.demux(stream):
            for frame in stream.decode(packet):
                return normalize_rotation(frame.rotation)
            n += 1
            if n >= max_packets:
                break
    except (av.error.FFmpegError, EOFError, ValueError):
        pass
    return 0


# ---------------------------------------------------------------------------------------------
# still images


def is_image(path: Path | str) -> bool:
    """True for a still image file (jpg/png/bmp/webp/tiff/...): by extension, or, for an unknown
    extension, by content (PIL recognises a single-frame still format)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext in IMAGE_EXTENSIONS:
        return True
    if ext in _VIDEO_EXTENSIONS or not path.is_file():
        return False
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.format in _STILL_FORMATS and getattr(im, "n_frames", 1) == 1
    except Exception:
        return False


def read_image(path: Path | str) -> np.ndarray:
    """A still image as uint8 HxWx3 RGB, upright (EXIF orientation applied); alpha is dropped."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = check_readable(path)
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr16 = np.asarray(im, dtype=np.float32)
                scale = 255.0 / 65535.0 if arr16.max() > 255 else 1.0
                gray = np.clip(arr16 * scale + 0.5, 0, 255).astype(np.uint8)
                return np.ascontiguousarray(np.repeat(gray[..., None], 3, axis=2))
            rgb = im.convert("RGB")
            arr = np.asarray(rgb, dtype=np.uint8)
    except UnidentifiedImageError as e:
        raise GanimateError(f"{path}: not an image file, or it is damaged") from e
    except (OSError, ValueError, SyntaxError) as e:
        raise GanimateError(f"{path}: cannot read the image ({e})") from e
    return np.ascontiguousarray(arr)


def _probe_image(path: Path) -> VideoInfo:
    from PIL import Image

    img = read_image(path)
    try:
        with Image.open(path) as im:
            fmt = (im.format or path.suffix.lstrip(".")).lower()
    except Exception:
        fmt = path.suffix.lstrip(".").lower()
    return VideoInfo(
        width=img.shape[1],
        height=img.shape[0],
        fps=Fraction(1),
        frame_count=1,
        duration=0.0,
        rotation=0,
        has_audio=False,
        audio_codec=None,
        video_codec=fmt,
    )


# ---------------------------------------------------------------------------------------------


def probe_video(path: Path | str) -> VideoInfo:
    """Read a video's (or still image's) properties. GanimateError naming the file when it is
    missing, empty, unreadable, not a video, or has no video stream.

    Decodes only the first frame (to read the display rotation the decoder attaches to frames).
    """
    path = check_readable(path)
    if is_image(path):
        return _probe_image(path)
    container, stream = open_video(path)
    try:
        cc = stream.codec_context
        coded_w, coded_h = int(cc.width), int(cc.height)
        fps = stream_fps(stream)
        duration = 0.0
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif _tag_seconds(stream.metadata.get("DURATION")):  # Matroska/WebM per-track tag
            duration = _tag_seconds(stream.metadata.get("DURATION"))
        elif container.duration:
            duration = container.duration / 1_000_000.0
        frame_count = int(stream.frames or 0)
        if frame_count <= 0 and duration > 0:
            frame_count = int(math.floor(duration * fps + 0.5))
        if duration <= 0 and frame_count > 0:
            duration = float(frame_count / fps)
        audio = container.streams.audio[0] if container.streams.audio else None
        audio_codec = codec_name(audio) if audio is not None else None
        video_codec = codec_name(stream)
        rotation = first_frame_rotation(container, stream)
        if coded_w <= 0 or coded_h <= 0:
            raise GanimateError(f"{path}: video stream has no picture size (damaged file?)")
    finally:
        container.close()
    w, h = (coded_h, coded_w) if rotation in (90, 270) else (coded_w, coded_h)
    return VideoInfo(
        width=w,
        height=h,
        fps=fps,
        frame_count=frame_count,
        duration=duration,
        rotation=rotation,
        has_audio=audio is not None,
        audio_codec=audio_codec,
        video_codec=video_codec,
    )

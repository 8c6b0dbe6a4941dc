"""Project-made test media: a photo moving smoothly, with a tone, as a short video.

Used by the tests (tests/conftest.py) and by ``make demo``; nothing here needs downloaded data.

    make_face_clip("clip.mp4", astronaut, n_frames=50, fps=25, size=(256, 256))  # 2 s, H.264 + AAC
    make_rotated_clip("rot.mp4", astronaut, rotation=90)  # stored turned, display matrix says 90
    make_vfr_clip("vfr.mp4", astronaut)                    # irregular frame times (1/90000 s ticks)

The motion is a smooth, small affine wobble (a few % translation and scale, a few degrees of
rotation) so a face detector still finds the face in every frame. Codecs follow the extension:
.mp4/.mov/.mkv -> H.264 (yuv420p; yuv444p for odd sizes) + AAC, .avi -> MPEG-4 part 2 + MP3,
.wmv -> WMV2 + WMA v2; ``video_codec`` / ``audio_codec`` override.

Run ``python -m ganimate.synth OUT.mp4 [--image PHOTO] [--frames N] [--size WxH]`` to make one.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from ganimate.atomic import atomic_output
from ganimate.errors import GanimateError

_VIDEO_CODECS = {
    ".mp4": "libx264",
    ".m4v": "libx264",
    ".mov": "libx264",
    ".mkv": "libx264",
    ".avi": "mpeg4",
    ".wmv": "wmv2",
    ".asf": "wmv2",
}
_AUDIO_CODECS = {
    ".mp4": "aac",
    ".m4v": "aac",
    ".mov": "aac",
    ".mkv": "aac",
    ".avi": "libmp3lame",
    ".wmv": "wmav2",
    ".asf": "wmav2",
}
VFR_TIME_BASE = Fraction(1, 90000)


def load_astronaut() -> np.ndarray:
    """scikit-image's astronaut photo (uint8 512x512x3 RGB, bundled with scikit-image)."""
    try:
        from skimage import data
    except ImportError as e:  # scikit-image is a dev dependency
        raise GanimateError("the astronaut test photo needs scikit-image (pip install scikit-image)") from e
    return np.ascontiguousarray(data.astronaut())


def fit_image(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale to cover ``size`` = (w, h) and centre-crop; uint8 HxWx3."""
    import cv2

    w, h = size
    ih, iw = image.shape[:2]
    s = max(w / iw, h / ih)
    nw, nh = max(w, int(math.ceil(iw * s))), max(h, int(math.ceil(ih * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    big = cv2.resize(image, (nw, nh), interpolation=interp)
    x0, y0 = (nw - w) // 2, (nh - h) // 2
    return np.ascontiguousarray(big[y0 : y0 + h, x0 : x0 + w])


def affine_params(t: float, seed: int = 0) -> tuple[float, float, float, float]:
    """Smooth motion at time t (s): (dx, dy) as a fraction of the size, angle (deg), scale."""
    rng = np.random.default_rng(seed)
    ph = rng.uniform(0, 2 * math.pi, size=4)
    fr = rng.uniform(0.3, 0.6, size=4)  # Hz: slow, like a head moving while talking
    dx = 0.03 * math.sin(2 * math.pi * fr[0] * t + ph[0])
    dy = 0.02 * math.sin(2 * math.pi * fr[1] * t + ph[1])
    angle = 3.0 * math.sin(2 * math.pi * fr[2] * t + ph[2])
    scale = 1.0 + 0.03 * math.sin(2 * math.pi * fr[3] * t + ph[3])
    return dx, dy, angle, scale


def render_frame(base: np.ndarray, t: float, motion: str = "affine", seed: int = 0) -> np.ndarray:
    """``base`` (display size) moved as at time t; uint8 HxWx3."""
    if motion == "static":
        return base
    if motion != "affine":
        raise ValueError(f"motion must be 'static' or 'affine', not {motion!r}")
    import cv2

    h, w = base.shape[:2]
    dx, dy, angle, scale = affine_params(t, seed)
    m = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle, scale)
    m[0, 2] += dx * w
    m[1, 2] += dy * h
    return cv2.warpAffine(base, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def vfr_times(n_frames: int, seed: int = 0) -> list[float]:
    """Irregular frame times (s) starting at 0: gaps of 1/30, 1/25, 1/20 or 1/15 s, each an exact
    number of 1/90000 s ticks."""
    rng = np.random.default_rng(seed)
    gaps = rng.choice([3000, 3600, 4500, 6000], size=max(0, n_frames - 1))
    ticks = np.concatenate([[0], np.cumsum(gaps)]).astype(np.int64)
    return [float(Fraction(int(k)) * VFR_TIME_BASE) for k in ticks[:n_frames]]


def _tone(t0: int, n: int, rate: int, channels: int) -> np.ndarray:
    """Samples t0 .. t0+n of a 440 Hz + 660 Hz tone, float32 (channels, n) planar."""
    t = (np.arange(t0, t0 + n, dtype=np.float64)) / rate
    x = 0.2 * np.sin(2 * math.pi * 440.0 * t) + 0.1 * np.sin(2 * math.pi * 660.0 * t)
    return np.repeat(x[None].astype(np.float32), channels, axis=0)


def make_face_clip(
    path: Path | str,
    image: np.ndarray,
    n_frames: int = 50,
    fps: int | Fraction = 25,
    size: tuple[int, int] = (256, 256),
    motion: str = "affine",
    audio: bool = True,
    seed: int = 0,
    *,
    rotation: int = 0,
    times: Sequence[float] | None = None,
    video_codec: str | None = None,
    audio_codec: str | None = None,
    crf: int = 16,
) -> Path:
    """Write a clip of ``image`` (uint8 HxWx3 RGB) to ``path``; return the path.

    size: (w, h) in display orientation. rotation: 0/90/180/270 display rotation written as
    metadata (counter-clockwise, like VideoInfo.rotation); the pictures are stored turned the other
    way, so a rotation-aware reader sees the same upright frames whatever the rotation.
    times: per-frame presentation times in seconds (variable frame rate; 1/90000 s ticks);
    None: constant ``fps``. audio: a 440+660 Hz tone as long as the video.
    """
    import av

    from ganimate.video.probe import normalize_rotation, to_coded
    from ganimate.video.writer import choose_pix_fmt

    path = Path(path)
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8 HxWx3, got {image.dtype} {image.shape}")
    if times is not None:
        n_frames = len(times)
    if n_frames < 1:
        raise ValueError("n_frames must be at least 1")
    rotation = normalize_rotation(rotation)
    fps = Fraction(fps)
    ext = path.suffix.lower()
    vcodec = video_codec or _VIDEO_CODECS.get(ext, "libx264")
    acodec = audio_codec or _AUDIO_CODECS.get(ext, "aac")
    w, h = size
    cw, ch = (h, w) if rotation in (90, 270) else (w, h)
    base = fit_image(image, (w, h))

    if times is not None:
        tb = VFR_TIME_BASE
        pts_list = [int(round(Fraction(t).limit_denominator(10**9) / tb)) for t in times]
        if any(b <= a for a, b in zip(pts_list, pts_list[1:], strict=False)):
            raise ValueError("times must increase")
        frame_times = [float(p * tb) for p in pts_list]
        duration = frame_times[-1] + float(1 / fps)
    else:
        tb = 1 / fps
        pts_list = list(range(n_frames))
        frame_times = [float(p * tb) for p in pts_list]
        duration = float(n_frames / fps)

    # AVI times packets by count: a shift for the audio encoder's negative start would add a frame
    options = {"avoid_negative_ts": "disabled"} if ext == ".avi" else {}
    with atomic_output(path) as tmp, av.open(str(tmp), mode="w", options=options) as out:
        vs = out.add_stream(vcodec, rate=fps)
        vs.width, vs.height = cw, ch
        if vcodec in ("libx264", "libx265"):
            vs.pix_fmt = choose_pix_fmt("yuv420p", cw, ch)
            vs.codec_context.options = {"crf": str(crf), "preset": "veryfast"}
        else:
            vs.pix_fmt = "yuv420p"
            vs.codec_context.qmin, vs.codec_context.qmax = 2, 4
        vs.time_base = tb
        vs.codec_context.time_base = tb
        if rotation:
            vs.set_display_rotation(rotation)

        astream = None
        rate = 44100 if acodec == "wmav2" else 48000
        if audio:
            astream = out.add_stream(acodec, rate=rate, layout="stereo")
            astream.bit_rate = 128000  # wmav2 and mp3 refuse to open without one
        a_done = 0
        a_total = int(round(duration * rate))
        chunk = 1024

        def audio_until(t_end: float) -> None:
            nonlocal a_done
            if astream is None:
                return
            target = min(a_total, int(round(t_end * rate)))
            while a_done < target:
                n = min(chunk, target - a_done)
                fr = av.AudioFrame.from_ndarray(_tone(a_done, n, rate, 2), format="fltp", layout="stereo")
                fr.sample_rate = rate
                fr.pts = a_done
                fr.time_base = Fraction(1, rate)
                out.mux(astream.encode(fr))
                a_done += n

        for pts, t in zip(pts_list, frame_times, strict=True):
            upright_img = render_frame(base, t, motion, seed)
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(to_coded(upright_img, rotation)), format="rgb24")
            vf.pts = pts
            vf.time_base = tb
            out.mux(vs.encode(vf))
            audio_until(t + float(1 / fps))
        out.mux(vs.encode(None))
        audio_until(duration)
        if astream is not None:
            out.mux(astream.encode(None))
    return path


def make_rotated_clip(path: Path | str, image: np.ndarray, rotation: int = 90, **kwargs) -> Path:
    """A clip whose pictures are stored turned, with a display matrix of ``rotation`` degrees."""
    kwargs.setdefault("size", (192, 256))  # portrait display, stored 256x192 for 90/270
    return make_face_clip(path, image, rotation=rotation, **kwargs)


def make_vfr_clip(
    path: Path | str,
    image: np.ndarray,
    times: Sequence[float] | None = None,
    n_frames: int = 40,
    seed: int = 0,
    **kwargs,
) -> Path:
    """A variable-frame-rate clip; frame times ``times`` (default: :func:`vfr_times`)."""
    if times is None:
        times = vfr_times(n_frames, seed)
    return make_face_clip(path, image, times=times, seed=seed, **kwargs)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m ganimate.synth", description="Make a short test clip.")
    ap.add_argument("out", type=Path)
    ap.add_argument("--image", type=Path, help="photo to animate (default: scikit-image's astronaut)")
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--size", default="256x256", help="WxH")
    ap.add_argument("--static", action="store_true", help="no motion")
    ap.add_argument("--no-audio", action="store_true")
    args = ap.parse_args(argv)
    if args.image is not None:
        from ganimate.video.probe import read_image

        image = read_image(args.image)
    else:
        image = load_astronaut()
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--size must be WxH, not {args.size!r}") from None
    make_face_clip(
        args.out,
        image,
        n_frames=args.frames,
        fps=args.fps,
        size=(w, h),
        motion="static" if args.static else "affine",
        audio=not args.no_audio,
    )
    print(args.out)


if __name__ == "__main__":
    try:
        main()
    except GanimateError as e:
        raise SystemExit(f"error: {e}") from None

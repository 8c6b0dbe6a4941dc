import csv
import errno
import logging
import re
import tracemalloc
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

import ganimate.video.reader as reader_mod
from ganimate.errors import GanimateError
from ganimate.synth import fit_image, make_face_clip, make_rotated_clip, make_vfr_clip, render_frame, vfr_times
from ganimate.video import VideoFrame, is_image, probe_video, read_frames, read_image


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


# ------------------------------------------------------------------------------------ decoding


def test_reads_every_frame_with_timing(clip_path):
    frames = list(read_frames(clip_path))
    assert len(frames) == 50
    for i, f in enumerate(frames):
        assert isinstance(f, VideoFrame)
        assert f.index == i
        assert f.image.shape == (256, 256, 3) and f.image.dtype == np.uint8
        assert f.image.flags["C_CONTIGUOUS"]
        assert f.time == pytest.approx(i / 25, abs=1e-9)
        assert f.time_base is not None and f.pts is not None
        assert float(f.pts * f.time_base) == pytest.approx(f.time, abs=1e-9)


def test_probe(clip_path):
    info = probe_video(clip_path)
    assert (info.width, info.height, info.fps, info.frame_count) == (256, 256, Fraction(25), 50)
    assert info.duration == pytest.approx(2.0, abs=0.02)
    assert (info.rotation, info.has_audio, info.audio_codec, info.video_codec) == (0, True, "aac", "h264")
    with pytest.raises(AttributeError):
        info.width = 3  # frozen


def test_frames_are_rgb_in_the_right_order(clip_path, astronaut):
    """Colours (RGB, not BGR; BT.601 limited range) and frame order match what was rendered."""
    base = fit_image(astronaut, (256, 256))
    frames = list(read_frames(clip_path))
    for f in frames[::5]:
        want = render_frame(base, f.time)
        assert psnr(f.image, want) > 32
        assert psnr(f.image[..., ::-1], want) < psnr(f.image, want) - 5  # channel order matters
    # a frame is closer to its own render than to its neighbour's
    assert psnr(frames[20].image, render_frame(base, frames[20].time)) > psnr(
        frames[20].image, render_frame(base, frames[30].time)
    )


def test_threads_do_not_change_the_frames(clip_path):
    a = [f.image for f in read_frames(clip_path, threads=True)]
    b = [f.image for f in read_frames(clip_path, threads=False)]
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_decoder_uses_threads(clip_path, monkeypatch):
    seen = {}
    real_open = reader_mod.open_video

    def spy(path):
        container, stream = real_open(path)
        seen["stream"] = stream
        return container, stream

    monkeypatch.setattr(reader_mod, "open_video", spy)
    next(iter(read_frames(clip_path)))
    assert seen["stream"].thread_type == av.codec.context.ThreadType.AUTO  # PyAV's default is SLICE


def test_streams_in_constant_memory(tmp_path, astronaut):
    """The reader holds a frame or two, not the clip: peak traced memory stays far below the clip."""
    p = make_face_clip(tmp_path / "long.mp4", astronaut, n_frames=150, size=(256, 256), audio=False)
    frame_bytes = 256 * 256 * 3
    tracemalloc.start()
    try:
        n = 0
        for f in read_frames(p):
            n += 1
            del f
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 150
    assert peak < 20 * frame_bytes  # a list of all frames would be 150 frames


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_clip_is_delivered_upright(tmp_path, astronaut, rotation):
    size = (192, 256)  # display w, h
    p = make_rotated_clip(tmp_path / "rot.mp4", astronaut, rotation=rotation, n_frames=4, size=size)
    info = probe_video(p)
    assert info.rotation == rotation and (info.width, info.height) == size
    base = fit_image(astronaut, size)
    for f in read_frames(p):
        assert f.image.shape == (256, 192, 3)
        want = render_frame(base, f.time)
        assert psnr(f.image, want) > 32
        assert psnr(f.image, np.ascontiguousarray(np.rot90(want, 2))) < 20  # not upside down


def test_vfr_timestamps(tmp_path, astronaut):
    times = vfr_times(40, seed=2)
    p = make_vfr_clip(tmp_path / "vfr.mp4", astronaut, times=times)
    frames = list(read_frames(p))
    assert [f.index for f in frames] == list(range(40))
    assert [f.time for f in frames] == pytest.approx(times, abs=1e-6)
    assert frames[0].time_base == Fraction(1, 90000)


def test_avi_and_wmv(tmp_path, astronaut):
    for name in ("c.avi", "c.wmv"):
        p = make_face_clip(tmp_path / name, astronaut, n_frames=12, size=(128, 96))
        frames = list(read_frames(p))
        assert len(frames) == 12
        assert frames[0].image.shape == (96, 128, 3)
        gaps = np.diff([f.time for f in frames])
        assert gaps == pytest.approx(np.full(11, 0.04), abs=1.5e-3)  # wmv stores milliseconds


# ----------------------------------------------------------------------------------- images


def test_still_images(tmp_path, astronaut):
    png = tmp_path / "a.png"
    Image.fromarray(astronaut).save(png)
    noext = tmp_path / "photo"
    Image.fromarray(astronaut).save(noext, format="PNG")
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    assert is_image(png) and is_image(noext) and is_image(tmp_path / "x.JPG")
    assert not is_image(txt) and not is_image(tmp_path / "clip.mp4")
    assert np.array_equal(read_image(png), astronaut)
    assert np.array_equal(read_image(noext), astronaut)
    frames = list(read_frames(png))
    assert len(frames) == 1 and np.array_equal(frames[0].image, astronaut)
    info = probe_video(png)
    assert (info.width, info.height, info.frame_count) == (512, 512, 1) and not info.has_audio


def test_clip_is_not_an_image(clip_path):
    assert not is_image(clip_path)


def test_image_exif_orientation_and_modes(tmp_path, astronaut):
    img = Image.fromarray(astronaut[:, :300])  # 300 wide, 512 tall
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    p = tmp_path / "o.jpg"
    img.save(p, exif=exif, quality=95)
    out = read_image(p)
    assert out.shape == (300, 512, 3)  # upright: width and height swapped
    gray = tmp_path / "g.png"
    Image.fromarray(astronaut[..., 0]).save(gray)
    g = read_image(gray)
    assert g.shape == (512, 512, 3) and np.array_equal(g[..., 0], g[..., 2])
    rgba = tmp_path / "a.png"
    Image.fromarray(np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])).save(rgba)
    assert np.array_equal(read_image(rgba), astronaut)


def test_bad_image(tmp_path):
    p = tmp_path / "bad.jpg"
    p.write_bytes(b"not a jpeg at all")
    with pytest.raises(GanimateError, match="bad.jpg"):
        read_image(p)


# ----------------------------------------------------------------------------------- errors


def _one_line_naming(exc, path):
    msg = str(exc.value)
    assert str(path) in msg
    assert "\n" not in msg


def test_missing_file(tmp_path):
    p = tmp_path / "missing.mp4"
    for fn in (read_frames, probe_video):
        with pytest.raises(GanimateError, match="not found") as e:
            fn(p)
        _one_line_naming(e, p)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    for fn in (read_frames, probe_video):
        with pytest.raises(GanimateError, match="empty") as e:
            fn(p)
        _one_line_naming(e, p)


def test_directory(tmp_path):
    d = tmp_path / "dir.mp4"
    d.mkdir()
    with pytest.raises(GanimateError, match="directory"):
        read_frames(d)


def test_text_file_renamed_mp4(tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video\n" * 100)
    for fn in (read_frames, probe_video):
        with pytest.raises(GanimateError) as e:
            list(fn(p)) if fn is read_frames else fn(p)
        _one_line_naming(e, p)


def test_truncated_mp4(tmp_path, clip_path):
    data = clip_path.read_bytes()
    p = tmp_path / "half.mp4"
    p.write_bytes(data[: len(data) // 2])
    for fn in (read_frames, probe_video):
        with pytest.raises(GanimateError) as e:
            list(fn(p)) if fn is read_frames else fn(p)
        _one_line_naming(e, p)


def test_audio_only_file_has_no_video_stream(tmp_path):
    p = tmp_path / "tone.m4a"
    with av.open(str(p), "w") as out:
        s = out.add_stream("aac", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        out.mux(s.encode(frame))
        out.mux(s.encode(None))
    with pytest.raises(GanimateError, match="no video stream") as e:
        read_frames(p)
    _one_line_naming(e, p)


def test_truncated_mkv_gives_the_frames_before_the_cut(tmp_path, astronaut):
    p = make_face_clip(tmp_path / "c.mkv", astronaut, n_frames=40, size=(128, 128), audio=False)
    data = p.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    frames = list(read_frames(cut))
    assert 5 < len(frames) < 40
    assert [f.index for f in frames] == list(range(len(frames)))


def _failing_open(after_packets):
    real_open = reader_mod.open_video

    def fake_open(path):
        container, stream = real_open(path)

        class Broken:
            def demux(self, s):
                for i, packet in enumerate(container.demux(s)):
                    if i == after_packets:
                        raise av.error.InvalidDataError(errno.EINVAL, "Invalid data found when processing input")
                    yield packet

            def close(self):
                container.close()

        return Broken(), stream

    return fake_open


def test_error_midway_stops_cleanly_with_a_warning(clip_path, monkeypatch, caplog):
    monkeypatch.setattr(reader_mod, "open_video", _failing_open(after_packets=20))
    with caplog.at_level(logging.WARNING, logger="ganimate.video.reader"):
        frames = list(read_frames(clip_path))
    assert 10 <= len(frames) <= 21  # what was decoded before the error (+ what the decoder held)
    assert [f.index for f in frames] == list(range(len(frames)))
    assert any(re.search(r"decoding stopped after \d+ frames", r.getMessage()) for r in caplog.records)
    assert str(clip_path) in caplog.text


def test_error_before_any_frame_raises(clip_path, monkeypatch):
    monkeypatch.setattr(reader_mod, "open_video", _failing_open(after_packets=0))
    with pytest.raises(GanimateError, match="no frame could be decoded") as e:
        list(read_frames(clip_path))
    _one_line_naming(e, clip_path)


# ----------------------------------------------------------------------------- shared data


def _readme_rows(shared_dir):
    rows = {}
    for line in (shared_dir / "README.md").read_text().splitlines():
        m = re.match(
            r"\|\s*([^|\s]+\.(?:avi|mp4|wmv))\s*\|\s*(\d+)x(\d+)\s*\|\s*(\w+)\s*\|\s*(\d+)/(\d+)"
            r"\s*\|\s*([\w-]+)\s*\|\s*(\d+)\s*\|",
            line,
        )
        if m:
            name, w, h, codec, fn, fd, audio, n = m.groups()
            rows[name] = dict(
                width=int(w),
                height=int(h),
                codec=codec,
                fps=Fraction(int(fn), int(fd)),
                audio=None if audio == "-" else audio,
                rows=int(n),
            )
    return rows


def _csv_rows(path):
    with open(path, newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


@pytest.mark.shared
@pytest.mark.slow
def test_shared_clips_decode_completely(shared_dir):
    """All 28 real clips: frame count = README table = OpenFace CSV rows; probe agrees."""
    table = _readme_rows(shared_dir)
    assert len(table) == 28
    videos = shared_dir / "data" / "videos"
    for name, row in table.items():
        path = videos / name
        info = probe_video(path)
        assert (info.width, info.height) == (row["width"], row["height"]), name
        assert info.video_codec == row["codec"], name
        assert info.fps == row["fps"], name
        assert info.audio_codec == row["audio"], name
        n = 0
        for f in read_frames(path):
            assert f.image.shape == (row["height"], row["width"], 3)
            n += 1
        assert n == row["rows"], name
        assert n == _csv_rows(videos / (path.stem + ".openface.csv")), name
        assert info.frame_count == n, name

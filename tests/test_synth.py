from fractions import Fraction

import av
import numpy as np
import pytest

from ganimate.atomic import TEMP_MARK
from ganimate.synth import (
    affine_params,
    fit_image,
    make_face_clip,
    make_rotated_clip,
    make_vfr_clip,
    render_frame,
    vfr_times,
)
from ganimate.video.probe import probe_video
from ganimate.video.reader import read_frames


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def test_default_clip_properties(clip_path):
    info = probe_video(clip_path)
    assert (info.width, info.height) == (256, 256)
    assert info.fps == 25
    assert info.frame_count == 50
    assert info.duration == pytest.approx(2.0, abs=1e-3)
    assert info.video_codec == "h264"
    assert info.has_audio and info.audio_codec == "aac"
    assert info.rotation == 0
    with av.open(str(clip_path)) as c:
        a = c.streams.audio[0]
        audio_s = float(a.duration * a.time_base)
    assert audio_s == pytest.approx(2.0, abs=0.05)  # the tone lasts as long as the video


def test_frames_show_the_photo_moving_a_little(clip_path, astronaut):
    base = fit_image(astronaut, (256, 256))
    frames = list(read_frames(clip_path))
    # each decoded frame is the rendered one (encoding is near-transparent at crf 16)
    for f in frames[::7]:
        assert psnr(f.image, render_frame(base, f.time)) > 32
    # it moves: first and middle frames differ clearly, neighbours only slightly
    assert psnr(frames[0].image, frames[25].image) < 25
    assert psnr(frames[10].image, frames[11].image) > psnr(frames[0].image, frames[25].image)
    # ... but stays small: translation <= 3 %, rotation <= 3 degrees, scale within 3 %
    for t in np.linspace(0, 2, 21):
        dx, dy, angle, scale = affine_params(float(t))
        assert abs(dx) <= 0.03 and abs(dy) <= 0.03 and abs(angle) <= 3.0 and abs(scale - 1) <= 0.03


def test_static_motion_and_seed(astronaut):
    base = fit_image(astronaut, (64, 64))
    assert np.array_equal(render_frame(base, 1.3, "static"), base)
    assert np.array_equal(render_frame(base, 0.7, seed=3), render_frame(base, 0.7, seed=3))
    assert not np.array_equal(render_frame(base, 0.7, seed=3), render_frame(base, 0.7, seed=4))
    with pytest.raises(ValueError):
        render_frame(base, 0.0, "wobble")


def test_fit_image_covers_and_crops(astronaut):
    out = fit_image(astronaut, (100, 60))
    assert out.shape == (60, 100, 3) and out.dtype == np.uint8


def test_odd_size_and_no_audio(tmp_path, astronaut):
    p = make_face_clip(tmp_path / "odd.mp4", astronaut, n_frames=5, size=(321, 239), audio=False)
    info = probe_video(p)
    assert (info.width, info.height) == (321, 239)
    assert not info.has_audio and info.audio_codec is None


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_clip_has_metadata_and_turned_pictures(tmp_path, astronaut, rotation):
    p = make_rotated_clip(tmp_path / "rot.mp4", astronaut, rotation=rotation, n_frames=3, size=(192, 256))
    info = probe_video(p)
    assert info.rotation == rotation
    assert (info.width, info.height) == (192, 256)  # display orientation
    with av.open(str(p)) as c:
        s = c.streams.video[0]
        stored = (s.codec_context.width, s.codec_context.height)
    assert stored == ((256, 192) if rotation in (90, 270) else (192, 256))


def test_vfr_clip_times(tmp_path, astronaut):
    times = vfr_times(30, seed=1)
    gaps = np.diff(times)
    assert len(set(np.round(gaps, 6))) > 1  # really variable
    assert all(float(Fraction(t).limit_denominator(90000) * 90000).is_integer() for t in times)
    p = make_vfr_clip(tmp_path / "vfr.mp4", astronaut, times=times, audio=False)
    got = [f.time for f in read_frames(p)]
    assert got == pytest.approx(times, abs=1e-6)


def test_vfr_times_must_increase(tmp_path, astronaut):
    with pytest.raises(ValueError):
        make_face_clip(tmp_path / "bad.mp4", astronaut, times=[0.0, 0.04, 0.04])


@pytest.mark.parametrize(
    "name,vcodec,acodec", [("c.avi", "mpeg4", "mp3"), ("c.wmv", "wmv2", "wmav2"), ("c.mkv", "h264", "aac")]
)
def test_other_containers(tmp_path, astronaut, name, vcodec, acodec):
    p = make_face_clip(tmp_path / name, astronaut, n_frames=10, size=(128, 128))
    info = probe_video(p)
    assert info.video_codec == vcodec and info.audio_codec == acodec
    assert sum(1 for _ in read_frames(p)) == 10


def test_bad_image_and_failure_leaves_nothing(tmp_path, astronaut):
    with pytest.raises(ValueError):
        make_face_clip(tmp_path / "x.mp4", astronaut.astype(np.float32))
    with pytest.raises(ValueError):  # PyAV's UnknownCodecError
        make_face_clip(tmp_path / "x.mp4", astronaut, n_frames=3, video_codec="no_such_codec")
    assert list(tmp_path.iterdir()) == []
    assert not any(TEMP_MARK in p.name for p in tmp_path.iterdir())

"""Closed eyes on video through the keyframes path: which frames are read and how (training/edit_video.py)."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("torch")  # ganimate.training imports the torch dataset module
from ganimate.au.names import AU_NAMES  # noqa: E402
from ganimate.training import edit_video as ev  # noqa: E402


def test_closed_eyes_video_reads_open_frames_spread_over_the_clip(monkeypatch, tmp_path):
    """A 40-frame clip shut at frames 30-32: the frame's value is its lid gap (the stand-in judge reads it); the
    held edit's output halves every gap. Open frames are taken across the whole clip, not its start."""
    n, shut = 40, {30, 31, 32}
    gaps = {f: (2.0 if f in shut else 10.0 + f) for f in range(1, n + 1)}
    aus = {f: np.zeros(len(AU_NAMES), np.float32) for f in gaps}
    for f in shut:
        aus[f][AU_NAMES.index("AU45")] = 4.0
    lms = {f: np.zeros((68, 2)) for f in gaps}
    monkeypatch.setattr(ev, "clip_labels", lambda videos, stem: (lms, aus))
    held = []

    def fake_flicker(generator, videos, work, clip, seconds, **kw):
        held.append((clip, seconds, kw["target"]))
        return {"frames": n, "ratio": 0.9}

    monkeypatch.setattr(ev, "flicker", fake_flicker)

    def fake_frames(path, limit=None):
        scale = 0.5 if "output" in Path(path).name else 1.0
        return (np.full((2, 2, 3), gaps[f] * scale) for f in range(1, n + 1))

    monkeypatch.setattr(ev, "_frames", fake_frames)
    import ganimate.video.probe as probe

    monkeypatch.setattr(probe, "probe_video", lambda path: SimpleNamespace(fps=10.0))
    monkeypatch.setattr(ev.lmk, "shape_measures", lambda points: {"lid_gap": float(points)})

    class Judge:
        def locate(self, image, fallback):
            return None

        def landmarks(self, image, where):
            return image[0, 0, 0]

    res = ev.closed_eyes_video(Path("g.onnx"), Judge(), tmp_path, tmp_path, clips=("c.mp4",), per_clip=4)
    assert held == [("c.mp4", pytest.approx(4.1), ev.CLOSED_EYES)]  # the whole clip, held shut
    (clip,) = res["clips"]
    opened = [f for f in range(1, n + 1) if f not in shut]
    picked = [opened[k] for k in (0, 12, 24, 36)]  # spread evenly over the open frames
    assert clip["open_frames"] == 4 and clip["closed_frames"] == 3
    assert clip["real"] == pytest.approx(2.0 / np.median([gaps[f] for f in picked]))
    assert clip["edited"] == pytest.approx(0.5)
    assert clip["flicker"] == 0.9
    md = ev.closed_eyes_video_markdown(res, "g.onnx")
    assert "| c.mp4 | 40 | 3 |" in md and "on 4 open frames" in md  # the frames it read, not a fixed count

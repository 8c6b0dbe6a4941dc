"""The reference read on demand gives the whole-reference values, reading only what it must."""

import numpy as np
import pytest
from model_files import random_estimator, random_generator

from ganimate.cli import build_run_config
from ganimate.errors import GanimateError
from ganimate.pipeline.progress import frame_progress
from ganimate.pipeline.reference import StreamedReference
from ganimate.pipeline.targets import AuSeries, fill_gaps, neutral_of, smooth_series
from ganimate.pipeline.transfer import TransferOptions, run_transfer
from ganimate.video.reader import read_frames


def _rows(n=120, fps=25.0, seed=0, t0=0.0):
    rng = np.random.default_rng(seed)
    times = t0 + np.arange(n) / fps
    aus = rng.uniform(0, 5, (n, 17)).astype(np.float32)
    valid = rng.uniform(size=n) > 0.2
    valid[:4] = False  # leading gap: takes the first valid frame's AUs
    return times, valid, aus


class Counted:
    """An iterator over rows that counts how many were taken."""

    def __init__(self, times, valid, aus):
        self.rows = list(zip(times, valid, aus, strict=True))
        self.taken = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.taken >= len(self.rows):
            raise StopIteration
        self.taken += 1
        return self.rows[self.taken - 1]


def _whole(times, valid, aus, sigma):
    """What transfer computed before: the whole reference, gap-filled, then smoothed."""
    return AuSeries(np.asarray(times, np.float64), smooth_series(fill_gaps(aus, valid), sigma))


@pytest.mark.parametrize("sigma", [1.0, 0.0, 2.5])
@pytest.mark.parametrize("end", ["hold", "loop"])
def test_values_equal_the_whole_reference_series(sigma, end):
    times, valid, aus = _rows(t0=0.3)
    whole = _whole(times, valid, aus, sigma)
    ref = StreamedReference(Counted(times, valid, aus), sigma, neutral_frames=25)
    # source frames at another rate, starting before the reference and running past its end
    for t in np.arange(0.0, 7.0, 1 / 30):
        np.testing.assert_array_equal(ref.at(t, end), whole.at(t, end))


def test_reads_only_as_far_as_asked():
    times, valid, aus = _rows(n=1000)
    rows = Counted(times, valid, aus)
    ref = StreamedReference(rows, 1.0, neutral_frames=25)
    whole = _whole(times, valid, aus, 1.0)
    for t in np.arange(0, 2.0, 1 / 25):  # a 2 s source: 50 frames of a 40 s reference
        np.testing.assert_array_equal(ref.at(t), whole.at(t))
    np.testing.assert_array_equal(ref.neutral(), neutral_of(whole.aus[:25]))
    # the last source frame (1.96 s) uses reference frame 49; the smoothing looks 3 frames ahead of it
    assert rows.taken == ref.frames_read == 49 + 3 + 1


def test_neutral_of_the_first_frames_or_of_all():
    times, valid, aus = _rows(n=200)
    whole = _whole(times, valid, aus, 1.0)
    first = StreamedReference(Counted(times, valid, aus), 1.0, neutral_frames=40)
    np.testing.assert_array_equal(first.neutral(), neutral_of(whole.aus[:40]))
    assert first.frames_read < 50
    rows = Counted(times, valid, aus)
    everything = StreamedReference(rows, 1.0, neutral_frames=0)
    np.testing.assert_array_equal(everything.neutral(), whole.neutral())
    assert rows.taken == 200
    short = StreamedReference(Counted(times[:10], valid[:10], aus[:10]), 1.0, neutral_frames=25)
    np.testing.assert_array_equal(short.neutral(), _whole(times[:10], valid[:10], aus[:10], 1.0).neutral())


def test_a_reference_without_any_face_is_a_user_error():
    times, _, aus = _rows(n=30)
    ref = StreamedReference(Counted(times, np.zeros(30, bool), aus), 1.0, neutral_frames=25)
    with pytest.raises(GanimateError, match="no face found in any frame of the reference"):
        ref.at(0.0)


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory, astronaut):
    from ganimate.synth import make_face_clip

    path = tmp_path_factory.mktemp("ref") / "long_ref.mp4"
    return make_face_clip(path, astronaut, n_frames=150, fps=25, size=(256, 256), motion="affine", audio=False,
                          seed=5)


@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_transfer_reads_the_span_it_uses_and_writes_what_a_whole_read_writes(clip_path, long_reference, tmp_path,
                                                                             mode, monkeypatch):
    """A 2 s source driven by a 6 s reference: 53 reference frames are read, not 150, and the output
    equals that of reading the whole reference (the neutral from the same first 25 frames)."""
    from ganimate.pipeline import transfer

    run = build_run_config(model=random_generator(), au_model=random_estimator(), quiet=True, precision="f32")
    opts = TransferOptions(mode=mode)
    with frame_progress(False) as p:
        on_demand = run_transfer(clip_path, long_reference, tmp_path / "a.mp4", run, opts, p)
    original = transfer.open_reference

    def read_all_first(*args, **kw):  # as transfer did before it read the reference on demand
        ref = original(*args, **kw)
        ref._read_all()
        return ref

    monkeypatch.setattr(transfer, "open_reference", read_all_first)
    with frame_progress(False) as p:
        whole = run_transfer(clip_path, long_reference, tmp_path / "b.mp4", run, opts, p)
    assert on_demand.frames == 50 and on_demand.reference_frames == 49 + 3 + 1
    assert whole.reference_frames == 150
    np.testing.assert_array_equal(np.stack([f.image for f in read_frames(tmp_path / "a.mp4")]),
                                  np.stack([f.image for f in read_frames(tmp_path / "b.mp4")]))

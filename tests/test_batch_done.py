"""Done sidecars: a job counts as complete only while its inputs, options and outputs are as recorded."""

import os

from ganimate.batch import done
from ganimate.batch.jobs import Job


def _job(tmp_path, **options):
    src = tmp_path / "a.mp4"
    if not src.exists():
        src.write_bytes(b"source")
    model = tmp_path / "g.onnx"
    au_model = tmp_path / "e.onnx"
    for m in (model, au_model):
        if not m.exists():
            m.write_bytes(b"model")
    opts = {"model": model, "au_model": au_model, **options}
    return Job(0, "jobs.csv:2", "transfer", (("src", src), ("ref", src)), tmp_path / "out.mp4",
               tuple(sorted(opts.items())))


def _finish(job, frames=7):
    made_from = done.fingerprint(job)
    for t in job.targets():
        t.write_bytes(b"finished output")
    done.write_marker(job, made_from, frames)


def test_complete_job_is_recognised_with_its_frames(tmp_path):
    job = _job(tmp_path)
    assert done.completed(job) is None  # nothing written yet
    _finish(job)
    assert done.marker_path(job.out) == tmp_path / ".out.mp4.ganimate-done.json"
    assert done.completed(job)["frames"] == 7


def test_output_without_sidecar_is_not_complete(tmp_path):
    job = _job(tmp_path)
    job.out.write_bytes(b"left by a run killed before its sidecar was written")
    assert done.completed(job) is None


def test_changed_input_output_or_option_makes_it_incomplete(tmp_path):
    job = _job(tmp_path)
    _finish(job)
    st = job.input("src").stat()
    os.utime(job.input("src"), ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # source edited since
    assert done.completed(job) is None
    _finish(job)
    assert done.completed(job) is not None
    job.out.write_bytes(b"truncated")  # output replaced or damaged
    assert done.completed(job) is None
    _finish(job)
    assert done.completed(_job(tmp_path, crf=30)) is None  # other options: another output
    (tmp_path / "g.onnx").write_bytes(b"a retrained model")
    assert done.completed(job) is None


def test_missing_preview_makes_it_incomplete_and_forget_drops_the_sidecar(tmp_path):
    job = _job(tmp_path, preview=True)
    _finish(job)
    assert done.completed(job) is not None
    job.targets()[1].unlink()
    assert done.completed(job) is None
    done.forget(job)
    assert not done.marker_path(job.out).exists()
    done.forget(job)  # twice is fine

"""`ganimate batch` on worker processes, as a user runs it: bad jobs among good ones, resume, Ctrl-C, kill -9,
and the folder short forms."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_files import BAD, GOOD, ganimate, make_inputs, read_report, write_jobs

from ganimate.atomic import TEMP_MARK


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("batch_inputs"))


@pytest.fixture
def work(inputs, tmp_path):
    """A fresh copy of the inputs for one test (tests write beside them)."""
    dst = tmp_path / "w"
    shutil.copytree(inputs, dst)
    return dst


def _temps(folder):
    return sorted(p.name for p in folder.rglob(f"*{TEMP_MARK}*"))


def _no_traceback(proc):
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


def test_bad_jobs_are_reported_the_rest_written_and_a_rerun_redoes_nothing(work):
    jobs = write_jobs(work)
    (work / "out").mkdir()
    stale = work / "out" / f".c1{TEMP_MARK}0badf00d.mp4"  # what kill -9 of an earlier run leaves
    stale.write_bytes(b"half a video")
    proc = ganimate("batch", jobs, "--workers", "2", "--report", work / "report.jsonl", "-q", cwd=work)
    _no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    report = read_report(work / "report.jsonl")
    assert [r["out"] for r in report] == [str(work / "out" / f"{n}.mp4") for n in GOOD + BAD]
    assert [r["status"] for r in report] == ["done"] * 3 + ["failed"] * 3
    errors = [r["error"] for r in report[3:]]
    assert "no face" in errors[0] and "blank.mp4" in errors[0]
    assert "not a video" in errors[1] and "text.mp4" in errors[1]
    assert "not found" in errors[2] and "missing.mp4" in errors[2]
    assert all("\n" not in e for e in errors)
    assert all(r["frames"] == 12 for r in report[:3])
    for n in GOOD:
        assert (work / "out" / f"{n}.mp4").stat().st_size > 1000
    for n in BAD:
        assert not (work / "out" / f"{n}.mp4").exists()
    assert _temps(work) == []  # the stale temp file was cleaned, and no job left one
    for n in ("blank", "text", "missing"):  # the summary names each failure with its error
        assert n in proc.stdout
    mtimes = {n: (work / "out" / f"{n}.mp4").stat().st_mtime_ns for n in GOOD}

    again = ganimate("batch", jobs, "--workers", "2", "--report", work / "report.jsonl", "-q", cwd=work)
    assert again.returncode == 1
    report2 = read_report(work / "report.jsonl")
    assert [r["status"] for r in report2] == ["skipped"] * 3 + ["failed"] * 3
    assert [r["frames"] for r in report2[:3]] == [12] * 3
    assert [r["error"] for r in report2[3:]] == errors
    assert {n: (work / "out" / f"{n}.mp4").stat().st_mtime_ns for n in GOOD} == mtimes  # nothing redone

    one = write_jobs(work, names=("c1",), name="one.csv")
    forced = ganimate("batch", one, "--force", "--report", work / "one.jsonl", "-q", cwd=work)
    assert forced.returncode == 0, forced.stderr
    assert read_report(work / "one.jsonl")[0]["status"] == "done"
    assert (work / "out" / "c1.mp4").stat().st_mtime_ns != mtimes["c1"]


def _start(args, cwd):
    env = dict(os.environ, GANIMATE_DEBUG="", OMP_NUM_THREADS="1")
    # A shell that starts a test run in the background (nohup, `&` without job control) hands its children
    # SIGINT ignored, and Python then never turns Ctrl-C into KeyboardInterrupt: give the child the default.
    return subprocess.Popen([sys.executable, "-m", "ganimate", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_temp(proc, folder, timeout=120, old=()):
    """Until the batch has a temporary file open (one not in `old`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(_temps(folder)) - set(old):
            return
        if proc.poll() is not None:
            raise AssertionError(f"batch ended before writing: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError("no job started writing")


def test_interrupted_and_killed_batches_leave_no_partial_output_and_resume(tmp_path):
    work = make_inputs(tmp_path / "w", n_frames=200, good=("c0", "c1"))
    jobs = write_jobs(work, names=("c0", "c1"))
    outs = [work / "out" / "c0.mp4", work / "out" / "c1.mp4"]

    killed = _start(["batch", jobs, "--workers", "2", "-q"], work)
    _wait_for_temp(killed, work / "out")
    os.killpg(killed.pid, signal.SIGKILL)  # parent and workers at once: nothing gets to clean up
    killed.communicate(timeout=30)
    left = _temps(work / "out")
    assert left, "kill -9 mid-job should leave a temporary file behind"
    assert not any(p.exists() for p in outs)

    interrupted = _start(["batch", jobs, "--workers", "2", "-q"], work)
    _wait_for_temp(interrupted, work / "out", old=left)  # a job is writing: it has most of 200 frames to go
    os.kill(interrupted.pid, signal.SIGINT)  # Ctrl-C (the terminal sends it to the batch's process group)
    stdout, stderr = interrupted.communicate(timeout=60)
    assert interrupted.returncode == 130, stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert lines == ["interrupted"], stderr
    assert _temps(work / "out") == []  # the killed run's temp files, and its own
    for p in outs:  # nothing half-made at a target path: either absent or complete with its sidecar
        assert not p.exists() or (p.parent / f".{p.name}.ganimate-done.json").exists()

    resumed = ganimate("batch", jobs, "--workers", "2", "--report", work / "r.jsonl", "-q", cwd=work)
    assert resumed.returncode == 0, resumed.stderr
    assert all(p.stat().st_size > 1000 for p in outs)
    assert [r["frames"] for r in read_report(work / "r.jsonl")] == [200, 200]
    assert _temps(work / "out") == []


def test_folder_short_forms_and_transfer_with_aus_but_no_reference_video(work):
    clips = work / "clips"
    clips.mkdir()
    for n in ("c1", "c2"):
        shutil.copy(work / "in" / f"{n}.mp4", clips / f"{n}.mp4")
    (clips / "notes.txt").write_text("not a clip, and not a video by its name: ignored")
    models = ["--model", work / "g.onnx", "--au-model", work / "e.onnx"]
    aus = ganimate("aus", "clips/", "-o", "aus/", "--au-model", work / "e.onnx", "-q", cwd=work)
    assert aus.returncode == 0, aus.stderr
    assert sorted(p.name for p in (work / "aus").iterdir() if not p.name.startswith(".")) == ["c1.csv", "c2.csv"]

    folder = ganimate("transfer", "clips/", "--aus", "aus/c1.csv", "-o", "out_dir/", *models, "--workers", "1",
                      "--report", "r.jsonl", "-q", cwd=work)
    _no_traceback(folder)
    assert folder.returncode == 0, folder.stderr
    assert [r["status"] for r in read_report(work / "r.jsonl")] == ["done", "done"]
    assert all((work / "out_dir" / f"{n}.mp4").stat().st_size > 1000 for n in ("c1", "c2"))
    again = ganimate("transfer", "clips/", "--aus", "aus/c1.csv", "-o", "out_dir/", *models, "--report", "r.jsonl",
                     "-q", cwd=work)
    assert [r["status"] for r in read_report(work / "r.jsonl")] == ["skipped", "skipped"], again.stderr

    single = ganimate("transfer", "in/c2.mp4", "--aus", "aus/c1.csv", "-o", "single.mp4", *models, "-q", cwd=work)
    assert single.returncode == 0, single.stderr
    assert (work / "single.mp4").stat().st_size > 1000
    neither = ganimate("transfer", "in/c2.mp4", "-o", "x.mp4", *models, cwd=work)
    assert neither.returncode == 1 and "--aus" in neither.stderr.strip().splitlines()[-1]
    _no_traceback(neither)


def test_keyframes_on_a_folder_of_stills_and_videos(work):
    import cv2

    from ganimate.synth import load_astronaut

    sources = work / "sources"
    sources.mkdir()
    cv2.imwrite(str(sources / "astro.png"), cv2.cvtColor(cv2.resize(load_astronaut(), (256, 256)),
                                                         cv2.COLOR_RGB2BGR))
    shutil.copy(work / "in" / "c1.mp4", sources / "take.mp4")
    curves = work / "smile.json"
    curves.write_text('{"fps": 25, "duration": 0.4, "curves": {"AU12": [[0, 0], [0.4, 3]]}}')
    proc = ganimate("keyframes", curves, "--source", "sources/", "-o", "kf/", "--model", work / "g.onnx",
                    "--au-model", work / "e.onnx", "--report", "kf.jsonl", "-q", cwd=work)
    assert proc.returncode == 0, proc.stderr
    report = read_report(work / "kf.jsonl")
    assert [(r["status"], r["frames"]) for r in report] == [("done", 10), ("done", 12)]  # still: 0.4 s; video: its own
    assert [p.name for p in sorted((work / "kf").glob("*.mp4"))] == ["astro.mp4", "take.mp4"]


def _worker_pids(parent_pid):
    pids = []
    for proc in os.listdir("/proc"):
        if not proc.isdigit():
            continue
        try:
            stat = open(f"/proc/{proc}/stat").read()
            cmdline = open(f"/proc/{proc}/cmdline", "rb").read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent_pid and b"spawn_main" in cmdline:
            pids.append(int(proc))
    return pids


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the worker processes through /proc")
def test_a_worker_killed_mid_job_fails_that_job_only_and_a_new_worker_takes_over(tmp_path):
    work = make_inputs(tmp_path / "w", n_frames=60)
    jobs = write_jobs(work, names=GOOD)
    proc = _start(["batch", jobs, "--workers", "2", "--report", work / "r.jsonl", "-q"], work)
    _wait_for_temp(proc, work / "out")
    workers = _worker_pids(proc.pid)
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)  # as the OOM killer would
    proc.communicate(timeout=120)
    assert proc.returncode == 1
    report = read_report(work / "r.jsonl")
    failed = [r for r in report if r["status"] == "failed"]
    assert len(failed) == 1 and "worker process died" in failed[0]["error"], report
    assert sum(r["status"] == "done" for r in report) == 2
    assert not Path(failed[0]["out"]).exists() and _temps(work / "out") == []

    again = ganimate("batch", jobs, "--report", work / "r.jsonl", "-q", cwd=work)
    assert again.returncode == 0, again.stderr
    assert sorted(r["status"] for r in read_report(work / "r.jsonl")) == ["done", "skipped", "skipped"]

"""The same jobs on a local Ray (2 CPUs) and on local worker processes: byte-identical outputs, same report."""

import io
import shutil

import pytest
from batch_files import BAD, GOOD, ganimate, make_inputs, read_report, stable, write_jobs
from rich.console import Console

from ganimate.atomic import TEMP_MARK
from ganimate.batch.jobs import parse_jobs_file
from ganimate.batch.runner import BatchConfig, run_batch

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def _relative(report, root):
    return [{k: v.replace(str(root), "ROOT") if isinstance(v, str) else v for k, v in r.items()}
            for r in stable(report)]


def test_ray_gives_the_same_files_and_report_as_local_workers(tmp_path, local_ray):
    here = make_inputs(tmp_path / "local")
    write_jobs(here)
    there = tmp_path / "ray"
    shutil.copytree(here, there)

    proc = ganimate("batch", "jobs.csv", "--workers", "2", "--threads", "1", "--report", "r.jsonl", "-q", cwd=here)
    assert proc.returncode == 1, proc.stderr

    (there / "out").mkdir(exist_ok=True)
    stale = there / "out" / f".c2{TEMP_MARK}0badf00d.mp4"  # left by a lost task or a killed earlier run
    stale.write_bytes(b"half a video")
    jobs = parse_jobs_file(there / "jobs.csv")
    cfg = BatchConfig(ray="local", threads=1, report=there / "r.jsonl", show_progress=False)
    results = run_batch(jobs, cfg, Console(file=io.StringIO()))
    assert [r.status for r in results] == ["done"] * len(GOOD) + ["failed"] * len(BAD)

    assert _relative(read_report(there / "r.jsonl"), there) == _relative(read_report(here / "r.jsonl"), here)
    for n in GOOD:
        a, b = (here / "out" / f"{n}.mp4").read_bytes(), (there / "out" / f"{n}.mp4").read_bytes()
        assert len(a) > 1000 and a == b, n
    assert not stale.exists() and not list(there.rglob(f"*{TEMP_MARK}*"))

    again = run_batch(jobs, cfg, Console(file=io.StringIO()))
    assert [r.status for r in again] == ["skipped"] * len(GOOD) + ["failed"] * len(BAD)

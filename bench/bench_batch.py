"""Throughput of `ganimate batch` on many clips, beside one `transfer` and a shell loop of single commands.

Prints figures; asserts nothing. Makes N clips of a moving face (720p by default) and a reference clip,
then times, in this order, on the shipped models:

1. one `transfer` on one clip, and the same command on a 3-frame clip (start-up: imports, model loading),
   giving the single command's rate after start-up;
2. `ganimate batch` of the N clips with --workers W, start-up included;
3. a shell-style loop of N single `transfer` commands, start-up paid N times.

The goal: the batch's total rate >= 90% of the single command's rate after start-up.

    python bench/bench_batch.py                                  # 8 clips of 10 s at 720p, --workers 2
    python bench/bench_batch.py --clips 4 --seconds 4            # a smaller run
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TINY_FRAMES = 3


def make_clip(path: Path, width: int, height: int, frames: int, seed: int) -> Path:
    import cv2

    from ganimate.synth import load_astronaut, make_face_clip

    face = load_astronaut()  # padded to the clip's aspect ratio so the whole face stays in the frame
    pad = max(0, int(round(face.shape[0] * width / height)) - face.shape[1]) // 2
    wide = cv2.copyMakeBorder(face, 0, 0, pad, pad, cv2.BORDER_REFLECT)
    return make_face_clip(path, wide, n_frames=frames, fps=25, size=(width, height), motion="affine", audio=True,
                          seed=seed)


def seconds_of(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of it and its children) of a ganimate command (no progress bars)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ganimate", *args, "--quiet"], check=False,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="threads per batch job (0 = cores / workers)")
    args = ap.parse_args()
    width, height = map(int, args.size.split("x"))
    frames = int(round(args.seconds * 25))

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        d = Path(tmp)
        (d / "clips").mkdir()
        t = time.perf_counter()
        clips = [make_clip(d / "clips" / f"clip{i}.mp4", width, height, frames, seed=i) for i in range(args.clips)]
        ref = make_clip(d / "ref.mp4", width, height, frames, seed=100)
        tiny = make_clip(d / "tiny.mp4", width, height, TINY_FRAMES, seed=0)
        print(f"{args.clips} clips of {frames} frames at {width}x{height} made in {time.perf_counter() - t:.0f} s")

        startup, startup_cpu = seconds_of(["transfer", str(tiny), str(ref), "-o", str(d / "tiny_out.mp4")])
        single, single_cpu = seconds_of(["transfer", str(clips[0]), str(ref), "-o", str(d / "single.mp4")])
        single_fps = frames / single
        steady = (frames - TINY_FRAMES) / max(single - startup, 1e-9)
        steady_cpu = 1000 * (single_cpu - startup_cpu) / (frames - TINY_FRAMES)
        print(f"one transfer: {single:.1f} s = {single_fps:.1f} fps end to end; start-up {startup:.1f} s "
              f"({startup_cpu:.1f} CPU s); after start-up {steady:.1f} fps, {steady_cpu:.1f} CPU ms a frame")

        jobs = d / "jobs.csv"
        jobs.write_text("kind,src,ref,out\n" + "".join(f"transfer,{c},{ref},{d / 'batch' / c.name}\n"
                                                      for c in clips))
        (d / "batch").mkdir()
        extra = ["--threads", str(args.threads)] if args.threads else []
        batch, batch_cpu = seconds_of(["batch", str(jobs), "--workers", str(args.workers), *extra])
        made = sum((d / "batch" / c.name).exists() for c in clips)
        batch_fps = frames * args.clips / batch
        batch_ms = 1000 * batch_cpu / (frames * args.clips)
        print(f"batch --workers {args.workers}: {batch:.1f} s for {made}/{args.clips} clips = {batch_fps:.1f} fps "
              f"= {100 * batch_fps / steady:.0f}% of one transfer after start-up "
              f"({100 * batch_fps / single_fps:.0f}% of it end to end)")
        # each worker pays about one command's start-up (imports, models) once
        batch_steady_ms = 1000 * (batch_cpu - args.workers * startup_cpu) / (frames * args.clips)
        print(f"  CPU ms a frame: {batch_ms:.1f} with the workers' start-up, ~{batch_steady_ms:.1f} without "
              f"(= {100 * steady_cpu / batch_ms:.0f}% / ~{100 * steady_cpu / batch_steady_ms:.0f}% of the single "
              f"command's efficiency after start-up)")

        (d / "loop").mkdir()
        t = time.perf_counter()
        loop_cpu = 0.0
        for c in clips:
            loop_cpu += seconds_of(["transfer", str(c), str(ref), "-o", str(d / "loop" / c.name)])[1]
        loop = time.perf_counter() - t
        loop_fps = frames * args.clips / loop
        print(f"shell loop of {args.clips} transfers: {loop:.1f} s = {loop_fps:.1f} fps "
              f"= {100 * loop_fps / steady:.0f}% of one transfer after start-up; batch is {loop / batch:.2f}x faster; "
              f"{1000 * loop_cpu / (frames * args.clips):.1f} CPU ms a frame")
        load = os.getloadavg()[0]
        print(f"load average at the end: {load:.1f} on {os.cpu_count()} cores (wall figures are only fair near "
              f"load {os.cpu_count()} or less; CPU ms a frame hold up better on a shared machine)")


if __name__ == "__main__":
    main()

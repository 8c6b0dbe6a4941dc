"""Throughput of each stage of `ganimate transfer` and of the whole command, on project-made clips.

Prints figures; asserts nothing. The ratio of transfer fps to plain decode+encode fps of the same clip
with the same encoder settings is the figure that holds on a noisy machine.

    python bench/bench_pipeline.py                       # 720p and 1080p, shipped models + paper-size G
    python bench/bench_pipeline.py --clip my.mp4 --backend onnxruntime --batch 16 --detect-every 10
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ganimate.cli import build_run_config
from ganimate.config import TrackConfig


def make_clip(path: Path, width: int, height: int, seconds: float) -> Path:
    import cv2

    from ganimate.synth import load_astronaut, make_face_clip

    # pad the square photo to the clip's aspect ratio so the whole face stays in the frame
    face = load_astronaut()
    pad = max(0, int(round(face.shape[0] * width / height)) - face.shape[1]) // 2
    wide = cv2.copyMakeBorder(face, 0, 0, pad, pad, cv2.BORDER_REFLECT)
    return make_face_clip(path, wide, n_frames=int(seconds * 25), fps=25, size=(width, height),
                          motion="affine", audio=True, seed=3)


def timed(fn, n: int) -> float:
    t = time.perf_counter()
    fn()
    return n / max(time.perf_counter() - t, 1e-9)


def stage_figures(clip: Path, run, generator_path: Path | None, frames: int = 60) -> dict[str, float]:
    """Items per second of each stage in isolation (frames, or crops for the models)."""
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.detect import FaceDetector
    from ganimate.face.paste import make_feather_mask, paste_back
    from ganimate.infer.estimator import AuEstimator
    from ganimate.infer.generator import Generator
    from ganimate.pipeline.context import new_tracker
    from ganimate.video.probe import probe_video
    from ganimate.video.reader import read_frames
    from ganimate.video.writer import VideoWriter

    info = probe_video(clip)
    imgs = []
    out: dict[str, float] = {}
    t = time.perf_counter()
    for f in read_frames(clip):
        imgs.append(f)
        if len(imgs) >= frames:
            break
    out["decode fps"] = len(imgs) / (time.perf_counter() - t)
    det = FaceDetector(run.detect)
    out["detect (full MTCNN) fps"] = timed(lambda: [det.detect(f.image) for f in imgs[:10]], 10)
    tracker = new_tracker(run, float(info.fps), det)
    tracked = []
    out["track (detect every k + O-Net) fps"] = timed(lambda: tracked.extend(tracker.update(f.image) for f in imgs),
                                                     len(imgs))
    faces = [t[0].face for t in tracked if t]
    gen = Generator.load(generator_path or run.infer.model, run.infer.backend, run.infer.device)
    crops = []
    out["align (warp crop) fps"] = timed(
        lambda: crops.extend(warp_face_by_landmarks(f.image, fc.landmarks, gen.size)
                             for f, fc in zip(imgs, faces, strict=False)),
        len(faces))
    batch = np.stack([c for c, _ in crops[: run.infer.batch_size]])
    est = AuEstimator.load(run.infer.au_model, run.infer.backend, run.infer.device)
    est_batch = np.stack([warp_face_by_landmarks(imgs[0].image, faces[0].landmarks, est.size)[0]] * len(batch))
    est.estimate(est_batch)
    out["AU estimator crops/s"] = timed(lambda: [est.estimate(est_batch) for _ in range(5)], 5 * len(batch))
    aus = np.full((len(batch), 17), 1.0, np.float32)
    gen.edit(batch, aus)
    out["generator crops/s"] = timed(lambda: [gen.edit(batch, aus) for _ in range(5)], 5 * len(batch))
    edited, _ = gen.edit(batch, aus)
    mask = make_feather_mask(gen.size)
    out["paste-back fps"] = timed(lambda: [paste_back(imgs[i].image, crops[i][0], edited[i], crops[i][1], mask)
                                           for i in range(len(batch))], len(batch))
    with tempfile.TemporaryDirectory() as d:
        with VideoWriter(Path(d) / "e.mp4", info, run.encode) as w:
            out["encode fps"] = timed(lambda: [w.write(f) for f in imgs], len(imgs))
    out["backend"] = gen.session.description  # type: ignore[assignment]
    return out


def plain_decode_encode_fps(clip: Path, run) -> float:
    from ganimate.video.probe import probe_video
    from ganimate.video.reader import read_frames
    from ganimate.video.writer import VideoWriter

    info = probe_video(clip)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        n = 0
        with VideoWriter(Path(d) / "plain.mp4", info, run.encode, audio_from=clip, encode_in_thread=True) as w:
            for f in read_frames(clip):
                w.write(f)
                n += 1
        return n / (time.perf_counter() - t)


def command_fps(args: list[str], frames: int) -> tuple[float, float]:
    """(fps, peak RSS MiB) of a ganimate command run in a child process."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ganimate", *args, "--quiet"], check=True)
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return frames / dt, rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, action="append", help="clip(s) to use instead of made ones")
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--detect-every", type=int, default=TrackConfig().detect_every)
    ap.add_argument("--model", type=Path, help="generator ONNX (default: shipped)")
    ap.add_argument("--paper-size", action="store_true", help="also time a random paper-size generator")
    args = ap.parse_args()
    run = build_run_config(model=args.model, backend=args.backend, device=args.device, batch=args.batch,
                           detect_every=args.detect_every, quiet=True)
    work = Path(tempfile.mkdtemp(prefix="ganimate-bench-"))
    clips = args.clip or [make_clip(work / f"{s}.mp4", *map(int, s.split("x")), args.seconds)
                          for s in args.sizes.split(",")]
    models = [("default", args.model)]
    if args.paper_size:
        from ganimate.export.generator import build_random_generator_onnx

        paper = work / "paper_random.onnx"
        build_random_generator_onnx(paper, size=128, ngf=64, res_blocks=6)
        models.append(("paper-size random", paper))
    from ganimate.video.probe import probe_video

    for clip in clips:
        info = probe_video(clip)
        print(f"\n== {clip.name}: {info.width}x{info.height}, {info.frame_count} frames ==")
        plain = plain_decode_encode_fps(clip, run)
        print(f"plain decode+encode: {plain:.1f} fps")
        for label, model in models:
            figs = stage_figures(clip, run, model)
            print(f"-- generator: {label} ({figs.pop('backend')}, batch {args.batch}) --")
            for k, v in figs.items():
                print(f"  {k:40s} {v:8.1f}")
            extra = ["--model", str(model)] if model else []
            common = ["--batch", str(args.batch), "--detect-every", str(args.detect_every), "--backend",
                      args.backend, "--device", args.device, *extra]
            fps, rss = command_fps(["transfer", str(clip), str(clip), "-o", str(work / "t.mp4"), *common],
                                   info.frame_count)
            print(f"  transfer end to end: {fps:.1f} fps = {100 * fps / plain:.0f}% of plain decode+encode; "
                  f"peak RSS {rss:.0f} MiB")
            curves = Path(__file__).resolve().parents[1] / "examples" / "curves_smile.json"
            fps, rss = command_fps(["keyframes", str(curves), "--source", str(clip), "-o", str(work / "k.mp4"),
                                    *common], info.frame_count)
            print(f"  keyframes end to end: {fps:.1f} fps = {100 * fps / plain:.0f}% of plain decode+encode")


if __name__ == "__main__":
    main()

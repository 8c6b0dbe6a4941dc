"""Throughput of each stage of `ganimate transfer` and of the whole command, on project-made clips.

Prints figures; asserts nothing. The ratio of transfer fps to plain decode+encode fps of the same clip
with the same encoder settings is the figure that holds on a noisy machine.

    python bench/bench_pipeline.py                       # 720p and 1080p, shipped models + paper-size G
    python bench/bench_pipeline.py --clip my.mp4 --backend onnxruntime --batch 16 --detect-every 10
    python bench/bench_pipeline.py --ref-seconds 40     # also a 12 s clip driven by a 40 s reference
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
    inf = run.infer
    gen = Generator.load(generator_path or inf.model, inf.backend, inf.device, inf.threads, inf.precision, inf.hint)
    crops = []
    out["align (warp crop) fps"] = timed(
        lambda: crops.extend(warp_face_by_landmarks(f.image, fc.landmarks, gen.size)
                             for f, fc in zip(imgs, faces, strict=False)),
        len(faces))
    batch = np.stack([c for c, _ in crops[: run.infer.batch_size]])
    est = AuEstimator.load(inf.au_model, inf.backend, inf.device, inf.threads, inf.precision, inf.hint)
    est_batch = np.stack([warp_face_by_landmarks(imgs[0].image, faces[0].landmarks, est.size)[0]] * len(batch))
    est.estimate(est_batch)
    out["AU estimator crops/s"] = timed(lambda: [est.estimate(est_batch) for _ in range(5)], 5 * len(batch))
    aus = np.full((len(batch), 17), 1.0, np.float32)
    gen.edit(batch, aus)
    out["generator crops/s"] = timed(lambda: [gen.edit(batch, aus) for _ in range(5)], 5 * len(batch))
    if gen.warp and inf.anchor:  # the run's generator also at each face's own AUs (InferConfig.anchor)
        out["generator, not anchored, crops/s"] = out["generator crops/s"]
        shown = np.full((len(batch), 17), 0.5, np.float32)
        out["generator crops/s"] = timed(lambda: [gen.edit_maps(batch, aus, shown) for _ in range(5)],
                                         5 * len(batch))
    edited, _ = gen.edit(batch, aus)
    mask = make_feather_mask(gen.size)
    out["paste-back fps"] = timed(lambda: [paste_back(imgs[i].image, crops[i][0], edited[i], crops[i][1], mask)
                                           for i in range(len(batch))], len(batch))
    with tempfile.TemporaryDirectory() as d:
        with VideoWriter(Path(d) / "e.mp4", info, run.encode) as w:
            out["encode fps"] = timed(lambda: [w.write(f) for f in imgs], len(imgs))
    out["backend"] = gen.session.description  # type: ignore[assignment]
    return out


# stage -> (figure key, passes over the video in `transfer`, in `keyframes`)
STAGES = {
    "decode": ("decode fps", 2, 1),
    "track": ("track (detect every k + O-Net) fps", 2, 1),
    "align": ("align (warp crop) fps", 2, 1),
    "AU estimator": ("AU estimator crops/s", 2, 1),
    "generator": ("generator crops/s", 1, 1),
    "paste-back": ("paste-back fps", 1, 1),
    "encode": ("encode fps", 1, 1),
}


def stage_shares(figs: dict[str, float], command: str) -> list[tuple[str, float, float]]:
    """(stage, CPU ms per output frame, share of the sum) for one face per frame; `transfer` reads the
    reference too (decode, track, align, estimate), `keyframes` only the source."""
    col = 1 if command == "transfer" else 2
    ms = {name: spec[col] * 1000.0 / figs[spec[0]] for name, spec in STAGES.items()}
    total = sum(ms.values())
    return [(name, v, v / total) for name, v in sorted(ms.items(), key=lambda kv: -kv[1])]


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


TINY_FRAMES = 3


def command_seconds(args: list[str]) -> float:
    """Wall seconds of a ganimate command run in a child process."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ganimate", *args, "--quiet"], check=True)
    return time.perf_counter() - t


def report_command(name: str, args: list[str], clip: Path, tiny: Path, frames: int, plain: float) -> None:
    """End-to-end fps of a command (args with CLIP where the clip goes) on `clip`, and its steady-state
    fps once start-up (imports, model loading: the same command on a TINY_FRAMES clip) is taken off."""
    startup = command_seconds([str(tiny) if a == "CLIP" else a for a in args])
    seconds = command_seconds([str(clip) if a == "CLIP" else a for a in args])
    fps = frames / seconds
    steady = (frames - TINY_FRAMES) / max(seconds - startup, 1e-9)
    print(f"  {name} end to end: {fps:.1f} fps = {100 * fps / plain:.0f}% of plain decode+encode; "
          f"start-up {startup:.1f} s; after start-up {steady:.1f} fps = {100 * steady / plain:.0f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, action="append", help="clip(s) to use instead of made ones")
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads per model (0 = the default)")
    ap.add_argument("--precision", default="auto", help="auto | f32 | bf16")
    ap.add_argument("--detect-every", type=int, default=TrackConfig().detect_every)
    ap.add_argument("--model", type=Path, help="generator ONNX (default: shipped)")
    ap.add_argument("--mask", default="landmarks", help="landmarks | ellipse, as the commands' --mask")
    ap.add_argument("--paper-size", action="store_true", help="also time a random paper-size generator")
    ap.add_argument("--ref-seconds", type=float, default=0.0,
                    help="also time transfer driven by a longer reference clip of this many seconds (0 = no)")
    args = ap.parse_args()
    run = build_run_config(model=args.model, backend=args.backend, device=args.device, batch=args.batch,
                           detect_every=args.detect_every, quiet=True, threads=args.threads,
                           precision=args.precision, mask=args.mask)
    with tempfile.TemporaryDirectory(prefix="ganimate-bench-") as d:  # its clips and outputs go with it
        _bench(Path(d), args, run)


def _bench(work: Path, args, run) -> None:
    """Time the commands on args' clips (or clips made in work) and print the figures."""
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
        tiny = make_clip(work / f"tiny_{info.width}x{info.height}.mp4", info.width, info.height, TINY_FRAMES / 25)
        print(f"plain decode+encode: {plain:.1f} fps")
        for label, model in models:
            figs = stage_figures(clip, run, model)
            print(f"-- generator: {label} ({figs.pop('backend')}, batch {args.batch}) --")
            for k, v in figs.items():
                print(f"  {k:40s} {v:8.1f}")
            for command in ("transfer", "keyframes"):
                shares = stage_shares(figs, command)
                total = sum(ms for _, ms, _ in shares)
                print(f"  {command}: {total:.1f} CPU ms a frame in its stages (one face) = "
                      + ", ".join(f"{name} {ms:.1f} ms ({100 * share:.0f}%)" for name, ms, share in shares))
            extra = ["--model", str(model)] if model else []
            common = ["--batch", str(args.batch), "--detect-every", str(args.detect_every), "--backend",
                      args.backend, "--device", args.device, "--threads", str(args.threads), "--precision",
                      args.precision, "--mask", args.mask, *extra]
            # the reference is the clip itself: its faces are tracked a second time, as any reference is
            report_command("transfer", ["transfer", "CLIP", "CLIP", "-o", str(work / "t.mp4"), *common],
                           clip, tiny, info.frame_count, plain)
            report_command("transfer --no-anchor", ["transfer", "CLIP", "CLIP", "-o", str(work / "t.mp4"),
                                                    "--no-anchor", *common], clip, tiny, info.frame_count, plain)
            if args.ref_seconds > 0:
                # a reference longer than the source, as when a short clip is driven by a long performance
                long_ref = work / f"ref_{args.ref_seconds:g}s_{info.width}x{info.height}.mp4"
                if not long_ref.exists():
                    make_clip(long_ref, info.width, info.height, args.ref_seconds)
                report_command(f"transfer, {args.ref_seconds:g} s reference",
                               ["transfer", "CLIP", str(long_ref), "-o", str(work / "t.mp4"), *common],
                               clip, tiny, info.frame_count, plain)
            curves = Path(__file__).resolve().parents[1] / "examples" / "curves_smile.json"
            report_command("keyframes", ["keyframes", str(curves), "--source", "CLIP", "-o", str(work / "k.mp4"),
                                         *common], clip, tiny, info.frame_count, plain)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak RSS of all the commands above: {peak:.0f} MiB (bench/memory_flat.py: 10 s vs 10 min clip)")


if __name__ == "__main__":
    main()

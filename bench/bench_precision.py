"""How far OpenVINO bf16 is from f32 on real face crops, and how much batch size and thread count move
each precision. Prints figures; asserts nothing (tests/test_infer_precision.py holds the bounds).

    python bench/bench_precision.py                  # shipped models, astronaut + ../shared photos/clips
    python bench/bench_precision.py --test-models    # also the tiny random models the tests use

Generator figures are in grey levels of the 0..255 output (unrounded), plus the share of output pixels
whose rounded uint8 value changes and the PSNR of bf16 against f32; estimator figures in AU intensity
units (0..5). Crops: scikit-image's astronaut and, when ../shared is present, its photos and the first
frame of some clips, each face aligned as the pipeline does, under several target expressions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def source_images(max_clips: int) -> list[tuple[str, np.ndarray]]:
    """(name, uint8 HxWx3 RGB) pictures with faces: the astronaut, then ../shared photos and clip frames."""
    import cv2

    from ganimate.synth import load_astronaut
    from ganimate.video.reader import read_frames

    images = [("astronaut", load_astronaut())]
    if SHARED.is_dir():
        for p in sorted((SHARED / "images").glob("*.jpg")):
            images.append((p.name, cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)))
        clips = sorted((SHARED / "videos").glob("*.mp4")) + sorted((SHARED / "videos").glob("*.avi"))
        for p in clips[:max_clips]:
            images.append((p.name, next(iter(read_frames(p))).image))
    return images


def face_crops(images, sizes: tuple[int, ...]) -> dict[int, np.ndarray]:
    """uint8 NxSxSx3 crops of every image's most confident face, per crop size."""
    from ganimate.face.align import warp_face_by_landmarks
    from ganimate.face.detect import FaceDetector

    det = FaceDetector()
    out: dict[int, list] = {s: [] for s in sizes}
    for _, img in images:
        faces = det.detect(img)
        if not faces:
            continue
        for s in sizes:
            out[s].append(warp_face_by_landmarks(img, faces[0].landmarks, s)[0])
    return {s: np.stack(v) for s, v in out.items()}


def targets_for(n: int, seed: int = 0) -> np.ndarray:
    """float32 (4n, 17): per crop a neutral, a smile, brows up + mouth open, and a random target."""
    from ganimate.au.names import AU_NAMES

    idx = {name: i for i, name in enumerate(AU_NAMES)}
    smile = np.zeros(17, np.float32)
    smile[[idx["AU06"], idx["AU12"]]] = (2.5, 3.5)
    surprise = np.zeros(17, np.float32)
    surprise[[idx["AU01"], idx["AU02"], idx["AU05"], idx["AU26"]]] = (3, 3, 2, 3)
    rnd = np.random.default_rng(seed).uniform(0, 5, (n, 17)).astype(np.float32)
    fixed = [np.zeros((n, 17), np.float32), np.tile(smile, (n, 1)), np.tile(surprise, (n, 1))]
    return np.concatenate([*fixed, rnd])


def in_batches(fn, arrays, batch: int) -> np.ndarray:
    n = len(arrays[0])
    return np.concatenate([fn(*(a[i:i + batch] for a in arrays)) for i in range(0, n, batch)])


def image_diff(a: np.ndarray, b: np.ndarray) -> str:
    """a, b float32 ...x3 in 0..255: max / mean / 99.9th percentile abs diff, rounded pixels changed, PSNR."""
    d = np.abs(a.astype(np.float64) - b)
    changed = np.mean(np.any(np.rint(a) != np.rint(b), axis=-1))
    mse = np.mean(d**2)
    psnr = float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
    return (f"max {d.max():.2e}  mean {d.mean():.2e}  p99.9 {np.quantile(d, 0.999):.2e} /255; "
            f"rounded pixels changed {100 * changed:.2f}%; PSNR {psnr:.1f} dB")


def au_diff(a: np.ndarray, b: np.ndarray) -> str:
    d = np.abs(a.astype(np.float64) - b)
    return f"max {d.max():.2e}  mean {d.mean():.2e} AU (0..5 scale)"


def compare_generator(path: Path, crops: np.ndarray, aus: np.ndarray, precisions: list[str]) -> None:
    from ganimate.infer.generator import Generator

    def edit(gen):
        return lambda c, a: gen.edit(c, a)[0]

    ref = in_batches(edit(Generator(path, backend="onnxruntime", device="cpu", threads=1)), (crops, aus), 8)
    results = {}
    for p in precisions:
        gen = Generator(path, backend="openvino", device="cpu", precision=p, threads=2)
        b8 = in_batches(edit(gen), (crops, aus), 8)
        b1 = in_batches(edit(gen), (crops, aus), 1)
        t1 = in_batches(edit(Generator(path, backend="openvino", device="cpu", precision=p, threads=1)),
                        (crops, aus), 8)
        results[p] = b8
        print(f"  {p}: batch 8 vs 1      {image_diff(b8, b1)}")
        print(f"  {p}: 2 threads vs 1    {image_diff(b8, t1)}")
        print(f"  {p}: vs onnxruntime f32 {image_diff(b8, ref)}")
    if "bf16" in results:
        print(f"  bf16 vs f32 (OpenVINO, batch 8) {image_diff(results['bf16'], results['f32'])}")


def compare_estimator(path: Path, crops: np.ndarray, precisions: list[str]) -> None:
    from ganimate.infer.estimator import AuEstimator

    ref = in_batches(AuEstimator(path, backend="onnxruntime", device="cpu", threads=1).estimate, (crops,), 8)
    results = {}
    for p in precisions:
        est = AuEstimator(path, backend="openvino", device="cpu", precision=p, threads=2)
        b8 = in_batches(est.estimate, (crops,), 8)
        b1 = in_batches(est.estimate, (crops,), 1)
        t1 = in_batches(AuEstimator(path, backend="openvino", device="cpu", precision=p, threads=1).estimate,
                        (crops,), 8)
        results[p] = b8
        print(f"  {p}: batch 8 vs 1      {au_diff(b8, b1)}")
        print(f"  {p}: 2 threads vs 1    {au_diff(b8, t1)}")
        print(f"  {p}: vs onnxruntime f32 {au_diff(b8, ref)}")
    if "bf16" in results:
        print(f"  bf16 vs f32 (OpenVINO, batch 8) {au_diff(results['bf16'], results['f32'])}")


def main() -> None:
    from ganimate.infer.backend import cpu_has_native_bf16, read_model_info
    from ganimate.infer.models import DEFAULT_AU_ESTIMATOR, DEFAULT_GENERATOR

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=8, help="first frames of this many ../shared clips")
    ap.add_argument("--test-models", action="store_true", help="also the tests' tiny random models")
    args = ap.parse_args()
    precisions = ["f32", "bf16"] if cpu_has_native_bf16() else ["f32"]
    print(f"native bf16 on this CPU: {cpu_has_native_bf16()} -> comparing {', '.join(precisions)}")
    images = source_images(args.clips)
    models = [("shipped generator", DEFAULT_GENERATOR), ("shipped AU estimator", DEFAULT_AU_ESTIMATOR)]
    if args.test_models:
        sys.path.insert(0, str(ROOT / "tests"))
        from model_files import random_estimator, random_generator

        models += [("test random generator (ngf 8)", random_generator()), ("test random estimator", random_estimator())]
    sizes = tuple(sorted({read_model_info(p).image_size for _, p in models}))
    crops = face_crops(images, sizes)
    print(f"{len(crops[sizes[0]])} faces from {len(images)} pictures (astronaut"
          f"{' + ../shared' if SHARED.is_dir() else ''}); crop sizes {sizes}")
    for name, path in models:
        info = read_model_info(path)
        c = crops[info.image_size]
        if info.kind == "generator":
            aus = targets_for(len(c))
            reps = np.concatenate([c] * 4)
            print(f"\n{name} ({path.name}, {info.image_size} px), {len(reps)} crop/target pairs:")
            compare_generator(path, reps, aus, precisions)
        else:
            print(f"\n{name} ({path.name}, {info.image_size} px), {len(c)} crops:")
            compare_estimator(path, c, precisions)


if __name__ == "__main__":
    main()

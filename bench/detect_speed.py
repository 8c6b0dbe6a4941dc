"""Face detection speed on one 720p frame: full MTCNN and O-Net refinement, per backend.

Prints calls / frames per second (medians of interleaved rounds, so load changes on a shared machine hit
every variant alike); asserts nothing. With torch and facenet-pytorch installed (the `train` extra) it
also times facenet-pytorch's MTCNN on the same frame: what ganimate ran before the ONNX port.

    python bench/detect_speed.py [--frame IMAGE] [--repeats 7] [--threads 1]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ganimate.config import DetectConfig


def frame_720p(path: Path | None) -> np.ndarray:
    """uint8 720x1280x3 RGB: the given image, or the astronaut padded to 16:9 as bench_pipeline's clip."""
    import cv2

    from ganimate.synth import load_astronaut

    if path is not None:
        img = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    else:
        face = load_astronaut()
        pad = (int(round(face.shape[0] * 1280 / 720)) - face.shape[1]) // 2
        img = cv2.copyMakeBorder(face, 0, 0, pad, pad, cv2.BORDER_REFLECT)
    return cv2.resize(img, (1280, 720), interpolation=cv2.INTER_AREA)


def scaled(frame: np.ndarray, cfg: DetectConfig) -> np.ndarray:
    """The frame at detection size (longer side <= max_side), as FaceDetector scales it."""
    import cv2

    scale = min(1.0, cfg.max_side / max(frame.shape[:2])) if cfg.max_side > 0 else 1.0
    return cv2.resize(frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)),
                      interpolation=cv2.INTER_AREA)


def rates(variants: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Per variant (fn, calls a round): median calls per second (wall) and median CPU ms per call.

    Rounds are interleaved across variants; one warm-up call each. CPU time (this process, all threads)
    is the steadier figure on a shared machine: other jobs stretch the wall time, not the CPU time."""
    for fn, _ in variants.values():
        fn()
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
    for _ in range(repeats):
        for name, (fn, n) in variants.items():
            t, c = time.perf_counter(), time.process_time()
            for _ in range(n):
                fn()
            got[name].append((n / (time.perf_counter() - t), (time.process_time() - c) * 1000 / n))
    return {k: (float(np.median([r for r, _ in v])), float(np.median([c for _, c in v]))) for k, v in got.items()}


def report(title: str, figures: dict[str, tuple[float, float]], unit: str) -> None:
    print(f"{title}  ({unit} wall, median; CPU ms a call)")
    for name, (value, cpu) in figures.items():
        print(f"  {name:<56} {value:8.1f} {unit}  {cpu:7.2f} CPU ms")


def net_variants(frame: np.ndarray, cfg: DetectConfig) -> dict:
    """Each net alone on each backend, on inputs of the sizes one full detection of this frame uses."""
    from ganimate.face import mtcnn
    from ganimate.face.detect import MTCNN_FILES
    from ganimate.infer.backend import open_session

    img = scaled(frame, cfg)
    h, w = img.shape[:2]
    sizes = [mtcnn.scaled_size(h, w, s) for s in mtcnn.pyramid_scales(h, w, cfg.min_face_size)]
    table = mtcnn.integral_image(img)
    levels = [mtcnn.area_resize_window(table, (0, h, 0, w), *hw)[None] for hw in sizes]
    print(f"P-Net pyramid at {w}x{h}: {len(levels)} levels {sizes}")

    def pyramid():
        t = mtcnn.integral_image(img)
        return [mtcnn.area_resize_window(t, (0, h, 0, w), *hw) for hw in sizes]

    def run_levels(sess):
        return [sess.run({"image": x}) for x in levels]

    def run_batch(sess, x):
        return sess.run({"image": x})

    variants = {"pyramid resampling (numpy), per frame": (pyramid, 3)}
    rng = np.random.default_rng(0)
    for net, batch in (("pnet", 0), ("rnet", 64), ("onet", 4)):
        for backend in ("openvino", "onnxruntime"):
            sess = open_session(MTCNN_FILES[net], backend, "cpu", cfg.threads, precision="f32")
            if batch == 0:
                variants[f"P-Net on all {len(levels)} levels, {backend}"] = (lambda s=sess: run_levels(s), 3)
            else:
                size = 24 if net == "rnet" else 48
                x = rng.uniform(-1, 1, (batch, 3, size, size)).astype(np.float32)
                variants[f"{net} batch {batch}, {backend}"] = (lambda s=sess, x=x: run_batch(s, x), 5)
    return variants


def pipeline_variants(frame: np.ndarray, cfg: DetectConfig) -> dict:
    """Full detection and O-Net refinement on the frame, ganimate on each backend choice."""
    from ganimate.face.detect import FaceDetector
    from ganimate.face.refine import OnetRefiner

    variants = {}
    for backend in ("auto", "openvino", "onnxruntime"):
        det = FaceDetector(replace(cfg, backend=backend))
        boxes = np.stack([f.box for f in det.detect(frame)])
        refiner = OnetRefiner(det)
        variants[f"ganimate full detection, {backend}"] = (lambda d=det: d.detect(frame), 2)
        variants[f"ganimate O-Net refinement, {backend}"] = (lambda r=refiner, b=boxes: r.refine(frame, b), 20)
    return variants


def torch_variants(frame: np.ndarray, cfg: DetectConfig) -> dict:
    """facenet-pytorch's MTCNN on the same frame, if installed."""
    try:
        import torch
        from facenet_pytorch import MTCNN
    except ImportError:
        print("facenet-pytorch not installed: no reference figures")
        return {}
    from ganimate.face.refine import OnetRefiner

    torch.set_num_threads(max(cfg.threads, 1))
    mt = MTCNN(min_face_size=cfg.min_face_size, thresholds=list(cfg.thresholds), keep_all=True,
               select_largest=False, post_process=False).eval()

    class TorchOnet:  # the refiner's detector interface on facenet-pytorch's O-Net, as before the port
        config = cfg

        def run_onet(self, patches):
            with torch.inference_mode():
                reg, lm, prob = mt.onet(torch.from_numpy(patches))
            return reg.numpy(), lm.numpy(), prob[:, 1].numpy()

    img = scaled(frame, cfg)
    scale = img.shape[0] / frame.shape[0]

    def detect():
        with torch.inference_mode():
            return mt.detect(img[None], landmarks=True)

    boxes = np.asarray(detect()[0][0], dtype=np.float64) / scale
    refiner = OnetRefiner(TorchOnet())
    return {
        f"facenet-pytorch full detection (torch {torch.__version__})": (detect, 2),
        "facenet-pytorch O-Net refinement": (lambda: refiner.refine(frame, boxes), 20),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frame", type=Path, help="image to use (resized to 1280x720)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=DetectConfig().threads)
    ap.add_argument("--skip-nets", action="store_true", help="only the whole detector and refiner")
    args = ap.parse_args()
    cfg = replace(DetectConfig(), threads=args.threads)
    frame = frame_720p(args.frame)
    if not args.skip_nets:
        report(f"nets alone, {cfg.threads} thread(s)", rates(net_variants(frame, cfg), args.repeats), "/s")
    variants = {**pipeline_variants(frame, cfg), **torch_variants(frame, cfg)}
    report(f"1280x720 frame, {cfg.threads} thread(s)", rates(variants, args.repeats), "fps")


if __name__ == "__main__":
    main()

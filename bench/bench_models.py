"""Milliseconds a crop of the ONNX models on OpenVINO over batch size, PERFORMANCE_HINT, threads and
precision, to choose the run-time defaults (ganimate.config.InferConfig) by measurement.

Prints a table of medians over several repeats; asserts nothing.

    python bench/bench_models.py                      # shipped generator, estimator, landmarks; paper-size generator
    python bench/bench_models.py --no-paper --repeats 9 --batches 1,8

The paper-size generator (128 px, 64 channels, 6 residual blocks) is freshly initialised and exported
with the project's export code, as bench/bench_pipeline.py --paper-size makes it: the speed of a
network does not depend on its weights.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def time_once(session, inputs: dict[str, np.ndarray], min_seconds: float) -> float:
    """ms a crop of session.run(inputs), calling it for at least min_seconds."""
    n = len(next(iter(inputs.values())))
    calls = 0
    t = time.perf_counter()
    while True:
        session.run(inputs)
        calls += 1
        elapsed = time.perf_counter() - t
        if elapsed >= min_seconds:
            return 1000.0 * elapsed / (calls * n)


def profile(path: Path, kind: str, size: int, precision: str, batch: int, runs: int = 5) -> None:
    """Print where OpenVINO spends a call: time per executed layer type (PERF_COUNT), and the kernels."""
    import collections

    import openvino as ov

    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(path)), "CPU",
                                  {"INFERENCE_PRECISION_HINT": precision, "PERF_COUNT": True})
    request = compiled.create_infer_request()
    inputs = model_inputs(kind, size, batch)
    request.infer(inputs)
    totals: collections.Counter = collections.Counter()
    kernels: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for _ in range(runs):
        request.infer(inputs)
        for p in request.profiling_info:
            us = p.real_time.total_seconds() * 1e6
            totals[p.node_type] += us / runs
            kernels[p.node_type][f"{p.exec_type}"] += us / runs
    total = sum(totals.values())
    print(f"\n{path.name} {size}px, {precision}, batch {batch}: {total / 1000:.1f} ms a call "
          f"({total / 1000 / batch:.2f} ms a crop) by layer type:")
    for node_type, us in totals.most_common(8):
        top = ", ".join(f"{k} {v / 1000:.1f} ms" for k, v in kernels[node_type].most_common(3))
        print(f"  {node_type:22s} {us / 1000:7.2f} ms ({100 * us / total:4.1f}%)  [{top}]")


def model_inputs(kind: str, size: int, batch: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, (batch, 3, size, size)).astype(np.float32)
    if kind == "generator":
        return {"image": image, "aus": rng.uniform(0, 1, (batch, 17)).astype(np.float32)}
    return {"image": image}


def main() -> None:
    from ganimate.infer.backend import OpenVinoSession, cpu_has_native_bf16, read_model_info
    from ganimate.infer.models import DEFAULT_AU_ESTIMATOR, DEFAULT_GENERATOR, DEFAULT_LANDMARKS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", default="1,4,8,16")
    ap.add_argument("--hints", default="LATENCY,THROUGHPUT")
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}")
    ap.add_argument("--precisions", default="f32,bf16" if cpu_has_native_bf16() else "f32")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--min-seconds", type=float, default=0.2, help="least time of one repeat")
    ap.add_argument("--no-paper", action="store_true", help="skip the paper-size generator")
    ap.add_argument("--models", default="shipped-generator,shipped-estimator,shipped-landmarks,paper-generator")
    ap.add_argument("--profile", action="store_true", help="print OpenVINO's per-layer profile instead")
    args = ap.parse_args()

    paths = {"shipped-generator": DEFAULT_GENERATOR, "shipped-estimator": DEFAULT_AU_ESTIMATOR,
             "shipped-landmarks": DEFAULT_LANDMARKS}
    wanted = [m for m in args.models.split(",") if not (args.no_paper and m == "paper-generator")]
    if "paper-generator" in wanted:
        from ganimate.export.generator import build_random_generator_onnx

        tmp = tempfile.TemporaryDirectory(prefix="ganimate-bench-")  # removed when main returns (GC'd)
        paths["paper-generator"] = Path(tmp.name) / "paper_random.onnx"
        build_random_generator_onnx(paths["paper-generator"], size=128, ngf=64, res_blocks=6)
    import openvino as ov

    print(f"OpenVINO {ov.__version__}, {os.cpu_count()} CPUs, native bf16: {cpu_has_native_bf16()}; "
          f"ms a crop, median of {args.repeats} "
          f"repeats of >= {args.min_seconds} s, round-robin over the configurations; load {os.getloadavg()[0]:.1f}")
    if args.profile:
        for name in wanted:
            info = read_model_info(paths[name])
            for precision in args.precisions.split(","):
                profile(paths[name], info.kind, info.image_size, precision, int(args.batches.split(",")[-1]))
        return
    batches = [int(b) for b in args.batches.split(",")]
    print("| model | precision | hint | threads | " + " | ".join(f"batch {b}" for b in batches) + " |")
    print("|---|---|---|---|" + "---|" * len(batches))
    for name in wanted:
        info = read_model_info(paths[name])
        configs = [(p, h, t) for p in args.precisions.split(",") for h in args.hints.split(",")
                   for t in map(int, args.threads.split(","))]
        sessions = {c: OpenVinoSession(paths[name], precision=c[0], hint=c[1], threads=c[2]) for c in configs}
        inputs = {b: model_inputs(info.kind, info.image_size, b) for b in batches}
        # repeats round-robin over the configurations, so a load change on a shared machine hits them all
        times: dict = {(c, b): [] for c in configs for b in batches}
        for s in sessions.values():
            for b in batches:
                s.run(inputs[b])  # warm-up: first-call allocations and kernel selection
        for _ in range(args.repeats):
            for c in configs:
                for b in batches:
                    times[(c, b)].append(time_once(sessions[c], inputs[b], args.min_seconds))
        for c in configs:
            cells = [f"{statistics.median(times[(c, b)]):.2f}" for b in batches]
            print(f"| {name} {info.image_size}px | {sessions[c].precision} | {c[1]} | {c[2]} | "
                  + " | ".join(cells) + " |", flush=True)

if __name__ == "__main__":
    main()

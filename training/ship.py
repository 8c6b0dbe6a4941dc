"""Export the trained AU estimator and generator into the package and measure them for the model card.

    python -m ganimate.training.ship --estimator runs/est/checkpoint.pt --generator runs/gan/checkpoint.pt \
        --data data/faces128 --expressions ../shared/data/faces/lfw_expressions.csv --out ganimate/models

Writes OUT/au_estimator.onnx, OUT/generator.onnx, OUT/heldout_grid.png and OUT/metrics.md (the tables
that go into OUT/MODEL_CARD.md). Prints the same tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path

MAX_MB = 40.0


def _export_estimator(ckpt: Path, out: Path) -> str:
    from ganimate.export.estimator import export_estimator

    rep = export_estimator(ckpt, out)
    if out.stat().st_size / 2**20 > MAX_MB:
        rep = export_estimator(ckpt, out, fp16=True)
    return f"AU estimator: {out.name}, {out.stat().st_size / 2**20:.1f} MB, parity {rep.max_abs_diff:.1e}"


def _export_generator(ckpt: Path, out: Path) -> str:
    from ganimate.export.generator import export_generator

    rep = export_generator(ckpt, out)
    return f"generator: {out.name}, {out.stat().st_size / 2**20:.1f} MB, parity {rep.max_abs_diff:.1e}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--estimator", type=Path, required=True)
    ap.add_argument("--generator", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--expressions", type=Path)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "ganimate" / "models")
    ap.add_argument("--faces", type=int, default=200)
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    lines = [_export_estimator(args.estimator, out / "au_estimator.onnx"),
             _export_generator(args.generator, out / "generator.onnx"), ""]

    from .estimator_eval import evaluate_estimator, measure_speed
    from .generator_eval import measure_generator

    ev = evaluate_estimator(out / "au_estimator.onnx", args.data, args.expressions)
    lines += ["## AU estimator on held-out people", "", ev.to_markdown(),
              f"Speed (OpenVINO, 2 threads, batch 16): {measure_speed(out / 'au_estimator.onnx'):.0f} crops/s", ""]
    if args.expressions:
        table = measure_generator(out / "generator.onnx", out / "au_estimator.onnx", args.data, args.expressions,
                                  args.faces, out / "heldout_grid.png")
        lines += ["## Generator on held-out people", "", table, ""]
    text = "\n".join(lines)
    (out / "metrics.md").write_text(text)
    print(text)


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)

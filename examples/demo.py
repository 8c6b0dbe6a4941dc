"""The end-to-end demo behind `make demo`; runs offline on the shipped default models.

1. keyframes: scikit-image's astronaut photo animated by examples/curves_full.json
2. a second project-made clip: the same photo mirrored, recoloured and moving (ganimate.synth)
3. transfer: the expressions of (1) drive the face in (2)
4. a side-by-side preview and AU-curve plots (target curves vs what the AU estimator reads back)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent


def ganimate(*args: str) -> None:
    cmd = [sys.executable, "-m", "ganimate", *args]
    print("$ ganimate " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("demo_out"))
    ap.add_argument("--curves", type=Path, default=HERE / "curves_full.json")
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    from skimage import data

    from ganimate.synth import make_face_clip

    portrait = out / "astronaut.png"
    face = data.astronaut()
    cv2.imwrite(str(portrait), cv2.cvtColor(face, cv2.COLOR_RGB2BGR))

    animated = out / "keyframes.mp4"
    ganimate("keyframes", str(args.curves), "--source", str(portrait), "-o", str(animated),
             "--plot", str(out / "keyframes_targets.png"), "--preview")

    # a second clip: mirrored, warmer, smaller, moving — a "different" shot of a face
    second = np.ascontiguousarray(face[:, ::-1])
    second = np.clip(second.astype(np.float32) * np.array([1.08, 1.0, 0.9]), 0, 255).astype(np.uint8)
    clip = out / "moving_face.mp4"
    make_face_clip(clip, second, n_frames=200, fps=25, size=(384, 384), motion="affine", audio=True, seed=7)

    transferred = out / "transfer.mp4"
    ganimate("transfer", str(clip), str(animated), "-o", str(transferred), "--preview")

    estimated = out / "transfer_aus.csv"
    ganimate("aus", str(transferred), "-o", str(estimated))
    _plot_readback(args.curves, estimated, out / "transfer_aus.png")

    print("\nDemo outputs:")
    for p in sorted(out.iterdir()):
        print(f"  {p}")


def _plot_readback(curves_path: Path, csv_path: Path, png: Path) -> None:
    """Target curves beside the AUs the estimator reads back from the transferred video."""
    from ganimate.au.curves import load_curves
    from ganimate.au.openface_csv import read_openface_csv
    from ganimate.au.plot import plot_au_curves

    track = read_openface_csv(csv_path)
    curves = load_curves(curves_path).with_timing(fps=25)
    times = track.timestamp
    plot_au_curves(times, curves.targets(times), png, title="targets (solid) vs read back from transfer.mp4",
                   compare=np.nan_to_num(track.aus))
    print(f"plot {png}")


if __name__ == "__main__":
    main()

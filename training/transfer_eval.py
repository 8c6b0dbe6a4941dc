"""How closely a transfer follows its reference: held-out clips driven by each other, read back.

One held-out clip's faces are driven by another's OpenFace AU labels through `ganimate transfer` (relative
mode, as a user runs it, or --mode absolute), with and without the drive (ganimate/au/drive.py). Then the output,
and the unedited source, are read by `ganimate aus`. Each frame's readings are compared with the reference's labels
at the same time: per AU, the Pearson r over frames, and the mean absolute error over AUS. An edit that follows
the reference raises r and lowers the error. The unedited source is the floor.

The judge is the shipped estimator, which the generator was never trained against; it is still a pixel
reader, so the shapes in edit_eval are what rule out painting.

Run: python -m ganimate.training.transfer_eval ../shared/data/videos --out runs/transfer_eval [--mode absolute]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES

AUS = ("AU01", "AU02", "AU04", "AU06", "AU12", "AU25", "AU26", "AU45")
# (source, reference) held-out clips: a calm talking head driven by an expressive one, and back
PAIRS = (("0417_02_003_bill_clinton.avi", "d12.mp4"), ("d12.mp4", "0417_02_003_bill_clinton.avi"))


def at_times(times: np.ndarray, ref_times: np.ndarray) -> np.ndarray:
    """int (N,) the reference row shown at each time: the last one at or before it (the first before any),
    as a transfer holds each reference frame. times, ref_times: float (N,) / (M,) seconds, ref ascending."""
    return np.clip(np.searchsorted(ref_times, times, side="right") - 1, 0, len(ref_times) - 1)


def follow(readings: np.ndarray, labels: np.ndarray, aus: tuple[str, ...] = AUS) -> tuple[dict[str, float], float]:
    """({AU: Pearson r over frames}, mean absolute error over aus) of float (N, 17) readings against the
    reference's float (N, 17) labels at the same frames; r is NaN where either side does not vary."""
    cols = [AU_NAMES.index(a) for a in aus]
    r = {}
    for a, c in zip(aus, cols, strict=True):
        x, y = readings[:, c], labels[:, c]
        r[a] = float(np.corrcoef(x, y)[0, 1]) if x.std() > 1e-9 and y.std() > 1e-9 else float("nan")
    return r, float(np.abs(readings[:, cols] - labels[:, cols]).mean())


def _rows(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(timestamps, AUs) of the rows where a face was read."""
    from ganimate.au.openface_csv import read_openface_csv

    track = read_openface_csv(path)
    keep = track.success & np.isfinite(track.aus).all(axis=1)
    return track.timestamp[keep], track.aus[keep]


def _ganimate(*args: str) -> None:
    """Run the CLI as a user does; its one-line error is the failure's message."""
    done = subprocess.run([sys.executable, "-m", "ganimate", *args, "--quiet"], capture_output=True, text=True)
    if done.returncode != 0:
        from ganimate.errors import GanimateError

        said = (done.stderr or done.stdout).strip().splitlines()
        raise GanimateError(f"ganimate {args[0]} failed: {said[-1] if said else f'exit {done.returncode}'}")


def main(argv: list[str] | None = None) -> None:
    from ganimate.errors import GanimateError

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", type=Path, help="../shared/data/videos (clips with NAME.openface.csv)")
    ap.add_argument("--out", type=Path, required=True, help="folder for the transfers and their readings")
    ap.add_argument("--mode", choices=("relative", "absolute"), default="relative", help="the transfers' --mode")
    args = ap.parse_args(argv)
    for src, ref in PAIRS:
        for path in (args.videos / src, args.videos / f"{Path(ref).stem}.openface.csv"):
            if not path.is_file():
                raise GanimateError(f"not found: {path}")
    args.out.mkdir(parents=True, exist_ok=True)
    print("| source driven by reference | frames | run | " + " | ".join(AUS) + " | mean r | mean abs error |")
    print("|---|---|---|" + "---|" * (len(AUS) + 2))
    for src, ref in PAIRS:
        labels_csv = args.videos / f"{Path(ref).stem}.openface.csv"
        ref_t, ref_aus = _rows(labels_csv)
        runs = {"unedited source": args.out / f"{Path(src).stem}_source.csv"}
        _ganimate("aus", str(args.videos / src), "-o", str(runs["unedited source"]))
        for drive in ("no-drive", "drive"):
            video = args.out / f"{Path(src).stem}_by_{Path(ref).stem}_{drive}.mp4"
            _ganimate("transfer", str(args.videos / src), "--aus", str(labels_csv), "-o", str(video), f"--{drive}",
                      "--mode", args.mode)
            runs[drive] = video.with_suffix(".csv")
            _ganimate("aus", str(video), "-o", str(runs[drive]))
        for name, csv_path in runs.items():
            t, readings = _rows(csv_path)
            r, err = follow(readings, ref_aus[at_times(t, ref_t)])
            mean_r = float(np.nanmean(list(r.values())))
            print(f"| {Path(src).stem} by {Path(ref).stem} | {len(t)} | {name} | "
                  + " | ".join(f"{r[a]:.2f}" for a in AUS) + f" | {mean_r:.2f} | {err:.2f} |")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)

"""Project-made inputs for the batch tests: a few tiny face clips, bad inputs and a jobs file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from model_files import random_estimator, random_generator

GOOD = ("c0", "c1", "c2")
BAD = ("blank", "text", "missing")  # no face, not a video, no such file


def make_inputs(folder: Path, n_frames: int = 12, good=GOOD) -> Path:
    """folder/in/{c0,c1,c2}.mp4 (a moving face), in/blank.mp4 (no face), in/text.mp4 (text); models copied in."""
    from ganimate.synth import load_astronaut, make_face_clip

    src = folder / "in"
    src.mkdir(parents=True, exist_ok=True)
    face = load_astronaut()
    for i, name in enumerate(good):
        make_face_clip(src / f"{name}.mp4", face, n_frames=n_frames, fps=25, size=(256, 256), seed=i)
    make_face_clip(src / "blank.mp4", np.full((64, 64, 3), 90, np.uint8), n_frames=6, size=(128, 128),
                   motion="static", audio=False)
    (src / "text.mp4").write_text("not a video\n")
    shutil.copy(random_generator(), folder / "g.onnx")
    shutil.copy(random_estimator(), folder / "e.onnx")
    return folder


def write_jobs(folder: Path, names=GOOD + BAD, name: str = "jobs.csv") -> Path:
    """A CSV jobs file of transfer jobs: in/NAME.mp4 driven by in/c0.mp4 -> out/NAME.mp4 (relative paths;
    batch makes the out folder)."""
    rows = ["kind,src,ref,out,model,au_model"]
    rows += [f"transfer,in/{n}.mp4,in/c0.mp4,out/{n}.mp4,g.onnx,e.onnx" for n in names]
    path = folder / name
    path.write_text("\n".join(rows) + "\n")
    return path


def ganimate(*args, cwd=None, timeout=300, **popen) -> subprocess.CompletedProcess:
    env = dict(os.environ, GANIMATE_DEBUG="", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "ganimate", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout, **popen)


def read_report(path: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in path.read_text().splitlines()]


def stable(report: list[dict]) -> list[dict]:
    """A report without the fields that vary from run to run (time taken)."""
    return [{k: v for k, v in r.items() if k not in ("seconds", "fps")} for r in report]

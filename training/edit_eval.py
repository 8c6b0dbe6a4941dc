"""Judge expression editors the way a person sees an edit, on people no model was trained on (issue 12).

Editors (training/edit_editors.py): any generator ONNX file through the run-time path, and the geometry-only
baseline. Judges (training/edit_judges.py): dlib's 68 landmarks and face descriptor, optionally a second
ONNX landmark estimator; the shipped AU estimator for the AU rise (plain and blurred, as generator_eval).

1. Single targets (generator_eval.TARGETS) on held-out LFW photos labelled neutral, one per person: shape
   change output vs input, foreign hue, identity distance, AU rise, change outside the face.
2. Self-reenactment: held-out people with a neutral and a happy photo; the neutral one driven to the happy
   one's OpenFace AUs (absolute), compared with the real happy photo.
3. Optionally (edit_video.py) flicker on a held-out clip and sharpness in a held-out portrait frame.

Target AUs of a single target: the photo's own OpenFace AUs with the targeted ones set (every editor gets
the same vector; the baseline's source AUs are those labels, so only the targeted AUs move the face).

Run: python -m ganimate.training.edit_eval --generator ganimate/models/generator.onnx --baseline --out DIR
Writes DIR/edit_eval.md (tables), DIR/edit_eval.json (every number), DIR/grid_<editor>.png.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ganimate.atomic import atomic_output
from ganimate.au.names import AU_NAMES, au_index
from ganimate.au.openface_csv import aus_from_row, landmarks_from_row
from ganimate.face.align import warp_face_by_landmarks
from ganimate.face.landmarks import JAW, interocular, shape_measures

from . import edit_measures as em
from .edit_editors import FacePhoto
from .edit_judges import identity_distance
from .generator_eval import DEFAULT_GOAL, GOALS, TARGETS, blur_crops, save_grid
from .holdout import is_heldout_person

SHAPES = ("mouth_width", "corner_lift", "lip_gap", "brow_eye", "lid_gap")
# the shape measure(s) each target is about, with the goal where it names one
TARGET_SHAPES: dict[str, tuple[str, ...]] = {
    "smile": ("mouth_width", "corner_lift"), "brows up": ("brow_eye",), "frown": ("brow_eye",),
    "mouth open": ("lip_gap",), "eyes closed": ("lid_gap",),
}
SHAPE_GOALS = {("brows up", "brow_eye"): "≥ +0.04", ("mouth open", "lip_gap"): "≥ +0.15"}
LID_RATIO_GOAL = "≤ 30%"
HUE_GOAL = "≤ 0.2%"


# ---------------------------------------------------------------------------------------------------
# Held-out photos


@dataclass(frozen=True)
class FaceLabels:
    """OpenFace's landmarks (float64 (68, 2)) and AUs (float32 (17,)) per LFW photo, and crowd labels."""

    landmarks: dict[str, np.ndarray]
    aus: dict[str, np.ndarray]
    expression: dict[str, str]


def read_labels(faces: Path) -> FaceLabels:
    """The LFW rows of faces/openface_landmarks.csv, openface_aus.csv and lfw_expressions.csv."""
    lms, aus, expr = {}, {}, {}
    with open(faces / "openface_landmarks.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["path"].startswith("lfw/") and r["success"] == "1":
                lm = landmarks_from_row(r)
                if lm is not None:
                    lms[r["path"]] = lm
    with open(faces / "openface_aus.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["path"].startswith("lfw/") and r["success"] == "1":
                row_aus = aus_from_row(r)
                if row_aus is not None:
                    aus[r["path"]] = row_aus
    with open(faces / "lfw_expressions.csv", newline="") as f:
        for r in csv.DictReader(f):
            expr[r["path"]] = r["expression_muxspace"]
    return FaceLabels(lms, aus, expr)


def _heldout_by_person(labels: FaceLabels, expression: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(set(labels.landmarks) & set(labels.aus)):
        person = path.split("/")[1]
        if labels.expression.get(path) == expression and is_heldout_person(person):
            out.setdefault(person, []).append(path)
    return out


def neutral_paths(labels: FaceLabels, limit: int) -> list[str]:
    """The first neutral photo of each held-out person (sorted by name), at most limit."""
    return [paths[0] for _, paths in sorted(_heldout_by_person(labels, "neutral").items())][:limit]


def reenactment_pairs(labels: FaceLabels, limit: int) -> list[tuple[str, str]]:
    """(neutral, happy) of held-out people who have both: their first neutral photo, and the happy photo on
    which OpenFace reads the strongest AU12 (the clearest real smile of that person)."""
    neutral = _heldout_by_person(labels, "neutral")
    happy = _heldout_by_person(labels, "happiness")
    i12 = au_index("AU12")
    pairs = [(neutral[p][0], max(happy[p], key=lambda h: labels.aus[h][i12])) for p in sorted(neutral) if p in happy]
    return pairs[:limit]


def load_photo(faces: Path, labels: FaceLabels, path: str) -> FacePhoto:
    bgr = cv2.imread(str(faces / path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(faces / path)
    return FacePhoto(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), labels.landmarks[path], labels.aus[path], path)


def target_vector(own: np.ndarray, spec: dict[str, float]) -> np.ndarray:
    t = np.asarray(own, np.float32).copy()
    for au, v in spec.items():
        t[au_index(au)] = v
    return t


# ---------------------------------------------------------------------------------------------------
# Reading one face


@dataclass
class Judges:
    """landmark: landmark judges, the first one primary (shape, hull, reenactment); identity: a DlibJudge;
    estimator: an AuEstimator; detector: the run-time FaceDetector (5 points for the estimator's crop)."""

    landmark: list
    identity: object
    estimator: object
    detector: object


@dataclass(frozen=True)
class Place:
    """Where a face is, found once on the unedited photo: per judge its location, the estimator's 5 points."""

    judges: tuple
    five: np.ndarray


@dataclass(frozen=True)
class Reading:
    landmarks: dict[str, np.ndarray]  # judge name -> float64 (68, 2)
    descriptor: np.ndarray
    aus: np.ndarray  # shipped estimator, float32 (17,)
    aus_blurred: np.ndarray

    def primary(self) -> np.ndarray:
        return next(iter(self.landmarks.values()))


def locate(judges: Judges, photo: FacePhoto) -> Place | None:
    """None when the run-time detector finds no face (the run-time editor could not edit it either)."""
    faces = judges.detector.detect(photo.image)
    if not faces:
        return None
    return Place(tuple(j.locate(photo.image, photo.landmarks) for j in judges.landmark),
                 np.asarray(faces[0].landmarks, np.float64))


def read_face(judges: Judges, image: np.ndarray, place: Place) -> Reading:
    lms = {j.name: j.landmarks(image, w) for j, w in zip(judges.landmark, place.judges, strict=True)}
    ident_where = place.judges[0] if judges.identity is judges.landmark[0] else judges.identity.locate(image)
    est = judges.estimator
    crop = warp_face_by_landmarks(image, place.five, est.size)[0][None]
    return Reading(lms, judges.identity.descriptor(image, ident_where), est.estimate(crop)[0],
                   est.estimate(blur_crops(crop))[0])


def compare(before: np.ndarray, b: Reading, after: np.ndarray, a: Reading) -> dict[str, float]:
    """Every per-face number of one edit (after) of a face (before)."""
    out: dict[str, float] = {}
    for name, lm_b in b.landmarks.items():
        sb, sa = shape_measures(lm_b), shape_measures(a.landmarks[name])
        for k in SHAPES:
            out[f"d_{k}/{name}"] = float(sa[k] - sb[k])
        out[f"lid_ratio/{name}"] = float(sa["lid_gap"] / max(float(sb["lid_gap"]), 1e-6))
        out[f"lid_gap_before/{name}"], out[f"lid_gap_after/{name}"] = float(sb["lid_gap"]), float(sa["lid_gap"])
        # the jaw's sideways shift with the eyes and nose held: an AU is bilateral, a slide is a learnt head turn
        laid = em.align_to(a.landmarks[name], lm_b)
        out[f"jaw_slide/{name}"] = float(abs((laid[list(JAW), 0] - lm_b[list(JAW), 0]).mean()) / interocular(lm_b))
    mb, ma = em.hull_mask(b.primary(), before.shape), em.hull_mask(a.primary(), after.shape)
    out["foreign_hue"] = em.foreign_hue(before, mb, after, ma)
    # the measure's floor: colours in under 1 % of the input face count as foreign even unedited
    out["foreign_hue_unedited"] = em.foreign_hue(before, mb, before, mb)
    # what the edit made: a judge's hull that grows (a longer face read with an open mouth) takes in background
    out["foreign_hue_new"] = em.foreign_hue(before, mb, after, ma, new_only=True)
    out["outside_change"] = em.outside_change(before, after, mb | ma)
    out["identity"] = identity_distance(b.descriptor, a.descriptor)
    for i, au in enumerate(AU_NAMES):
        out[f"rise_{au}"] = float(a.aus[i] - b.aus[i])
        out[f"rise_blurred_{au}"] = float(a.aus_blurred[i] - b.aus_blurred[i])
    return out


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} if rows else {}


# ---------------------------------------------------------------------------------------------------
# The two experiments


@dataclass
class SingleTargets:
    n_faces: int = 0
    skipped: list[str] = field(default_factory=list)
    means: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # editor -> target -> key -> mean
    rows: dict[str, dict[str, list[dict[str, float]]]] = field(default_factory=dict)  # the same, per face
    names: list[str] = field(default_factory=list)  # the photos judged, in the rows' order
    grids: dict[str, dict[str, list[np.ndarray]]] = field(default_factory=dict)  # editor -> target -> images
    inputs: list[np.ndarray] = field(default_factory=list)


def run_single_targets(editors: dict[str, Callable], judges: Judges, photos, grid_faces: int = 5,
                       log=print) -> SingleTargets:
    res = SingleTargets()
    rows: dict[str, dict[str, list]] = {e: {t: [] for t in TARGETS} for e in editors}
    res.grids = {e: {t: [] for t in TARGETS} for e in editors}
    for n, photo in enumerate(photos):
        place = locate(judges, photo)
        if place is None:
            res.skipped.append(photo.name)
            continue
        base = read_face(judges, photo.image, place)
        res.names.append(photo.name)
        keep = len(res.inputs) < grid_faces
        if keep:
            res.inputs.append(photo.image)
        for ename, editor in editors.items():
            for tname, spec in TARGETS.items():
                out = editor(photo, target_vector(photo.aus, spec))
                rows[ename][tname].append(compare(photo.image, base, out, read_face(judges, out, place)))
                if keep:
                    res.grids[ename][tname].append(out)
        res.n_faces += 1
        if (n + 1) % 10 == 0:
            log(f"  single targets: {n + 1} photos")
    res.means = {e: {t: _mean(r) for t, r in per.items()} for e, per in rows.items()}
    res.rows = rows
    return res


@dataclass
class Reenactment:
    n_pairs: int = 0
    skipped: list[str] = field(default_factory=list)
    real: dict[str, float] = field(default_factory=dict)  # mean real happy vs neutral
    means: dict[str, dict[str, float]] = field(default_factory=dict)  # editor -> key -> mean
    rows: dict[str, list[dict[str, float]]] = field(default_factory=dict)  # editor ("real": the photo) -> per pair
    names: list[tuple[str, str]] = field(default_factory=list)
    summary: dict[str, dict[str, float]] = field(default_factory=dict)  # editor -> the goal measures
    primary: str = ""  # the landmark judge whose shapes the summary reads


def run_reenactment(editors: dict[str, Callable], judges: Judges, pairs, log=print) -> Reenactment:
    """pairs: (neutral FacePhoto, happy FacePhoto) of one person each."""
    res = Reenactment()
    real_rows: list[dict] = []
    rows: dict[str, list] = {e: [] for e in editors}
    way: dict[str, list] = {e: [] for e in editors}
    for n, (neutral, happy) in enumerate(pairs):
        place, place_h = locate(judges, neutral), locate(judges, happy)
        if place is None or place_h is None:
            res.skipped.append(neutral.name if place is None else happy.name)
            continue
        res.names.append((neutral.name, happy.name))
        base, real = read_face(judges, neutral.image, place), read_face(judges, happy.image, place_h)
        real_rows.append(compare(neutral.image, base, happy.image, real))
        for ename, editor in editors.items():
            out = editor(neutral, happy.aus)
            r = read_face(judges, out, place)
            rows[ename].append(compare(neutral.image, base, out, r))
            way[ename].append(em.way_terms(base.primary(), r.primary(), real.primary()))
            rows[ename][-1]["way_dot"], rows[ename][-1]["way_norm2"] = way[ename][-1]
        res.n_pairs += 1
        if (n + 1) % 10 == 0:
            log(f"  self-reenactment: {n + 1} pairs")
    res.real = _mean(real_rows)
    res.rows = {"real": real_rows, **rows}
    primary = res.primary = judges.landmark[0].name
    for ename in editors:
        m = _mean(rows[ename])
        res.means[ename] = m
        dots, norms = np.array(way[ename]).reshape(-1, 2).T if way[ename] else (np.zeros(1), np.ones(1))
        res.summary[ename] = {
            "au12_rise_ratio": m["rise_AU12"] / res.real["rise_AU12"],
            "au12_rise_ratio_blurred": m["rise_blurred_AU12"] / res.real["rise_blurred_AU12"],
            "mouth_widening_ratio": m[f"d_mouth_width/{primary}"] / res.real[f"d_mouth_width/{primary}"],
            "way_fraction": float(dots.sum() / max(norms.sum(), 1e-12)),
            "way_fraction_median": float(np.median(dots / np.maximum(norms, 1e-12))),
            "identity": m["identity"],
            "identity_real": res.real["identity"],
            "foreign_hue": m["foreign_hue"],
        }
    return res


# ---------------------------------------------------------------------------------------------------
# Report


def _pct(v: float) -> str:
    return f"{100 * v:.2f}%"


def single_table(res: SingleTargets, real: dict[str, float], judges: list[str]) -> str:
    """Markdown: one row per (target, measure), editors side by side, the issue's goal, the real smile."""
    editors = list(res.means)
    lines = ["| target | measure | goal | " + " | ".join(editors) + " | real smile (same people) |",
             "|---|---|---|" + "---|" * (len(editors) + 1)]

    def row(tname: str, label: str, goal: str, key: str, fmt, real_key: str | None = None) -> None:
        vals = [fmt(res.means[e][tname][key]) for e in editors]
        rv = fmt(real[real_key]) if real_key and real_key in real else ""
        lines.append(f"| {tname} | {label} | {goal} | " + " | ".join(vals) + f" | {rv} |")

    for tname, spec in TARGETS.items():
        smile = tname == "smile"
        for i, au in enumerate(spec):
            goal = f"≥ {GOALS.get(tname, DEFAULT_GOAL):.1f}" if i == 0 else ""
            row(tname, f"{au} rise", goal, f"rise_{au}", "{:+.2f}".format, f"rise_{au}" if smile else None)
            row(tname, f"{au} rise, blurred", goal, f"rise_blurred_{au}", "{:+.2f}".format,
                f"rise_blurred_{au}" if smile else None)
        for j in judges:
            for k in TARGET_SHAPES[tname]:
                row(tname, f"Δ {k} ({j})", SHAPE_GOALS.get((tname, k), ""), f"d_{k}/{j}", "{:+.3f}".format,
                    f"d_{k}/{j}" if smile else None)
            if tname == "eyes closed":
                row(tname, f"lid gap, % of input ({j})", LID_RATIO_GOAL, f"lid_ratio/{j}", "{:.0%}".format)
                # the mean of per-face ratios is ruled by eyes already narrow in the input (a px of the judge's
                # jitter over a gap of 2 px reads 150%): the pooled ratio weighs each face by its opening
                pooled = [res.means[e][tname][f"lid_gap_after/{j}"] / max(res.means[e][tname][f"lid_gap_before/{j}"],
                                                                          1e-12) for e in editors]
                lines.append(f"| {tname} | lid gap, pooled: mean after / mean before ({j}) |  | "
                             + " | ".join(f"{v:.0%}" for v in pooled) + " |  |")
            if tname in ("smile", "mouth open"):
                row(tname, f"jaw slide, mean abs ({j})", "", f"jaw_slide/{j}", "{:.3f}".format,
                    f"jaw_slide/{j}" if smile else None)
        row(tname, "foreign hue", HUE_GOAL, "foreign_hue", _pct, "foreign_hue" if smile else None)
        if smile:
            row(tname, "foreign hue of the unedited input (the measure's floor)", "", "foreign_hue_unedited", _pct)
        row(tname, "foreign hue, pixels foreign in the output only (not at the same place in the input)", "",
            "foreign_hue_new", _pct)
        row(tname, "identity distance", "", "identity", "{:.3f}".format, "identity" if smile else None)
        row(tname, "change outside face (/255)", "", "outside_change", "{:.2f}".format)
    return "\n".join(lines)


def reenactment_table(res: Reenactment) -> str:
    editors = list(res.summary)
    goals = {"au12_rise_ratio": "≥ 0.9", "au12_rise_ratio_blurred": "≥ 0.9", "mouth_widening_ratio": "0.9–1.2",
             "way_fraction": "≥ 0.5", "way_fraction_median": "≥ 0.5", "identity": "≤ real + 0.03",
             "foreign_hue": HUE_GOAL}
    labels = {"au12_rise_ratio": "estimated AU12 rise / real's", "au12_rise_ratio_blurred": "the same, blurred",
              "mouth_widening_ratio": "mouth widening / real's", "way_fraction": "mouth: fraction of the way "
              "to the real smile (pooled)", "way_fraction_median": "the same, median of people",
              "identity": "identity distance to the neutral photo", "foreign_hue": "foreign hue"}
    lines = ["| measure | goal | " + " | ".join(editors) + " | real smile |", "|---|---|" + "---|" * (len(editors) + 1)]
    real = {"identity": f"{res.real['identity']:.3f}", "foreign_hue": _pct(res.real["foreign_hue"]),
            "au12_rise_ratio": f"(rise {res.real['rise_AU12']:+.2f})",
            "au12_rise_ratio_blurred": f"(rise {res.real['rise_blurred_AU12']:+.2f})"}
    for key, label in labels.items():
        fmt = _pct if key == "foreign_hue" else "{:.3f}".format if key == "identity" else "{:.2f}".format
        lines.append(f"| {label} | {goals[key]} | " + " | ".join(fmt(res.summary[e][key]) for e in editors)
                     + f" | {real.get(key, '')} |")
    return "\n".join(lines)


def removal_table(res: Reenactment) -> str:
    """Self-reenactment run backwards (each happy photo driven to its neutral photo's AUs): how much of the real
    way back each editor goes. The issue sets no goal; a portrait that smiles with its teeth is the commonest
    input, and a user animating it to anything else asks for this first."""
    editors = list(res.summary)
    primary = res.primary
    rows = (("estimated AU12 fall / real's", "rise_AU12"), ("the same, blurred", "rise_blurred_AU12"),
            ("estimated AU25 fall / real's", "rise_AU25"), ("inner lips' gap closed / real's", f"d_lip_gap/{primary}"),
            ("mouth narrowing / real's", f"d_mouth_width/{primary}"))
    lines = ["| measure | " + " | ".join(editors) + " | real neutral |", "|---|" + "---|" * (len(editors) + 1)]
    for label, key in rows:
        real = res.real[key]
        lines.append(f"| {label} | " + " | ".join(f"{res.means[e][key] / real:.2f}" if real else "—"
                                                  for e in editors) + f" | ({real:+.3f}) |")
    lines.append("| mouth: fraction of the way to the real neutral (pooled) | "
                 + " | ".join(f"{res.summary[e]['way_fraction']:.2f}" for e in editors) + " | |")
    lines.append("| identity distance to the happy photo | " + " | ".join(f"{res.summary[e]['identity']:.3f}"
                                                                           for e in editors)
                 + f" | {res.real['identity']:.3f} |")
    lines.append("| foreign hue | " + " | ".join(_pct(res.summary[e]["foreign_hue"]) for e in editors)
                 + f" | {_pct(res.real['foreign_hue'])} |")
    return "\n".join(lines)


def write_grids(res: SingleTargets, out: Path) -> list[Path]:
    paths = []
    for ename, per in res.grids.items():
        if not res.inputs:
            break
        path = out / f"grid_{_slug(ename)}.png"
        with atomic_output(path, suffix=".png") as tmp:
            save_grid(np.stack(res.inputs), {t: np.stack(v) for t, v in per.items()}, tmp, n=len(res.inputs))
        paths.append(path)
    return paths


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


# ---------------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> None:
    import argparse
    import time

    from ganimate.face.detect import FaceDetector
    from ganimate.infer.estimator import AuEstimator
    from ganimate.infer.generator import Generator
    from ganimate.infer.models import DEFAULT_AU_ESTIMATOR

    from .au_geometry import AuGeometry
    from .edit_editors import GeometryEditor, RuntimeEditor
    from .edit_judges import DlibJudge, OnnxLandmarkJudge

    ap = argparse.ArgumentParser(description="Judge expression editors on held-out people (issue 12).")
    ap.add_argument("--generator", type=Path, action="append", default=[], help="generator ONNX (repeatable)")
    ap.add_argument("--baseline", action="store_true", help="also judge the geometry-only baseline")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"), help="shared data (faces/, videos/)")
    ap.add_argument("--geometry", type=Path, default=Path("checkpoints/au_geometry.npz"))
    ap.add_argument("--estimator", type=Path, default=DEFAULT_AU_ESTIMATOR, help="AU estimator ONNX (the judge)")
    ap.add_argument("--landmark-judge", type=Path, help="a second landmark judge: ONNX with a 'landmarks' output")
    ap.add_argument("--faces", type=int, default=100, help="held-out neutral photos for the single targets")
    ap.add_argument("--pairs", type=int, default=1000, help="at most this many self-reenactment pairs")
    ap.add_argument("--backend", default="auto", help="generator backend, as the run-time --backend")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads per model")
    ap.add_argument("--mask", choices=("ellipse", "landmarks"), default="ellipse",
                    help="paste mask of the generators' edits, as the run-time --mask")
    ap.add_argument("--lid-fold", action="store_true",
                    help="close the lids for a target AU45 from the landmarks, as the run time's default (--lids)")
    ap.add_argument("--shading", action="store_true",
                    help="shade the expression from the landmarks, as the run time's default (--shading)")
    ap.add_argument("--mouth", action="store_true",
                    help="fill the mouths the edits open, as the run time's default (--mouth)")
    ap.add_argument("--drive", action="store_true",
                    help="drive the generator by the run time's default gains and lifts (config.DRIVE_GAINS, "
                         "DRIVE_LIFTS, au/drive.py)")
    ap.add_argument("--cheeks", action="store_true",
                    help="lift a smile's cheeks, as the run time's default (--cheeks, face/cheeks.py)")
    ap.add_argument("--frown", action="store_true",
                    help="slide a frown's brows down, as the run time's default (--frown, face/frown.py)")
    ap.add_argument("--brows", action="store_true",
                    help="lift raised brows further, as the run time's default (--brows, face/brow_raise.py)")
    ap.add_argument("--close-lips", action="store_true",
                    help="bring parted lips together where AU25 falls, as the run time's default (--close-lips, "
                         "face/lips.py)")
    ap.add_argument("--glasses", action="store_true",
                    help="keep the glasses a face wears still, as the run time's default (--glasses, "
                         "face/glasses.py)")
    ap.add_argument("--anchor", action="store_true",
                    help="take off the generator's flow at each photo's own AUs, as the run time's default "
                         "(InferConfig.anchor, infer/generator.anchored_flow)")
    ap.add_argument("--video", action="store_true",
                    help="also flicker (d12, bill_clinton) and sharpness in a 720x1364 frame (s29)")
    args = ap.parse_args(argv)
    if not args.generator and not args.baseline:
        ap.error("nothing to judge: give --generator and/or --baseline")

    faces = args.data / "faces"
    for p in [*args.generator, args.estimator, faces / "openface_aus.csv"] + ([args.geometry] if args.baseline else []):
        if not p.is_file():
            from ganimate.errors import GanimateError

            raise GanimateError(f"not found: {p}")
    from ganimate.config import DetectConfig, LidConfig
    from ganimate.pipeline.context import load_mouth

    detector = FaceDetector(DetectConfig(threads=args.threads))
    editors: dict[str, Callable] = {}
    for g in args.generator:
        gen = Generator(g, backend=args.backend, device="cpu", threads=args.threads)
        marks = None
        if (args.mask == "landmarks" or args.lid_fold or args.shading or args.mouth or args.close_lips
                or args.glasses):
            from ganimate.infer.landmarks import LandmarkEstimator

            marks = LandmarkEstimator.load(None, backend=args.backend, threads=args.threads)
        lids = LidConfig() if args.lid_fold else None
        shading, estimator, drive, cheeks, frown, brows = None, None, None, 0.0, 0.0, 0.0
        if args.shading:
            from ganimate.pipeline.context import load_shading

            shading = load_shading()
        if args.shading or args.drive or args.cheeks or args.frown or args.brows or args.close_lips:  # own AUs
            estimator = AuEstimator(DEFAULT_AU_ESTIMATOR, backend=args.backend, device="cpu", threads=args.threads)
        if args.drive:
            from ganimate.au.drive import drive_of
            from ganimate.config import DRIVE_GAINS, DRIVE_LIFTS

            drive = drive_of(DRIVE_GAINS, DRIVE_LIFTS)
        if args.cheeks:
            from ganimate.config import CHEEK_LIFT

            cheeks = CHEEK_LIFT
        if args.frown:
            from ganimate.config import FROWN_DROP

            frown = FROWN_DROP
        if args.brows:
            from ganimate.config import BROW_RAISE

            brows = BROW_RAISE
        editors[g.name] = RuntimeEditor(gen, detector, landmarks=marks, lids=lids, outline=args.mask == "landmarks",
                                        shading=shading, estimator=estimator,
                                        mouth=load_mouth() if args.mouth else None, drive=drive,
                                        cheeks=cheeks, frown=frown, brows=brows, close_lips=args.close_lips,
                                        glasses=args.glasses, anchor=args.anchor and estimator is not None)
    if args.baseline:
        editors["geometry baseline"] = GeometryEditor(AuGeometry.load(args.geometry))
    dlib_judge = DlibJudge()
    landmark = [dlib_judge] + ([OnnxLandmarkJudge(args.landmark_judge, detector)] if args.landmark_judge else [])
    judges = Judges(landmark, dlib_judge, AuEstimator(args.estimator, backend="onnxruntime", device="cpu",
                                                      threads=args.threads), detector)
    args.out.mkdir(parents=True, exist_ok=True)

    t0 = time.time()
    labels = read_labels(faces)
    photos = (load_photo(faces, labels, p) for p in neutral_paths(labels, args.faces))
    single = run_single_targets(editors, judges, photos)
    pairs = [(load_photo(faces, labels, a), load_photo(faces, labels, b))
             for a, b in reenactment_pairs(labels, args.pairs)]
    reen = run_reenactment(editors, judges, pairs)
    removal = run_reenactment(editors, judges, [(b, a) for a, b in pairs])  # the happy photo driven to neutral
    doc = {"editors": list(editors), "judges": [j.name for j in landmark], "estimator": str(args.estimator),
           "single_targets": {"faces": single.n_faces, "skipped": single.skipped, "targets": TARGETS,
                              "means": single.means, "photos": single.names, "per_face": single.rows},
           "reenactment": {"pairs": reen.n_pairs, "skipped": reen.skipped, "real": reen.real,
                           "means": reen.means, "summary": reen.summary, "photos": reen.names,
                           "per_pair": reen.rows},
           "removal": {"pairs": removal.n_pairs, "real": removal.real, "means": removal.means,
                       "summary": removal.summary}}
    md = [f"# Edit evaluation (issue 12)\n\nSingle targets: {single.n_faces} held-out LFW people, one neutral photo "
          f"each ({len(single.skipped)} skipped: no MTCNN face). Target = the photo's OpenFace AUs with the "
          "targeted ones set. Shapes from dlib's 68 landmarks over the outer inter-ocular distance; AU rise by "
          "the shipped estimator (blurred: σ 2 px at 128 px, both images); identity: dlib ResNet descriptor "
          "distance to the input. 'real smile' = the same held-out people's real happy photo vs their neutral "
          f"one ({reen.n_pairs} pairs).\n", single_table(single, reen.real, [j.name for j in landmark]),
          f"\n## Self-reenactment\n\n{reen.n_pairs} held-out people with a neutral and a happy photo (happy = the "
          "one with OpenFace's strongest AU12): the neutral photo driven to the happy photo's OpenFace AUs "
          "(absolute), compared with the real happy photo. Ratios are of means over people.\n",
          reenactment_table(reen),
          f"\n## Smile removal\n\nThe same {removal.n_pairs} people the other way: the happy photo driven to the "
          "neutral photo's OpenFace AUs (absolute), compared with the real neutral photo. Ratios are of means over "
          "people (the real change in brackets).\n", removal_table(removal)]
    if args.video:
        from . import edit_video as ev
        from .edit_video import CLOSED_EYES, FLICKER_CLIPS, flicker, flicker_per_frame, sharpness, video_markdown

        videos = args.data / "videos"
        finish = dict(shading=args.shading, mouth=args.mouth, drive=args.drive, cheeks=args.cheeks,
                      frown=args.frown, brows=args.brows, close_lips=args.close_lips, glasses=args.glasses,
                      anchor=args.anchor)
        flick = {g.name: [flicker(g, videos, args.out, c, threads=args.threads, mask=args.mask, lids=args.lid_fold,
                                  **finish) for c in FLICKER_CLIPS]
                 + ([flicker(g, videos, args.out, c, threads=args.threads, mask=args.mask, target=CLOSED_EYES,
                             **finish) for c in FLICKER_CLIPS] if args.lid_fold else [])
                 + ([flicker(g, videos, args.out, c, threads=args.threads, mask=args.mask, target=ev.OPEN_MOUTH,
                             lids=args.lid_fold, **finish) for c in FLICKER_CLIPS] if args.mouth else [])
                 for g in args.generator}
        if "geometry baseline" in editors:
            flick["geometry baseline"] = [flicker_per_frame(editors["geometry baseline"], videos, args.out, c)
                                          for c in FLICKER_CLIPS]
        vid = {"flicker": flick,
               "sharpness": sharpness(editors, args.data / "videos")}
        doc["video"] = vid
        md.append(video_markdown(vid))
        from .edit_video import closed_eyes, closed_eyes_markdown

        doc["closed_eyes"] = closed_eyes(editors, dlib_judge, videos)
        md.append(closed_eyes_markdown(doc["closed_eyes"]))
        if args.lid_fold:
            from .edit_video import closed_eyes_video, closed_eyes_video_markdown

            g = args.generator[0]
            doc["closed_eyes_video"] = closed_eyes_video(g, dlib_judge, videos, args.out, threads=args.threads,
                                                         mask=args.mask, **finish)
            md.append(closed_eyes_video_markdown(doc["closed_eyes_video"], g.name))
    doc["seconds"] = time.time() - t0
    grids = write_grids(single, args.out)
    for name, text in (("edit_eval.json", json.dumps(doc, indent=1)), ("edit_eval.md", "\n".join(md))):
        with atomic_output(args.out / name) as tmp:
            tmp.write_text(text + "\n")
    print("\n".join(md))
    print(f"wrote {args.out / 'edit_eval.md'}, {args.out / 'edit_eval.json'}, " + ", ".join(map(str, grids)))


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)

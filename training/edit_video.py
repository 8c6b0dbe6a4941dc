"""Flicker and sharpness of an edit on held-out clips (issue 12's goals), for edit_eval.

- flicker: a steady target (a held smile) through the run-time `ganimate keyframes` path on the first
  seconds of a held-out clip; the face region's mean frame-to-frame change of the output over the source's
  (1.0 = the edit adds no shimmer; goal within 10 %).
- sharpness: one frame of a held-out portrait clip over 1080 px tall (s29, 720 x 1364) edited by each editor;
  the Laplacian variance of the face region after over before, (a) with the target = the face's own AUs (an
  edit that should leave the face still) over the whole face, (b) with the smile target over the face minus
  the parts a smile moves (mouth, eyes, brows, dilated).
- closed eyes, the lid-gap judge's yardstick: how far dlib's lid gap falls on *real* closed eyes (clip frames
  where OpenFace reads AU45 >= 3, over the same clip's open frames), beside an editor's eyes-closed edit of
  those clips' open frames. The only shared clips with such frames are training clips (d0, d9, d10, d11,
  d14); the lids' closing learns nothing from them. Edited as photos frame by frame (closed_eyes), and whole
  through `ganimate keyframes` (closed_eyes_video), where a face's own blinks are remembered.
Face regions come from OpenFace's landmarks of the source frames (NAME.landmarks.csv).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np

from ganimate.au.names import AU_NAMES
from ganimate.au.openface_csv import aus_from_row, landmarks_from_row
from ganimate.face import landmarks as lmk

from . import edit_measures as em
from .edit_editors import FacePhoto

# held-out clips (training/holdout.py): a LivePortrait driving clip (512 x 512, much head motion) and a
# YouTube Faces sample (320 x 240 MPEG-4, a talking head that moves less, so shimmer weighs more)
FLICKER_CLIPS = ("d12.mp4", "0417_02_003_bill_clinton.avi")
SHARPNESS_CLIP = "s29.mp4"  # held-out, 720 x 1364
CLOSED_CLIPS = ("d0.mp4", "d9.mp4", "d10.mp4", "d11.mp4", "d14.mp4")  # frames with OpenFace AU45 >= 3
CLOSED_AU45, OPEN_AU45 = 3.0, 0.3
STEADY_TARGET = {"AU06": 2.0, "AU12": 3.0}
CLOSED_EYES = {"AU45": 4.0}  # the lid fold's flicker: the lash line follows each frame's lid points
OPEN_MOUTH = {"AU25": 3.0, "AU26": 3.0}  # the mouth fill's flicker: the inner lips as each frame's points put them
FLICKER_GOAL = 1.10
SHARPNESS_GOAL = 0.90


def clip_labels(videos: Path, stem: str) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """OpenFace's landmarks (float64 (68, 2)) and AUs (float32 (17,)) per 1-based frame of a shared clip."""
    lms, aus = {}, {}
    with open(videos / f"{stem}.landmarks.csv", newline="") as f:
        for r in csv.DictReader(f, skipinitialspace=True):
            lm = landmarks_from_row(r) if r["success"].strip() == "1" else None
            if lm is not None:
                lms[int(r["frame"])] = lm
    with open(videos / f"{stem}.openface.csv", newline="") as f:
        for r in csv.DictReader(f, skipinitialspace=True):
            if r["success"].strip() == "1" and (row_aus := aus_from_row(r)) is not None:
                aus[int(r["frame"])] = row_aus
    return lms, aus


def _frames(path: Path, limit: int | None = None):
    import av

    with av.open(str(path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if limit is not None and i >= limit:
                break
            yield frame.to_ndarray(format="rgb24")


def _trim(src: Path, dst: Path, n_frames: int) -> None:
    """The first n_frames of src re-encoded near-losslessly (x264 crf 4): the source both sides compare."""
    import av

    with av.open(str(src)) as c:
        rate = c.streams.video[0].average_rate
    with av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.pix_fmt, stream.options = "yuv444p", {"crf": "4", "preset": "veryfast"}
        for i, image in enumerate(_frames(src, n_frames)):
            if i == 0:
                stream.height, stream.width = image.shape[:2]
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def mean_face_change(frames, regions) -> float:
    """Mean over consecutive frame pairs of the mean |change| inside the later frame's face region."""
    vals, prev = [], None
    for image, region in zip(frames, regions, strict=False):
        if prev is not None and region is not None:
            vals.append(em.frame_change(prev, image, region))
        prev = image
    return float(np.mean(vals)) if vals else float("nan")


def _flicker_source(videos: Path, work: Path, clip: str, seconds: float) -> tuple[Path, list, list, dict]:
    """(trimmed clip, its frames, per-frame face regions or None, OpenFace AUs per 1-based frame)."""
    from ganimate.video.probe import probe_video

    src = videos / clip
    n = max(2, int(round(seconds * float(probe_video(src).fps))))
    work.mkdir(parents=True, exist_ok=True)
    trimmed = work / f"flicker_source_{Path(clip).stem}.mp4"
    _trim(src, trimmed, n)
    lms, aus = clip_labels(videos, Path(clip).stem)
    frames = list(_frames(trimmed))
    regions = [em.hull_mask(lms[i + 1], frames[0].shape) if (i + 1) in lms else None for i in range(len(frames))]
    return trimmed, frames, regions, {"landmarks": lms, "aus": aus}


def _flicker_result(clip: str, frames, regions, edited, target: dict = STEADY_TARGET) -> dict:
    before = mean_face_change(frames, regions)
    after = mean_face_change(edited, regions)
    return {"clip": clip, "frames": len(frames), "target": target, "source_change": before,
            "output_change": after, "ratio": after / before, "goal": FLICKER_GOAL}


def flicker(generator: Path, videos: Path, work: Path, clip: str = FLICKER_CLIPS[0], seconds: float = 3.0,
            threads: int = 1, mask: str = "landmarks", target: dict = STEADY_TARGET, lids: bool = True,
            shading: bool = True, mouth: bool = True, drive: bool = True, cheeks: bool = True,
            frown: bool = True, close_lips: bool = True, glasses: bool = True, anchor: bool = True,
            hold: bool = True, brows: bool = True) -> dict:
    """Frame-to-frame change of the face, output over source, under a steady target (a smile unless said) via
    `ganimate keyframes` (mask: its --mask; lids, shading, mouth: its --lids, --shading, --mouth; drive: its
    default drive gains, else none; cheeks, frown, brows, close_lips, glasses: its --cheeks, --frown, --brows,
    --close-lips, --glasses; anchor: InferConfig.anchor; hold: its --hold)."""
    from dataclasses import replace

    from ganimate.au.curves import loads_curves
    from ganimate.cli import build_run_config
    from ganimate.config import CropConfig, DetectConfig
    from ganimate.infer.backend import read_model_info
    from ganimate.pipeline.keyframes import KeyframesOptions, run_keyframes
    from ganimate.pipeline.progress import frame_progress

    trimmed, frames, regions, _ = _flicker_source(videos, work, clip, seconds)
    out = work / f"flicker_output_{Path(clip).stem}_{'_'.join(target)}.mp4"
    curves = loads_curves(json.dumps({"base": "neutral", "curves": {k: [[0, v]] for k, v in target.items()}}))
    # the command's own config, as `ganimate keyframes` builds it; detection at these threads, crops the model's size
    run = build_run_config(model=generator, batch=4, quiet=True, threads=threads, mask=mask, lids=lids,
                           shading=shading, mouth=mouth, drive=drive, cheeks=cheeks, frown=frown, brows=brows,
                           close_lips=close_lips, glasses=glasses, anchor=anchor, hold=hold)
    size = read_model_info(generator).image_size
    run = replace(run, detect=DetectConfig(threads=threads), crop=CropConfig(size=size))
    with frame_progress(False) as progress:
        run_keyframes(curves, trimmed, out, run, KeyframesOptions(), progress)
    return _flicker_result(clip, frames, regions, _frames(out), target)


def flicker_per_frame(editor, videos: Path, work: Path, clip: str = FLICKER_CLIPS[0], seconds: float = 3.0) -> dict:
    """The same for a photo editor applied frame by frame (the geometry baseline, with each frame's OpenFace
    landmarks and AUs as its source): the target is absolute, so the source's own motion is all it follows.
    Frames without OpenFace landmarks are left as they are."""
    from ganimate.au.names import au_index

    _, frames, regions, labels = _flicker_source(videos, work, clip, seconds)
    edited = []
    for i, image in enumerate(frames):
        lm, aus = labels["landmarks"].get(i + 1), labels["aus"].get(i + 1)
        if lm is None or aus is None:
            edited.append(image)
            continue
        target = np.zeros(len(AU_NAMES), np.float32)  # base "neutral": AUs without a curve are 0
        for au, v in STEADY_TARGET.items():
            target[au_index(au)] = v
        edited.append(editor(FacePhoto(image, lm, aus, f"{clip}#{i + 1}"), target))
    return _flicker_result(clip, frames, regions, edited)


def _parts_mask(points: np.ndarray, shape, grow: int) -> np.ndarray:
    """bool HxW: the mouth, eyes and brows, each its hull dilated by grow px."""
    mask = np.zeros(shape[:2], bool)
    for idx in (lmk.MOUTH, lmk.EYE_LEFT, lmk.EYE_RIGHT, lmk.BROW_LEFT, lmk.BROW_RIGHT):
        mask |= em.hull_mask(points[list(idx)], shape)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


def sharpness(editors: dict, videos: Path, clip: str = SHARPNESS_CLIP, frame: int = 1) -> dict:
    """Laplacian variance of the face after / before each editor, on one frame (1-based) of a tall clip."""
    from .generator_eval import TARGETS

    lms, aus = clip_labels(videos, Path(clip).stem)
    image = list(_frames(videos / clip, frame))[-1]
    photo = FacePhoto(image, lms[frame], aus[frame], f"{clip}#{frame}")
    face = em.hull_mask(photo.landmarks, image.shape)
    iod = float(lmk.interocular(photo.landmarks))
    still = face & ~_parts_mask(photo.landmarks, image.shape, max(1, int(round(0.08 * iod))))
    own = photo.aus.copy()
    smile = own.copy()
    for au, v in TARGETS["smile"].items():
        smile[AU_NAMES.index(au)] = v
    res = {"clip": clip, "frame": frame, "size": list(image.shape[:2]), "interocular_px": iod,
           "input_face": em.laplacian_variance(image, face), "input_still": em.laplacian_variance(image, still),
           "goal": SHARPNESS_GOAL, "editors": {}}
    for name, editor in editors.items():
        same, smiled = editor(photo, own), editor(photo, smile)
        res["editors"][name] = {
            "own_aus_face": em.laplacian_variance(same, face) / res["input_face"],
            "smile_still": em.laplacian_variance(smiled, still) / res["input_still"],
        }
    return res


def _lid_gap(judge, image: np.ndarray, where) -> float:
    """dlib's lid gap (judge: a DlibJudge) on an image (uint8 HxWx3 RGB) in its rectangle where."""
    return float(lmk.shape_measures(judge.landmarks(image, where))["lid_gap"])


def _judged_lids(frames, lms: dict, judge, wanted: set):
    """(frame number from 1, image, its edit, dlib's rectangle, lid gap) for each (image, edit) of frames (uint8 HxWx3
    RGB each) whose number is in wanted: the rectangle located on the image with its OpenFace landmarks (lms)."""
    for f, (image, edit) in enumerate(frames, start=1):
        if f in wanted:
            where = judge.locate(image, lms[f])
            yield f, image, edit, where, _lid_gap(judge, image, where)


def closed_eyes(editors: dict, judge, videos: Path, clips=CLOSED_CLIPS, per_clip: int = 8) -> dict:
    """dlib's lid gap (judge: a DlibJudge) on real closed eyes and on each editor's closed eyes, as a fraction of
    the open eyes' gap: per clip the median over its closed frames of gap / the median gap of up to per_clip of
    its open frames (every 10th), and per editor the median over those open frames of gap after the edit
    (target: the frame's own AUs with AU45 = 4) / gap before, in the same dlib rectangle."""
    au45 = AU_NAMES.index("AU45")
    res: dict = {"clips": [], "editors": list(editors), "per_clip": per_clip}
    for clip in clips:
        lms, aus = clip_labels(videos, Path(clip).stem)
        closed = {f for f, a in aus.items() if a[au45] >= CLOSED_AU45 and f in lms}
        opened = sorted(f for f, a in aus.items() if a[au45] < OPEN_AU45 and f in lms)[::10][:per_clip]
        if not closed or not opened:
            continue
        gap_closed, gap_open, edited = [], [], {name: [] for name in editors}
        frames = ((image, image) for image in _frames(videos / clip, max(closed | set(opened))))
        for f, image, _, where, gap in _judged_lids(frames, lms, judge, closed | set(opened)):
            (gap_closed if f in closed else gap_open).append(gap)
            if f in opened:
                target = aus[f].copy()
                target[au45] = 4.0
                for name, editor in editors.items():
                    out = editor(FacePhoto(image, lms[f], aus[f], f"{clip}#{f}"), target)
                    edited[name].append(_lid_gap(judge, out, where) / gap)
        res["clips"].append({"clip": clip, "closed_frames": len(gap_closed), "open_frames": len(gap_open),
                             "real": float(np.median(gap_closed) / np.median(gap_open)),
                             "edited": {k: float(np.median(v)) for k, v in edited.items()}})
    return res


def closed_eyes_video(generator: Path, judge, videos: Path, work: Path, clips=CLOSED_CLIPS, per_clip: int = 8,
                      threads: int = 1, mask: str = "landmarks", **finish) -> dict:
    """closed_eyes through the video path: each clip whole through `ganimate keyframes` held at AU45 4 (flicker's
    run, so a face's own blinks are read as the run time reads them: face/shown_lids.py), dlib's lid gap (judge: a
    DlibJudge) after / before on per_clip open frames spread evenly over the clip, and the real closed frames' gap
    over those open frames' (median each); finish: flicker's finishing flags. Per clip also flicker's ratio."""
    from ganimate.video.probe import probe_video

    au45 = AU_NAMES.index("AU45")
    res: dict = {"clips": [], "per_clip": per_clip}
    for clip in clips:
        stem = Path(clip).stem
        lms, aus = clip_labels(videos, stem)
        closed = {f for f, a in aus.items() if a[au45] >= CLOSED_AU45 and f in lms}
        opened_all = sorted(f for f, a in aus.items() if a[au45] < OPEN_AU45 and f in lms)
        if not closed or not opened_all:
            continue
        opened = [opened_all[k] for k in np.unique(np.linspace(0, len(opened_all) - 1, per_clip).round().astype(int))]
        fps = float(probe_video(videos / clip).fps)
        held = flicker(generator, videos, work, clip, seconds=(max(aus) + 1) / fps, threads=threads, mask=mask,
                       target=CLOSED_EYES, **finish)
        output = _frames(work / f"flicker_output_{stem}_{'_'.join(CLOSED_EYES)}.mp4")
        gap_closed, gap_open, ratio = [], [], []
        frames = zip(_frames(work / f"flicker_source_{stem}.mp4"), output, strict=False)
        for f, _, edited, where, gap in _judged_lids(frames, lms, judge, closed | set(opened)):
            (gap_closed if f in closed else gap_open).append(gap)
            if f in opened:
                ratio.append(_lid_gap(judge, edited, where) / gap)
        res["clips"].append({"clip": clip, "frames": held["frames"], "closed_frames": len(gap_closed),
                             "open_frames": len(gap_open), "real": float(np.median(gap_closed) / np.median(gap_open)),
                             "edited": float(np.median(ratio)), "flicker": held["ratio"]})
    return res


def closed_eyes_video_markdown(res: dict, name: str) -> str:
    lines = ["\n## Closed eyes on video, as dlib reads them\n",
             f"Each clip whole through `ganimate keyframes` held at AU45 4 ({name}; the face's own blinks read as the "
             f"run time reads them), dlib's lid gap after over before on {res['per_clip']} open frames spread over the "
             f"clip (OpenFace AU45 < {OPEN_AU45:g}), the real closed frames (AU45 ≥ {CLOSED_AU45:g}) over the same "
             "open frames', median each; and the held edit's flicker (the face's frame-to-frame change over the "
             "source's).\n",
             "| clip | frames | closed frames | real closed eyes | edit | flicker |", "|---|---|---|---|---|---|"]
    for c in res["clips"]:
        lines.append(f"| {c['clip']} | {c['frames']} | {c['closed_frames']} | {c['real']:.0%} | {c['edited']:.0%} | "
                     f"{c['flicker']:.2f} |")
    if res["clips"]:
        lines.append(f"| median of clips | | | {np.median([c['real'] for c in res['clips']]):.0%} | "
                     f"{np.median([c['edited'] for c in res['clips']]):.0%} | |")
    return "\n".join(lines)


def closed_eyes_markdown(res: dict) -> str:
    names = res["editors"]
    lines = ["\n## Closed eyes as dlib reads them\n",
             f"dlib's lid gap over the open eyes' (median): real closed eyes = frames where OpenFace reads AU45 ≥ "
             f"{CLOSED_AU45:g}, over up to {res['per_clip']} of the same clip's open frames (AU45 < {OPEN_AU45:g}); "
             "each editor's eyes-closed edit (the frame's AUs with AU45 = 4) of those open frames, after over before. "
             "Training clips: no held-out clip has closed-eye frames.\n",
             "| clip | closed frames | real closed eyes | " + " | ".join(names) + " |",
             "|---|---|---|" + "---|" * len(names)]
    for c in res["clips"]:
        lines.append(f"| {c['clip']} | {c['closed_frames']} | {c['real']:.0%} | "
                     + " | ".join(f"{c['edited'][n]:.0%}" for n in names) + " |")
    if res["clips"]:
        lines.append("| median of clips | | " + f"{np.median([c['real'] for c in res['clips']]):.0%} | "
                     + " | ".join(f"{np.median([c['edited'][n] for c in res['clips']]):.0%}" for n in names) + " |")
    return "\n".join(lines)


def video_markdown(vid: dict) -> str:
    s = vid["sharpness"]
    lines = ["\n## Flicker and sharpness\n",
             "Flicker: a steady target (absolute), first seconds of held-out clips, through "
             "`ganimate keyframes` (base neutral) for a generator, frame by frame with each frame's OpenFace "
             "landmarks for the baseline; the face's mean frame-to-frame change (/255), output over source "
             f"(goal ≤ {FLICKER_GOAL:.2f}):\n",
             "| editor | target | clip | frames | source | output | ratio |", "|---|---|---|---|---|---|---|"]
    for name, results in vid["flicker"].items():
        for f in results:
            target = ", ".join(f"{k} {v:g}" for k, v in f.get("target", STEADY_TARGET).items())
            lines.append(f"| {name} | {target} | {f['clip']} | {f['frames']} | {f['source_change']:.2f} | "
                         f"{f['output_change']:.2f} | **{f['ratio']:.2f}** |")
    lines += ["",
             f"Sharpness: frame {s['frame']} of {s['clip']} ({s['size'][1]}x{s['size'][0]}, inter-ocular "
             f"{s['interocular_px']:.0f} px), Laplacian variance after / before (goal ≥ {s['goal']:.0%}):\n",
             "| editor | target = own AUs, whole face | smile, face minus mouth/eyes/brows |", "|---|---|---|"]
    for name, v in s["editors"].items():
        lines.append(f"| {name} | {v['own_aus_face']:.0%} | {v['smile_still']:.0%} |")
    return "\n".join(lines)

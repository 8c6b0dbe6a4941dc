"""Face-tracking statistics on the shared real clips (a script, not a test).

For each clip in ../shared/data/videos: how many frames have a face according to OpenFace
(success == 1 in NAME.openface.csv) and on how many of those the tracker holds a face (coverage);
how many track ids the followed face went through; and how much the aligned crop's centre moves
frame to frame (median and 95th percentile, in frame px and in crop px), over the whole clip and
over its stillest second (where that motion is mostly jitter, not head motion).

    nice .venv/bin/python bench/track_stats.py [CLIP ...] [--max-frames N] [--threads 1] [--detect-every K]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganimate.au.openface_csv import read_openface_csv
from ganimate.config import DetectConfig, TrackConfig
from ganimate.face.align import crop_centre, crop_transform
from ganimate.face.track import FaceTracker, TrackedFace
from ganimate.video.reader import read_frames

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
CROP_SIZE = 128
STILL_WINDOW = 25  # frames: the "stillest stretch" is the window with the least crop-centre travel


@dataclass(frozen=True)
class ClipStats:
    name: str
    frames: int
    openface_faces: int  # frames with success == 1 in the OpenFace CSV
    tracked_faces: int  # of those, frames where the tracker had a face
    extra_faces: int  # frames where the tracker had a face and OpenFace did not
    tracks: int  # distinct track ids seen
    switches: int  # times the followed face changed track id
    ms_per_frame: float
    motion_frame_px: tuple[float, float]  # crop-centre motion frame to frame: median, p95
    motion_crop_px: tuple[float, float]
    still_frame_px: tuple[float, float]  # the same over the stillest STILL_WINDOW frames
    still_crop_px: tuple[float, float]

    @property
    def coverage(self) -> float:
        return self.tracked_faces / self.openface_faces if self.openface_faces else 1.0

    @property
    def still_median_crop_px(self) -> float:
        return self.still_crop_px[0]


def followed_face(faces: list[TrackedFace], prev_id: int | None) -> TrackedFace | None:
    """The face to measure: the same track as before if still there, else the largest."""
    for f in faces:
        if f.track_id == prev_id:
            return f
    return max(faces, key=lambda f: f.face.area, default=None)


def _median_p95(x: np.ndarray) -> tuple[float, float]:
    if len(x) == 0:
        return (float("nan"), float("nan"))
    return (float(np.median(x)), float(np.percentile(x, 95)))


def stillest_window(motion: np.ndarray, window: int) -> slice:
    """The `window` consecutive steps with the least total motion (NaN = no step: excluded)."""
    if len(motion) <= window:
        return slice(0, len(motion))
    valid = np.isfinite(motion)
    m = np.where(valid, motion, 0.0)
    sums = np.convolve(m, np.ones(window), "valid")
    full = np.convolve(valid.astype(float), np.ones(window), "valid") == window
    if not full.any():
        return slice(0, len(motion))
    start = int(np.argmin(np.where(full, sums, np.inf)))
    return slice(start, start + window)


def clip_stats(path: Path, detector, config: TrackConfig, max_frames: int | None = None) -> ClipStats:
    """Run the tracker over a clip and measure it against its OpenFace CSV."""
    path = Path(path)
    success = read_openface_csv(path.with_suffix(".openface.csv")).success
    tracker: FaceTracker | None = None
    has_face: list[bool] = []
    centres: list[np.ndarray | None] = []
    scales: list[float] = []
    ids: list[int | None] = []
    prev_id: int | None = None
    seen: set[int] = set()
    t0 = time.perf_counter()
    for frame in read_frames(path):
        if max_frames is not None and frame.index >= max_frames:
            break
        if tracker is None:
            from ganimate.video.probe import probe_video

            tracker = FaceTracker(detector, config, fps=float(probe_video(path).fps))
        faces = tracker.update(frame.image)
        has_face.append(bool(faces))
        seen.update(f.track_id for f in faces)
        f = followed_face(faces, prev_id)
        prev_id = f.track_id if f is not None else None
        ids.append(prev_id)
        if f is None:
            centres.append(None)
            scales.append(float("nan"))
        else:
            m = crop_transform(f.face.landmarks, CROP_SIZE)
            centres.append(crop_centre(m, CROP_SIZE))
            scales.append(float(np.sqrt(abs(np.linalg.det(m[:, :2])))))
    elapsed = time.perf_counter() - t0
    n = len(has_face)
    of = np.asarray(success[:n], dtype=bool)
    tr = np.asarray(has_face[: len(of)], dtype=bool)
    motion = np.full(max(n - 1, 0), np.nan)
    for i in range(1, n):
        if centres[i] is not None and centres[i - 1] is not None and ids[i] == ids[i - 1]:
            motion[i - 1] = float(np.linalg.norm(centres[i] - centres[i - 1]))
    motion_crop = motion * np.asarray(scales[1:], dtype=float)
    ok = np.isfinite(motion)
    still = stillest_window(motion, STILL_WINDOW)
    ok_still = np.isfinite(motion[still])
    switches = sum(1 for a, b in zip(ids, ids[1:], strict=False) if a is not None and b is not None and a != b)
    return ClipStats(
        name=path.name,
        frames=n,
        openface_faces=int(of.sum()),
        tracked_faces=int((of & tr).sum()),
        extra_faces=int((~of & tr).sum()),
        tracks=len(seen),
        switches=switches,
        ms_per_frame=1000.0 * elapsed / max(n, 1),
        motion_frame_px=_median_p95(motion[ok]),
        motion_crop_px=_median_p95(motion_crop[ok]),
        still_frame_px=_median_p95(motion[still][ok_still]),
        still_crop_px=_median_p95(motion_crop[still][ok_still]),
    )


def format_table(rows: list[ClipStats]) -> str:
    head = (
        "| clip | frames | OpenFace faces | tracked | coverage | tracks | switches | ms/frame "
        "| motion frame px med/p95 | motion crop px med/p95 | stillest 1 s frame px med/p95 "
        "| stillest 1 s crop px med/p95 |"
    )
    lines = [head, "|" + "---|" * 12]

    def pair(p: tuple[float, float]) -> str:
        return f"{p[0]:.2f} / {p[1]:.2f}"

    for r in rows:
        lines.append(
            f"| {r.name} | {r.frames} | {r.openface_faces} | {r.tracked_faces} | {100 * r.coverage:.1f}% "
            f"| {r.tracks} | {r.switches} | {r.ms_per_frame:.0f} | {pair(r.motion_frame_px)} "
            f"| {pair(r.motion_crop_px)} | {pair(r.still_frame_px)} | {pair(r.still_crop_px)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="*", help="clip file names in --videos (default: all)")
    ap.add_argument("--videos", type=Path, default=VIDEOS)
    ap.add_argument("--max-frames", type=int, default=None)
    ap.add_argument("--threads", type=int, default=DetectConfig().threads, help="CPU threads per MTCNN net")
    ap.add_argument("--detect-every", type=int, default=TrackConfig().detect_every, help="full MTCNN every k frames")
    args = ap.parse_args(argv)
    from ganimate.face.detect import FaceDetector

    if not args.videos.is_dir():
        print(f"no clips: {args.videos} is not a folder", file=sys.stderr)
        return 1
    names = args.clips or sorted(
        p.name for p in args.videos.iterdir() if p.suffix in {".avi", ".mp4", ".wmv", ".mov", ".mkv"}
    )
    detector = FaceDetector(DetectConfig(threads=args.threads))
    rows = []
    for name in names:
        rows.append(clip_stats(args.videos / name, detector, TrackConfig(detect_every=args.detect_every),
                               args.max_frames))
        r = rows[-1]
        print(
            f"{name}: coverage {100 * r.coverage:.1f}%, {r.tracks} track(s), {r.switches} switch(es), "
            f"stillest 1 s crop px {r.still_crop_px[0]:.2f}/{r.still_crop_px[1]:.2f}",
            file=sys.stderr,
            flush=True,
        )
    print(format_table(rows))
    cov = sum(r.tracked_faces for r in rows) / max(sum(r.openface_faces for r in rows), 1)
    print(f"\noverall coverage {100 * cov:.2f}% of {sum(r.openface_faces for r in rows)} OpenFace face frames")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How dlib reads real shut eyes at LFW's size, and the eyes-closed edit on the same people.

edit_eval's eyes-closed goal asks dlib's lid gap after the edit to be at most 30% of the input's. Few LFW photos
show shut eyes (OpenFace reads AU45 >= SHUT on 14 of 13,193), but the people who have one also have a photo
with open eyes (AU45 < OPEN): their real closing, read by the same judge at the same size, is the yardstick.
For each such person (training or held-out: this measures the judge, not a model): dlib's lid gap on the shut
photo over the open one's, and the eyes-closed edit (the run time's defaults, AU45 = 4) of the open photo,
after over before. Both as the median of people and pooled (mean gap over mean gap: a face whose open eyes are
already narrow weighs little). A picture: shut | open | the edit of the open photo, the eyes of each person.

Run: python -m ganimate.training.shut_eyes ../shared/data/faces [--picture docs/shut_eyes_lfw.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ganimate.au.names import AU_NAMES

SHUT, OPEN = 2.0, 0.3  # OpenFace AU45 of a shut-eyed photo (at least) and an open-eyed one (under)


def shut_open_pairs(aus: dict[str, np.ndarray], with_landmarks: set[str]) -> list[tuple[str, str]]:
    """(shut, open) photo paths ('lfw/Person/Person_0001.jpg') per person who has both, sorted by person:
    their first photo OpenFace reads at AU45 >= SHUT and their first under OPEN; aus: float (17,) per path."""
    i45 = AU_NAMES.index("AU45")
    by_person: dict[str, list[str]] = {}
    for path in sorted(p for p in aus if p in with_landmarks):
        by_person.setdefault(path.split("/")[1], []).append(path)
    pairs = []
    for _, paths in sorted(by_person.items()):
        shut = [p for p in paths if aus[p][i45] >= SHUT]
        opened = [p for p in paths if aus[p][i45] < OPEN]
        if shut and opened:
            pairs.append((shut[0], opened[0]))
    return pairs


def lid_ratios(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """(median of after / before, pooled mean after / mean before) of lid gaps (float (N,) each)."""
    b, a = np.asarray(before, np.float64), np.asarray(after, np.float64)
    return float(np.median(a / np.maximum(b, 1e-9))), float(a.mean() / max(float(b.mean()), 1e-9))


def _eyes(image: np.ndarray, points: np.ndarray, size: tuple[int, int] = (300, 90)) -> np.ndarray:
    """uint8: the band of both eyes (from OpenFace's points float (68, 2)), resized to size (w, h)."""
    import cv2

    y0 = max(int(points[36:48, 1].min()) - 12, 0)
    x0, x1 = max(int(points[36, 0]) - 10, 0), int(points[45, 0]) + 10
    return cv2.resize(image[y0:y0 + 30, x0:x1], size, interpolation=cv2.INTER_CUBIC)


def main(argv: list[str] | None = None) -> None:
    import cv2

    from ganimate.errors import GanimateError
    from ganimate.face.landmarks import shape_measures

    from .edit_editors import runtime_editor
    from .edit_eval import TARGETS, load_photo, read_labels, target_vector
    from .edit_judges import DlibJudge
    from .holdout import is_heldout_person

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("faces", type=Path, help="../shared/data/faces")
    ap.add_argument("--picture", type=Path, help="write shut | open | edit, a row per person, here")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    if not (args.faces / "openface_aus.csv").is_file():
        raise GanimateError(f"not found: {args.faces / 'openface_aus.csv'}")
    labels = read_labels(args.faces)
    pairs = shut_open_pairs(labels.aus, set(labels.landmarks))
    judge, editor = DlibJudge(), runtime_editor(args.threads)
    open_gap, shut_gap, edit_gap, rows = [], [], [], []
    for shut_path, open_path in pairs:
        shut, opened = load_photo(args.faces, labels, shut_path), load_photo(args.faces, labels, open_path)
        where_s, where_o = judge.locate(shut.image, shut.landmarks), judge.locate(opened.image, opened.landmarks)
        edited = editor(opened, target_vector(opened.aus, TARGETS["eyes closed"]))
        gaps = [shape_measures(judge.landmarks(img, w))["lid_gap"]
                for img, w in ((opened.image, where_o), (shut.image, where_s), (edited, where_o))]
        open_gap.append(gaps[0]), shut_gap.append(gaps[1]), edit_gap.append(gaps[2])
        person = open_path.split("/")[1]
        print(f"  {person}{' (held-out)' if is_heldout_person(person) else ''}: real shut {gaps[1] / gaps[0]:.0%}, "
              f"edit {gaps[2] / gaps[0]:.0%} of the open eyes' lid gap")
        rows.append(np.concatenate([_eyes(shut.image, shut.landmarks), _eyes(opened.image, opened.landmarks),
                                    _eyes(edited, opened.landmarks)], axis=1))
    if not pairs:
        raise GanimateError("no LFW person has both a shut-eyed and an open-eyed photo")
    real, edit = lid_ratios(open_gap, shut_gap), lid_ratios(open_gap, edit_gap)
    print(f"{len(pairs)} people; dlib's lid gap over the open photo's: real shut eyes median {real[0]:.0%}, "
          f"pooled {real[1]:.0%}; the eyes-closed edit median {edit[0]:.0%}, pooled {edit[1]:.0%}")
    if args.picture is not None:
        cv2.imwrite(str(args.picture), cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))
        print(f"wrote {args.picture}")


if __name__ == "__main__":
    from ganimate.errors import run_script

    run_script(main)

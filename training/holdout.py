"""The fixed held-out split shared by every ganimate model (AU estimator and GAN).

Held out, never trained on:
- LFW people whose folder name hashes to 0 mod 10 (sha256 of the UTF-8 name; ~10% of people, stable
  across machines and Python runs, unlike the salted built-in hash()).
- Four whole clips of ../shared/data/videos, chosen by hand to vary source and codec: `HELDOUT_CLIPS`.
- The same person on both sides: the numbered OpenFace sample clips come from YouTube Faces, which
  names people as LFW does, so a held-out clip holds out that LFW person too, and a held-out LFW person
  holds out their clip (e.g. Vladimir_Putin by hash -> clip 1878_01_002_vladimir_putin).
UTKFace photos have no identities and all other sources are training data.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from ganimate.errors import GanimateError

HOLDOUT_MODULO = 10  # one person in 10
# One OpenFace/YouTube-Faces sample (320x240 mpeg4), one LivePortrait driving clip (d*), one LivePortrait
# source clip (s*, portrait 720x1364) and the WMV2 sample: different people, cameras and codecs, each with
# a visible range of expressions in its OpenFace labels.
HELDOUT_CLIPS: tuple[str, ...] = ("0417_02_003_bill_clinton", "d12", "s29", "default")
VIDEO_SUFFIXES = frozenset({".avi", ".mp4", ".wmv", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})

# YouTube Faces clip stems: "<video id>_<shot>_<frame>_<first>_<last>", e.g. 0417_02_003_bill_clinton.
_YTF_STEM = re.compile(r"^\d+_\d+_\d+_([a-z][a-z0-9_\-]*)$")


def _hash_pick(name: str) -> bool:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % HOLDOUT_MODULO == 0


def clip_person(stem: str) -> str | None:
    """LFW-style person key (lower case, e.g. 'bill_clinton') of a YouTube Faces clip stem, else None."""
    m = _YTF_STEM.match(stem.lower())
    return m.group(1) if m else None


def _heldout_clip_people() -> frozenset[str]:
    return frozenset(p for p in (clip_person(s) for s in HELDOUT_CLIPS) if p)


def is_heldout_person(name: str) -> bool:
    """True for an LFW person (folder name, e.g. 'Vladimir_Putin') in the held-out split."""
    return _hash_pick(name) or name.lower() in _heldout_clip_people()


def is_heldout_clip(stem: str) -> bool:
    """True for a clip (file stem, e.g. 'd12') in the held-out split, by name or by its person."""
    if stem in HELDOUT_CLIPS:
        return True
    person = clip_person(stem)
    # Match the person as LFW spells the folder name: capitalised words joined by '_'.
    return person is not None and is_heldout_person("_".join(w.capitalize() for w in person.split("_")))


def _is_lfw(source: PurePosixPath) -> bool:
    return any(part.lower() == "lfw" for part in source.parts[:-1])


def is_heldout(identity: str, source: str) -> bool:
    """Whether a training row belongs to the held-out split.

    identity: the LFW folder name, the clip stem, or the photo stem (datasets' `identity` column).
    source: the original image or video path as given (any prefix; '\\' or '/' separators). It decides
    the kind: a video file -> clip rule; a photo under a folder named 'lfw' -> person rule; else training.
    """
    src = PurePosixPath(str(source).replace("\\", "/"))
    if src.suffix.lower() in VIDEO_SUFFIXES:
        return is_heldout_clip(identity) or is_heldout_clip(src.stem)
    if _is_lfw(src):
        return is_heldout_person(identity) or is_heldout_person(src.parent.name)
    return False


def heldout_lfw_people(names: Iterable[str]) -> list[str]:
    """The held-out subset of LFW person names, sorted."""
    return sorted(n for n in set(names) if is_heldout_person(n))


def write_holdout_json(path: str | Path, lfw_root: str | Path, videos_root: str | Path | None = None) -> dict:
    """Write the held-out split as JSON (for the model card) and return it.

    lfw_root: the folder holding one sub-folder per LFW person (e.g. ../shared/data/faces/lfw).
    videos_root: the clips folder, to list every held-out clip found there (default: ../../videos
    beside lfw_root when it exists).
    """
    root = Path(lfw_root)
    if not root.is_dir():
        raise GanimateError(f"LFW folder not found: {root}")
    people = sorted(p.name for p in root.iterdir() if p.is_dir())
    held = heldout_lfw_people(people)
    vids = Path(videos_root) if videos_root is not None else root.parent.parent / "videos"
    found = sorted(
        p.stem for p in (vids.iterdir() if vids.is_dir() else ())
        if p.suffix.lower() in VIDEO_SUFFIXES and is_heldout_clip(p.stem)
    )
    doc = {
        "rule": (
            f"LFW people with sha256(name) % {HOLDOUT_MODULO} == 0, people of the held-out clips, "
            "and the listed clips plus any clip of a held-out LFW person; UTKFace is all training data"
        ),
        "clips": list(HELDOUT_CLIPS),
        "clips_heldout_found": found,
        "lfw_people_total": len(people),
        "lfw_people_heldout": len(held),
        "lfw_photos_heldout": sum(sum(1 for _ in (root / n).glob("*.jpg")) for n in held),
        "lfw_people": held,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return doc

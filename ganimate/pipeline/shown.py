"""What each track's face shows of itself — its teeth, its shut eyes — read a little ahead of the frame being
edited (face/shown_teeth.py, face/shown_lids.py): a short delay line.

Remembering only the frames already edited, an opened mouth took the interior map's teeth until the face first
showed its own, then switched to them (d12 held open: a dark hole for 20 frames, the person's teeth from then on).
Holding AHEAD frames back lets the first of them already have what is shown up to a second later.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace

from ganimate.au.names import AU_NAMES
from ganimate.face.shown_lids import ShownLids, read_shown_lids, remember_lids
from ganimate.face.shown_teeth import ShownTeeth, read_shown_teeth, remember_teeth, teeth_to_keep

# frames held back (a second of video at 25 fps): the frames and their edits stay in memory meanwhile, about
# 150 MB at 1080p
AHEAD = 25
# frames over which a track's remembered shut eyes fade in over the lid cover once it first has them: a held shut
# eye otherwise changed from the cover to the person's own from one frame to the next
FADE = 12
_AU45 = AU_NAMES.index("AU45")


def with_shown_parts(stream: Iterable[tuple], ahead: int = AHEAD, teeth: bool = True, lids: bool = False
                     ) -> Iterator[tuple]:
    """(payload, items, results) as edited_frames batches them (the payload passed through), items[i] = (crop,
    target, source AUs, image), results[i] = (edit, mask, touch) -> the same where the edit warps a face whose
    points were read, with teeth: each touch's teeth set to those its mouth is filled with (its own where it shows
    them plainly, else the most plainly shown of its track's so far and up to `ahead` frames later:
    face/shown_teeth.teeth_to_keep); with lids, its shut the most shut eyes its track shows so far and up to `ahead`
    frames later (face/shown_lids.py; None where it shows none), and shut_share how far they have faded in (over
    FADE frames from the first frame that has them). Each face is read on its frame's unedited image (its item's)."""
    teeth_kept: dict[int, ShownTeeth] = {}
    lids_kept: dict[int, ShownLids] = {}
    lids_since: dict[int, int] = {}  # per track: frames released with a memory of its shut eyes
    held: deque = deque()

    def release():
        frame, items, results, seen = held.popleft()
        out = []
        for (crop, *_), (edit, mask, touch), (read, reads) in zip(items, results, seen, strict=True):
            if read:
                track = crop.track_id
                changes = {}
                if teeth:
                    changes["teeth"] = teeth_to_keep(reads, teeth_kept.get(track))
                if lids and track in lids_kept:
                    lids_since[track] = lids_since.get(track, 0) + 1
                    changes["shut"] = lids_kept[track]
                    changes["shut_share"] = min(lids_since[track] / FADE, 1.0)
                touch = replace(touch, **changes)
            out.append((edit, mask, touch))
        return frame, items, out

    for frame, items, results in stream:
        seen = []  # per face: (whether it was read, its teeth reading: None where no teeth shown)
        for (crop, _, source, image), (edit, _, touch) in zip(items, results, strict=True):
            if edit.flow is None or touch.points is None:
                seen.append((False, None))
                continue
            track = crop.track_id
            reads = read_shown_teeth(image, touch.points) if teeth else None
            if teeth and (kept := remember_teeth(teeth_kept.get(track), reads)) is not None:
                teeth_kept[track] = kept
            if lids and source is not None:
                shut = read_shown_lids(image, touch.points, float(source[_AU45]))
                if (kept_lids := remember_lids(lids_kept.get(track), shut)) is not None:
                    lids_kept[track] = kept_lids
            seen.append((True, reads))
        held.append((frame, items, results, seen))
        if len(held) > ahead:
            yield release()
    while held:
        yield release()

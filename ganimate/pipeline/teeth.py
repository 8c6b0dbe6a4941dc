"""Each track's teeth, read a little ahead of the frame being edited (face/shown_teeth.py): a short delay line.

Remembering only the frames already edited, an opened mouth took the interior map's teeth until the face first
showed its own, then switched to them (d12 held open: a dark hole for 20 frames, the person's teeth from then on).
Holding AHEAD frames back lets the first of them already have the teeth shown up to a second later.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from ganimate.face.shown_teeth import ShownTeeth, read_shown_teeth, remember_teeth, teeth_to_keep

# frames held back (a second of video at 25 fps): the frames and their edits stay in memory meanwhile, about
# 150 MB at 1080p
AHEAD = 25


def with_shown_teeth(stream: Iterable[tuple], ahead: int = AHEAD) -> Iterator[tuple]:
    """(frame, items, results) as edited_frames batches them, results[i] = (edit, mask, touch) -> the same with
    each touch's teeth set to those its mouth is filled with where the edit warps a face whose points were read:
    its own where it shows them plainly, else the most plainly shown of its track's so far and up to `ahead`
    frames later (face/shown_teeth.teeth_to_keep). Each face's teeth are read on its frame's unedited image."""
    from dataclasses import replace

    memory: dict[int, ShownTeeth] = {}
    held: deque = deque()

    def release():
        frame, items, results, seen = held.popleft()
        out = [(edit, mask, touch if reads is False else
                replace(touch, teeth=teeth_to_keep(reads, memory.get(crop.track_id))))
               for (crop, *_), (edit, mask, touch), reads in zip(items, results, seen, strict=True)]
        return frame, items, out

    for frame, items, results in stream:
        seen = []  # per face: its reading (None: no teeth shown), or False where none is taken
        for (crop, *_), (edit, _, touch) in zip(items, results, strict=True):
            if edit.flow is None or touch.points is None:
                seen.append(False)
                continue
            reads = read_shown_teeth(frame.image, touch.points)
            if (kept := remember_teeth(memory.get(crop.track_id), reads)) is not None:
                memory[crop.track_id] = kept
            seen.append(reads)
        held.append((frame, items, results, seen))
        if len(held) > ahead:
            yield release()
    while held:
        yield release()

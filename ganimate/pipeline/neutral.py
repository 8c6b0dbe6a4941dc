"""Per-track neutral expression without reading the video twice: a short delay line."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import numpy as np

from ganimate.pipeline.targets import neutral_of


def with_neutral_targets(stream, window: int, target_for) -> Iterator[tuple]:
    """Hold `window` frames back so each track's neutral is known (from its first `window` frames)
    before its first frame is edited. target_for(frame, crop, neutral, own_aus) gives one target.
    Yields (frame, crops, targets float32 (n,17), own AUs float32 (n,17))."""
    seen: dict[int, list[np.ndarray]] = {}
    fixed: dict[int, np.ndarray] = {}
    buf: deque = deque()

    def release(item):
        frame, crops, own_aus = item
        targets = []
        for c, own in zip(crops, own_aus, strict=True):
            if c.track_id not in fixed:
                fixed[c.track_id] = neutral_of(np.stack(seen[c.track_id]))
            targets.append(target_for(frame, c, fixed[c.track_id], own))
        return (frame, crops, np.array(targets, dtype=np.float32).reshape(len(crops), 17),
                np.asarray(own_aus, dtype=np.float32).reshape(len(crops), 17))

    for frame, crops, own_aus in stream:
        for c, a in zip(crops, own_aus, strict=True):
            hist = seen.setdefault(c.track_id, [])
            if len(hist) < window:
                hist.append(np.asarray(a, dtype=np.float32))
        buf.append((frame, crops, own_aus))
        if len(buf) > window:
            yield release(buf.popleft())
    while buf:
        yield release(buf.popleft())

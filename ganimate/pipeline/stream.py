"""Small building blocks for frame streams: background prefetch and batched per-crop model calls.

Every stage is a generator, queues are bounded, so memory stays flat whatever the video length.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import numpy as np

T = TypeVar("T")
_DONE = object()


def prefetch(items: Iterable[T], depth: int = 8) -> Iterator[T]:
    """Run `items` in a background thread, `depth` items ahead (decoding releases the GIL)."""
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def worker() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer's thread
            q.put(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def map_batched(
    stream: Iterable[tuple[T, list]],
    fn: Callable[[list], np.ndarray | tuple[np.ndarray, ...]],
    batch_size: int,
) -> Iterator[tuple[T, list, list]]:
    """Call `fn` on the per-frame work items of several frames at once, keeping frame order.

    stream yields (frame_payload, items); fn maps a flat list of items to an array (or tuple of arrays)
    with one row per item. Yields (frame_payload, items, results) where results[i] is the row (or tuple
    of rows) of items[i]. Frames without items pass through in order with empty results.
    """
    pending: list[tuple[T, list]] = []
    count = 0
    for payload, items in stream:
        pending.append((payload, items))
        count += len(items)
        if count >= batch_size:
            yield from _flush(pending, fn)
            pending, count = [], 0
    if pending:
        yield from _flush(pending, fn)


def _flush(pending, fn):
    flat = [it for _, items in pending for it in items]
    rows: list = []
    if flat:
        out = fn(flat)
        rows = list(zip(*out, strict=True)) if isinstance(out, tuple) else list(out)
    i = 0
    for payload, items in pending:
        yield payload, items, rows[i : i + len(items)]
        i += len(items)

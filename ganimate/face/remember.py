"""What a video's track keeps of its face from frame to frame: the strongest reading so far, the latest of equals."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def remember_most(memory: T | None, seen: T | None, strength: Callable[[T], float]) -> T | None:
    """A track's memory after a frame: seen where its strength is at least the memory's (the latest of equals: the
    light changes), else the memory; either may be None."""
    if seen is None or (memory is not None and strength(seen) < strength(memory)):
        return memory
    return seen

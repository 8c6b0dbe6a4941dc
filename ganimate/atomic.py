"""Atomic file outputs: write to a temporary file beside the target, rename on success only.

Every file ganimate writes (videos, CSV, PNG, ONNX) goes through :func:`atomic_output`, so an
interrupted or failed run never leaves a half-written target behind and never clobbers an input:

    with atomic_output(out_path, inputs=[in_path]) as tmp:
        write_something(tmp)          # tmp is in out_path's directory, same extension
    # here out_path exists (os.replace of tmp); on an exception tmp is deleted, out_path untouched
"""

from __future__ import annotations

import glob
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ganimate.errors import GanimateError

TEMP_MARK = ".ganimate-tmp-"  # part of every temporary name, e.g. ".out.ganimate-tmp-1a2b3c4d.mp4"


def _same_file(a: Path, b: Path) -> bool:
    """True when a and b name the same file (path after resolving links, or same inode)."""
    try:
        if a.resolve() == b.resolve():
            return True
    except (OSError, RuntimeError):  # RuntimeError: symlink loop on old Pythons
        pass
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_path(target: Path | str, inputs: Sequence[Path | str] = ()) -> Path:
    """Refuse a target that cannot be written safely; return it as a Path.

    Raises GanimateError when the target is a directory, its directory is missing or not writable,
    or it is the same file as one of ``inputs``.
    """
    target = Path(target)
    for inp in inputs:
        if _same_file(target, Path(inp)):
            raise GanimateError(f"{target}: output would overwrite the input {inp}; choose another output path")
    if target.is_dir():
        raise GanimateError(f"{target}: output path is a directory; give a file name")
    parent = target.parent
    if not parent.exists():
        raise GanimateError(f"{target}: output directory {parent} does not exist")
    if not parent.is_dir():
        raise GanimateError(f"{target}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise GanimateError(f"{target}: output directory {parent} is not writable")
    return target


def temp_path_for(target: Path, suffix: str | None = None) -> Path:
    """A fresh, unused temporary name in target's directory, ending in target's extension
    (or ``suffix``) so muxers and format detection by extension still work."""
    ext = target.suffix if suffix is None else suffix
    stem = target.name[: -len(target.suffix)] if target.suffix else target.name
    while True:
        cand = target.with_name(f".{stem}{TEMP_MARK}{uuid.uuid4().hex[:8]}{ext}")
        if not cand.exists():
            return cand


def stale_temps(target: Path | str) -> list[Path]:
    """Temporary files of ``target`` left behind by a killed run (``kill -9`` skips the clean-up).

    Only call this when nothing else is writing ``target`` now (batch does, before starting its job)."""
    target = Path(target)
    stem = target.name[: -len(target.suffix)] if target.suffix else target.name
    if not target.parent.is_dir():
        return []
    return sorted(p for p in target.parent.glob(f".{glob.escape(stem)}{TEMP_MARK}*") if p.is_file())


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except IsADirectoryError:  # a writer made a directory (e.g. external-data folders); leave it
        pass


@contextmanager
def atomic_output(target: Path | str, inputs: Sequence[Path | str] = (), suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` when the block succeeds.

    - Refuses (GanimateError) before anything is written: target is the same file as an input
      (resolved path or same inode), target is a directory, its directory does not exist or is
      not writable.
    - On success: ``os.replace(temp, target)`` (atomic on one filesystem; replaces an old target).
      If the block wrote nothing to the temp path, GanimateError is raised and target is untouched.
    - On any exception (KeyboardInterrupt included): the temp file is deleted, target is untouched,
      the exception propagates.
    """
    target = check_output_path(target, inputs)
    tmp = temp_path_for(target, suffix)
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    if not tmp.exists():
        raise GanimateError(f"{target}: nothing was written")
    try:
        os.replace(tmp, target)
    except OSError as e:
        _remove(tmp)
        raise GanimateError(f"{target}: could not move the finished file into place ({e.strerror})") from e

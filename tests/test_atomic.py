import os

import pytest

from ganimate.atomic import TEMP_MARK, atomic_output
from ganimate.errors import GanimateError


def _temps(directory):
    return [p for p in directory.iterdir() if TEMP_MARK in p.name]


def test_success_renames_temp_onto_target(tmp_path):
    target = tmp_path / "out.mp4"
    with atomic_output(target) as tmp:
        assert tmp.parent == target.parent
        assert tmp.suffix == ".mp4"  # muxers pick the format from the extension
        assert tmp != target
        assert not target.exists()
        tmp.write_bytes(b"data")
    assert target.read_bytes() == b"data"
    assert _temps(tmp_path) == []


def test_success_replaces_an_existing_target(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with atomic_output(target) as tmp:
        tmp.write_text("new")
        assert target.read_text() == "old"  # untouched until the block ends
    assert target.read_text() == "new"


def test_suffix_override(tmp_path):
    with atomic_output(tmp_path / "model.onnx", suffix=".tmp") as tmp:
        assert tmp.suffix == ".tmp"
        tmp.write_bytes(b"x")
    assert (tmp_path / "model.onnx").read_bytes() == b"x"


def test_failure_leaves_no_temp_and_no_target(tmp_path):
    target = tmp_path / "out.png"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert not target.exists()
    assert _temps(tmp_path) == []


def test_failure_keeps_an_existing_target(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"precious")
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"precious"
    assert _temps(tmp_path) == []


def test_nothing_written_is_an_error(tmp_path):
    target = tmp_path / "out.mp4"
    with pytest.raises(GanimateError, match="nothing was written"):
        with atomic_output(target):
            pass
    assert not target.exists()


@pytest.mark.parametrize("how", ["same", "relative", "symlink", "hardlink"])
def test_target_equal_to_an_input_is_refused(tmp_path, monkeypatch, how):
    src = tmp_path / "in.mp4"
    src.write_bytes(b"source")
    if how == "same":
        target = src
    elif how == "relative":
        monkeypatch.chdir(tmp_path)
        target = type(src)("sub/../in.mp4")
        (tmp_path / "sub").mkdir()
    elif how == "symlink":
        target = tmp_path / "link.mp4"
        target.symlink_to(src)
    else:
        target = tmp_path / "hard.mp4"
        os.link(src, target)
    with pytest.raises(GanimateError, match="overwrite the input"):
        with atomic_output(target, inputs=[src]) as tmp:
            tmp.write_bytes(b"clobber")  # pragma: no cover - must not run
    assert src.read_bytes() == b"source"
    assert _temps(tmp_path) == []


def test_other_inputs_do_not_block(tmp_path):
    src = tmp_path / "in.mp4"
    src.write_bytes(b"source")
    with atomic_output(tmp_path / "out.mp4", inputs=[src, tmp_path / "missing.wav"]) as tmp:
        tmp.write_bytes(b"ok")
    assert (tmp_path / "out.mp4").read_bytes() == b"ok"


def test_missing_directory_is_refused(tmp_path):
    with pytest.raises(GanimateError, match="does not exist"):
        with atomic_output(tmp_path / "nope" / "out.mp4"):
            pass  # pragma: no cover


def test_directory_target_is_refused(tmp_path):
    (tmp_path / "out.mp4").mkdir()
    with pytest.raises(GanimateError, match="is a directory"):
        with atomic_output(tmp_path / "out.mp4"):
            pass  # pragma: no cover


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_directory_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(GanimateError, match="not writable"):
            with atomic_output(ro / "out.mp4"):
                pass  # pragma: no cover
    finally:
        ro.chmod(0o755)


def test_unwritable_directory_check_uses_access(tmp_path, monkeypatch):
    """Same refusal when running as root (os.access is what decides)."""
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode))
    with pytest.raises(GanimateError, match="not writable"):
        with atomic_output(tmp_path / "out.mp4"):
            pass  # pragma: no cover

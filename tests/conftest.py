"""Shared fixtures: project-made media (always available) and ../shared real data (optional).

- ``astronaut``: scikit-image's astronaut photo, uint8 512x512x3 RGB (bundled with scikit-image).
- ``clip_path``: a 2 s, 256x256, 25 fps H.264 clip of the astronaut moving a little, with an AAC
  tone; made once per test session by ganimate.synth. Treat it as read-only.
- ``one_torch_thread``: torch limited to one thread for the test.
- ``shared_dir``: ``../shared`` beside the checkout; tests that use it are skipped when it is absent.
  Tests marked ``@pytest.mark.shared`` are skipped too when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CLIP_FRAMES = 50
CLIP_FPS = 25
CLIP_SIZE = (256, 256)


def _shared_available() -> bool:
    return (SHARED / "data").is_dir()


def pytest_collection_modifyitems(config, items):
    if _shared_available():
        return
    skip = pytest.mark.skip(reason=f"{SHARED} (real data) is not present")
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def one_torch_thread():
    """torch on one thread for the test (`pytestmark = pytest.mark.usefixtures("one_torch_thread")`): the
    test machine's 2 cores are shared, and two contending threads are slower than one."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from ganimate.synth import load_astronaut

    img = load_astronaut()
    img.setflags(write=False)
    return img


@pytest.fixture(scope="session")
def clip_path(tmp_path_factory, astronaut) -> Path:
    from ganimate.synth import make_face_clip

    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    return make_face_clip(
        path, astronaut, n_frames=CLIP_FRAMES, fps=CLIP_FPS, size=CLIP_SIZE, motion="affine", audio=True, seed=0
    )


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not _shared_available():
        pytest.skip(f"{SHARED} (real data) is not present")
    return SHARED

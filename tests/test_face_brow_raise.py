"""Raised brows lifted further by a flow of their own (ganimate/face/brow_raise.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.face import brow_raise as br
from ganimate.face.paste import CROP_TO_CROP, advect_points
from tests.edit_faces import aus_of
from tests.test_face_cheeks import _mean_face


def test_brow_rise_follows_a_rising_au01_inside_and_au02_outside():
    assert br.brow_rise(aus_of(AU01=0.5, AU02=1.0), aus_of(AU01=3.0, AU02=2.0), 0.01) == pytest.approx((0.025, 0.01))
    assert br.brow_rise(aus_of(AU01=3.0, AU02=3.0), aus_of(AU01=1.0, AU02=0.0), 0.01) == (0.0, 0.0)  # falling
    assert br.brow_rise(aus_of(), aus_of(AU04=3.0, AU12=3.0), 0.01) == (0.0, 0.0)
    assert "AU01" in AU_NAMES and "AU02" in AU_NAMES


def _rise(p: np.ndarray, flow: np.ndarray, idx) -> np.ndarray:
    """How far (px, along the face's up) the flow carries the points idx."""
    moved = advect_points(p[list(idx)], flow, CROP_TO_CROP, iterations=6)
    return p[list(idx), 1] - moved[:, 1]


def test_the_brows_rise_by_the_lift_the_lids_and_the_lower_face_stay():
    p = _mean_face()
    size = int(np.ceil(p.max())) + 40
    iod = np.linalg.norm(p[45] - p[36])
    assert not np.any(br.raise_flow(p, size, 0.0, 0.0))
    flow = br.raise_flow(p, size, 0.04, 0.04)
    np.testing.assert_allclose(_rise(p, flow, range(17, 27)), 0.04 * iod, rtol=0.05)
    # the upper lids' margin, the eyes' corners and everything below them stay
    assert np.abs(_rise(p, flow, (37, 38, 43, 44, 36, 39, 42, 45))).max() < 0.002 * iod
    low = int(np.ceil(p[36:48, 1].max())) + 1
    assert np.abs(flow[low:]).max() == 0.0
    # the forehead gathers: half way up its fade it rises part of the way, at its top not at all
    x, top = int(round(p[19, 0])), p[19, 1]
    half = int(round(top - 0.5 * br.FOREHEAD * iod))
    assert 0.1 * 0.04 * iod < flow[half, x, 1] < 0.9 * 0.04 * iod
    assert flow[int(top - br.FOREHEAD * iod) - 1, x, 1] == 0.0
    # beyond the brows' outer ends it fades out; the flow is along the face's up only
    assert flow[int(round(p[19, 1])), int(p[17, 0] - br.ENDS * iod) - 2, 1] == 0.0
    assert np.abs(flow[..., 0]).max() < 0.02 * np.abs(flow[..., 1]).max()  # the mean face is level within a degree


def test_au01_lifts_the_inner_brows_and_au02_the_outer():
    p = _mean_face()
    size = int(np.ceil(p.max())) + 40
    iod = np.linalg.norm(p[45] - p[36])
    inner = _rise(p, br.raise_flow(p, size, 0.04, 0.0), (21, 22, 17, 26))
    np.testing.assert_allclose(inner[:2], 0.04 * iod, rtol=0.05)
    assert np.abs(inner[2:]).max() < 0.05 * 0.04 * iod
    outer = _rise(p, br.raise_flow(p, size, 0.0, 0.04), (21, 22, 17, 26))
    np.testing.assert_allclose(outer[2:], 0.04 * iod, rtol=0.05)
    assert np.abs(outer[:2]).max() < 0.05 * 0.04 * iod
    # the skin between the brows rises with the inner brows
    glabella = np.round(0.5 * (p[21] + p[22])).astype(int)
    assert br.raise_flow(p, size, 0.04, 0.0)[glabella[1], glabella[0], 1] == pytest.approx(0.04 * iod, rel=0.02)


def test_the_rise_is_along_the_face_s_own_up():
    p = _mean_face(30.0)
    size = int(np.ceil(p.max())) + 60
    flow = br.raise_flow(p, size, 0.04, 0.04)
    x, y = np.round(p[19]).astype(int)
    up = p[36] - p[45]
    down = np.array([up[1], -up[0]]) / np.linalg.norm(up)  # perpendicular to the eye line, pointing down the face
    v = flow[y, x] / np.linalg.norm(flow[y, x])
    assert v @ down == pytest.approx(1.0, abs=1e-3)


def test_brows_are_on_by_default_and_off_by_the_cli_flag_or_a_job_option():
    from pathlib import Path

    from ganimate.batch.execute import job_run_config
    from ganimate.batch.jobs import Job
    from ganimate.cli import build_run_config
    from ganimate.config import BROW_RAISE

    assert build_run_config().infer.brows == BROW_RAISE > 0.0 and build_run_config().infer.reads_landmarks
    assert build_run_config(brows=False).infer.brows == 0.0
    job = Job(0, "jobs.csv:2", "keyframes", (("curves", Path("c.json")),), Path("o.mp4"), (("brows", False),))
    assert job_run_config(job, 1).infer.brows == 0.0
    assert job_run_config(Job(0, "jobs.csv:2", "keyframes", (("curves", Path("c.json")),), Path("o.mp4")),
                          1).infer.brows == BROW_RAISE

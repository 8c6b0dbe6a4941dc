"""A smile's cheek raise as a flow (ganimate/face/cheeks.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.au.names import AU_NAMES
from ganimate.face import cheeks as fc
from tests.edit_faces import aus_of, synthetic_landmarks

AU06 = AU_NAMES.index("AU06")


def test_cheek_lift_follows_au06_up_and_down():
    assert fc.cheek_lift(aus_of(AU06=0.5), aus_of(AU06=2.5), 0.04) == pytest.approx(0.08)
    # a smile taken away lowers its cheeks (kept until session 26: a grin driven to neutral kept them bunched)
    assert fc.cheek_lift(aus_of(AU06=3.0), aus_of(AU06=1.0), 0.04) == pytest.approx(-0.08)
    assert fc.cheek_lift(aus_of(AU06=1.2), aus_of(AU06=1.0), 0.04) == 0.0  # a reader's noise on a calm face
    assert -0.02 < fc.cheek_lift(aus_of(AU06=1.5), aus_of(AU06=1.0), 0.04) < 0.0  # fading in
    assert fc.cheek_lift(aus_of(), aus_of(AU12=3.0), 0.04) == 0.0  # a smile without AU06


def test_a_negative_lift_lowers_the_apples_and_brings_them_in():
    p = _mean_face()
    size = int(np.ceil(p.max())) + 40
    up, down = fc.lift_flow(p, size, 0.05), fc.lift_flow(p, size, -0.05)
    np.testing.assert_allclose(down, -up, atol=1e-6)
    (lx, ly), _ = np.round(fc.apples(p)).astype(int)
    assert down[ly, lx, 1] < 0.0  # backward -y: each output px shows the skin above it (the apple came down)


def test_the_apples_lie_on_each_cheek_between_the_lower_lid_and_the_mouth_corner():
    p = synthetic_landmarks()
    left, right = fc.apples(p)
    assert p[41, 1] < left[1] < p[48, 1] and p[46, 1] < right[1] < p[54, 1]
    assert left[0] < p[30, 0] < right[0]  # either side of the nose tip


def _mean_face(angle_deg: float = 0.0) -> np.ndarray:
    """The shipped shading map's mean face shape (real proportions), ~78 px between the outer eye corners."""
    from ganimate.pipeline.context import load_shading

    p = load_shading().mean_points.astype(np.float64) * 3.0 + 20.0
    a = np.radians(angle_deg)
    c = p.mean(0)
    return (p - c) @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]]) + c


def test_lift_flow_raises_each_apple_up_and_out_spares_the_nose_and_fades_away():
    p = _mean_face()
    size = int(np.ceil(p.max())) + 40
    assert not np.any(fc.lift_flow(p, size, 0.0))
    flow = fc.lift_flow(p, size, 0.05)
    iod = np.linalg.norm(p[45] - p[36])
    (lx, ly), (rx, ry) = np.round(fc.apples(p)).astype(int)
    nose = p[list(fc.NOSTRILS)].mean(0)
    for x, y in ((lx, ly), (rx, ry)):  # backward +y: the skin below comes up, less only by the nose's guard
        guard = fc.NOSE_GUARD if y <= nose[1] else fc.NOSE_BELOW
        off = ((x - nose[0]) / (fc.NOSE_GUARD * iod)) ** 2 + ((y - nose[1]) / (guard * iod)) ** 2
        spared = 1.0 - np.exp(-0.5 * off)
        np.testing.assert_allclose(flow[y, x, 1], 0.05 * iod * spared, rtol=0.03)
        assert spared > 0.6
    # backward x towards the nose: each apple moves out, about OUTWARD of its rise
    assert 0.3 * fc.OUTWARD * flow[ly, lx, 1] < flow[ly, lx, 0] <= fc.OUTWARD * flow[ly, lx, 1] + 1e-4
    assert -fc.OUTWARD * flow[ry, rx, 1] - 1e-4 <= flow[ry, rx, 0] < -0.3 * fc.OUTWARD * flow[ry, rx, 1]
    nx, ny = np.round(p[list(fc.NOSTRILS)].mean(0)).astype(int)
    assert abs(flow[ny, nx, 0]) < 0.02 * iod * 0.05  # the nose is not pulled apart
    assert abs(flow[ny, nx, 1]) < 0.02 * iod * 0.05  # nor lifted towards the eyes (it squashed the nose up)
    # the upper lip just below it still rises with the cheeks (spared too, the stretch of face/smile_lips.py made up
    # the rest over a lip's thickness and drew light lines at the corners)
    ux, uy = np.round(p[51]).astype(int)
    bumps = sum(np.exp(-((ux - ax) ** 2 + (uy - ay) ** 2) / (2.0 * (fc.SPREAD * iod) ** 2)) for ax, ay in fc.apples(p))
    assert flow[uy, ux, 1] > 0.7 * 0.05 * iod * min(bumps, 1.0) > 0.1 * 0.05 * iod
    between = np.round(p[27]).astype(int)
    assert flow[between[1], between[0], 1] < 0.3 * 0.05 * iod  # the eyes' level between the brows barely moves
    assert np.abs(flow[0, 0]).max() < 1e-3 and np.abs(flow[-1, -1]).max() < 1e-3
    # the lift is along the face's up: a face rolled 30 degrees is lifted along its own axes
    rolled = _mean_face(30.0)
    turned = fc.lift_flow(rolled, size + 40, 0.05)
    (ax, ay) = np.round(fc.apples(rolled)[0]).astype(int)
    along = (rolled[45] - rolled[36]) / np.linalg.norm(rolled[45] - rolled[36])
    down = np.array([-along[1], along[0]])
    assert float(turned[ay, ax] @ down) == pytest.approx(float(flow[ly, lx, 1]), rel=0.05)


def test_where_the_apples_meet_the_lift_is_no_more_than_asked():
    p = synthetic_landmarks()  # a narrow layout: the apples 0.3 eye distances apart
    flow = fc.lift_flow(p, int(np.ceil(p.max())) + 40, 0.05)
    iod = np.linalg.norm(p[45] - p[36])
    # (the nose between them spared: there the two bumps would add up most)
    assert 0.5 * 0.05 * iod < flow[..., 1].max() <= 0.05 * iod + 1e-4

"""MTCNN's numpy arithmetic: known values without torch; bit-equality with facenet-pytorch where installed."""

from __future__ import annotations

import numpy as np
import pytest

from ganimate.face import mtcnn


def test_area_resize_averages_bins_and_normalises():
    img = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    out = mtcnn.area_resize(img, 2, 3)
    assert out.shape == (3, 2, 3) and out.dtype == np.float32
    want = img.reshape(2, 2, 3, 2, 3).astype(np.float64).mean(axis=(1, 3))  # 2 x 2 blocks
    np.testing.assert_allclose(out, ((want - 127.5) / 128).transpose(2, 0, 1), atol=1e-6)


def test_area_resize_upscales_by_repeating():
    img = np.array([[[0, 0, 0], [255, 255, 255]]], dtype=np.uint8)  # 1 x 2
    out = mtcnn.area_resize(img, 2, 4)
    np.testing.assert_allclose(out[0], [[-127.5 / 128] * 2 + [127.5 / 128] * 2] * 2)


def test_crop_inputs_equal_one_window_at_a_time_and_skip_empty_windows():
    img = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    table = mtcnn.integral_image(img)
    windows = np.array([[0, 60, 0, 80], [5, 6, 7, 8], [9, 3, 0, 10], [20, 59, 30, 41]])
    x, ok = mtcnn.crop_inputs(table, windows, 24)
    assert ok.tolist() == [True, True, False, True] and x.shape == (3, 3, 24, 24)
    for got, window in zip(x, windows[ok], strict=True):
        np.testing.assert_array_equal(got, mtcnn.area_resize_window(table, window, 24, 24))
    np.testing.assert_array_equal(x[0], mtcnn.area_resize(img, 24, 24))


def test_pyramid_reaches_down_to_the_net_window():
    scales = mtcnn.pyramid_scales(540, 960, 40)
    assert scales[0] == pytest.approx(12 / 40) and len(scales) == 8
    assert min(540, 960) * scales[-1] >= 12 > min(540, 960) * scales[-1] * mtcnn.FACTOR
    assert mtcnn.pyramid_scales(20, 20, 40) == []


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.8, 0.9, 0.5, 0.9], np.float32)
    assert mtcnn.nms(boxes, scores, 0.5).tolist() == [1, 2]  # box 3 ties box 1 and loses to the earlier
    assert mtcnn.nms(boxes, scores, 0.99).tolist() == [1, 3, 2]  # IoU(1, 3) = 0.68; 0 duplicates 3
    assert mtcnn.nms(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.5).size == 0


def test_nms_min_suppresses_a_box_inside_a_bigger_one():
    boxes = np.array([[0, 0, 100, 100], [40, 40, 60, 60]], np.float32)
    assert mtcnn.nms_min(boxes, np.array([0.9, 0.95], np.float32), 0.7).tolist() == [1]
    assert mtcnn.nms(boxes, np.array([0.9, 0.95], np.float32), 0.7).tolist() == [1, 0]  # IoU is small


def test_square_keeps_the_centre():
    b = mtcnn.square(np.array([[10, 20, 50, 100, 0.9]], np.float32))
    np.testing.assert_allclose(b[0], [-10, 20, 70, 100, 0.9], rtol=1e-6)


def test_crop_windows_clip_to_the_image_one_based():
    w = mtcnn.crop_windows(np.array([[-5.7, 2.9, 30.2, 500.0, 1.0]], np.float32), height=100, width=200)
    assert w.tolist() == [[1, 100, 0, 30]]  # y0, y1, x0, x1: x -5 -> 1 -> index 0, y 2 -> index 1


# -- bit-equality with facenet-pytorch's own functions (skipped without the train extra) --


@pytest.fixture(scope="module")
def fp():
    torch = pytest.importorskip("torch")
    detect_face = pytest.importorskip("facenet_pytorch.models.utils.detect_face")
    torch.set_num_threads(1)
    return torch, detect_face


def test_area_resize_is_torch_interpolate_area_bit_for_bit(fp):
    torch, _ = fp
    from torch.nn.functional import interpolate

    rng = np.random.default_rng(0)
    for _ in range(30):
        h, w = (int(v) for v in rng.integers(5, 300, 2))
        oh, ow = (int(v) for v in rng.integers(3, 200, 2))
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        # as facenet-pytorch feeds it: a permuted (channels-last) float tensor
        t = torch.as_tensor(img.copy())[None].permute(0, 3, 1, 2).type(torch.float32)
        want = ((interpolate(t, size=(oh, ow), mode="area") - 127.5) * 0.0078125)[0].numpy()
        np.testing.assert_array_equal(mtcnn.area_resize(img, oh, ow), want)
        y0, x0 = int(rng.integers(0, h // 2)), int(rng.integers(0, w // 2))
        want = ((interpolate(t[:, :, y0:, x0:], size=(48, 48), mode="area") - 127.5) * 0.0078125)[0].numpy()
        got = mtcnn.area_resize_window(mtcnn.integral_image(img), (y0, h, x0, w), 48, 48)
        np.testing.assert_array_equal(got, want)


def test_pnet_candidates_equal_facenets(fp):
    torch, df = fp
    rng = np.random.default_rng(1)
    for _ in range(20):
        h, w = (int(v) for v in rng.integers(1, 80, 2))
        scale = float(rng.uniform(0.02, 0.3))
        prob = rng.uniform(0, 1, (1, 2, h, w)).astype(np.float32)
        reg = rng.normal(0, 0.1, (1, 4, h, w)).astype(np.float32)
        want, _ = df.generateBoundingBox(torch.from_numpy(reg), torch.from_numpy(prob)[:, 1], scale, 0.6)
        np.testing.assert_array_equal(mtcnn.pnet_candidates(reg[0], prob[0, 1], scale, 0.6), want.numpy())


def test_nms_equals_torchvision_and_facenets_min_nms(fp):
    torch, df = fp
    from torchvision.ops.boxes import batched_nms

    rng = np.random.default_rng(2)
    for t in range(40):
        n = int(rng.integers(0, 900))  # under 1,000 boxes torchvision's CPU path keeps ties in input order
        xy = rng.uniform(0, 500, (n, 2)).astype(np.float32)
        boxes = np.concatenate([xy, xy + rng.uniform(5, 80, (n, 2)).astype(np.float32)], axis=1)
        scores = (rng.choice(np.float32([0.7, 0.95, 1.0]), n) if t % 2 else rng.uniform(0, 1, n)).astype(np.float32)
        bt, st, idx = torch.from_numpy(boxes), torch.from_numpy(scores), torch.zeros(n, dtype=torch.int64)
        np.testing.assert_array_equal(mtcnn.nms(boxes, scores, 0.5), batched_nms(bt, st, idx, 0.5).numpy())
        np.testing.assert_array_equal(mtcnn.nms_min(boxes, scores, 0.7),
                                      df.batched_nms_numpy(bt, st, idx, 0.7, "Min").numpy())


def test_box_steps_equal_facenets(fp):
    torch, df = fp
    rng = np.random.default_rng(3)
    xy = rng.uniform(-20, 400, (50, 2)).astype(np.float32)
    boxes = np.concatenate([xy, xy + rng.uniform(5, 80, (50, 2)).astype(np.float32),
                            rng.uniform(0, 1, (50, 1)).astype(np.float32)], axis=1)
    reg = rng.normal(0, 0.1, (50, 4)).astype(np.float32)
    np.testing.assert_array_equal(mtcnn.square(boxes), df.rerec(torch.from_numpy(boxes.copy())).numpy())
    np.testing.assert_array_equal(mtcnn.regress(boxes, reg),
                                  df.bbreg(torch.from_numpy(boxes.copy()), torch.from_numpy(reg)).numpy())
    y, ey, x, ex = df.pad(torch.from_numpy(boxes.copy()), 300, 200)
    np.testing.assert_array_equal(mtcnn.crop_windows(boxes, 200, 300), np.stack([y - 1, ey, x - 1, ex], axis=1))


def test_integral_image_is_exact_per_channel():
    img = np.random.default_rng(4).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    table = mtcnn.integral_image(img)
    assert table.shape == (3, 38, 54)
    want = np.zeros((3, 38, 54), np.int64)
    want[:, 1:, 1:] = img.transpose(2, 0, 1).astype(np.int64).cumsum(1).cumsum(2)
    np.testing.assert_array_equal(table, want)

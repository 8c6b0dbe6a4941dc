"""FaceDataset (prepared-folder reader with a uint8 cache) and the step-indexed BatchSampler."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from ganimate.au.names import N_AUS
from ganimate.errors import GanimateError
from ganimate.training.dataset import (
    BatchSampler,
    FaceDataset,
    cache_path,
    images_to_tensor,
    tensor_to_images,
)
from ganimate.training.synthetic import write_synthetic_dataset


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return write_synthetic_dataset(tmp_path_factory.mktemp("faces") / "ds", n=24, size=32, identities=4)


@pytest.fixture
def fresh(tmp_path, prepared):
    root = tmp_path / "ds"
    shutil.copytree(prepared, root)
    return root


def test_loads_crops_and_labels(fresh):
    ds = FaceDataset(fresh, 32)
    assert len(ds) == 24
    assert cache_path(fresh, 32).exists()
    assert ds.images.dtype == np.uint8 and ds.images.shape == (24, 32, 32, 3)
    img, aus = ds[5]
    decoded = np.asarray(Image.open(fresh / "crops" / "000005.jpg").convert("RGB"))
    assert np.array_equal(img, decoded)
    raw = np.loadtxt(fresh / "aus.csv", delimiter=",", skiprows=1, usecols=range(4, 4 + N_AUS))
    assert np.allclose(aus, raw[5] / 5.0, atol=1e-6)
    assert aus.dtype == np.float32 and aus.min() >= 0 and aus.max() <= 1


def test_resizes_to_requested_size(fresh):
    ds = FaceDataset(fresh, 16)
    assert ds[0][0].shape == (16, 16, 3) and cache_path(fresh, 16).exists()


def test_heldout_and_rows(fresh):
    held = FaceDataset(fresh, 32, heldout=lambda identity, source: identity == "synth1")
    assert len(held) == 18 and "synth1" not in held.identities
    sub = FaceDataset(fresh, 32, rows=[0, 1, 2, 5])
    assert len(sub) == 4
    assert np.array_equal(sub[3][0], FaceDataset(fresh, 32)[5][0])
    both = FaceDataset(fresh, 32, heldout=lambda i, s: i == "synth1", rows=[0, 1, 2, 5])
    assert both.files == ("crops/000000.jpg", "crops/000002.jpg")  # rows 1 and 5 belong to synth1


def test_cache_rebuilt_when_labels_are_newer(fresh):
    FaceDataset(fresh, 32)
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(fresh / "crops" / "000000.jpg", quality=95)
    assert FaceDataset(fresh, 32)[0][0].max() > 50  # cache still fresh: old pixels
    later = cache_path(fresh, 32).stat().st_mtime + 10
    os.utime(fresh / "aus.csv", (later, later))
    assert FaceDataset(fresh, 32)[0][0].max() < 10  # rebuilt from the new crop


def test_rows_without_labels_are_dropped(fresh):
    lines = (fresh / "aus.csv").read_text().splitlines()
    cells = lines[3].split(",")
    cells[8] = ""
    lines[3] = ",".join(cells)
    (fresh / "aus.csv").write_text("\n".join(lines) + "\n")
    ds = FaceDataset(fresh, 32)
    assert len(ds) == 23 and "crops/000002.jpg" not in ds.files


def test_bad_inputs_raise(tmp_path, fresh):
    with pytest.raises(GanimateError):
        FaceDataset(tmp_path / "missing", 32)
    (fresh / "aus.csv").write_text("file,identity\ncrops/000000.jpg,a\n")
    with pytest.raises(GanimateError, match="missing columns"):
        FaceDataset(fresh, 32)
    with pytest.raises(GanimateError):
        FaceDataset(tmp_path, 32)  # a folder without aus.csv


def test_sampler_epochs_cover_every_face_once(prepared):
    ds = FaceDataset(prepared, 32)
    sampler = BatchSampler(ds, 4, seed=3)
    assert sampler.steps_per_epoch == 6
    seen = np.concatenate([sampler.positions(s) for s in range(6)])
    assert sorted(seen.tolist()) == list(range(24))
    assert not np.array_equal(sampler.positions(0), sampler.positions(6))  # a new permutation each epoch


def test_sampler_is_a_function_of_the_step(prepared):
    ds = FaceDataset(prepared, 32)
    a, b = BatchSampler(ds, 4, seed=1), BatchSampler(ds, 4, seed=1)
    b.batch(0)
    for step in (7, 3):
        x, y = a.batch(step), b.batch(step)
        assert np.array_equal(x.images, y.images) and np.array_equal(x.targets, y.targets)
    assert not np.array_equal(a.batch(1).targets, a.batch(2).targets)


def test_sampler_targets_and_flips(prepared):
    ds = FaceDataset(prepared, 32)
    sampler = BatchSampler(ds, 8, seed=0, target_noise=0.1)
    flipped_any = False
    for step in range(3):
        batch = sampler.batch(step)
        assert batch.targets.dtype == np.float32 and batch.targets.min() >= 0 and batch.targets.max() <= 1
        # each target lies within the noise of some face's labels
        dist = np.abs(batch.targets[:, None, :] - ds.aus[None]).max(axis=2).min(axis=1)
        assert (dist <= 0.1 + 1e-6).all()
        assert np.array_equal(batch.aus, ds.aus[batch.positions])
        for img, pos in zip(batch.images, batch.positions, strict=True):
            orig = ds[int(pos)][0]
            assert np.array_equal(img, orig) or np.array_equal(img, orig[:, ::-1])
            flipped_any |= not np.array_equal(img, orig)
    assert flipped_any
    plain = BatchSampler(ds, 8, seed=0, flip=False).batch(0)
    assert all(np.array_equal(img, ds[int(p)][0]) for img, p in zip(plain.images, plain.positions, strict=True))


def test_sampler_shards_between_ranks(prepared):
    ds = FaceDataset(prepared, 32)
    ranks = [BatchSampler(ds, 4, seed=0, rank=r, world_size=2) for r in range(2)]
    assert ranks[0].steps_per_epoch == 3
    per_rank = [np.concatenate([s.positions(k) for k in range(3)]) for s in ranks]
    assert not set(per_rank[0]) & set(per_rank[1])
    assert len(set(per_rank[0]) | set(per_rank[1])) == 24
    with pytest.raises(GanimateError):
        BatchSampler(ds, 16, world_size=2)


def test_tensor_conversions_round_trip():
    images = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    t = images_to_tensor(images)
    assert t.shape == (2, 3, 8, 8) and t.dtype == torch.float32 and t.min() >= -1 and t.max() <= 1
    assert np.array_equal(tensor_to_images(t), images)
    maps = tensor_to_images(torch.tensor([0.0, 1.0]).view(1, 1, 1, 2))
    assert maps.shape == (1, 1, 2, 1) and maps.ravel().tolist() == [0, 255]


def test_strong_targets_raise_one_to_three_aus_of_the_faces_own_labels(prepared):
    ds = FaceDataset(prepared, 32)
    sampler = BatchSampler(ds, 8, seed=0, target_noise=0.0, strong_targets=1.0)
    for step in range(4):
        batch = sampler.batch(step)
        changed = np.abs(batch.targets - batch.aus) > 1e-6
        assert ((changed.sum(axis=1) >= 0) & (changed.sum(axis=1) <= 3)).all()
        strong = batch.targets[changed]
        assert ((strong >= 0.4) & (strong <= 0.9)).all()
        # unchanged AUs keep the face's own labels
        np.testing.assert_array_equal(batch.targets[~changed], batch.aus[~changed])
    plain = BatchSampler(ds, 8, seed=0, target_noise=0.0).batch(0)
    assert not np.array_equal(plain.targets, plain.aus)


def test_open_crops_cache_maps_the_folders_cache_and_names_a_folder_without_one(tmp_path):
    from ganimate.training.dataset import open_crops_cache

    with pytest.raises(GanimateError, match="no cache_"):
        open_crops_cache(tmp_path)
    crops = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    np.save(tmp_path / "cache_4.npy", crops)
    np.testing.assert_array_equal(open_crops_cache(tmp_path), crops)

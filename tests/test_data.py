"""Data preparation: sub-image grid of the authors' extract script, index, test sets, manifest, bad input."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch
from skimage import io

from bench.data import sources
from bench.data.manifest import check_manifest, patch_counts
from bench.data.prepare import crop_starts, prepare
from bench.data.subimages import BatchOrder, SubImages, augment
from bench.core.images import to_unit
from bench.profile import load_profile
from bench.core.resize import imresize


def test_crop_starts_follow_the_authors_rule():
    assert crop_starts(100, 32, 16, 12) == [0, 16, 32, 48, 64]  # leftover 4 ≤ 12: no edge crop
    assert crop_starts(110, 32, 16, 12) == [0, 16, 32, 48, 64, 78]  # leftover 14 > 12: flush crop
    assert crop_starts(32, 32, 16, 12) == [0]
    assert crop_starts(31, 32, 16, 12) == []
    assert [4 * s for s in crop_starts(110, 32, 16, 12)] == crop_starts(440, 128, 64, 48)  # LR/HR agree


def test_prepared_folder(prepared):
    raw, out = prepared
    index = pd.read_csv(out / "train" / "subimages.csv")
    # img0 160×200 at scale 1: LR 40×50 → rows [0] (leftover 8 ≤ 12), columns [0, 16] (leftover 2 ≤ 12)
    lr = np.load(out / "train" / "lr" / "img0_s1.npy")
    hr = np.load(out / "train" / "hr" / "img0_s1.npy")
    assert lr.shape == (40, 50, 3) and hr.shape == (160, 200, 3)
    assert np.array_equal(lr, imresize(hr, 0.25))
    rows = index[index["image"] == "img0_s1"]
    assert sorted(set(rows["y"])) == crop_starts(40, 32, 16, 12) and sorted(set(rows["x"])) == [0, 16]
    assert set(index["image"]) >= {"img0_s0.8", "img2_s1"}
    assert not check_manifest(out)
    counts = patch_counts(out)
    assert counts.loc[0, "set"] == "tiny" and counts.loc[0, "lr_patches"] > 0 and counts.loc[0, "ok"]


def test_small_images_are_skipped_and_counted(tmp_path, hr_folder):
    for f in hr_folder.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    io.imsave(tmp_path / "small.png", np.zeros((100, 300, 3), np.uint8), check_contrast=False)
    cfg = load_profile(None, {"data": {"source": "folder", "root": str(tmp_path), "aug_scales": [1.0],
                                       "test_sets": []}}).data
    with pytest.warns(UserWarning, match=r"skipped small_s1 \(300×100\)"):
        out = prepare(cfg, tmp_path / "out")
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "skipped"] == 1


def test_corrupt_image_is_named(tmp_path):
    (tmp_path / "ok.png").write_bytes(b"")
    io.imsave(tmp_path / "ok.png", np.zeros((200, 200, 3), np.uint8), check_contrast=False)
    (tmp_path / "0042.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 cut")
    cfg = load_profile(None, {"data": {"source": "folder", "root": str(tmp_path), "test_sets": []}}).data
    with pytest.raises(ValueError, match="0042.png"):
        prepare(cfg, tmp_path / "out")
    # nothing half-written: only the (empty) lock file that keeps two preparations apart
    assert not (tmp_path / "out").exists() and [p.name for p in tmp_path.glob(".out.*")] == [".out.lock"]


def test_missing_div8k_says_what_where_and_which_key(tmp_path):
    cfg = load_profile(None, {"data": {"test_sets": [{"name": "test8k", "source": "div8k", "root":
                                                        str(tmp_path / "DIV8K"), "first": 1401, "last": 1500}]}})
    with pytest.raises(sources.DataMissing, match=r"DIV8K.*does not exist \(config key data.test_sets\[test8k\]"
                                                  r"\.root\); obtain DIV8K \(AIM 2019"):
        prepare(cfg.data, tmp_path / "out")


def test_missing_div_indices_are_listed(tmp_path):
    for i in (1401, 1403):
        io.imsave(tmp_path / f"{i}.png", np.zeros((8, 8, 3), np.uint8), check_contrast=False)
    with pytest.raises(sources.DataMissing, match=r"lacks images 1402, 1404 of 1401-1404"):
        sources.div8k(str(tmp_path), 1401, 1404, key="data.test_sets[test8k].root")
    with pytest.raises(sources.DataMissing, match="config key data.root is not set"):
        sources.div2k(None, "train", key="data.root")


def test_embedded_split_is_fixed_and_disjoint():
    train, test = sources.embedded("train"), sources.embedded("test")
    assert len(train) == 10 and [r.name for r in test] == ["coffee", "rocket", "hubble_deep_field"]
    assert not {r.name for r in train} & {r.name for r in test} and "retina" not in {r.name for r in train}
    hopper = next(r for r in train if r.name == "grace_hopper").load()  # matplotlib's sample photograph
    assert hopper.shape == (600, 512, 3) and hopper.dtype == np.uint8
    img = train[-1].load()  # gravel: a gray texture converted to RGB
    assert img.shape == (512, 512, 3) and np.array_equal(img[..., 0], img[..., 2])


def test_manifest_detects_changes(prepared, tmp_path):
    _, out = prepared
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(out, copy)
    np.save(copy / "train" / "lr" / "img0_s1.npy", np.zeros((40, 50, 3), np.uint8))
    (copy / "test" / "tiny" / "pairs.csv").unlink()
    problems = check_manifest(copy)
    assert "changed: train/lr/img0_s1.npy" in problems and any(re.match("missing: test/tiny/pairs.csv", p)
                                                               for p in problems)


def test_batches_are_a_pure_function_of_seed_and_iteration(prepared):
    _, out = prepared
    n = len(pd.read_csv(out / "train" / "subimages.csv"))
    a, b = BatchOrder(n, 4, seed=10), BatchOrder(n, 4, seed=10)
    assert np.array_equal(a.indices(7), b.indices(7)) and torch.equal(a.flags(7), b.flags(7))
    epoch = np.concatenate([a.indices(t) for t in range(1, n // 4 + 1)])
    assert len(set(epoch.tolist())) == len(epoch)  # no repeats within an epoch
    assert not np.array_equal(BatchOrder(n, 4, seed=11).indices(1), a.indices(1))


def test_crops_and_augmentation_keep_pairs_aligned(prepared):
    _, out = prepared
    subs = SubImages(out, pd.read_csv(out / "train" / "subimages.csv"), scale=4)
    lr, hr = subs.crop(np.array([0, 3]))
    assert lr.shape == (2, 3, 32, 32) and hr.shape == (2, 3, 128, 128)
    down = torch.from_numpy(imresize(hr[1].permute(1, 2, 0).numpy() * 255, 0.25)).permute(2, 0, 1) / 255
    assert (down - lr[1]).abs()[:, 2:-2, 2:-2].max() < 1.5 / 255  # same place (borders differ: image context)
    flags = torch.tensor([[True, False, True], [False, True, False]])
    alr, ahr = augment(lr, hr, flags)
    assert torch.equal(alr[0], lr[0].flip(-1).transpose(-1, -2)) and torch.equal(ahr[1], hr[1].flip(-2))


def test_crops_flipped_while_cut_equal_the_augmented_batch_bit_for_bit(prepared):
    """The loader flips crops as numpy views (one copy); the batches must equal augment() of the plain crops, for
    every combination of the three flags, so trained weights do not depend on where the flips happen."""
    _, out = prepared
    subs = SubImages(out, pd.read_csv(out / "train" / "subimages.csv"), scale=4)
    idx = np.arange(8) % len(subs)
    flags = torch.tensor([[bool(k & 1), bool(k & 2), bool(k & 4)] for k in range(8)])
    want_lr, want_hr = augment(*subs.crop(idx), flags)
    got_lr, got_hr = subs.crop(idx, flags.numpy())
    assert torch.equal(got_lr, want_lr) and torch.equal(got_hr, want_hr)
    assert got_hr.is_contiguous() and not torch.equal(got_hr, subs.crop(idx)[1])
    c, y, x = subs.codes[idx[1]], subs.ys[idx[1]], subs.xs[idx[1]]  # the values of to_unit, converted per batch
    plain = to_unit(np.asarray(subs._array("lr", c)[y:y + 32, x:x + 32]))
    assert np.array_equal(subs.crop(idx[1:2])[0][0].numpy(), plain.transpose(2, 0, 1))


def test_training_crops_the_patch_size_that_prepare_cut(tmp_path, hr_folder):
    cfg = load_profile(None, {"data": {"source": "folder", "root": str(hr_folder), "aug_scales": [1.0],
                                       "lr_patch": 24, "lr_step": 12, "test_sets": []}}).data
    out = prepare(cfg, tmp_path / "out")
    index = pd.read_csv(out / "train" / "subimages.csv")
    lr, hr = SubImages(out, index, scale=4).crop(np.array([0, 1]))
    assert lr.shape == (2, 3, 24, 24) and hr.shape == (2, 3, 96, 96)
    assert SubImages(out, index.drop(columns="size"), scale=4).patch == 32  # indexes written before the column
    mixed = pd.concat([index.head(2), index.head(1).assign(size=32)])
    with pytest.raises(ValueError, match=r"mixes patch sizes \[24, 32\]"):
        SubImages(out, mixed, scale=4)


def test_loader_workers_give_the_same_batches_in_order(prepared):
    from bench.data.subimages import batch_loader

    _, out = prepared
    subs = SubImages(out, pd.read_csv(out / "train" / "subimages.csv"), scale=4)
    order = BatchOrder(len(subs), 3, seed=10)
    serial = list(batch_loader(subs, order, 2, 7, workers=0, pin=False))
    parallel = list(batch_loader(subs, order, 2, 7, workers=2, pin=False))
    assert len(serial) == len(parallel) == 5
    for (a_lr, a_hr), (b_lr, b_hr) in zip(serial, parallel):
        assert torch.equal(a_lr, b_lr) and torch.equal(a_hr, b_hr)


def test_prepare_refuses_a_folder_made_from_another_config(tmp_path, hr_folder):
    from bench.data.prepare import DataConflict

    raw = {"data": {"source": "folder", "root": str(hr_folder), "aug_scales": [1.0], "test_sets": []}}
    out = prepare(load_profile(None, raw).data, tmp_path / "out")
    assert prepare(load_profile(None, {"data": {**raw["data"], "jobs": 2}}).data, out) == out  # same content
    changed = load_profile(None, {"data": {**raw["data"], "aug_scales": [1.0, 0.8]}}).data
    with pytest.raises(DataConflict, match=re.escape("data.aug_scales: [1.0] → [1.0, 0.8]") + ".*--force"):
        prepare(changed, out)
    prepare(changed, out, force=True)
    assert "img0_s0.8" in set(pd.read_csv(out / "train" / "subimages.csv")["image"])

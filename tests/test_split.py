"""Class split: per-sub-image PSNR, paper and quantile thresholds, class numbering, empty classes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from bench.core.images import to_image
from bench.core.metrics import psnr
from bench.train.split import PAPER_THRESHOLDS, assign, patch_psnr, split, thresholds_for


def test_patch_psnr_equals_the_metric_on_8bit_images():
    sr, hr = torch.rand(3, 3, 128, 128), torch.round(torch.rand(3, 3, 128, 128) * 255) / 255
    got = patch_psnr(sr, hr, crop=4)
    for i in range(3):
        assert got[i].item() == pytest.approx(psnr(to_image(sr[i]), to_image(hr[i]), crop_border=4), abs=1e-9)
    assert patch_psnr(hr, hr, crop=4).tolist() == [80.0] * 3


def test_paper_thresholds_and_class_order():
    psnrs = np.array([20.0, 27.16881, 27.16882, 30.0, 35.14976, 35.149761, 40.0])
    assert assign(psnrs, PAPER_THRESHOLDS).tolist() == [2, 2, 1, 1, 1, 0, 0]  # 0 = simple, 2 = hard
    assert thresholds_for(psnrs, 3, "paper") == PAPER_THRESHOLDS
    with pytest.raises(ValueError, match="3 classes"):
        thresholds_for(psnrs, 4, "paper")


@pytest.mark.parametrize("m", [2, 3, 4])
def test_quantile_thresholds_give_equal_classes(m):
    psnrs = np.random.default_rng(m).normal(30, 4, 1200)
    counts = np.bincount(assign(psnrs, thresholds_for(psnrs, m, "quantile")), minlength=m)
    assert counts.tolist() == [1200 // m] * m
    high = np.argmax(psnrs)
    assert assign(psnrs[[high]], thresholds_for(psnrs, m, "quantile"))[0] == 0


def test_explicit_thresholds_must_fit(tmp_path):
    with pytest.raises(ValueError, match="2 ascending"):
        thresholds_for(np.zeros(3), 3, (35.0, 27.0))


def test_empty_class_suggests_quantiles(tmp_path):
    index = pd.DataFrame({"image": ["a"] * 4, "y": [0, 16, 32, 48], "x": 0})
    with pytest.raises(ValueError, match=r"class\(es\) \[0\] empty.*split.thresholds: quantile"):
        split(index, np.array([24.0, 25.0, 28.0, 30.0]), num_classes=3, mode="paper", out=tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists()
    table = split(index, np.array([24.0, 25.0, 28.0, 36.0]), num_classes=3, mode="paper", out=tmp_path / "c.csv")
    assert table["class"].tolist() == [2, 2, 1, 0]
    assert pd.read_csv(tmp_path / "c.csv")["class"].tolist() == [2, 2, 1, 0]


def test_tied_quantiles_do_not_advise_quantiles(tmp_path):
    index = pd.DataFrame({"image": ["a"] * 4, "y": [0, 16, 32, 48], "x": 0})
    with pytest.raises(ValueError, match=r"quantile thresholds .* empty .*share a PSNR") as err:
        split(index, np.array([30.0, 30.0, 30.0, 31.0]), num_classes=3, mode="quantile", out=tmp_path / "c.csv")
    assert "use split.thresholds: quantile" not in str(err.value)

"""MATLAB-compatible bicubic imresize (spec §4; ecosystem notes: torch antialiased bicubic on a symmetrically
padded image matches MATLAB to 1e-13 for integer downscaling — used here as the independent reference)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bench.core.resize import bicubic_degrade, contributions, imresize, mod_crop


def torch_reference(img: np.ndarray, factor: int) -> np.ndarray:
    p = 2 * factor
    padded = np.pad(img, ((p, p), (p, p), (0, 0)), mode="symmetric")
    t = torch.from_numpy(padded).permute(2, 0, 1)[None]
    out = F.interpolate(t, scale_factor=1 / factor, mode="bicubic", antialias=True, align_corners=False)
    return out[0].permute(1, 2, 0).numpy()[2:-2, 2:-2]


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_matches_the_matlab_reference(factor):
    img = np.random.default_rng(factor).random((48, 60, 3)) * 255
    ours = imresize(img, 1 / factor)
    assert ours.shape == (48 // factor, 60 // factor, 3)
    np.testing.assert_allclose(ours, torch_reference(img, factor), atol=1e-10)


def test_known_values():
    # A linear ramp is reproduced exactly in the interior by the normalised cubic kernel: the ×½ pixel i
    # averages HR pixels 2i and 2i + 1, i.e. value 2i + 0.5 on a ramp 0, 1, 2, …
    ramp = np.tile(np.arange(32, dtype=np.float64), (8, 1))
    half = imresize(ramp, 0.5)
    np.testing.assert_allclose(half[2, 3:13], 2 * np.arange(3, 13) + 0.5, atol=1e-12)
    const = np.full((20, 30, 3), 77, np.uint8)
    assert np.array_equal(imresize(const, 0.25), np.full((5, 8, 3), 77, np.uint8))  # ceil(30/4) = 8
    # MATLAB's 1-based mapping u = x/s + ½(1 − 1/s) and kernel widened by 1/s when downscaling.
    idx, w = contributions(8, 2, 0.25)
    np.testing.assert_allclose(w.sum(axis=1), 1)
    assert idx.min() >= 0 and idx.max() <= 7


def test_output_sizes_rounding_and_identity():
    img = np.random.default_rng(0).integers(0, 256, (135, 204, 3), dtype=np.uint8)
    assert imresize(img, 0.9).shape == (122, 184, 3)  # MATLAB: ceil(121.5), ceil(183.6)
    assert imresize(img, 0.9).dtype == np.uint8
    assert np.array_equal(imresize(img, 1.0), img)
    # Round half up like MATLAB (numpy's round would give 2 for 2.5).
    ref = np.floor(imresize(img.astype(np.float64), 0.5) + 0.5).clip(0, 255)
    assert np.array_equal(imresize(img, 0.5), ref.astype(np.uint8))


def test_mod_crop_and_degrade():
    img = np.zeros((103, 130, 3), np.uint8)
    assert mod_crop(img, 4).shape == (100, 128, 3)
    hr, lr = bicubic_degrade(img, 4)
    assert hr.shape == (100, 128, 3) and lr.shape == (25, 32, 3)


def test_bad_scale():
    with pytest.raises(ValueError, match="positive"):
        imresize(np.zeros((4, 4)), 0)

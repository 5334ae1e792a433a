"""PSNR / SSIM known values and the MATLAB-style SSIM definition (spec §5, ecosystem notes)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import correlate2d

from bench.core.metrics import psnr, rgb_to_y, ssim


def matlab_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al. 2004 as in the MATLAB reference: 11×11 Gaussian σ=1.5, 'valid' filtering, L = 255."""
    x = np.arange(-5, 6)
    g = np.exp(-(x ** 2) / (2 * 1.5 ** 2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    f = lambda img: correlate2d(img, w, mode="valid")  # noqa: E731
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu1, mu2 = f(a), f(b)
    s1, s2, s12 = f(a * a) - mu1 ** 2, f(b * b) - mu2 ** 2, f(a * b) - mu1 * mu2
    return float(np.mean((2 * mu1 * mu2 + c1) * (2 * s12 + c2) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s1 + s2 + c2))))


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (40, 36, 3)).astype(np.float64)
    sr = np.clip(hr + rng.normal(0, 8, hr.shape), 0, 255).round()
    return sr, hr


def test_psnr_known_values():
    zeros = np.zeros((16, 16, 3))
    assert psnr(zeros + 1, zeros) == pytest.approx(20 * math.log10(255))  # MSE 1 → 48.1308 dB
    assert psnr(zeros + 1, zeros) == pytest.approx(48.130803608679)
    assert psnr(zeros, zeros) == 80.0  # the authors' value for identical images
    assert psnr(zeros + 255, zeros, y_channel=True) == pytest.approx(20 * math.log10(255 / 219))


def test_crop_border_removes_the_border():
    hr = np.full((20, 20, 3), 100.0)
    sr = hr.copy()
    sr[:4] = 0
    sr[:, -4:] = 0
    assert psnr(sr, hr, crop_border=4) == 80.0
    assert psnr(sr, hr, crop_border=0) < 20
    assert ssim(sr, hr, crop_border=4) == pytest.approx(1.0)


def test_bt601_luma():
    px = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]], dtype=np.uint8)
    np.testing.assert_allclose(rgb_to_y(px)[0], [235, 16, 81.481, 144.553, 40.966], atol=1e-9)


def test_ssim_is_the_matlab_definition(pair):
    sr, hr = pair
    c = 4
    ref_rgb = np.mean([matlab_ssim(sr[c:-c, c:-c, k], hr[c:-c, c:-c, k]) for k in range(3)])
    assert ssim(sr, hr) == pytest.approx(ref_rgb, abs=1e-9)
    ref_y = matlab_ssim(rgb_to_y(sr)[c:-c, c:-c], rgb_to_y(hr)[c:-c, c:-c])
    assert ssim(sr, hr, y_channel=True) == pytest.approx(ref_y, abs=1e-9)
    assert ssim(hr, hr) == pytest.approx(1.0)


def test_psnr_matches_its_formula_on_rgb_and_y(pair):
    sr, hr = pair
    mse = np.mean((sr[4:-4, 4:-4] - hr[4:-4, 4:-4]) ** 2)
    assert psnr(sr, hr) == pytest.approx(10 * math.log10(255 ** 2 / mse))
    y_mse = np.mean((rgb_to_y(sr)[4:-4, 4:-4] - rgb_to_y(hr)[4:-4, 4:-4]) ** 2)
    assert psnr(sr, hr, y_channel=True) == pytest.approx(10 * math.log10(255 ** 2 / y_mse))
    assert psnr(sr.astype(np.uint8), hr.astype(np.uint8)) == pytest.approx(psnr(sr, hr))  # no uint8 wrap-around


@pytest.mark.parametrize("sr,hr,match", [
    (np.zeros((8, 8)), np.zeros((8, 8)), r"\(H, W, 3\)"),
    (np.zeros((8, 8, 4)), np.zeros((8, 8, 4)), r"\(H, W, 3\)"),
    (np.zeros((8, 8, 3)), np.zeros((8, 9, 3)), "differ"),
    (np.zeros((8, 8, 3)), np.zeros((8, 8, 3)), "crop_border"),
])
def test_bad_inputs(sr, hr, match):
    with pytest.raises(ValueError, match=match):
        psnr(sr, hr)

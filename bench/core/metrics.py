"""PSNR and SSIM as the SR literature computes them (ClassSR, Kong et al., CVPR 2021, §4.1; spec §5).

Images are numpy arrays of shape (H, W, 3), RGB, on the 0–255 scale (uint8 or float). ``crop_border`` pixels
are removed on every side before comparing (the paper: ``scale`` = 4). Defaults are the paper's protocol:
PSNR on RGB (all three channels in one MSE), 4-px crop. ``y_channel=True`` uses MATLAB's BT.601 luma
(``rgb2ycbcr``: Y = 16 + 65.481 R + 128.553 G + 24.966 B for R, G, B in [0, 1]).

SSIM is the standard MATLAB-style SSIM of Wang et al. (2004): 11×11 Gaussian window, σ = 1.5, K = (0.01, 0.03),
population covariance, mean over the 'valid' region, averaged over channels for RGB. scikit-image computes
exactly this with the arguments below (its defaults do not: a 7×7 uniform window).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from skimage.color import rgb2ycbcr
from skimage.metrics import structural_similarity

#: The authors' PSNR for identical images (spec §5) — finite so dataset means stay finite.
PSNR_IDENTICAL = 80.0


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """BT.601 luma on the 0–255 scale (range 16–235) of an RGB image on the 0–255 scale."""
    _check_rgb(img, "img")
    return rgb2ycbcr(np.asarray(img, dtype=np.float64) / 255.0)[..., 0]


def _check_rgb(img, name: str) -> None:
    if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3:
        shape = getattr(img, "shape", type(img).__name__)
        raise ValueError(f"{name} must be an (H, W, 3) RGB array on the 0–255 scale, got {shape}")


def _prepare(sr, hr, crop_border: int, y_channel: bool) -> tuple[np.ndarray, np.ndarray]:
    _check_rgb(sr, "sr")
    _check_rgb(hr, "hr")
    if sr.shape != hr.shape:
        raise ValueError(f"sr and hr shapes differ: {sr.shape} vs {hr.shape}")
    if crop_border < 0 or 2 * crop_border >= min(sr.shape[:2]):
        raise ValueError(f"crop_border {crop_border} leaves nothing of a {sr.shape[0]}×{sr.shape[1]} image")
    sr, hr = (np.asarray(a, dtype=np.float64) for a in (sr, hr))
    if y_channel:
        sr, hr = rgb_to_y(sr), rgb_to_y(hr)
    if crop_border:
        sr, hr = (a[crop_border:-crop_border, crop_border:-crop_border] for a in (sr, hr))
    return sr, hr


def psnr(sr: np.ndarray, hr: np.ndarray, *, crop_border: int = 4, y_channel: bool = False) -> float:
    """PSNR in dB, 20·log10(255 / √MSE); 80 dB for identical images as in the authors' code."""
    sr, hr = _prepare(sr, hr, crop_border, y_channel)
    mse = float(np.mean((sr - hr) ** 2))
    return PSNR_IDENTICAL if mse == 0 else 20 * math.log10(255.0 / math.sqrt(mse))


def ssim(sr: np.ndarray, hr: np.ndarray, *, crop_border: int = 4, y_channel: bool = False) -> float:
    """MATLAB-style SSIM (unitless, ≤ 1) on RGB (channel mean) or Y."""
    sr, hr = _prepare(sr, hr, crop_border, y_channel)
    return float(structural_similarity(sr, hr, data_range=255, gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False, channel_axis=None if y_channel else -1))


@dataclass(frozen=True)
class Metric:
    """A per-image quality metric of the evaluation: its CSV column (unit in the name), how a test set's value is
    formed from the images' ones (``average``: a pandas reduction, "mean" as the paper), the regression
    tolerance ``compare`` allows (absolute, in the metric's unit), and the function of (sr, hr, crop_border)
    on (H, W, 3) arrays on the 0–255 scale."""

    column: str
    unit: str
    fn: Callable[[np.ndarray, np.ndarray, int], float]
    tolerance: float
    average: str = "mean"
    higher_is_better: bool = True
    primary: bool = True
    """False for a protocol variant (the same measure under another border crop): ``compare`` checks it where a
    reference has it and does not demand it of a reference made before it existed."""


#: Every metric the evaluation computes, the tables average and ``compare`` checks, in column order. A new metric
#: is one entry here (and its column in the reference CSVs).
METRICS: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    if metric.column in METRICS:
        raise KeyError(f"metric {metric.column!r} registered twice")
    METRICS[metric.column] = metric
    return metric


register_metric(Metric("psnr_rgb_db", "dB", lambda sr, hr, c: psnr(sr, hr, crop_border=c), tolerance=0.05))
register_metric(Metric("psnr_y_db", "dB", lambda sr, hr, c: psnr(sr, hr, crop_border=c, y_channel=True),
                       tolerance=0.05))
register_metric(Metric("ssim_rgb", "", lambda sr, hr, c: ssim(sr, hr, crop_border=c), tolerance=0.002))
register_metric(Metric("ssim_y", "", lambda sr, hr, c: ssim(sr, hr, crop_border=c, y_channel=True),
                       tolerance=0.002))


# The protocol matrix (issue 25): the same four measures with no border crop — what papers and toolboxes that do not
# shave ``scale`` pixels report (tables/protocol.* shows how far each model moves).
register_metric(Metric("psnr_rgb_crop0_db", "dB", lambda sr, hr, c: psnr(sr, hr, crop_border=0), tolerance=0.05,
                       primary=False))
register_metric(Metric("psnr_y_crop0_db", "dB", lambda sr, hr, c: psnr(sr, hr, crop_border=0, y_channel=True),
                       tolerance=0.05, primary=False))
register_metric(Metric("ssim_rgb_crop0", "", lambda sr, hr, c: ssim(sr, hr, crop_border=0), tolerance=0.002,
                       primary=False))
register_metric(Metric("ssim_y_crop0", "", lambda sr, hr, c: ssim(sr, hr, crop_border=0, y_channel=True),
                       tolerance=0.002, primary=False))


def scores(sr: np.ndarray, hr: np.ndarray, crop_border: int) -> dict[str, float]:
    """Every registered metric of one image pair."""
    return {m.column: m.fn(sr, hr, crop_border) for m in METRICS.values()}

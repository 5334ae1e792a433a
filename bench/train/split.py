"""Class split of the training sub-images (ClassSR, Kong et al., CVPR 2021, §4.1; spec §4).

Each 32×32 LR sub-image is super-resolved by a reference MSRResNet (width 64); its RGB PSNR against the 128×128
HR sub-image (4-px crop, SR rounded to 8 bits as the authors' test.py does) decides its class. Classes are
numbered by difficulty: 0 = simple (highest PSNR, narrowest branch) … M − 1 = hard (the original network).
Thresholds: the paper's 27.16882 / 35.149761 dB (DIV2K, M = 3) or the 1/M … (M−1)/M quantiles.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..data.subimages import SubImages
from ..core.metrics import PSNR_IDENTICAL
from ..provenance import write_atomic

PAPER_THRESHOLDS = (27.16882, 35.149761)


def patch_psnr(sr: torch.Tensor, hr: torch.Tensor, crop: int) -> torch.Tensor:
    """Per-sample RGB PSNR (dB) of SR rounded to 8 bits vs HR, both (n, 3, H, W) in [0, 1]."""
    # float32 product then rounding, exactly as the authors' tensor2img (and bench.core.images.to_image)
    sr8 = torch.round(sr.clamp(0, 1).float() * 255).double()
    hr8 = torch.round(hr.float() * 255).double()
    if crop:
        sr8, hr8 = sr8[..., crop:-crop, crop:-crop], hr8[..., crop:-crop, crop:-crop]
    mse = ((sr8 - hr8) ** 2).mean(dim=(1, 2, 3))
    psnr = 10 * torch.log10(255.0 ** 2 / mse)
    return torch.where(mse == 0, torch.full_like(psnr, PSNR_IDENTICAL), psnr)


@torch.no_grad()
def reference_psnr(model: nn.Module, subs: SubImages, *, batch_size: int = 64, device: str = "cpu") -> np.ndarray:
    model = model.to(device).eval()
    out = np.empty(len(subs))
    for start in range(0, len(subs), batch_size):
        idx = np.arange(start, min(start + batch_size, len(subs)))
        lr, hr = subs.crop(idx)
        out[idx] = patch_psnr(model(lr.to(device)).cpu(), hr, subs.scale).numpy()
    return out


def thresholds_for(psnr: np.ndarray, num_classes: int, mode) -> tuple[float, ...]:
    if isinstance(mode, (tuple, list)):
        t = tuple(float(v) for v in mode)
    elif mode == "paper":
        if num_classes != 3:
            raise ValueError(f"the paper's thresholds define 3 classes, not {num_classes}; use 'quantile'")
        t = PAPER_THRESHOLDS
    elif mode == "quantile":
        t = tuple(float(q) for q in np.quantile(psnr, [k / num_classes for k in range(1, num_classes)]))
    else:
        raise ValueError(f"thresholds must be 'paper', 'quantile' or a list of dB values, got {mode!r}")
    if len(t) != num_classes - 1 or list(t) != sorted(t):
        raise ValueError(f"need {num_classes - 1} ascending thresholds for {num_classes} classes, got {list(t)}")
    return t


def assign(psnr: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    """Class per sub-image: PSNR ≥ the highest threshold → 0 (simple); below the lowest → M − 1 (hard)."""
    return len(thresholds) - np.searchsorted(np.asarray(thresholds), psnr, side="right")


def split(index: pd.DataFrame, psnr: np.ndarray, *, num_classes: int, mode, out: str | Path) -> pd.DataFrame:
    """Write the class table (image, y, x, psnr_db, class) atomically; refuse a split with an empty class."""
    t = thresholds_for(psnr, num_classes, mode)
    table = index[[c for c in ("image", "y", "x", "size") if c in index]].assign(psnr_db=psnr, **{"class": assign(psnr, t)})
    counts = np.bincount(table["class"], minlength=num_classes)
    if (counts == 0).any():
        advice = ("many sub-images share a PSNR (e.g. flat ones), so quantiles coincide: use fewer classes or "
                  "more varied training images" if mode == "quantile" else
                  "use split.thresholds: quantile for data unlike DIV2K")
        raise ValueError(f"class split with {mode if isinstance(mode, str) else 'given'} thresholds "
                         f"{[round(v, 3) for v in t]} dB leaves class(es) {np.flatnonzero(counts == 0).tolist()} "
                         f"empty (counts {counts.tolist()}); {advice}")
    write_atomic(out, lambda tmp: table.to_csv(tmp, index=False, float_format="%.6f"))
    return table

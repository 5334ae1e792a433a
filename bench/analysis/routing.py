"""Per-patch cache of a trained ClassSR model: every branch's (and bicubic's) error on every test patch, the
classifier's logits, the patch's pixel count — one SR pass per (model, test set), from which every routing policy
of ``bench.analysis.routing_curves`` is derived without running a network again (issue: routing analysis beyond the paper).

Patch-decomposed image error: the 32/28 grid overlaps by 4 LR px; each HR pixel of the covered area is assigned
to one patch (its *core*: the overlap split at its middle) and the metric's ``scale``-px border is left out, so
Σ over a routing's patches of SSE_k / Σ pixels is the image MSE of that routing with non-averaged overlaps. It
differs from the evaluated (stitched, overlap-averaged) PSNR by the overlap mixing only; the report states the
gap at the classifier's own routing.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from .evaluate import bicubic_upscale, model_costs, testset_pairs, to_255
from ..core.images import read_image, to_tensor
from ..core.tiling import extract, make_grid


def _cores(starts: tuple[int, ...], patch: int) -> list[tuple[int, int]]:
    """[lo, hi) of each patch's own rows (or columns): overlaps split at their middle, so the cores tile."""
    bounds = [starts[0]] + [(a + patch + b) // 2 if b < a + patch else b for a, b in zip(starts, starts[1:])]
    return list(zip(bounds, bounds[1:] + [starts[-1] + patch]))


def _sse(sr: np.ndarray, hr: np.ndarray, box) -> tuple[float, int]:
    (y0, y1), (x0, x1) = box
    d = sr[..., y0:y1, x0:x1] - hr[..., y0:y1, x0:x1]
    return float((d * d).sum()), d.size


@torch.no_grad()
def image_patches(model: nn.Module, lr_img: np.ndarray, hr_img: np.ndarray, *, coverage: str = "paper",
                  batch_size: int = 64) -> pd.DataFrame:
    """One row per patch of one image (8- or 16-bit (H, W, 3) arrays as read): logits, and the SSE and pixel
    count of every branch and of bicubic (SR rounded to 8 bits, on the 0–255 scale) on the patch's core inside
    the metric's border crop."""
    lr = to_tensor(lr_img)
    s, (h, w) = model.scale, lr.shape[1:]
    grid = make_grid(h, w, coverage=coverage)
    ch, cw = grid.covered_hr(s)
    if hr_img.shape[0] < ch or hr_img.shape[1] < cw:
        raise ValueError(f"HR {hr_img.shape[1]}×{hr_img.shape[0]} is smaller than {s}× the LR's covered "
                         f"{cw // s}×{ch // s}")
    hr = to_255(hr_img)[:ch, :cw].transpose(2, 0, 1)
    bicubic = bicubic_upscale(to_255(lr_img), s, ch, cw).transpose(2, 0, 1)  # the tables' bicubic row
    cores = {(y, x): ((max(s * y0, s), min(s * y1, ch - s)), (max(s * x0, s), min(s * x1, cw - s)))
             for y, (y0, y1) in zip(grid.ys, _cores(grid.ys, grid.patch))
             for x, (x0, x1) in zip(grid.xs, _cores(grid.xs, grid.patch))}
    device, rows = next(model.parameters()).device, []
    for start in range(0, len(grid), batch_size):
        x = extract(lr, grid, start, min(start + batch_size, len(grid))).to(device)
        logits = model.router(x).float().cpu().numpy()
        outs = [torch.round(b(x).clamp(0, 1) * 255).cpu().numpy() for b in model.branches]
        for i in range(len(x)):
            y, xx = grid.position(start + i)
            box = cores[(y, xx)]
            hr_patch = hr[:, s * y:s * (y + grid.patch), s * xx:s * (xx + grid.patch)]
            local = tuple((lo - s * o, hi - s * o) for (lo, hi), o in zip(box, (y, xx)))
            row = {"patch": start + i, **{f"logit{k}": float(v) for k, v in enumerate(logits[i])}}
            for k, out in enumerate(outs):
                row[f"sse_branch{k}"], row["pixels"] = _sse(out[i], hr_patch, local)
            row["sse_bicubic"] = _sse(bicubic, hr, box)[0]
            rows.append(row)
    return pd.DataFrame(rows)


def patch_cache(model: nn.Module, *, testset, coverage: str = "paper", batch_size: int = 64) -> pd.DataFrame:
    """:func:`image_patches` of every image of a prepared test set (column ``image`` first)."""
    if getattr(model, "router", None) is None:  # the logits cached per patch are a router module's
        raise TypeError(f"routing analysis needs a model with a learned router (ClassSR), got {type(model).__name__}")
    frames = []
    for name, lr_path, hr_path in testset_pairs(Path(testset), scale=model.scale):
        frames.append(image_patches(model, read_image(lr_path), read_image(hr_path), coverage=coverage,
                                    batch_size=batch_size).assign(image=name))
    df = pd.concat(frames, ignore_index=True)
    return df[["image"] + [c for c in df.columns if c != "image"]]


def branch_costs(model: nn.Module) -> pd.DataFrame:
    """FLOPs (paper convention) and MACs per 32×32 patch of every branch, bicubic (0) and the classifier."""
    costs = model_costs(model)
    rows = [{"part": f"branch{k}", "flops_paper": costs["paper"][0][k], "macs": costs["macs"][0][k]}
            for k in range(model.num_classes)]
    rows += [{"part": "bicubic", "flops_paper": 0.0, "macs": 0.0},
             {"part": "classifier", "flops_paper": costs["paper"][1], "macs": costs["macs"][1]}]
    return pd.DataFrame(rows)

"""Evaluation of one model on one test set with the paper's protocol (spec §5), one tidy row per image.

Per image: tile the LR (32/28, the authors' grid), route and super-resolve (8-bit patches, overlap-averaged),
crop the HR to the covered area, then RGB and Y PSNR/SSIM with a ``scale``-px border crop, the patch count per
class and FLOPs per patch: ``flops_paper`` (the paper's convention, our exact counts, classifier included for
every ClassSR model), ``flops_authors`` (the authors' bookkeeping: rounded constants, classifier for FSRCNN only;
empty when the widths are not the paper's), ``macs`` (true multiply-adds) and the wall time.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from torch import nn

from . import flops
from .images import read_image, to_tensor
from .inference import prepare, sync, upscale
from .metrics import psnr, ssim
from .models import PAPER_WIDTHS, ClassSR
from .tiling import make_grid


def model_costs(model: nn.Module) -> dict[str, tuple]:
    """Per-branch costs (a single network is one branch) and the classifier's, in both conventions."""
    out = {}
    for conv in flops.CONVENTIONS:
        if isinstance(model, ClassSR):
            c = flops.classsr_costs(model, 32, conv)
            out[conv] = (c.branches, c.classifier)
        else:
            out[conv] = ((flops.count(model, 32, conv),), 0)
    return out


def _authors_flops(model: nn.Module, backbone: str, counts: list[int]) -> float:
    widths = model.widths if isinstance(model, ClassSR) else (model.width,)
    paper = PAPER_WIDTHS.get(backbone, ())
    if isinstance(model, ClassSR):
        return flops.authors_average(backbone, counts) if tuple(widths) == tuple(paper) else np.nan
    return flops.AUTHORS_CONSTANTS[backbone][-1] if widths[0] == paper[-1] else np.nan


def evaluate_image(model: nn.Module, lr_path: Path, hr_path: Path, *, batch_size: int,
                   coverage: str = "paper") -> dict:
    lr = to_tensor(read_image(lr_path), name=str(lr_path))
    hr_raw = read_image(hr_path)
    hr = hr_raw.astype(np.float64) * (255.0 / 65535 if hr_raw.dtype == np.uint16 else 1.0)
    device = next(model.parameters()).device
    sync(device)
    start = time.perf_counter()
    sr, classes = upscale(model, lr, coverage=coverage, batch_size=batch_size)
    sync(device)
    elapsed_ms = (time.perf_counter() - start) * 1000
    sr_img = sr.numpy().transpose(1, 2, 0).astype(np.float64) * 255.0  # overlaps stay float, as the authors'
    gt = hr[: sr_img.shape[0], : sr_img.shape[1]]
    if gt.shape != sr_img.shape:
        raise ValueError(f"{hr_path}: HR {hr.shape[1]}×{hr.shape[0]} is smaller than {model.scale}× its LR")
    c = model.scale
    n = len(make_grid(lr.shape[1], lr.shape[2], coverage=coverage))
    return {"psnr_rgb_db": psnr(sr_img, gt, crop_border=c),
            "psnr_y_db": psnr(sr_img, gt, crop_border=c, y_channel=True),
            "ssim_rgb": ssim(sr_img, gt, crop_border=c), "ssim_y": ssim(sr_img, gt, crop_border=c, y_channel=True),
            "time_ms": elapsed_ms, "patches": n, "classes": classes, "sr": sr}


def evaluate(model: nn.Module, *, backbone: str, model_id: str, testset: str | Path, batch_size: int = 64,
             coverage: str = "paper", routing_out: str | Path | None = None,
             sample_out: str | Path | None = None) -> pd.DataFrame:
    """One row per image of ``testset`` (a prepared folder with ``pairs.csv``). ``coverage``: the authors' grid
    (``paper``, the right/bottom remainder dropped) or ``full`` (edge-flush patches cover the whole image)."""
    testset = Path(testset)
    prepare(model)  # the engine's fast path: channels_last weights, transposed convs as conv + shuffle
    pairs = pd.read_csv(testset / "pairs.csv")
    root = testset.parents[1]  # pairs hold paths relative to the prepared data folder (or absolute)
    costs, routed = model_costs(model), isinstance(model, ClassSR)
    rows, routing = [], []
    for i, pair in enumerate(pairs.itertuples()):
        res = evaluate_image(model, root / pair.lr, root / pair.hr, batch_size=batch_size, coverage=coverage)
        counts = np.bincount(res["classes"].numpy(), minlength=model.num_classes).tolist() if routed \
            else [res["patches"]]
        row = {"testset": testset.name, "image": pair.name, "backbone": backbone, "model": model_id,
               "variant": "classsr" if routed else "original", "patches": res["patches"],
               **{k: res[k] for k in ("psnr_rgb_db", "psnr_y_db", "ssim_rgb", "ssim_y")},
               **({f"n_class{k}": n for k, n in enumerate(counts)} if routed else {})}
        for conv, col in (("paper", "flops_paper"), ("macs", "macs")):
            branch, classifier = costs[conv]
            row[col] = flops.average(branch, counts, classifier_cost=classifier)
        row["flops_authors"] = _authors_flops(model, backbone, counts)
        row["time_ms"] = res["time_ms"]
        rows.append(row)
        if routed:
            routing.append(pd.DataFrame({"image": pair.name, "patch": np.arange(len(res["classes"])),
                                         "class": res["classes"].numpy()}))
        if i == 0 and sample_out:
            from skimage import io

            io.imsave(sample_out, np.round(res["sr"].numpy().transpose(1, 2, 0) * 255).astype(np.uint8),
                      check_contrast=False)
    if routing_out:
        frame = pd.concat(routing) if routing else pd.DataFrame(columns=["image", "patch", "class"])
        frame.to_csv(routing_out, index=False)
    return pd.DataFrame(rows)

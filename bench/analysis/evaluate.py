"""Evaluation of one model on one test set with the paper's protocol (spec §5), one tidy row per image.

Per image: tile the LR (32/28, the authors' grid), route and super-resolve (8-bit patches, overlap-averaged),
crop the HR to the covered area, then RGB and Y PSNR/SSIM with a ``scale``-px border crop, the patch count per
class and FLOPs per patch: ``flops_paper`` (the paper's convention, our exact counts, classifier included for
every ClassSR model), ``flops_authors`` (the authors' bookkeeping: rounded constants, classifier for FSRCNN only;
empty when the widths are not the paper's), ``macs`` (true multiply-adds), ``flops_image`` (paper convention, the
whole image: per-patch rate × patches run, or × covered LR area / 32² for a whole-image method as PCSR) and the
wall time.

``evaluate_bicubic`` gives the zero-FLOPs reference every table and plot shows: MATLAB-bicubic ×scale upscaling
of the same LR image (rounded to 8 bits, as MATLAB's ``imresize`` returns it for 8-bit input), scored on the same
covered region (the grid's) with the same border crop.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from torch import nn

from ..core import flops
from ..core.images import read_image, to_image, to_tensor, write_image
from ..core.inference import INFERENCES, default_inference, inference_modes, prepare, sync, upscale
from ..data.testset import testset_pairs  # checked whole before any work (bench.data.testset)
from ..core.metrics import METRICS, psnr, scores
from ..backbones import spec
from ..core.resize import imresize
from ..report.tables import BICUBIC  # the id of the bicubic rows, shared with the (torch-free) report
from ..core.tiling import make_grid



#: The protocol matrix's inference columns of every evaluation row (issue 25), beside the registered metrics.
PROTOCOL_COLUMNS = ("inference", *(f"psnr_rgb_{m}_db" for m in INFERENCES))


def model_costs(model: nn.Module) -> dict[str, tuple]:
    """Per-branch costs (a single network is one branch) and the classifier's, in both conventions."""
    out = {}
    for conv in flops.CONVENTIONS:
        if getattr(model, "routed", False):  # the method interface: (per-path costs, router cost)
            out[conv] = model.path_costs(conv)
        else:
            out[conv] = ((flops.count(model, 32, conv),), 0)
    return out


def routed_costs(costs: dict[str, tuple], counts: list[int]) -> dict[str, float]:
    """Per-patch ``flops_paper`` and ``macs`` of one routing (class counts; one count for a single network),
    classifier included: the one FLOPs accounting of evaluation and perf (spec §6)."""
    return {col: flops.average(costs[conv][0], counts, classifier_cost=costs[conv][1])
            for conv, col in (("paper", "flops_paper"), ("macs", "macs"))}


def _mean(max_prob) -> float:
    """Mean confidence of the routing decisions; NaN for a router without probabilities (ARM's edge score)."""
    return float("nan") if max_prob is None else max_prob.mean().item()


def _authors_flops(model: nn.Module, backbone: str, counts: list[int]) -> float:
    """The authors' FLOPs bookkeeping of this routing, where they published constants for these widths."""
    s = spec(backbone)
    if not s.authors_flops:  # a backbone the authors did not publish
        return np.nan
    if getattr(model, "routed", False):
        authors = getattr(model, "authors_flops", None)
        return authors(backbone, counts) if authors else np.nan
    return s.authors_flops[-1] if model.width == s.paper_widths[-1] else np.nan


def evaluate_image(model: nn.Module, lr_path: Path, hr_path: Path, *, batch_size: int,
                   coverage: str = "paper", other_inference: bool = True, **upscale_kwargs) -> dict:
    """Metrics, time, patch count, classes and confidences of one image (``upscale_kwargs``: e.g. ARM's eta).

    ``inference`` names the inference of the metrics (``default_inference``); ``psnr_rgb_grid_db`` and
    ``psnr_rgb_whole_db`` give the RGB PSNR (scale-px crop) under each inference the model can run — the one not
    measured already by a second, untimed pass when ``other_inference`` — NaN where it cannot (a routed model on
    the whole image)."""
    lr_img = read_image(lr_path)
    lr = to_tensor(lr_img, name=str(lr_path))
    hr = to_255(read_image(hr_path))
    device = next(model.parameters()).device
    sync(device)
    start = time.perf_counter()
    sr, classes, probs = upscale(model, lr, coverage=coverage, batch_size=batch_size, with_probs=True,
                                 **upscale_kwargs)
    sync(device)
    elapsed_ms = (time.perf_counter() - start) * 1000
    sr_img = sr.numpy().transpose(1, 2, 0).astype(np.float64) * 255.0  # overlaps stay float, as the authors'
    gt = hr[: sr_img.shape[0], : sr_img.shape[1]]
    if gt.shape != sr_img.shape:
        raise ValueError(f"{hr_path}: HR {hr.shape[1]}×{hr.shape[0]} is smaller than {model.scale}× its LR")
    c = model.scale
    grid = make_grid(lr.shape[1], lr.shape[2], coverage=coverage)
    n, (ch, cw) = len(grid), grid.covered_hr(c)
    max_prob = probs.amax(1) if probs is not None else None  # the confidence of every routing decision
    metrics, own = scores(sr_img, gt, c), default_inference(model)
    by_inference = dict.fromkeys(INFERENCES, np.nan) | {own: metrics["psnr_rgb_db"]}
    for mode in inference_modes(model) if other_inference else ():
        if mode != own:
            other = upscale(model, lr, coverage=coverage, batch_size=batch_size, inference=mode, **upscale_kwargs)[0]
            by_inference[mode] = psnr(other.numpy().transpose(1, 2, 0).astype(np.float64) * 255.0, gt, crop_border=c)
    return {**metrics, "inference": own, **{f"psnr_rgb_{m}_db": v for m, v in by_inference.items()},
            "time_ms": elapsed_ms, "patches": n, "lr_covered": ch * cw // (c * c),
            "lr_bits": 16 if lr_img.dtype == np.uint16 else 8,  # the LR protocol: uint8 files, or PCSR's (near) float
            "classes": classes, "max_prob": max_prob,
            "sr": sr}


def to_255(img: np.ndarray) -> np.ndarray:
    """An 8- or 16-bit image as float64 on the 0–255 scale."""
    return img.astype(np.float64) * (255.0 / 65535 if img.dtype == np.uint16 else 1.0)


def bicubic_upscale(lr: np.ndarray, scale: int, h: int, w: int) -> np.ndarray:
    """MATLAB-bicubic ×scale of an LR image on the 0–255 scale, cropped to h×w and rounded half up to 8 bits like
    MATLAB's imresize of an 8-bit image (identical for 8-bit input): the bicubic reference of every table."""
    return np.clip(np.floor(imresize(lr, scale)[:h, :w] + 0.5), 0, 255)


def bicubic_image(lr_path: Path, hr_path: Path, *, scale: int, coverage: str = "paper") -> dict:
    """Scores of MATLAB-bicubic upscaling of one LR image on the region the 32/28 grid covers."""
    raw = read_image(lr_path)
    lr = to_255(raw)
    grid = make_grid(lr.shape[0], lr.shape[1], coverage=coverage)
    h, w = grid.covered_hr(scale)
    sr = bicubic_upscale(lr, scale, h, w)
    gt = to_255(read_image(hr_path))[:h, :w]
    if gt.shape != sr.shape:
        raise ValueError(f"{hr_path}: HR {gt.shape[1]}×{gt.shape[0]} is smaller than {scale}× its LR")
    metrics = scores(sr, gt, scale)  # one resize of the covered image: the whole-image inference
    return {**metrics, "inference": "whole", "psnr_rgb_grid_db": np.nan, "psnr_rgb_whole_db": metrics["psnr_rgb_db"],
            "patches": len(grid), "lr_bits": 16 if raw.dtype == np.uint16 else 8}


def evaluate_bicubic(*, testset: str | Path, scale: int = 4, coverage: str = "paper") -> pd.DataFrame:
    """One row per image of ``testset`` for the bicubic reference: 0 FLOPs, 0 MACs."""
    testset = Path(testset)
    rows = []
    for name, lr_path, hr_path in testset_pairs(testset, scale=scale):
        start = time.perf_counter()
        res = bicubic_image(lr_path, hr_path, scale=scale, coverage=coverage)
        rows.append({"testset": testset.name, "image": name, "backbone": BICUBIC, "model": BICUBIC,
                     "variant": BICUBIC, **res, "flops_paper": 0.0, "macs": 0.0, "flops_authors": 0.0, "flops_image": 0.0,
                     "time_ms": (time.perf_counter() - start) * 1000})
    return pd.DataFrame(rows)


def evaluate(model: nn.Module, *, backbone: str, model_id: str, testset: str | Path, batch_size: int = 64,
             coverage: str = "paper", other_inference: bool = True, routing_out: str | Path | None = None,
             sample_out: str | Path | None = None) -> pd.DataFrame:
    """One row per image of ``testset`` (a prepared folder with ``pairs.csv``). ``coverage``: the authors' grid
    (``paper``, the right/bottom remainder dropped) or ``full`` (edge-flush patches cover the whole image)."""
    testset = Path(testset)
    pairs = testset_pairs(testset, scale=model.scale)
    prepare(model)  # the engine's fast path: channels_last weights, transposed convs as conv + shuffle
    costs, routed = model_costs(model), getattr(model, "routed", False)
    rows, routing = [], []
    for i, (name, lr_path, hr_path) in enumerate(pairs):
        res = evaluate_image(model, lr_path, hr_path, batch_size=batch_size, coverage=coverage,
                             other_inference=other_inference)
        counts = np.bincount(res["classes"].numpy(), minlength=model.num_classes).tolist() if routed \
            else [res["patches"]]
        row = {"testset": testset.name, "image": name, "backbone": backbone, "model": model_id,
               "variant": getattr(model, "method", "original"), "patches": res["patches"],
               **{k: res[k] for k in METRICS}, **{k: res[k] for k in PROTOCOL_COLUMNS},
               **({f"n_class{k}": n for k, n in enumerate(counts)} if routed else {}),
               **({"mean_max_prob": _mean(res["max_prob"])} if routed else {})}
        row.update(routed_costs(costs, counts))
        # per image: the per-patch rate times the patches run (tiled) or the covered LR area / 32² (whole image)
        whole = getattr(model, "whole_image", False) and not getattr(model, "tiled", False)
        units = res["lr_covered"] / 1024 if whole else res["patches"]
        row["flops_image"] = row["flops_paper"] * units
        row["flops_authors"] = _authors_flops(model, backbone, counts)
        row["lr_bits"] = res["lr_bits"]
        row["time_ms"] = res["time_ms"]
        rows.append(row)
        if routed and not getattr(model, "whole_image", False):  # per-pixel classes: no per-patch routing rows
            routing.append(pd.DataFrame({"image": name, "patch": np.arange(len(res["classes"])),
                                         "class": res["classes"].numpy(),
                                         "max_prob": np.nan if res["max_prob"] is None else res["max_prob"].numpy()}))
        if i == 0 and sample_out:
            write_image(sample_out, to_image(res["sr"]).astype(np.uint8))
    if routing_out:
        frame = pd.concat(routing) if routing else pd.DataFrame(columns=["image", "patch", "class", "max_prob"])
        frame.to_csv(routing_out, index=False)
    return pd.DataFrame(rows)

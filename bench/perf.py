"""Latency benchmark of ClassSR on a large image: wall time next to FLOPs (issue: honest latency).

Modes, all on the same LR image and tiling (32/28, paper grid):

* ``per_patch``: the authors' test loop re-implemented — one 32×32 patch at a time through the classifier and its
  branch (or the original network);
* ``batched``: ``bench.inference.upscale`` — classification in batches, each branch once per group in batches;
* ``whole``: the original network on the full LR image at once (no tiling; a lower bound for the original).

ClassSR runs with its own routing (``real``) and with forced mixes (``simple``: all class 0, ``hard``: all class
M − 1, ``mix``: 50 % / 20 % / 30 % of patches, assigned by a seeded permutation). Each measurement: warm-up, then
``repeats`` timed runs; median, min and max in ms. CUDA is synchronised around every run.
"""
from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np
import torch
from torch import nn

from . import flops
from .evaluate import model_costs
from .inference import upscale
from .models import ClassSR
from .tiling import Stitcher, extract, make_grid

MIXES = {"simple": None, "hard": None, "mix": (0.5, 0.2, 0.3)}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(device: torch.device) -> dict:
    return {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "cpu": cpu_model(), "threads": torch.get_num_threads(), "torch_version": torch.__version__,
            "cores": os.cpu_count()}


def forced_route(n: int, num_classes: int, mix: str, seed: int = 0) -> torch.Tensor:
    """Class per patch for a forced mix: all simple, all hard, or the given fractions in a seeded order."""
    if mix == "simple":
        return torch.zeros(n, dtype=torch.long)
    if mix == "hard":
        return torch.full((n,), num_classes - 1, dtype=torch.long)
    fractions = MIXES[mix]
    if len(fractions) != num_classes:
        raise ValueError(f"mix {mix!r} has {len(fractions)} fractions for {num_classes} classes")
    counts = np.floor(np.array(fractions) * n).astype(int)
    counts[-1] = n - counts[:-1].sum()
    classes = np.repeat(np.arange(num_classes), counts)
    return torch.from_numpy(np.random.default_rng(seed).permutation(classes)).long()


@torch.inference_mode()
def per_patch(model: nn.Module, lr: torch.Tensor, route: torch.Tensor | None = None) -> torch.Tensor:
    """The authors' loop: batch of one patch, argmax branch, 8-bit rounding, stitching."""
    grid = make_grid(lr.shape[1], lr.shape[2])
    device = next(model.parameters()).device
    stitcher = Stitcher(grid, model.scale)
    for i in range(len(grid)):
        patch = extract(lr, grid, i, i + 1).to(device)
        if isinstance(model, ClassSR):
            k = int(route[i]) if route is not None else int(model.route(patch)[1])
            sr = model.branches[k](patch)
        else:
            sr = model(patch)
        stitcher.add(torch.round(sr.clamp(0, 1).float().cpu() * 255) / 255, i)
    return stitcher.result()


def timed(fn, *, repeats: int, warmup: int, device: torch.device) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return times


def mean_costs(model: nn.Module, classes: torch.Tensor | None, n: int) -> dict[str, float]:
    """Per-patch FLOPs (paper) and MACs (true, classifier included) for the routing actually used."""
    counts = np.bincount(classes.numpy(), minlength=model.num_classes).tolist() if classes is not None else [n]
    costs = model_costs(model)
    return {col: flops.average(*costs[conv][:1], counts, classifier_cost=costs[conv][1])
            for conv, col in (("paper", "flops_paper"), ("macs", "macs"))}


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory so far: CUDA allocator peak on GPU; the process's peak RSS on CPU (monotonic)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _row(model, mode, mix, lr, times, classes, n, device) -> dict:
    costs = mean_costs(model, classes, n)
    median = statistics.median(times)
    out_px = model.scale ** 2 * lr.shape[1] * lr.shape[2]
    return {"model": "classsr" if isinstance(model, ClassSR) else "original", "mode": mode, "mix": mix,
            "patches": n, "time_ms": 1000 * median, "time_ms_min": 1000 * min(times),
            "time_ms_max": 1000 * max(times), "repeats": len(times), "mpix_per_s": out_px / 1e6 / median,
            **costs, "gflops_per_s": 2 * costs["macs"] * n / median / 1e9, "peak_mem_mb": peak_memory_mb(device)}


def benchmark(original: nn.Module, classsr: ClassSR, lr: torch.Tensor, *, modes=("per_patch", "batched", "whole"),
              mixes=("real", "simple", "hard", "mix"), repeats: int = 5, warmup: int = 1,
              batch_size: int | None = None) -> list[dict]:
    """Rows of one backbone: the original network and ClassSR in every requested mode and mix."""
    device = next(original.parameters()).device
    n = len(make_grid(lr.shape[1], lr.shape[2]))
    rows = []
    run = dict(repeats=repeats, warmup=warmup, device=device)
    if "per_patch" in modes:
        rows.append(_row(original, "per_patch", "", lr, timed(lambda: per_patch(original, lr), **run), None, n, device))
        real = upscale(classsr, lr, batch_size=batch_size)[1]
        rows.append(_row(classsr, "per_patch", "real", lr, timed(lambda: per_patch(classsr, lr), **run), real, n,
                         device))
    if "batched" in modes:
        rows.append(_row(original, "batched", "", lr, timed(lambda: upscale(original, lr, batch_size=batch_size),
                                                            **run), None, n, device))
        for mix in mixes:
            route = None if mix == "real" else forced_route(n, classsr.num_classes, mix)
            classes = upscale(classsr, lr, batch_size=batch_size, route=route)[1]
            times = timed(lambda: upscale(classsr, lr, batch_size=batch_size, route=route), **run)
            rows.append(_row(classsr, "batched", mix, lr, times, classes, n, device))
    if "whole" in modes:
        with torch.inference_mode():
            x = lr[None].to(device)
            rows.append(_row(original, "whole", "", lr, timed(lambda: original(x), **run), None, n, device))
    return rows


def add_ratios(df):
    """Speed-up of each row over the batched original, the true-MAC ratio, and their quotient."""
    base = df[(df["model"] == "original") & (df["mode"] == "batched")].set_index("backbone")
    t0, m0 = df["backbone"].map(base["time_ms"]), df["backbone"].map(base["macs"])
    return df.assign(speedup_vs_original=t0 / df["time_ms"], mac_ratio=m0 / df["macs"],
                     speedup_over_mac_ratio=(t0 / df["time_ms"]) / (m0 / df["macs"]))

"""Tiled super-resolution of one large image with any registry model (ClassSR test protocol, spec §5).

``upscale`` tiles the LR image (32×32, step 28), classifies the patches of a ClassSR model in batches, runs each
branch on its own patches in batches, and stitches by slice-add into one canvas. Patches are streamed, so memory
grows with the output image, not with the number of patches. With ``quantize=True`` each SR patch is clamped and
rounded to 8 bits before stitching, as the authors' test loop does (spec §5, §8.18).
"""
from __future__ import annotations

import time

import torch
from torch import nn

from .models import ClassSR
from .tiling import Stitcher, extract, extract_indexed, make_grid

DEFAULT_BATCH = 64
#: Batch sizes tried by ``tune_batch_size``. On a 2-core CPU the fastest per patch were 4–16 (CARN-64: 20.6 ms at 4
#: vs 30.6 ms at 64; FSRCNN-56: 1.25 ms at 32 vs 2.26 ms at 1), so one fixed size is wrong for some network.
CANDIDATES = (1, 2, 4, 8, 16, 32, 64)
_TUNED: dict[tuple, int] = {}


@torch.inference_mode()
def tune_batch_size(net: nn.Module, *, patch: int = 32, candidates=CANDIDATES, repeats: int = 2) -> int:
    """Batch size with the lowest measured time per patch for ``net`` on its device (cached per network shape,
    device and thread count)."""
    device = next(net.parameters()).device
    key = (type(net).__name__, getattr(net, "width", None), getattr(net, "blocks", None),
           getattr(net, "groups", None), str(device), torch.get_num_threads(), patch)
    if key not in _TUNED:
        best, best_time = candidates[0], float("inf")
        for bs in candidates:
            x = torch.rand(bs, 3, patch, patch, device=device)
            net(x)  # warm-up (allocations, oneDNN primitive creation)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            for _ in range(repeats):
                net(x)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            per_patch = (time.perf_counter() - start) / (repeats * bs)
            if per_patch < best_time:
                best, best_time = bs, per_patch
        _TUNED[key] = best
    return _TUNED[key]


def _check_lr(lr: torch.Tensor) -> None:
    if not isinstance(lr, torch.Tensor) or lr.dim() != 3 or lr.shape[0] != 3 or not lr.is_floating_point():
        shape = tuple(lr.shape) if isinstance(lr, torch.Tensor) else type(lr).__name__
        raise ValueError(f"expected one float RGB LR image (3, H, W) in [0, 1], got {shape}; convert images "
                         "with bench.images.to_tensor")


def _quantize(sr: torch.Tensor) -> torch.Tensor:
    return torch.round(sr.clamp(0, 1).float() * 255) / 255


@torch.inference_mode()
def classify(model: ClassSR, lr: torch.Tensor, grid, batch_size: int) -> torch.Tensor:
    """Argmax class of every patch of the grid (row-major), computed in batches."""
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(grid), batch_size):
        patches = extract(lr, grid, start, min(start + batch_size, len(grid))).to(device)
        out.append(model.route(patches)[1].cpu())
    return torch.cat(out)


@torch.inference_mode()
def upscale(model: nn.Module, lr: torch.Tensor, *, coverage: str = "paper", batch_size: int | None = None,
            route: torch.Tensor | None = None, quantize: bool = True, patch: int = 32, step: int = 28):
    """(SR image (3, s·h_cov, s·w_cov) in [0, 1], class per patch (n,) or None for single networks).

    ``route`` forces the class of every patch (ClassSR only), e.g. for benchmarks or oracle routing.
    ``batch_size``: an int for every network, or ``"auto"`` to use each branch's measured best size
    (``tune_batch_size``); None = 64.
    """
    _check_lr(lr)
    model.eval()
    auto = batch_size == "auto"
    batch_size = DEFAULT_BATCH if auto or batch_size is None else batch_size
    grid = make_grid(lr.shape[1], lr.shape[2], patch=patch, step=step, coverage=coverage)
    device = next(model.parameters()).device
    stitcher = Stitcher(grid, model.scale)
    if not isinstance(model, ClassSR):
        if route is not None:
            raise ValueError("route applies to ClassSR models only")
        groups, classes, run = [torch.arange(len(grid))], None, [model]
    else:
        classes = classify(model, lr, grid, batch_size) if route is None else model.check_classes(route, len(grid))
        groups = [torch.nonzero(classes == k).squeeze(1) for k in range(model.num_classes)]
        run = list(model.branches)
    for net, idx in zip(run, groups):
        size = tune_batch_size(net, patch=patch) if auto and len(idx) else batch_size
        for start in range(0, len(idx), size):
            chunk = idx[start:start + size]
            patches = extract_indexed(lr, grid, chunk.tolist()).to(device)
            sr = net(patches).float().cpu()
            stitcher.add_indexed(_quantize(sr) if quantize else sr, chunk.tolist())
    return stitcher.result(), classes

"""Tiled super-resolution of one large image with any registry model (ClassSR test protocol, spec §5).

``upscale`` tiles the LR image (32×32, step 28), classifies the patches of a ClassSR model in batches, runs each
branch on its own patches in batches, and stitches by slice-add into one canvas. Patches are streamed, so memory
grows with the output image, not with the number of patches. With ``quantize=True`` each SR patch is clamped and
rounded to 8 bits before stitching, as the authors' test loop does (spec §5, §8.18).
"""
from __future__ import annotations

import torch
from torch import nn

from .models import ClassSR
from .tiling import Stitcher, extract, make_grid

DEFAULT_BATCH = 64


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
    """
    _check_lr(lr)
    model.eval()
    batch_size = batch_size or DEFAULT_BATCH
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
        for start in range(0, len(idx), batch_size):
            chunk = idx[start:start + batch_size]
            patches = torch.stack([extract(lr, grid, int(i), int(i) + 1)[0] for i in chunk]).to(device)
            sr = net(patches).float().cpu()
            stitcher.add_indexed(_quantize(sr) if quantize else sr, chunk.tolist())
    return stitcher.result(), classes

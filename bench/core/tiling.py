"""Split an LR image into overlapping patches and stitch SR patches back (ClassSR test protocol; spec §5).

The authors crop 32×32 LR patches with step 28, starting at 0, 28, … ≤ H − 32 (row-major), run each patch
through the network, and average overlaps when stitching. Two coverage modes:

* ``"paper"``: exactly the authors' grid — the right/bottom remainder (0–27 LR px) is not super-resolved and
  the HR reference must be cropped to ``covered_hr`` (spec §8.2; e.g. DIV2K 0801 → 2032×1248).
* ``"full"``: the same grid plus one extra row/column of patches flush with the bottom/right edge, so the
  whole image is super-resolved.

Stitching accumulates patches by slice-add into one canvas and divides by the coverage count, which is the
product of per-axis counts because the grid is a product grid. For the paper's 32/28 this equals the authors'
strip-halving ``combine`` exactly (their version is only right when step ≥ patch/2; this one always is).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

COVERAGES = ("paper", "full")


def _starts(size: int, patch: int, step: int, coverage: str) -> tuple[int, ...]:
    starts = list(range(0, size - patch + 1, step))
    if coverage == "full" and starts[-1] + patch < size:
        starts.append(size - patch)
    return tuple(starts)


@dataclass(frozen=True)
class Grid:
    """Patch positions (LR pixels) of one image; patches are numbered row-major."""

    height: int
    width: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]
    patch: int
    step: int

    def __len__(self) -> int:
        return len(self.ys) * len(self.xs)

    @property
    def covered(self) -> tuple[int, int]:
        """(h, w) of the LR region the patches cover."""
        return self.ys[-1] + self.patch, self.xs[-1] + self.patch

    def covered_hr(self, scale: int) -> tuple[int, int]:
        h, w = self.covered
        return scale * h, scale * w

    def position(self, index: int) -> tuple[int, int]:
        return self.ys[index // len(self.xs)], self.xs[index % len(self.xs)]


def make_grid(height: int, width: int, *, patch: int = 32, step: int = 28, coverage: str = "paper") -> Grid:
    if coverage not in COVERAGES:
        raise ValueError(f"coverage must be one of {COVERAGES}, got {coverage!r}")
    if not 0 < step <= patch:
        raise ValueError(f"need 0 < step ≤ patch, got patch {patch}, step {step}")
    if height < patch or width < patch:
        raise ValueError(f"LR image {width}×{height} (W×H) is smaller than one {patch}×{patch} patch")
    return Grid(height, width, _starts(height, patch, step, coverage), _starts(width, patch, step, coverage),
                patch, step)


def extract(lr: torch.Tensor, grid: Grid, start: int = 0, stop: int | None = None) -> torch.Tensor:
    """Patches ``start``…``stop``−1 (row-major) of an LR image (3, H, W) as a batch (n, 3, p, p)."""
    return extract_indexed(lr, grid, range(start, len(grid) if stop is None else stop))


def extract_indexed(lr: torch.Tensor, grid: Grid, indices) -> torch.Tensor:
    """The patches with the given row-major indices, as a batch (n, 3, p, p)."""
    if lr.dim() != 3 or tuple(lr.shape[1:]) != (grid.height, grid.width):
        raise ValueError(f"image of shape {tuple(lr.shape)} does not match a {grid.height}×{grid.width} grid")
    p = grid.patch
    return torch.stack([lr[:, y:y + p, x:x + p] for y, x in map(grid.position, indices)])


class Stitcher:
    """Accumulates SR patches (any order, in batches) into one canvas; ``result()`` averages overlaps."""

    def __init__(self, grid: Grid, scale: int, *, dtype=torch.float32, device="cpu"):
        self.grid, self.scale = grid, scale
        hr_h, hr_w = grid.covered_hr(scale)
        self.canvas = torch.zeros(3, hr_h, hr_w, dtype=dtype, device=device)
        self.added = 0

    def add(self, patches: torch.Tensor, start: int) -> None:
        """Add SR patches (n, 3, s·p, s·p) whose row-major indices are ``start``…``start+n−1``."""
        self.add_indexed(patches, range(start, start + len(patches)))

    def add_indexed(self, patches: torch.Tensor, indices) -> None:
        """Add SR patches (n, 3, s·p, s·p) with the given row-major patch indices."""
        sp, s = self.scale * self.grid.patch, self.scale
        if self.canvas is None:
            raise RuntimeError("this stitcher's result() was taken; start a new Stitcher")
        indices = list(indices)
        if patches.dim() != 4 or tuple(patches.shape[1:]) != (3, sp, sp) or len(patches) != len(indices):
            raise ValueError(f"expected {len(indices)} SR patches of shape (n, 3, {sp}, {sp}), got "
                             f"{tuple(patches.shape)}")
        if indices and (min(indices) < 0 or max(indices) >= len(self.grid)):
            raise ValueError(f"patch indices {min(indices)}…{max(indices)} outside 0…{len(self.grid) - 1}")
        for i, patch in zip(indices, patches):
            y, x = self.grid.position(i)
            self.canvas[:, s * y:s * y + sp, s * x:s * x + sp] += patch
        self.added += len(indices)

    def result(self) -> torch.Tensor:
        """The averaged image. Divides the canvas in place (an 8K output is 400 MB: no second copy), so the
        stitcher is finished afterwards."""
        if self.added != len(self.grid):
            raise RuntimeError(f"{self.added} patches added for a grid of {len(self.grid)}")
        sp, dev = self.scale * self.grid.patch, self.canvas.device
        count_y = _axis_count(self.grid.ys, self.scale, sp, self.canvas.shape[1], dev)
        count_x = _axis_count(self.grid.xs, self.scale, sp, self.canvas.shape[2], dev)
        canvas, self.canvas = self.canvas, None
        return canvas.div_((count_y[:, None] * count_x[None, :]).to(canvas.dtype))


def _axis_count(starts, scale: int, sp: int, size: int, device) -> torch.Tensor:
    count = torch.zeros(size, device=device)
    for s in starts:
        count[scale * s:scale * s + sp] += 1
    return count


def split(lr: torch.Tensor, *, patch: int = 32, step: int = 28, coverage: str = "paper"):
    """All patches of an LR image (3, H, W) at once: ``(patches (n, 3, p, p), grid)``."""
    if lr.dim() != 3:
        raise ValueError(f"expected one LR image of shape (3, H, W), got {tuple(lr.shape)}")
    grid = make_grid(lr.shape[1], lr.shape[2], patch=patch, step=step, coverage=coverage)
    return extract(lr, grid), grid


def stitch(patches: torch.Tensor, grid: Grid, scale: int) -> torch.Tensor:
    """Average SR patches (n, 3, s·p, s·p), in grid order, into one image (3, s·h_cov, s·w_cov)."""
    stitcher = Stitcher(grid, scale, dtype=patches.dtype, device=patches.device)
    stitcher.add(patches, 0)
    return stitcher.result()

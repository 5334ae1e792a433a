"""A zero-cost SR path: PyTorch bicubic ×scale, clamped to [0, 1], 0 FLOPs.

ARM's path 0 (Chen et al., ECCV 2022; arm.md §2.4) and, beyond the ClassSR paper, ClassSR's optional *bicubic
class*: a branch of width 0 (``widths: [0, 16, 36, 56]``) that the Class-Module may pick for flat sub-images, so a
learned router has the same cheapest path as ARM's hand-made one. Its only state is a buffer holding the scale, so a
ClassSR checkpoint names its bicubic class (``net1.bicubic_scale``) and ``load_official`` rebuilds it. The authors'
code has no such class: a checkpoint with one loads here only.
"""
from __future__ import annotations

import torch
from torch import nn

from ..arm.routing import bicubic_path
from .common import check_scale


class BicubicBranch(nn.Module):
    def __init__(self, scale: int = 4):
        super().__init__()
        self.scale = check_scale(scale)
        self.register_buffer("bicubic_scale", torch.tensor(self.scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return bicubic_path(x.contiguous(), self.scale)

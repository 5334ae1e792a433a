"""ClassSR's Class-Module (Kong et al., CVPR 2021, §3.2; spec §1.3).

A 4×4/stride-4 conv, three 1×1 convs with LeakyReLU(0.1), a 1×1 conv to 32 channels, global average pooling
and a linear layer to one logit per class. Identical in all four ClassSR variants; input is always [0, 1].
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .common import check_rgb_batch, check_width, init_scaled_kaiming
from .registry import register


class Classifier(nn.Module):
    """Class-Module with ``num_classes`` outputs; returns logits of shape (N, num_classes)."""

    def __init__(self, *, num_classes: int = 3):
        super().__init__()
        self.num_classes = check_width(num_classes, name="num_classes", minimum=2)
        # lastOut is created first so the state-dict key order matches the authors' (lastOut, then CondNet).
        self.lastOut = nn.Linear(32, num_classes)
        self.CondNet = nn.Sequential(
            nn.Conv2d(3, 128, 4, 4), nn.LeakyReLU(0.1, True),
            nn.Conv2d(128, 128, 1), nn.LeakyReLU(0.1, True),
            nn.Conv2d(128, 128, 1), nn.LeakyReLU(0.1, True),
            nn.Conv2d(128, 128, 1), nn.LeakyReLU(0.1, True),
            nn.Conv2d(128, 32, 1),
        )
        init_scaled_kaiming([self.CondNet], 0.1)  # lastOut keeps PyTorch's default init, as in the authors' code

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_rgb_batch(x)
        h, w = x.shape[-2:]
        if h != w or h % 4:
            # The authors pool with kernel = feature height (spec §8.14): only square inputs are meaningful.
            raise ValueError(f"the ClassSR classifier needs square LR patches with a side divisible by 4, got {h}×{w}")
        feat = self.CondNet(x)
        return self.lastOut(F.avg_pool2d(feat, feat.shape[-1]).flatten(1))

    @torch.no_grad()
    def add_logit_bias(self, bias) -> None:
        """Shift every logit by a constant per class (an operating point chosen after training): folded into the
        last layer's bias, so the weights keep the authors' format."""
        bias = torch.as_tensor(bias, dtype=self.lastOut.bias.dtype, device=self.lastOut.bias.device)
        if bias.shape != self.lastOut.bias.shape:
            raise ValueError(f"a logit bias needs {self.num_classes} values, got shape {tuple(bias.shape)}")
        self.lastOut.bias += bias


@register
def classifier(*, num_classes: int = 3) -> Classifier:
    """The Class-Module alone (e.g. to train or inspect routing)."""
    return Classifier(num_classes=num_classes)

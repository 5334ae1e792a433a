"""FSRCNN as used by ClassSR (Dong et al., ECCV 2016; Kong et al., CVPR 2021, spec §1.1).

Differences from the original FSRCNN, kept on purpose: the four s→s mapping convs have no activation between
them (one PReLU after all four), and the ×4 deconv uses padding 3 / output_padding 1. Module names equal the
authors' state-dict keys (``head_conv``, ``body_conv``, ``tail_conv``).
"""
from __future__ import annotations

import torch
from torch import nn

from ..backbones import BackboneSpec
from .common import check_rgb_batch, check_scale, check_width, init_scaled_kaiming, shape_of
from .registry import register
from .subpixel import SubPixelDeconv

SPEC = BackboneSpec(
    name="fsrcnn", official_name="FSRCNN", paper_widths=(16, 36, 56),
    published_flops={16: 141_262_852, 36: 304_570_372, 56: 467_877_892},
    authors_flops=(141e6, 304e6, 468e6), authors_classifier_flops=7.4e6,
    recipe={"branch": {"lr": 1e-3}, "classsr": {"restart_weights": (1.0,)}},
    tiny={"width": 8, "widths": (4, 8, 12)},
)

KERNEL = 9


def deconv_padding(scale: int) -> tuple[int, int]:
    """(padding, output_padding) so that a stride-``scale`` 9×9 deconv maps h to exactly scale·h.

    Solves 2p − op = 9 − scale with the smallest p; gives the authors' (3, 1) at ×4.
    """
    padding = (KERNEL - scale + 1) // 2
    return padding, 2 * padding - (KERNEL - scale)


class FSRCNN(nn.Module):
    """FSRCNN(d=width, s=12, m=4); input and output in [0, 1]."""

    def __init__(self, *, width: int = 56, scale: int = 4, shrink: int = 12, maps: int = 4):
        super().__init__()
        self.width, self.scale = check_width(width), check_scale(scale)
        self.head_conv = nn.Sequential(nn.Conv2d(3, width, 5, 1, 2), nn.PReLU())
        layers = [nn.Sequential(nn.Conv2d(width, shrink, 1), nn.PReLU())]
        layers += [nn.Conv2d(shrink, shrink, 3, 1, 1) for _ in range(maps)]
        layers += [nn.PReLU(), nn.Sequential(nn.Conv2d(shrink, width, 1), nn.PReLU())]
        self.body_conv = nn.Sequential(*layers)
        padding, output_padding = deconv_padding(scale)
        self.tail_conv = SubPixelDeconv(width, 3, KERNEL, scale, padding, output_padding=output_padding)
        # The deconv is not an nn.Conv2d, so the authors' init leaves it at PyTorch's default (spec §8.13).
        init_scaled_kaiming([self.head_conv, self.body_conv], 0.1)

    #: The modules before the upsampler: an encoder built from this network keeps these (PCSR, ECCV 2024).
    FEATURE_MODULES = ("head_conv", "body_conv")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The LR feature map before the upsampler (width channels; PCSR's encoder output)."""
        return self.body_conv(self.head_conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_rgb_batch(x)
        return self.tail_conv(self.features(x))


def infer_kwargs(state: dict) -> dict:
    """FSRCNN's width from its head conv; its scale is not visible in the shapes (the caller's, default ×4)."""
    return {"width": shape_of(state, "head_conv.0.weight", "fsrcnn")[0]}


@register(infer_kwargs=infer_kwargs)
def fsrcnn(*, width: int = 56, scale: int = 4) -> FSRCNN:
    """FSRCNN branch; the paper's widths are d = 16 / 36 / 56 (56 = FSRCNN-O)."""
    return FSRCNN(width=width, scale=scale)

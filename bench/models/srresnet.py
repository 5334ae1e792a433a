"""MSRResNet, the SRResNet variant used by ClassSR (Ledig et al., CVPR 2017; Wang et al., BasicSR; spec §1.1).

16 residual blocks without BatchNorm (conv → ReLU → conv, + identity), no trunk-level skip, pixel-shuffle
upsampling with LeakyReLU(0.1), and a bilinear ×scale global skip. Module names equal the authors' keys.
``blocks`` < 16 is a demo-scale reduction only; the paper's networks have 16.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..backbones import BackboneSpec
from .common import check_rgb_batch, check_scale, check_width, count_indices, infer_scale, init_scaled_kaiming, shape_of
from .registry import register

SPEC = BackboneSpec(
    name="srresnet", official_name="SRResNet", paper_widths=(36, 52, 64), paper_depth={"blocks": 16},
    published_flops={36: 1_658_216_448, 52: 3_438_010_368, 64: 5_193_990_144},
    authors_flops=(1660e6, 3440e6, 5200e6),
    tiny={"width": 8, "widths": (4, 8, 12), "blocks": 2},
)


class ResidualBlockNoBN(nn.Module):
    def __init__(self, nf: int):
        super().__init__()
        self.conv1 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv2 = nn.Conv2d(nf, nf, 3, 1, 1)
        init_scaled_kaiming([self.conv1, self.conv2], 0.1)

    def forward(self, x):
        return x + self.conv2(torch.relu(self.conv1(x)))


class MSRResNet(nn.Module):
    """MSRResNet(nf=width, nb=blocks); input and output in [0, 1]."""

    def __init__(self, *, width: int = 64, scale: int = 4, blocks: int = 16):
        super().__init__()
        self.width, self.scale = check_width(width), check_scale(scale)
        self.blocks = check_width(blocks, name="blocks")
        self.conv_first = nn.Conv2d(3, width, 3, 1, 1)
        self.recon_trunk = nn.Sequential(*(ResidualBlockNoBN(width) for _ in range(blocks)))
        # ×4 = two ×2 stages (upconv1, upconv2); ×2 and ×3 use upconv1 alone, as in BasicSR's MSRResNet.
        first = 9 if scale == 3 else 4
        self.upconv1 = nn.Conv2d(width, first * width, 3, 1, 1)
        self.upconv2 = nn.Conv2d(width, 4 * width, 3, 1, 1) if scale == 4 else None
        self.pixel_shuffle = nn.PixelShuffle(3 if scale == 3 else 2)
        self.HRconv = nn.Conv2d(width, width, 3, 1, 1)
        self.conv_last = nn.Conv2d(width, 3, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.1, inplace=True)
        init_scaled_kaiming([m for m in (self.conv_first, self.upconv1, self.upconv2, self.HRconv, self.conv_last)
                             if m is not None], 0.1)

    #: The modules before the upsampler: an encoder built from this network keeps these (PCSR, ECCV 2024).
    FEATURE_MODULES = ("conv_first", "recon_trunk")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The residual trunk's output (width channels, LR size; PCSR's encoder output)."""
        return self.recon_trunk(self.lrelu(self.conv_first(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_rgb_batch(x)
        out = self.features(x)
        out = self.lrelu(self.pixel_shuffle(self.upconv1(out)))
        if self.upconv2 is not None:
            out = self.lrelu(self.pixel_shuffle(self.upconv2(out)))
        out = self.conv_last(self.lrelu(self.HRconv(out)))
        return out + F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)


def infer_kwargs(state: dict) -> dict:
    width = shape_of(state, "conv_first.weight", "srresnet")[0]
    return {"width": width, "blocks": count_indices(state, "recon_trunk."),
            "scale": infer_scale(state, "upconv1.weight", "upconv2.weight", width, "srresnet")}


@register(infer_kwargs=infer_kwargs)
def srresnet(*, width: int = 64, scale: int = 4, blocks: int = 16) -> MSRResNet:
    """MSRResNet branch; the paper's widths are nf = 36 / 52 / 64 (64 = SRResNet-O), 16 blocks."""
    return MSRResNet(width=width, scale=scale, blocks=blocks)

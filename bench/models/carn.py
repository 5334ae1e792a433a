"""CARN-M as used by ClassSR (Ahn et al., ECCV 2018; Kong et al., CVPR 2021, spec §1.1).

The ClassSR variant: group-4 efficient residual blocks, one shared ERB per cascading block, 1×1 fusion convs
*without* bias followed by BatchNorm, MeanShift at both ends, no global skip. Module names equal the authors'
state-dict keys. ``bn=False`` is ARM's US-CARN-M (Chen et al., ECCV 2022; arm.md §1.3, §1.5): the same network with
biased 1×1 fusion convs and no BatchNorm, whose 54 keys are the other 42 of ClassSR's plus ``c*.0.bias``.
BatchNorm buffers and MeanShift tensors of an official checkpoint are loaded, never rebuilt
(spec §8.3, §8.5).
"""
from __future__ import annotations

import torch
from torch import nn

from ..backbones import BackboneSpec
from .common import MeanShift, check_rgb_batch, check_scale, check_width, infer_scale, shape_of
from .registry import register

SPEC = BackboneSpec(
    name="carn", official_name="CARN", paper_widths=(36, 52, 64),
    published_flops={36: 380_215_296, 52: 771_563_520, 64: 1_154_875_392},  # MeanShift convs not counted
    authors_flops=(380e6, 770e6, 1150e6),
    recipe={"branch": {"periods": (500_000, 1_000_000)}, "classsr": {"restart_weights": (0.05,)}},
    tiny={"width": 8, "widths": (4, 8, 12)},
)

GROUP = 4


class EResidualBlock(nn.Module):
    def __init__(self, nf: int, group: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(nf, nf, 3, 1, 1, groups=group), nn.ReLU(inplace=True),
            nn.Conv2d(nf, nf, 3, 1, 1, groups=group), nn.ReLU(inplace=True),
            nn.Conv2d(nf, nf, 1, 1, 0),
        )

    def forward(self, x):
        return torch.relu(self.body(x) + x)


def fusion(in_ch: int, nf: int, bn: bool = True) -> nn.Sequential:
    """CARN's 1×1 ``BasicBlock``: conv (no bias) → BatchNorm → ReLU in the ClassSR code; conv (bias) → ReLU in
    ARM's (keys ``X.0.weight``, ``X.0.bias``)."""
    if not bn:
        return nn.Sequential(nn.Conv2d(in_ch, nf, 1, 1, 0, bias=True), nn.ReLU(inplace=True))
    return nn.Sequential(nn.Conv2d(in_ch, nf, 1, 1, 0, bias=False), nn.BatchNorm2d(nf), nn.ReLU(inplace=True))


def cascade(x, blocks, fusions):
    """CARN's cascading connections: every fusion sees the concatenation of all earlier outputs."""
    concat, out = x, x
    for block, fuse in zip(blocks, fusions):
        concat = torch.cat([concat, block(out)], dim=1)
        out = fuse(concat)
    return out


class CascadingBlock(nn.Module):
    """One ERB (key ``b1``) applied three times with shared weights, fused by c1/c2/c3."""

    def __init__(self, nf: int, group: int, bn: bool = True):
        super().__init__()
        self.b1 = EResidualBlock(nf, group)
        self.c1, self.c2, self.c3 = (fusion(k * nf, nf, bn) for k in (2, 3, 4))

    def forward(self, x):
        return cascade(x, (self.b1,) * 3, (self.c1, self.c2, self.c3))


class Upsampler(nn.Module):
    """log2(scale) × [grouped conv nf→4nf, ReLU, PixelShuffle(2)], or one ×3 stage (keys ``up.body.*``)."""

    def __init__(self, nf: int, scale: int, group: int):
        super().__init__()
        stages = [(4, 2)] * (scale // 2) if scale in (2, 4) else [(9, 3)]
        layers = []
        for mult, shuffle in stages:
            layers += [nn.Conv2d(nf, mult * nf, 3, 1, 1, groups=group), nn.ReLU(inplace=True), nn.PixelShuffle(shuffle)]
        self.up = nn.Module()
        self.up.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.up.body(x)


class CARN(nn.Module):
    """CARN-M(nf=width, group=4); input and output in [0, 1]. No explicit init (PyTorch defaults, spec §1.1).
    ``bn=False``: ARM's fusion blocks (biased conv, no BatchNorm)."""

    def __init__(self, *, width: int = 64, scale: int = 4, group: int = GROUP, bn: bool = True):
        super().__init__()
        self.width = check_width(width, multiple_of=group)
        self.bn = bool(bn)
        self.scale = check_scale(scale)
        self.sub_mean = MeanShift(rgb_range=1, sign=-1)
        self.add_mean = MeanShift(rgb_range=1, sign=1)
        self.entry = nn.Conv2d(3, width, 3, 1, 1)
        self.b1, self.b2, self.b3 = (CascadingBlock(width, group, bn) for _ in range(3))
        self.c1, self.c2, self.c3 = (fusion(k * width, width, bn) for k in (2, 3, 4))
        self.upsample = Upsampler(width, scale, group)
        self.exit = nn.Conv2d(width, 3, 3, 1, 1)

    #: The modules before the upsampler, without the MeanShifts: PCSR's encoder (its data pipeline subtracts the
    #: mean instead; pcsr.md §1.3).
    FEATURE_MODULES = ("entry", "b1", "b2", "b3", "c1", "c2", "c3")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The cascade's output on a mean-subtracted input (width channels, LR size)."""
        return cascade(self.entry(x), (self.b1, self.b2, self.b3), (self.c1, self.c2, self.c3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_rgb_batch(x)
        return self.add_mean(self.exit(self.upsample(self.features(self.sub_mean(x)))))


def infer_kwargs(state: dict) -> dict:
    width = shape_of(state, "entry.weight", "carn")[0]
    kwargs = {"width": width, "scale": infer_scale(state, "upsample.up.body.0.weight", "upsample.up.body.3.weight",
                                                   width, "carn")}
    if "c1.0.bias" in state and "c1.1.running_mean" not in state:  # ARM's fusion blocks (arm.md §1.5)
        kwargs["bn"] = False
    return kwargs


@register(infer_kwargs=infer_kwargs)
def carn(*, width: int = 64, scale: int = 4, bn: bool = True) -> CARN:
    """CARN-M branch; the paper's widths are nf = 36 / 52 / 64 (64 = CARN-O). ``bn=False``: ARM's US-CARN-M."""
    return CARN(width=width, scale=scale, bn=bn)

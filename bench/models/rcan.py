"""RCAN as used by ClassSR (Zhang et al., ECCV 2018; Kong et al., CVPR 2021, spec §1.1).

10 residual groups × 20 RCAB with channel attention (reduction 16), MeanShift at both ends. The authors' RCAN
works on pixel values in [0, 255] (its MeanShift biases are ∓255·mean and its checkpoints were trained that
way); this module keeps that internal range — so official weights load unchanged — but its interface is
[0, 1] like every other model here: it multiplies the input by 255 and divides the output by 255.
``groups``/``blocks`` below 10/20 are demo-scale reductions only.
"""
from __future__ import annotations

import torch
from torch import nn

from ..backbones import BackboneSpec
from .common import (MeanShift, check_rgb_batch, check_scale, check_width, count_indices, infer_scale,
                     init_scaled_kaiming, shape_of)
from .registry import register

SPEC = BackboneSpec(
    name="rcan", official_name="RCAN", paper_widths=(36, 50, 64), paper_depth={"groups": 10, "blocks": 20},
    published_flops={36: 10.33e9, 50: 19.90e9, 64: 32.60e9},  # printed to 0.01 G only
    authors_flops=(10330e6, 19900e6, 32600e6),
    # 1 M branch iterations as two 500k periods (the authors' single period crashes at 500,001, spec §8.10);
    # ClassSR: L1 weight 4 ≈ 1000/255 for RCAN's 0–255 range (old code: 250; spec §8.6)
    recipe={"branch": {"iterations": 1_000_000, "periods": (500_000, 500_000), "restarts": (500_000,),
                       "restart_weights": (1.0,)},
            "classsr": {"batch_size": 60, "lr": 3e-5, "eta_min": 2e-6, "periods": (500_000, 20_000),
                        "l1_weight": 4.0}},
    tiny={"width": 16, "widths": (16, 20, 24), "groups": 2, "blocks": 2},  # channel attention reduces by 16
)

RGB_RANGE = 255.0
REDUCTION = 16


def conv3(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, 1, 1)


class CALayer(nn.Module):
    def __init__(self, nf: int, reduction: int):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_du = nn.Sequential(nn.Conv2d(nf, nf // reduction, 1), nn.ReLU(inplace=True),
                                     nn.Conv2d(nf // reduction, nf, 1), nn.Sigmoid())

    def forward(self, x):
        return x * self.conv_du(self.avg_pool(x))


class RCAB(nn.Module):
    """conv → ReLU → conv → channel attention, + identity (keys ``body.{0,2,3}``; res_scale is 1)."""

    def __init__(self, nf: int, reduction: int):
        super().__init__()
        self.body = nn.Sequential(conv3(nf, nf), nn.ReLU(inplace=True), conv3(nf, nf), CALayer(nf, reduction))

    def forward(self, x):
        return self.body(x) + x


class ResidualGroup(nn.Module):
    def __init__(self, nf: int, blocks: int, reduction: int):
        super().__init__()
        self.body = nn.Sequential(*(RCAB(nf, reduction) for _ in range(blocks)), conv3(nf, nf))

    def forward(self, x):
        return self.body(x) + x


def upsampler(nf: int, scale: int) -> nn.Sequential:
    """EDSR's Upsampler without activation: ×2 stages (conv nf→4nf, PixelShuffle) or one ×3 stage."""
    stages = [(4, 2)] * (scale // 2) if scale in (2, 4) else [(9, 3)]
    layers = []
    for mult, shuffle in stages:
        layers += [conv3(nf, mult * nf), nn.PixelShuffle(shuffle)]
    return nn.Sequential(*layers)


class RCAN(nn.Module):
    """RCAN(n_feats=width); [0, 1] in and out, [0, 255] inside."""

    #: Pixel range the authors train RCAN in: losses are computed on this scale (spec §3.1).
    native_range = RGB_RANGE

    def __init__(self, *, width: int = 64, scale: int = 4, groups: int = 10, blocks: int = 20,
                 reduction: int = REDUCTION):
        super().__init__()
        self.width = check_width(width, minimum=reduction)
        self.scale = check_scale(scale)
        self.groups, self.blocks = check_width(groups, name="groups"), check_width(blocks, name="blocks")
        # Registration order = the authors' key order (sub_mean, add_mean, head, body, tail).
        self.sub_mean = MeanShift(rgb_range=RGB_RANGE, sign=-1)
        self.add_mean = MeanShift(rgb_range=RGB_RANGE, sign=1)
        self.head = nn.Sequential(conv3(3, width))
        self.body = nn.Sequential(*(ResidualGroup(width, blocks, reduction) for _ in range(groups)),
                                  conv3(width, width))
        self.tail = nn.Sequential(upsampler(width, scale), conv3(width, 3))
        init_scaled_kaiming([self.head, self.body, self.tail], 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_rgb_batch(x)
        h = self.head(self.sub_mean(x * RGB_RANGE))
        out = self.add_mean(self.tail(self.body(h) + h))
        return out / RGB_RANGE


def infer_kwargs(state: dict) -> dict:
    width = shape_of(state, "head.0.weight", "rcan")[0]
    groups = count_indices(state, "body.") - 1  # the last index of body is its tail conv
    return {"width": width, "groups": groups, "blocks": count_indices(state, "body.0.body.") - 1,
            "scale": infer_scale(state, "tail.0.0.weight", "tail.0.2.weight", width, "rcan")}


@register(infer_kwargs=infer_kwargs)
def rcan(*, width: int = 64, scale: int = 4, groups: int = 10, blocks: int = 20) -> RCAN:
    """RCAN branch; the paper's widths are n_feats = 36 / 50 / 64 (64 = RCAN-O), 10 groups × 20 blocks."""
    return RCAN(width=width, scale=scale, groups=groups, blocks=blocks)

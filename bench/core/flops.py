"""FLOPs per LR patch in ClassSR's convention and as true multiply-adds (Kong et al., CVPR 2021; spec §6).

Counting is done by ptflops (pytorch backend, functional-op patching off) with our own module hooks, so the
convention is stated here rather than inherited from a counter's defaults:

* ``"paper"``: 2 × multiply-adds of Conv2d, ConvTranspose2d and Linear layers; FSRCNN's transposed conv is
  counted on its *output* (HR) grid, as the authors' constants are; biases, activations, BatchNorm, pooling,
  pixel-shuffle, the bilinear skip and the fixed MeanShift 1×1 convs are not counted. This reproduces the
  full-precision per-branch costs printed by later work (ARM, ECCV 2022) exactly for CARN and SRResNet and to
  4 FLOPs for FSRCNN (their 141,262,852 vs 141,262,848 here).
* ``"macs"``: the true multiply-adds of every convolution (MeanShift included) and linear layer, transposed
  conv on its input grid (FSRCNN-56: 24,920,064 at 32×32).

All figures are per LR patch of ``lr_size``×``lr_size`` pixels (32 in the paper), in FLOPs or MACs (not G/M).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from math import prod
from typing import Sequence

import torch
from ptflops import get_model_complexity_info
from ptflops.flops_counter import FLOPS_BACKEND
from torch import nn

from ..backbones import spec
from ..models.common import MeanShift
from ..models.subpixel import SubPixelDeconv

CONVENTIONS = ("paper", "macs")

# The published per-branch costs (ARM's ``cost_list``), the constants of the authors' ``cal_FLOPs`` (hand-rounded,
# spec §6 / §8.9) and the classifier cost they add for ClassSR-FSRCNN only (7.4 M; the convention gives 7.60 M)
# are facts of each backbone: ``BackboneSpec.published_flops``, ``.authors_flops``, ``.authors_classifier_flops``.


def _conv_hook(module, inputs, output):
    per_position = (module.in_channels // module.groups) * module.out_channels * prod(module.kernel_size)
    module.__flops__ += per_position * output.shape[0] * prod(output.shape[2:])


def _deconv_hook(grid: str):
    def hook(module, inputs, output):
        per_position = module.in_channels * (module.out_channels // module.groups) * prod(module.kernel_size)
        spatial = output.shape[2:] if grid == "output" else inputs[0].shape[2:]
        module.__flops__ += per_position * output.shape[0] * prod(spatial)

    return hook


def _linear_hook(module, inputs, output):
    module.__flops__ += module.in_features * module.out_features * (output.numel() // module.out_features)


def _zero_hook(module, inputs, output):
    module.__flops__ += 0


_ZERO_COST = (nn.ReLU, nn.PReLU, nn.LeakyReLU, nn.Sigmoid, nn.BatchNorm2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
              nn.Upsample, nn.PixelShuffle)


def _hooks(convention: str) -> dict:
    hooks = {t: _zero_hook for t in _ZERO_COST}
    deconv = _deconv_hook("output" if convention == "paper" else "input")
    # SubPixelDeconv counts as the transposed conv it equals (the zero taps its fast path adds are not counted).
    hooks.update({nn.Conv2d: _conv_hook, nn.Linear: _linear_hook, nn.ConvTranspose2d: deconv, SubPixelDeconv: deconv,
                  MeanShift: _zero_hook if convention == "paper" else _conv_hook})
    return hooks


def count(model: nn.Module, lr_size: int = 32, convention: str = "paper") -> int:
    """FLOPs (``"paper"``) or MACs (``"macs"``) of one forward pass on a ``lr_size``² LR patch."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if getattr(model, "routed", False):  # ClassSR, ARM: the cost of one pass is the routing's
        raise TypeError(f"a routed model's cost ({type(model).__name__}) depends on its routing: count its paths "
                        "(classsr_costs() and average() for ClassSR)")
    was_training, log = model.training, io.StringIO()
    try:
        with torch.no_grad():
            macs, _ = get_model_complexity_info(
                model, (3, lr_size, lr_size), as_strings=False, print_per_layer_stat=False, ost=log,
                backend=FLOPS_BACKEND.PYTORCH, custom_modules_hooks=_hooks(convention),
                backend_specific_config={"count_functional": False})
    finally:
        model.train(was_training)
    if macs is None:  # ptflops swallows exceptions and returns None
        raise RuntimeError(f"FLOPs counting failed for {type(model).__name__}: {log.getvalue().strip()}")
    return int(macs) * (2 if convention == "paper" else 1)


@dataclass(frozen=True)
class ClassSRCost:
    """Per-patch costs of a ClassSR model's parts, in one convention."""

    classifier: int
    branches: tuple[int, ...]


def classsr_costs(model: nn.Module, lr_size: int = 32, convention: str = "paper") -> ClassSRCost:
    return ClassSRCost(count(model.classifier, lr_size, convention),
                       tuple(count(b, lr_size, convention) for b in model.branches))


def average(branch_costs: Sequence[float], counts: Sequence[int], *, classifier_cost: float = 0) -> float:
    """Patch-weighted mean cost (spec §6): Σ_k n_k·F_k / Σ_k n_k + classifier cost (pass 0 to leave it out)."""
    if len(branch_costs) != len(counts):
        raise ValueError(f"{len(counts)} class counts for {len(branch_costs)} branches")
    if any(n < 0 for n in counts) or sum(counts) == 0:
        raise ValueError(f"class counts must be non-negative with a positive total, got {list(counts)}")
    return sum(f * n for f, n in zip(branch_costs, counts)) / sum(counts) + classifier_cost


def authors_average(backbone: str, counts: Sequence[int]) -> float:
    """The authors' bookkeeping (``cal_FLOPs``): rounded constants, +7.4 M classifier for FSRCNN only."""
    s = spec(backbone)
    if not s.authors_flops:
        raise KeyError(f"no authors' constants for {backbone!r}")
    return average(s.authors_flops, counts, classifier_cost=s.authors_classifier_flops)

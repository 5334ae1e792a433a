"""PCSR's FLOPs, in closed form (pcsr.md §3): per image F = E·h·w + (C + L)·q + (Hv − L)·n_heavy, with E the
encoder's FLOPs per LR pixel and C, L, Hv the classifier's, light and heavy MLPs' per HR pixel (q = s²·h·w HR
pixels). ``paper``: PCSR's own counter — 2 × MAC for conv / transposed conv / linear layers (bias ignored),
2·numel for BatchNorm, numel for PReLU, 0 for anything without a weight; ``macs``: the multiply-adds of the conv
and linear layers alone. The constants are counted from the modules, so other widths or depths follow.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

#: LR side of the probe the encoder's per-pixel cost is counted on (padded convs keep the size; any side works).
PROBE = 4


@dataclass(frozen=True)
class Constants:
    encoder: float     # per LR pixel
    classifier: float  # per HR pixel
    light: float       # per HR pixel routed light
    heavy: float       # per HR pixel routed heavy


@dataclass(frozen=True)
class PixelCosts:
    paper: Constants
    macs: Constants

    def of(self, convention: str) -> Constants:
        if convention not in ("paper", "macs"):
            raise ValueError(f"convention must be paper or macs, got {convention!r}")
        return getattr(self, convention)

    def image(self, h: int, w: int, scale: int, n_heavy: int, convention: str = "paper") -> float:
        """FLOPs of one whole LR image h×w with ``n_heavy`` heavy HR pixels (PCSR's reported number)."""
        c, q = self.of(convention), scale * scale * h * w
        return c.encoder * h * w + (c.classifier + c.light) * q + (c.heavy - c.light) * n_heavy


def _mlp(mlp: nn.Module) -> float:
    return float(sum(m.in_features * m.out_features for m in mlp.modules() if isinstance(m, nn.Linear)))


def _encoder(encoder: nn.Module) -> tuple[float, float]:
    """(PCSR-counter FLOPs, MACs) of the encoder per LR pixel, by forward hooks on a PROBE² input."""
    totals = {"paper": 0.0, "macs": 0.0}

    def hook(module, inputs, output):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs = k * module.in_channels // module.groups * module.out_channels * output[0, 0].numel() * len(output)
            totals["macs"] += macs
            totals["paper"] += 2 * macs
        elif isinstance(module, nn.BatchNorm2d):
            totals["paper"] += 2 * inputs[0].numel()
        elif isinstance(module, nn.PReLU):
            totals["paper"] += inputs[0].numel()

    handles = [m.register_forward_hook(hook) for m in encoder.modules() if not list(m.children())]
    was_training = encoder.training
    try:
        encoder.eval()
        with torch.no_grad():
            device = next(encoder.parameters()).device
            encoder.features(torch.zeros(1, 3, PROBE, PROBE, device=device))
    finally:
        for h in handles:
            h.remove()
        encoder.train(was_training)
    return totals["paper"] / PROBE ** 2, totals["macs"] / PROBE ** 2


def pixel_costs(model: nn.Module) -> PixelCosts:
    """The constants of a PCSR model (its ``encoder``, ``classifier``, ``light_sampler``, ``heavy_sampler``)."""
    e_paper, e_macs = _encoder(model.encoder)
    mlps = [_mlp(m) for m in (model.classifier, model.light_sampler, model.heavy_sampler)]
    return PixelCosts(paper=Constants(e_paper, *(2 * m for m in mlps)), macs=Constants(e_macs, *mlps))

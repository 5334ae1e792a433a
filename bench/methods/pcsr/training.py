"""PCSR's two training phases as stages of the suite's one trainer (pcsr.md §5.2): the hooks
``bench.train.trainer`` calls for stages ``pcsr0`` and ``pcsr1``.

* ``pcsr0``: encoder + heavy MLP from scratch, L1 of (heavy MLP + bilinear residual) on every HR pixel.
* ``pcsr1``: light MLP + classifier; encoder and heavy MLP copied from phase 0, frozen and kept in eval mode (CARN's
  BatchNorm statistics stay phase 0's); loss ``l1_weight``·L1(p_light·light + p_heavy·heavy + residual) +
  ``average_weight``·|Σ p_heavy − B·q/2| / (B·q/2) over the batch's B·q pixels (target: half the pixels heavy).

Deviation, stated: the LR of a training pair is the prepared uint8 sub-image (the suite's data), where PCSR resizes
each HR crop in float on the fly. Files are written in PCSR's own format (``checkpoint.to_released``), so
``load_pcsr`` reads a phase-1 run as it reads PCSR's released networks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .checkpoint import read_phase0, to_released
from .model import PCSR


@dataclass(frozen=True)
class StageHooks:
    """What the trainer asks of a method's stage: build the model (and its init), its loss terms, which parameters
    learn, the train/eval mode of its parts before each step, and the object written as ``model.pth``."""

    build: Callable[..., nn.Module]
    losses: Callable[..., dict]
    trainable: Callable[[nn.Module], list]
    set_modes: Callable[[nn.Module], None]
    export: Callable[[nn.Module], dict]


def build(cfg) -> PCSR:
    model = PCSR(backbone=cfg.backbone, scale=cfg.scale, **(cfg.model_kwargs or {}))
    if cfg.stage == "pcsr1":
        if len(cfg.init) != 1:
            raise ValueError(f"pcsr1 starts from one phase-0 model (its encoder and heavy MLP), got {len(cfg.init)}")
        state = read_phase0(cfg.init[0])
        for part in (model.encoder, model.heavy_sampler):
            prefix = "encoder." if part is model.encoder else "heavy_sampler."
            part.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}, strict=True)
    return model


def _outputs(model: PCSR, lr: torch.Tensor, heads: tuple[str, ...]) -> tuple[torch.Tensor, dict]:
    """(bilinear residual in normalised space (b, 3, H, W), {head: output on every HR pixel (b·q, n)})."""
    s, (b, _, h, w) = model.scale, lr.shape
    x = lr - model.mean
    feats = model.encoder.features(x)
    q = torch.cat([model._queries(f, 0, s * h) for f in feats])  # (b·q, C + 4), image by image, row-major
    residual = F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
    return residual, {name: getattr(model, name)(q) for name in heads}


def _image(values: torch.Tensor, b: int, H: int, W: int) -> torch.Tensor:
    return values.view(b, H, W, 3).permute(0, 3, 1, 2)


def losses(model: PCSR, cfg, lr: torch.Tensor, hr: torch.Tensor, **_) -> dict[str, torch.Tensor]:
    b, (H, W) = len(lr), hr.shape[-2:]
    if cfg.stage == "pcsr0":
        residual, out = _outputs(model, lr, ("heavy_sampler",))
        l1 = F.l1_loss(_image(out["heavy_sampler"], b, H, W) + residual, hr - model.mean)
        return {"l1": l1, "loss": cfg.l1_weight * l1}
    residual, out = _outputs(model, lr, ("classifier", "light_sampler", "heavy_sampler"))
    p = F.softmax(out["classifier"], dim=1)
    mixed = p[:, :1] * out["light_sampler"] + p[:, 1:] * out["heavy_sampler"]
    l1 = F.l1_loss(_image(mixed, b, H, W) + residual, hr - model.mean)
    half = p.shape[0] / 2
    balance = (p[:, 1].sum() - half).abs() / half
    return {"l1": l1, "average_loss": balance, "loss": cfg.l1_weight * l1 + cfg.average_weight * balance,
            "frac_heavy": (p[:, 1] > 0.5).float().mean()}


def trainable(stage: str) -> Callable[[PCSR], list]:
    def params(model: PCSR) -> list:
        learn = (model.encoder, model.heavy_sampler) if stage == "pcsr0" else (model.light_sampler, model.classifier)
        for p in model.parameters():
            p.requires_grad_(False)
        for part in learn:
            part.requires_grad_(True)
        return [p for p in model.parameters() if p.requires_grad]
    return params


def set_modes(stage: str) -> Callable[[PCSR], None]:
    def modes(model: PCSR) -> None:
        model.train()
        if stage == "pcsr1":  # phase 0's parts frozen, BatchNorm statistics included
            model.encoder.eval()
            model.heavy_sampler.eval()
    return modes


HOOKS = {stage: StageHooks(build=build, losses=losses, trainable=trainable(stage), set_modes=set_modes(stage),
                           export=lambda model, stage=stage: to_released(model, f"pcsr-phase{stage[-1]}"))
         for stage in ("pcsr0", "pcsr1")}

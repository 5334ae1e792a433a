"""The method interface: what the engine, evaluation, perf, the routing cache and FLOPs accounting ask of a routed
(content-adaptive) model — ClassSR (Kong et al., CVPR 2021) and ARM (Chen et al., ECCV 2022) implement it; a plain
network (the "-O") is the one-path case and implements none of it. Generic code reads ``routed`` with
``getattr(model, "routed", False)`` and never asks which method it holds (a test greps for ``isinstance``)."""
from __future__ import annotations

from typing import Protocol

import torch
from torch import nn


class RoutedModel(Protocol):
    routed: bool
    """True: one pass's cost is its routing's (``bench.core.flops.count`` refuses the whole model)."""
    any_time: bool
    """True when ``route`` takes a run-time knob (``mode``: ARM's η); absent = False."""
    lazy_paths: bool
    """True when ``branches`` are built at first use (the engine prepares them itself); absent = False."""
    whole_image: bool
    """True for a pixel-level method (PCSR): the engine calls ``upscale_image(lr, coverage=, quantize=,
    with_probs=)`` → (SR, class per HR pixel[, probabilities]) instead of tiling; its ``path_costs`` are still per
    32×32 LR patch, averaged over the per-pixel classes. Absent = False."""
    tiled: bool
    """For a ``whole_image`` model: True when its SR is made of the grid's patches anyway (PCSR's patch mode), so
    its FLOPs per image count the patches run. Absent = False."""
    inference_modes: tuple[str, ...]
    """The inferences it can run: ``grid`` (the 32/28 patches) and/or ``whole`` (the covered LR at once); absent =
    the grid only (routing per patch). The protocol matrix scores each model under every one of them."""
    scale: int
    method: str
    """The method's name: the ``variant`` column of its evaluation rows (``classsr``, ``arm``, a registered one)."""

    @property
    def branches(self) -> list[nn.Module]:
        """The paths, cheapest first; path k runs the patches routed to k."""

    @property
    def router(self) -> nn.Module | None:
        """The module every patch passes before its path (its batch size and cost; logits for the routing cache),
        or None (ARM's edge score)."""

    @property
    def num_classes(self) -> int: ...

    def route(self, patches: torch.Tensor, **knob) -> tuple[torch.Tensor | None, torch.Tensor]:
        """(probabilities (n, M) or None, path index (n,)) of a batch of LR patches."""

    def check_classes(self, classes, n: int, device=None) -> torch.Tensor:
        """``classes`` as n path indices on ``device``, or a clear error."""

    def path_costs(self, convention: str = "paper") -> tuple[tuple[float, ...], float]:
        """(each path's cost, the router's) per 32×32 LR patch: "paper" FLOPs or "macs"."""

    def compile_networks(self, compile_fn) -> "RoutedModel":
        """Every network the engine calls replaced by ``compile_fn(network)``, in place."""


#: The members every routed model defines (the flags ``any_time`` and ``lazy_paths`` default to False).
MEMBERS = ("routed", "method", "scale", "branches", "router", "num_classes", "route", "check_classes", "path_costs",
           "compile_networks")

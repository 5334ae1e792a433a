"""The generic ClassSR container (Kong et al., "ClassSR", CVPR 2021, §3): a Class-Module plus M SR branches.

One class for every backbone and every M ≥ 2 — the authors' code has one near-copy per backbone and M = 3.
Branches are built through the registry, so a new backbone needs no change here.

* training mode: output = Σ_k p_k · branch_k(x) with p = softmax(classifier(x)), computed batched (the authors
  loop over samples one at a time, spec §1.4 / §8.1).
* a width of 0 is a zero-cost bicubic class (beyond the paper: ARM's cheapest path, for a learned router).
* eval mode (or forced classes): each sample goes to its argmax branch (first index on ties, like
  ``torch.argmax``); samples of one class are gathered and run through their branch once.

``run`` returns the SR output together with the routing, so callers never need a second classifier pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..backbones import check_branch_widths, spec
from .bicubic import BicubicBranch
from .common import check_classes, check_rgb_batch, check_scale
from .registry import BACKBONES, build, register


@dataclass(frozen=True)
class Routed:
    """SR output (N, 3, s·h, s·w) in [0, 1], softmax probabilities (N, M) or None, class per sample (N,); in
    training mode also every branch's output (the terms of the mixture; oracle labels are read off them)."""

    sr: torch.Tensor
    probs: torch.Tensor | None
    classes: torch.Tensor
    branch_sr: tuple[torch.Tensor, ...] | None = None


class ClassSR(nn.Module):
    #: The method interface the engine, evaluation and perf use (bench.core.inference): a routed model whose paths
    #: are ``branches``, decided by ``route`` after its ``router`` module; one pass's cost is its routing's
    routed, method = True, "classsr"

    def __init__(self, *, backbone: str, widths: Sequence[int], scale: int = 4, classifier: str = "classifier",
                 **branch_kwargs):
        super().__init__()
        if backbone not in BACKBONES:
            raise KeyError(f"unknown ClassSR backbone {backbone!r}; known: {', '.join(BACKBONES)}")
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) < 2:
            raise ValueError(f"widths must be a sequence of at least 2 branch widths, got {widths!r}")
        self.backbone, self.scale = backbone, check_scale(scale)
        self.widths = check_branch_widths(widths, f"classsr_{backbone}")
        # any registered classifier taking num_classes (the paper's Class-Module by default)
        self.classifier_name = classifier
        self.classifier = build(classifier, num_classes=len(self.widths))
        # width 0: the zero-cost bicubic class (beyond the paper; bench/models/bicubic.py)
        self.branches = nn.ModuleList(BicubicBranch(scale) if w == 0 else
                                      build(backbone, width=w, scale=scale, **branch_kwargs) for w in self.widths)

    @property
    def num_classes(self) -> int:
        return len(self.branches)

    @property
    def router(self) -> nn.Module:
        """The module that runs on every patch before its branch (the Class-Module): its batch size and cost."""
        return self.classifier

    def compile_networks(self, compile_fn) -> "ClassSR":
        """Every network the engine calls (Class-Module, branches) replaced by ``compile_fn(network)``, in place."""
        self.classifier = compile_fn(self.classifier)
        self.branches = nn.ModuleList(compile_fn(b) for b in self.branches)
        return self

    def path_costs(self, convention: str = "paper") -> tuple[tuple[int, ...], int]:
        """(each branch's cost, the Class-Module's) per 32×32 LR patch, "paper" FLOPs or "macs" (spec §6)."""
        from ..core import flops  # at call time: flops imports this package's building blocks

        c = flops.classsr_costs(self, 32, convention)
        return c.branches, c.classifier

    def authors_flops(self, backbone: str, counts) -> float:
        """The authors' bookkeeping of a routing (rounded constants, +7.4 M for FSRCNN's classifier), defined for
        the paper's widths only (NaN otherwise)."""
        from ..core import flops

        return flops.authors_average(backbone, counts) if tuple(self.widths) == spec(backbone).paper_widths \
            else float("nan")

    @property
    def networks(self) -> list[nn.Module]:
        """The branches that are networks (every branch but a bicubic class): what pretrained files load into."""
        return [b for b in self.branches if not isinstance(b, BicubicBranch)]

    def route(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(softmax probabilities (N, M), argmax class (N,)) for a batch of LR patches."""
        probs = F.softmax(self.classifier(x), dim=1)
        return probs, probs.argmax(dim=1)

    def run(self, x: torch.Tensor, *, classes: torch.Tensor | None = None) -> Routed:
        """Forward with routing. ``classes`` forces the branch of every sample (the classifier is then skipped)."""
        check_rgb_batch(x)
        if classes is not None:
            return Routed(self.dispatch(x, classes), None, classes)
        probs, argmax = self.route(x)
        if self.training:
            outs = tuple(branch(x) for branch in self.branches)
            return Routed(sum(p.view(-1, 1, 1, 1) * out for p, out in zip(probs.unbind(1), outs)), probs, argmax, outs)
        return Routed(self.dispatch(x, argmax), probs, argmax)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x).sr

    def dispatch(self, x: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        """Run each branch once on the samples routed to it; scatter back in input order."""
        classes = self.check_classes(classes, len(x), x.device)
        n, _, h, w = x.shape
        out = x.new_empty((n, 3, self.scale * h, self.scale * w))
        for k, branch in enumerate(self.branches):
            idx = torch.nonzero(classes == k).squeeze(1)
            if idx.numel():
                out = out.index_copy(0, idx, branch(x.index_select(0, idx)))
        return out

    def check_classes(self, classes, n: int, device=None) -> torch.Tensor:
        """``classes`` as a tensor of n class ids in [0, M − 1] on ``device``; a clear error otherwise."""
        return check_classes(classes, n, self.num_classes, device)


@register
def classsr(*, backbone: str, widths: Sequence[int] | None = None, scale: int = 4, classifier: str = "classifier",
            **branch_kwargs) -> ClassSR:
    """ClassSR over any registered backbone and classifier; ``widths`` default to the paper's (its
    ``BackboneSpec``), depth kwargs to the backbone constructor's. ``classsr_<backbone>`` (the authors' model
    names) are aliases."""
    return ClassSR(backbone=backbone, widths=spec(backbone).paper_widths if widths is None else widths,
                   scale=scale, classifier=classifier, **branch_kwargs)

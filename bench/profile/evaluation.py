"""The profile's evaluation and latency sections (`evaluate`, `perf`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..config import Count, PositiveInt
from ..backbones import names as backbone_names
from .released import _check_knobs
from .train import _check_depth

@dataclass(frozen=True)
class EvalConfig:
    batch_size: PositiveInt = 64      # patches per forward pass during evaluation
    """Patches per forward pass during evaluation."""
    coverage: Literal["paper", "full"] = "paper"
    """paper (the authors' grid, remainder dropped) or full (edge-flush patches)."""
    other_inference: bool = True
    """Also score every model under the inference it does not run by default (a plain network on the whole covered
    LR image, PCSR on the 32/28 grid): the protocol table's grid-vs-whole column. One more untimed pass per -O
    network; false skips it (a whole 8K image through RCAN needs about 20 GB)."""
    routing_curves: bool = True
    """Per-patch routing cache of every ClassSR model (one pass of every branch over each test set) and the
    any-time, oracle, random and bicubic-path curves and classifier efficiency derived from it."""


@dataclass(frozen=True)
class PerfDepth:
    """Depth of a backbone in the latency benchmark (None = the paper's)."""

    blocks: PositiveInt | None = None
    """Residual blocks (SRResNet 16, RCAN 20 per group)."""
    groups: PositiveInt | None = None
    """RCAN residual groups (paper 10)."""


@dataclass(frozen=True)
class PerfConfig:
    """Latency benchmark (``python -m bench perf``): paper widths, random seeded weights, one LR image."""

    backbones: tuple[str, ...] | None = None  # None: the backbones the profile trains or evaluates
    """Backbones to time (paper widths, random seeded weights); null = train.backbones."""
    image: str | None = None
    """LR image to super-resolve; null = the embedded 'rocket' photograph."""
    crop: str | None = None
    """Crop the LR image to HxW pixels (top-left), e.g. 200x300; null = whole image."""
    size: str | None = None
    """Mirror-tile the LR image to HxW pixels, e.g. 1080x1920 (8K output at x4)."""
    modes: tuple[Literal["per_patch", "batched", "whole"], ...] = ("per_patch", "batched", "whole")
    """per_patch (the authors' loop), batched (this suite's engine), whole (original, no tiling)."""
    mixes: tuple[Literal["real", "simple", "hard", "mix"], ...] = ("real", "simple", "hard", "mix")
    """ClassSR routing: real (its classifier), simple, hard, mix (forced 50/20/30 %)."""
    arm_knobs: tuple[float | str, ...] = ("e3", 1.0, 4.0)
    """ARM's routed inference timed at these knobs (k, e<j>, best) for backbones with an ARM supernet and a
    released table (FSRCNN, CARN); empty = no ARM."""
    repeats: PositiveInt = 5
    """Timed runs per case (interleaved); the median is reported."""
    warmup: Count = 1
    """Untimed runs per case first."""
    batch_size: PositiveInt | Literal["auto"] = "auto"
    """Patches per forward pass, or auto (measured per branch)."""
    layout: Literal["channels_last", "contiguous"] = "channels_last"
    """Memory layout of the batched engine: channels_last (default) or contiguous."""
    device: str = "auto"
    """auto (CUDA when present), cpu, or cuda[:N]."""
    depth: dict[str, PerfDepth] = field(default_factory=dict)
    """Per-backbone depth overrides (srresnet: blocks; rcan: groups, blocks); empty = the paper's."""

    def __post_init__(self):
        unknown = (set(self.backbones or ()) | set(self.depth)) - set(backbone_names())
        if unknown:
            raise ValueError(f"perf: unknown backbone(s) {sorted(unknown)}; known: {', '.join(backbone_names())}")
        for backbone, d in self.depth.items():
            _check_depth(f"perf.depth.{backbone}", backbone, d)
        _check_knobs("perf.arm_knobs", self.arm_knobs)

    def cli_args(self, default_backbones: tuple[str, ...] | None = None) -> list[str]:
        """The equivalent ``python -m bench perf`` arguments (``default_backbones`` when ``backbones`` is unset)."""
        args = ["--backbones", *(self.backbones or default_backbones or backbone_names()), "--modes", *self.modes, "--mixes", *self.mixes,
                "--repeats", str(self.repeats), "--warmup", str(self.warmup), "--batch-size", str(self.batch_size),
                "--layout", self.layout, "--device", self.device, "--arm-knobs", *map(str, self.arm_knobs)]
        for flag, value in (("--image", self.image), ("--crop", self.crop), ("--size", self.size)):
            args += [flag, value] if value else []
        for backbone, d in sorted(self.depth.items()):
            for key, value in (("blocks", d.blocks), ("groups", d.groups)):
                args += [f"--{backbone}-{key}", str(value)] if value is not None else []
        return args

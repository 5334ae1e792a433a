"""The profile's data and class-split sections: training sources, test sets, degradation, the class split
(ClassSR, Kong et al., CVPR 2021, §4.1; spec §4)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..config import Count, Identifier, PositiveFloat, PositiveInt
from ..backbones import spec
from ..fetch import resolve_folder

@dataclass(frozen=True)
class TestSetConfig:
    """One test set. ``downscale`` resizes the source HR first (Test2K = DIV8K ×¼, Test4K = ×½)."""

    name: Identifier
    """Test-set name (folder and table label), e.g. test2k."""
    source: Literal["embedded", "folder", "div2k", "div8k", "processed"] = "embedded"
    """embedded, folder, div2k (0801-0900), div8k (first-last) or processed (HR/X4, LR/X4)."""
    root: str | None = None
    """Folder of the source (not needed for embedded), or the key div2k: DIV2K fetched into the cache (bench.fetch)."""
    first: PositiveInt | None = None
    """First DIV8K index (div8k only), e.g. 1201."""
    last: PositiveInt | None = None
    """Last DIV8K index (div8k only), e.g. 1300."""
    downscale: PositiveFloat = 1.0
    """MATLAB-bicubic factor applied to the HR first (Test2K 0.25, Test4K 0.5, Test8K 1)."""
    lr_bits: Literal[8, 16] = 8
    """LR file depth: 8 (uint8 PNGs: the suite's, ClassSR's and ARM's protocol) or 16 (the MATLAB-bicubic LR kept
    at 16 bits, within 1/65535 of float: PCSR's protocol, LR resized in float from the HR; pcsr.md §4)."""

    def __post_init__(self):
        object.__setattr__(self, "root", resolve_folder(self.root))  # a fetch key names its cache folder


@dataclass(frozen=True)
class DataConfig:
    """Training HR source and degradation (spec §4): MATLAB bicubic, augmentation scales, sub-image grid."""

    source: Literal["embedded", "folder", "div2k", "none"] = "embedded"  # none: evaluation-only profiles
    """Training HR images: embedded (offline default), folder, div2k, or none (evaluation only)."""
    root: str | None = None
    """Folder of the training source (folder: the images; div2k: holds DIV2K_train_HR/), or the key div2k: DIV2K
    fetched into the cache (bench.fetch)."""
    scale: int = 4
    """SR scale factor (the paper: 4)."""
    aug_scales: tuple[float, ...] = (1.0, 0.9, 0.8, 0.7, 0.6)
    """Rescaling factors of the training HR images (MATLAB bicubic), paper {1, .9, .8, .7, .6}."""
    lr_patch: PositiveInt = 32
    """LR sub-image side in pixels (paper 32)."""
    lr_step: PositiveInt = 16
    """LR sub-image step in pixels (paper 16)."""
    lr_thresh: Count = 12
    """Add an edge-flush sub-image when the uncovered remainder exceeds this (paper 12)."""
    test_sets: tuple[TestSetConfig, ...] = (TestSetConfig(name="embedded"),)
    """Test sets evaluated by the workflow."""
    jobs: PositiveInt = 1
    """Processes used to prepare the training images."""

    def __post_init__(self):
        object.__setattr__(self, "root", resolve_folder(self.root))
        if self.scale not in (2, 3, 4):
            raise ValueError(f"data.scale must be 2, 3 or 4, got {self.scale}")
        if not self.aug_scales or any(not 0 < s <= 1 for s in self.aug_scales):
            raise ValueError(f"data.aug_scales must be in (0, 1], got {self.aug_scales}")
        if len({t.name for t in self.test_sets}) != len(self.test_sets):
            raise ValueError("data.test_sets names must be unique")


@dataclass(frozen=True)
class SplitConfig:
    """Class split by a reference MSRResNet's per-sub-image PSNR (spec §4).

    ``thresholds``: ``paper`` (27.16882 / 35.149761 dB, M = 3 only), ``quantile`` (equal-size classes), ``auto``
    (paper for DIV2K training data, quantile otherwise) or an explicit ascending list of M − 1 dB values.
    """

    num_classes: int = 3
    """Number of classes M (= branches)."""
    thresholds: Literal["auto", "paper", "quantile"] | tuple[float, ...] = "auto"
    """paper (27.16882/35.149761 dB), quantile, auto (paper on DIV2K) or M-1 ascending dB."""
    reference_checkpoint: str | None = None
    """MSRResNet checkpoint (authors' format) to split with; null = train stage 0."""
    batch_size: PositiveInt = 64
    """Sub-images per forward pass of the reference network."""

    def __post_init__(self):
        # refused here, before any job: otherwise the split job fails after stage 0 has trained
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be ≥ 2 (simple → hard), got {self.num_classes}")
        if self.thresholds == "paper" and self.num_classes != 3:
            raise ValueError(f"thresholds 'paper' define 3 classes, but num_classes is {self.num_classes}; "
                             "use 'quantile' or M − 1 dB values")
        if isinstance(self.thresholds, tuple):
            t = list(self.thresholds)
            if len(t) != self.num_classes - 1 or t != sorted(set(t)):
                raise ValueError(f"thresholds {t}: need {self.num_classes - 1} strictly ascending dB values for "
                                 f"num_classes {self.num_classes}")

"""The science profile (``configs/*.yaml``): data, class split, training; typed, unknown keys rejected.

Every number of the paper's recipe (spec §3–4) is a default here or in ``bench.train.recipes``; a profile only
states what it changes, e.g. iteration counts for a demo. ``load_profile`` is the single entry point.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .config import (ConfigError, Count, FolderName, Fraction, Identifier, NonNegativeFloat, PositiveFloat,
                     PositiveInt, from_dict, merge, read_numbers, read_yaml)
from .backbones import names as backbone_names
from .backbones import check_branch_widths, spec
from .schema import check_config

STAGES = ("reference", "branch", "baseline", "classsr", "joint", "arm")  # arm: ARM's supernet (arm.md §5)


@dataclass(frozen=True)
class TestSetConfig:
    """One test set. ``downscale`` resizes the source HR first (Test2K = DIV8K ×¼, Test4K = ×½)."""

    name: Identifier
    """Test-set name (folder and table label), e.g. test2k."""
    source: Literal["embedded", "folder", "div2k", "div8k", "processed"] = "embedded"
    """embedded, folder, div2k (0801-0900), div8k (first-last) or processed (HR/X4, LR/X4)."""
    root: str | None = None
    """Folder of the source (not needed for embedded)."""
    first: PositiveInt | None = None
    """First DIV8K index (div8k only), e.g. 1201."""
    last: PositiveInt | None = None
    """Last DIV8K index (div8k only), e.g. 1300."""
    downscale: PositiveFloat = 1.0
    """MATLAB-bicubic factor applied to the HR first (Test2K 0.25, Test4K 0.5, Test8K 1)."""


@dataclass(frozen=True)
class DataConfig:
    """Training HR source and degradation (spec §4): MATLAB bicubic, augmentation scales, sub-image grid."""

    source: Literal["embedded", "folder", "div2k", "none"] = "embedded"  # none: evaluation-only profiles
    """Training HR images: embedded (offline default), folder, div2k, or none (evaluation only)."""
    root: str | None = None
    """Folder of the training source (folder: the images; div2k: holds DIV2K_train_HR/)."""
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


@dataclass(frozen=True)
class StageConfig:
    """Overrides of the paper recipe for one stage (None = the paper's value)."""

    iterations: PositiveInt | None = None
    """Training iterations."""
    batch_size: PositiveInt | None = None
    """Sub-images per iteration."""
    lr: PositiveFloat | None = None
    """Initial learning rate (Adam)."""
    eta_min: float | None = None
    """Minimum learning rate of the cosine schedule."""
    periods: tuple[PositiveInt, ...] | None = None
    """Cosine periods (iterations)."""
    restarts: tuple[Count, ...] | None = None
    """Iterations at which the cosine schedule restarts."""
    restart_weights: tuple[float, ...] | None = None
    """Learning-rate multiplier at each restart."""
    l1_weight: float | None = None
    """Weight of the L1 image loss (ClassSR: 1000; RCAN 4 on 0-255)."""
    class_weight: float | None = None
    """Weight of the Class-Loss (paper 0.5; 0 = off)."""
    average_weight: float | None = None
    """Weight of the Average-Loss (paper 3; 0 = off)."""
    oracle_weight: float | None = None
    """Weight of the cross-entropy of the Class-Module against per-patch oracle labels (the branch minimising SSE +
    oracle_lambda·FLOPs on each training sub-image); 0 = off, the paper. ClassSR and joint stages only."""
    oracle_lambda: NonNegativeFloat | None = None
    """λ of the oracle labels: squared error (0-255 scale, summed over the HR patch) per paper FLOP, the units of the
    routing curves' oracle knob; larger = cheaper labels."""
    oracle_cache: bool | None = None
    """Score every training sub-image once with the frozen branches and train the Class-Module alone on those oracle
    costs (oracle_weight > 0 and the paper's three weights 0): one Class-Module pass per iteration instead of M
    branch passes. false = labels from the branch outputs of every batch."""
    oracle_target: Literal["label", "soft"] | None = None
    """With oracle_cache: label = cross-entropy against the oracle label; soft = against softmax(−regret/T), regret_k =
    c_k − min c, c_k = w·SSE_k + λ·FLOPs_k, in units of oracle_regret_scale (cost-sensitive: a near-tie is a soft target)."""
    oracle_smoothing: Fraction | None = None
    """Label smoothing of the label target (0 = none): softer logits, so the any-time bias traces a curve."""
    oracle_temperature: PositiveFloat | None = None
    """T of the soft target (regret in units of oracle_regret_scale): smaller = closer to the hard label."""
    oracle_regret_scale: Literal["mean", "median"] | None = None
    """The unit of the soft target's regret: its mean over the cache, or the median of its non-zero values — robust
    to the heavy tail of a few very textured sub-images, which makes the mean large and most targets near-uniform."""
    oracle_weighting: Literal["pooled", "image"] | None = None
    """w of the oracle costs: pooled (w = 1: the PSNR of all patches pooled) or image (w ∝ 1 / the sub-image's image
    SSE: the mean of per-image PSNR, as the tables report)."""
    oracle_subimages: Count | None = None
    """With oracle_cache: score this many training sub-images, drawn at random (0 = all of them)."""
    calibrate_images: Count | None = None
    """With oracle_cache: hold this many training photographs out of stage 2 and choose the operating point on them
    — the cheapest logit bias (two knobs: linear in the class, and class 0's) within calibrate_drop_db of the widest
    branch (bench/train/calibrate.py); 0 = the trained argmax, the paper."""
    calibrate_drop_db: NonNegativeFloat | None = None
    """The PSNR drop (dB, image mean, against the widest branch) the held-out photographs may show at the chosen
    operating point."""


@dataclass(frozen=True)
class BackboneConfig:
    """Branch widths (simple → hard; the last is the "-O" network) and depth kwargs (demo reductions)."""

    widths: tuple[Count, ...] | None = None
    """Branch widths, simple to hard; the last is the original (-O) network. A first 0 adds a zero-cost bicubic
    class (beyond the paper: ARM's cheapest path, for the Class-Module to learn)."""
    blocks: PositiveInt | None = None
    """Residual blocks (SRResNet 16, RCAN 20 per group); fewer = demo reduction."""
    groups: PositiveInt | None = None
    """RCAN residual groups (paper 10); fewer = demo reduction."""
    classifier: str | None = None  # registry name of the Class-Module (None: the paper's)
    """Registry name of the ClassSR classifier (null = the paper's Class-Module); a new classifier is one model file
    plus this line."""
    stages: dict[str, StageConfig] = field(default_factory=dict)  # per-backbone overrides, over train.stages
    """Per-backbone overrides of the stage recipes, applied over train.stages."""
    branch_source: Literal["train", "arm"] = "train"
    """Where the branches and the -O come from: train (stage 1 and the -O trained here, the paper) or arm (sliced from
    the profile's ARM supernet — ARM's released file in arm.folder, else the one stage arm trains — at the branch
    widths, the -O at the widest: ClassSR on DIV2K-trained networks; no class split, stage 1 or -O training)."""

    def __post_init__(self):
        unknown = set(self.stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stage(s) {sorted(unknown)}; known: {', '.join(STAGES)}")

    def model_kwargs(self) -> dict[str, int]:
        return {k: v for k, v in (("blocks", self.blocks), ("groups", self.groups)) if v is not None}


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 10
    """Random seed (the authors': 10)."""
    device: str = "auto"
    """auto (CUDA when present), cpu, or cuda[:N]."""
    amp: bool = False
    """bfloat16 mixed precision on CUDA."""
    compile: bool = False
    """torch.compile the networks."""
    channels_last: bool = True
    """Train in the channels-last memory layout (NHWC): on CPU 1.2-2x the samples/s of the default layout for these
    networks; same maths, rounding-level differences."""
    loader_workers: Count = 0   # batch-building processes (0 = in the training process; use 2–8 on a GPU)
    """Batch-building processes (0 = in the training process)."""
    log_every: PositiveInt = 100
    """Iterations between train_log.csv rows."""
    checkpoint_every: PositiveInt = 5000
    """Iterations between resumable checkpoints."""
    snapshot_every: Count = 0   # -O weights kept every N iterations for the learning curve (0 = none)
    """Iterations between kept weights of every -O network (snapshots/, also at iteration 0), evaluated into its
    learning curve against bicubic; 0 = none."""
    stage2_points: Count = 4
    """Evenly spaced kept weights of every ClassSR stage-2 run (plus iteration 0 and the final) for its learning
    curve: class fractions on the test sets and on training sub-images, mean confidence, PSNR and FLOPs against
    the iteration (tables/stage2.md); 0 = none."""
    joint: bool = False
    """Run stage 3, joint fine-tuning of classifier and branches."""
    branch_data: Literal["class", "all"] = "class"
    """Pretrain branch k on class-k data (paper) or on all data (ablation)."""

    reference: BackboneConfig = BackboneConfig(widths=(64,))
    """The reference MSRResNet of the class split (paper: width 64, 16 blocks)."""
    backbones: dict[str, BackboneConfig] = field(default_factory=lambda: {b: BackboneConfig() for b in
                                                                          backbone_names()})
    """Backbones to run, with their branch widths and depth (demo reductions)."""
    stages: dict[str, StageConfig] = field(default_factory=dict)
    """Overrides of the paper recipe per stage (reference, branch, baseline, classsr, joint)."""

    def __post_init__(self):
        unknown = set(self.stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stage(s) {sorted(unknown)} in train.stages; known: {', '.join(STAGES)}")
        unknown = sorted(set(self.backbones) - set(backbone_names()))
        if unknown:
            raise ValueError(f"backbones: unknown backbone(s) {unknown}; known: {', '.join(backbone_names())}")
        if self.reference.widths and 0 in self.reference.widths:
            raise ValueError(f"reference.widths {list(self.reference.widths)}: the reference network needs a width > 0")
        for name, backbone in self.backbones.items():
            _check_depth(f"backbones.{name}", name, backbone)
            if backbone.widths is not None and len(backbone.widths) < 2:
                raise ValueError(f"backbones.{name}.widths: ClassSR needs at least 2 branch widths (simple → hard), "
                                 f"got {list(backbone.widths)}")
            if backbone.widths is not None:
                check_branch_widths(backbone.widths, f"backbones.{name}")


def _check_depth(where: str, backbone: str, cfg) -> None:
    """Only the depth kwargs a backbone's spec declares (e.g. SRResNet: blocks; RCAN: groups, blocks)."""
    allowed = spec(backbone).depth_keys
    bad = [k for k in ("blocks", "groups") if getattr(cfg, k) is not None and k not in allowed]
    if bad:
        raise ValueError(f"{where}: {bad} not adjustable for {backbone} (its depth kwargs: "
                         f"{', '.join(allowed) or 'none'})")


@dataclass(frozen=True)
class AblationConfig:
    """One ablation variant of a backbone's ClassSR: plain overrides of the profile. ``set`` takes any ``train.*``
    key, dotted (``{train.stages.classsr.lr: 1e-4}``), so a new axis is a config line. The other fields are
    shorthands for the paper's axes (spec §7): ``widths`` (and so M), loss weights of the ClassSR and joint
    stages, joint fine-tuning, branch pretraining data. Runs a variant does not change are shared."""

    id: Identifier
    """Run id of the variant (tables and folders)."""
    backbone: str
    """Backbone of the variant."""
    set: dict[str, Any] = field(default_factory=dict)
    """Any train.* key, dotted, with its value for this variant, e.g. {train.stages.classsr.lr: 1e-4}: a new ablation
    axis is a config line."""
    widths: tuple[Count, ...] | None = None
    """Branch widths (their number sets the number of classes; a first 0 is the zero-cost bicubic class)."""
    class_weight: float | None = None
    """Class-Loss weight of the variant (0 = off)."""
    average_weight: float | None = None
    """Average-Loss weight of the variant (0 = off)."""
    joint: bool | None = None
    """Joint fine-tuning for this variant."""
    branch_data: Literal["class", "all"] | None = None
    """Branch pretraining data of this variant: class or all."""

    def __post_init__(self):
        if self.id in ("original", "classsr", "bicubic"):
            raise ValueError(f"ablation id {self.id!r} is reserved (the -O, ClassSR and bicubic rows)")
        if self.widths is not None and len(self.widths) < 2:
            raise ValueError(f"ablation {self.id}: widths needs at least 2 branches")
        if self.widths is not None:
            check_branch_widths(self.widths, f"ablation {self.id}")
        for key in self.set:
            if not key.startswith("train.") or any(part in key.split(".") for part in ("reference", "baseline")):
                raise ValueError(f"ablation {self.id}: set.{key}: only train.* keys of the ClassSR setting can be "
                                 "ablated (data, split, the reference network and the -O baseline are shared by "
                                 "every variant)")

    def overrides(self) -> dict[str, Any]:
        """Every change of this variant as dotted keys (the shorthands expanded, then ``set``)."""
        b = f"train.backbones.{self.backbone}"
        out: dict[str, Any] = {f"{b}.widths": list(self.widths)} if self.widths else {}
        for name in ("class_weight", "average_weight"):
            if getattr(self, name) is not None:
                out |= {f"{b}.stages.{stage}.{name}": getattr(self, name) for stage in ("classsr", "joint")}
        out |= {f"train.{k}": getattr(self, k) for k in ("joint", "branch_data") if getattr(self, k) is not None}
        return out | self.set


@dataclass(frozen=True)
class OfficialConfig:
    """Evaluate the authors' released checkpoints instead of training (``folder`` set): file names per backbone,
    ``{name}`` = FSRCNN, CARN, SRResNet or RCAN. The "-O" file name is not fixed by the authors: set it."""

    folder: str | None = None
    """Folder of the authors' .pth files; set = evaluate them instead of training."""
    classsr: str = "ClassSR_{name}.pth"
    """File name of a ClassSR checkpoint; {name} = FSRCNN, CARN, SRResNet or RCAN."""
    original: str = "{name}_O.pth"
    """File name of an original (-O) checkpoint; {name} as above."""


def _check_knobs(where: str, knobs) -> None:
    """ARM's knobs, by the verbs' own parser: best, e0…e3 (a path forced) or k > 0 (η = k·C_3)."""
    from .arm.tables import parse_knob

    for knob in knobs:
        try:
            parse_knob(knob)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None


@dataclass(frozen=True)
class ArmConfig:
    """ARM (Chen et al., "ARM: Any-Time Super-Resolution Method", ECCV 2022; spec arm.md) next to ClassSR, under the
    same protocol: its supernets, routed by edge score through a lookup table and the knob η, swept over ``knobs``.
    ``folder`` set: ARM's released checkpoints are evaluated; else each supernet is trained (train.stages.arm,
    ARM's recipe by default) and its table built from training sub-images."""

    backbones: tuple[str, ...] = ()
    """ARM supernets to evaluate: fsrcnn, carn, srresnet (empty = no ARM)."""
    folder: str | None = None
    """Folder of ARM's released checkpoints (ARM-Net's ckpt/); null = train the supernets."""
    checkpoint: str = "arm-{name}.pth"
    """File name of a released supernet in folder; {name} = fsrcnn, carn or srresnet."""
    table: str = "auto"
    """Lookup table: auto (released checkpoints: ARM's released table; trained: calibrate), released, calibrate
    (from calibration_patches training sub-images), or a file name in folder ({name} as above) of ARM's .state or
    this suite's table CSV."""
    knobs: tuple[float | str, ...] = ("e1", "e2", "e3", 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
    """The η sweep: numbers are ARM's k (η = k·C_3 FLOPs), e<j> forces path j (e0 = bicubic), best = ARM's
    highest-PSNR path; default ARM's test mode (e1 e2 e3, k 0.5 … 32)."""
    calibration_patches: PositiveInt = 20000
    """Training sub-images the lookup table is built from (table: calibrate)."""

    def __post_init__(self):
        from .arm.tables import ARM_WIDTHS, RELEASED

        unknown = sorted(set(self.backbones) - set(ARM_WIDTHS))
        if unknown:
            raise ValueError(f"backbones: no ARM supernet {unknown}; known: {', '.join(ARM_WIDTHS)}")
        _check_knobs("knobs", self.knobs)
        if self.backbones and not self.knobs:
            raise ValueError("knobs: empty, so ARM's sweep would evaluate nothing; list k values or e1…e3")
        missing = [b for b in self.backbones if b not in RELEASED]
        if self.table == "released" and missing:
            raise ValueError(f"table: ARM released no lookup table for {missing}; use calibrate or a file")
        if self.table == "released" and not self.folder:
            raise ValueError("table: released tables belong to ARM's released weights; a trained supernet (no "
                             "folder) needs its own: calibrate")
        if self.table not in ("auto", "released", "calibrate") and not self.folder:
            raise ValueError(f"table: {self.table!r} is a file name in arm.folder, which is not set")

    def table_mode(self, backbone: str) -> str:
        """released, calibrate or file for one backbone (auto resolved)."""
        from .arm.tables import RELEASED

        if self.table == "auto":
            return "released" if self.folder and backbone in RELEASED else "calibrate"
        return self.table if self.table in ("released", "calibrate") else "file"


@dataclass(frozen=True)
class EvalConfig:
    batch_size: PositiveInt = 64      # patches per forward pass during evaluation
    """Patches per forward pass during evaluation."""
    coverage: Literal["paper", "full"] = "paper"
    """paper (the authors' grid, remainder dropped) or full (edge-flush patches)."""
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


@dataclass(frozen=True)
class Profile:
    name: FolderName = "default"
    """Profile name; outputs go to results/<name>/ and logs/<name>/ (a plain folder name)."""
    data: DataConfig = DataConfig()
    """Training HR source, degradation and test sets (spec §4)."""
    split: SplitConfig = SplitConfig()
    """Class split of the training sub-images by reference-network PSNR."""
    train: TrainConfig = TrainConfig()
    """Training stages; every value not set is the paper's recipe (spec §3.2)."""
    ablations: tuple[AblationConfig, ...] = ()
    """ClassSR variants, each a run id with overridden settings (spec §7)."""
    evaluate: EvalConfig = EvalConfig()
    """Evaluation settings."""
    official: OfficialConfig = OfficialConfig()
    """Evaluate the authors' released checkpoints instead of training."""
    perf: PerfConfig = PerfConfig()
    """Latency benchmark of the perf target (wall time next to FLOPs)."""
    arm: ArmConfig = ArmConfig()
    """ARM (ECCV 2022), ClassSR's successor, evaluated next to it under the same protocol."""

    def perf_args(self) -> list[str]:
        """``python -m bench perf`` arguments of the perf section, timing the profile's backbones by default."""
        return self.perf.cli_args(tuple(self.train.backbones))

    def __post_init__(self):
        if self.official.folder and self.ablations:
            raise ValueError("ablations need training; an official-checkpoint profile (official.folder) has none")
        if self.data.source == "none" and any(self.arm.table_mode(b) == "calibrate" for b in self.arm.backbones):
            raise ValueError("arm: training ARM or calibrating its table needs training data, but data.source is "
                             "none; set arm.folder (and arm.table) to evaluate ARM's released files")
        for ab in self.ablations:  # ARM's sweep rows are models arm_<knob>
            if ab.id == "arm" or ab.id.startswith("arm_"):
                raise ValueError(f"ablation id {ab.id!r} is reserved for ARM's runs (arm, arm_<knob>)")
        _check_arm_branches(self)


def _check_arm_branches(profile: Profile) -> None:
    """Branches sliced from an ARM supernet exist only at ARM's widths, for backbones ARM has."""
    from .arm.tables import ARM_WIDTHS

    for name, backbone in profile.train.backbones.items():
        if backbone.branch_source != "arm":
            continue
        where = f"train.backbones.{name}.branch_source arm"
        if name not in ARM_WIDTHS:
            raise ValueError(f"{where}: ARM has no {name} supernet (ARM's: {', '.join(ARM_WIDTHS)})")
        widths = backbone.widths or spec(name).paper_widths
        if not set(widths) - {0} <= set(ARM_WIDTHS[name]):  # 0: the bicubic class, no slice
            raise ValueError(f"{where}: widths {list(widths)} are not all widths of ARM's {name} supernet "
                             f"{list(ARM_WIDTHS[name])}")
        if backbone.blocks is not None or backbone.groups is not None:
            raise ValueError(f"{where}: the depth is the supernet's; remove blocks/groups")


def load_profile(path: str | Path | None = None, overrides: dict | None = None) -> Profile:
    """Profile from a YAML file plus dict overrides: the one validation of ``bench`` and the workflow (read_yaml:
    no empty file, no repeated key; numbers in scientific notation read as numbers; bench.config.Rule bounds)."""
    raw = read_numbers(Profile, merge(read_yaml(path) if path else {}, overrides or {}))
    try:
        profile = from_dict(Profile, raw)
    except ConfigError as e:
        raise ConfigError(f"{path or 'profile'}: {e}") from None
    _check_classes(profile, path)
    return profile


def workflow_profile(config: dict, configfiles=()) -> Profile:
    """The Snakemake config as a Profile, validated as ``load_profile`` validates a file. Snakemake has read the
    config files with plain YAML already, so each is read again here for what that hides (an empty file, a repeated
    key); numbers Snakemake kept as strings (``1e-4``) are written back into ``config`` as numbers, so that the
    jobs receive them as such. The JSON schema then names a bad key with its description."""
    for path in configfiles:
        read_yaml(path)
    config.update(read_numbers(Profile, config))
    check_config(config, Profile)
    return load_profile(None, config)


def _check_classes(profile: Profile, path) -> None:
    """One class per branch. Checked on the loaded profile only: an ablation's derived profile changes one
    backbone's widths and its split together, and leaves the other backbones as they were."""
    for name, backbone in profile.train.backbones.items():
        widths = backbone.widths or spec(name).paper_widths
        if widths and len(widths) != profile.split.num_classes:
            raise ConfigError(f"{path or 'profile'}: split.num_classes is {profile.split.num_classes} but "
                              f"train.backbones.{name}.widths has {len(widths)} branches {list(widths)}: one class "
                              "per branch (set both)")

"""The profile's training section: stage recipes' overrides, backbones and their branch widths, ablations
(ClassSR, Kong et al., CVPR 2021, §3; spec §3)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..config import Count, Fraction, Identifier, NonNegativeFloat, PositiveFloat, PositiveInt
from ..backbones import names as backbone_names
from ..backbones import check_branch_widths, spec

#: arm: ARM's supernet (arm.md §5); pcsr0 / pcsr1: PCSR's phases (encoder + heavy MLP, then light MLP +
#: classifier; pcsr.md §5), trained where a profile's methods.pcsr has no released folder
STAGES = ("reference", "branch", "baseline", "classsr", "joint", "arm", "pcsr0", "pcsr1")


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
    seeds: tuple[int, ...] = ()
    """Repeat every training run once per seed (issue 25): the first seed's runs and evaluations keep the plain
    runs/ and eval/ folders, each further seed gets runs_s<seed>/ and eval_s<seed>/; data, the reference network,
    the class split and every released network are shared. Tables report the mean and sd across seeds, and
    intervals resample seeds and test images. train.seed becomes the first of them. Empty = one seed, train.seed."""
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
        if len(set(self.seeds)) != len(self.seeds) or any(s < 0 for s in self.seeds):
            raise ValueError(f"seeds {list(self.seeds)}: distinct non-negative integers expected")
        if self.seeds:  # the first seed is the plain folders' seed: every run reads train.seed
            object.__setattr__(self, "seed", self.seeds[0])
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

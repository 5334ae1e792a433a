"""One training run, fully resolved: the paper recipe for (stage, backbone) ⊕ profile overrides ⊕ paths.

The resolved ``RunConfig`` is saved as ``config.yaml`` beside the run's outputs, and its hash guards resumption:
a run folder is only continued by the same configuration.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

import yaml

from ..config import from_dict, read_yaml, to_dict
from ..backbones import spec
from ..arm.tables import ARM_FLAVOUR, ARM_WIDTHS
from ..profile import STAGES, BackboneConfig, Profile
from .recipes import paper_recipe
from .schedule import CosineRestart

#: Fields that may change between a run and its resumption without changing its result on one device.
NOT_HASHED = ("log_every", "checkpoint_every", "snapshot_every", "device", "compile", "loader_workers")
#: Fields added after runs existed: left out of the digest at their default, so those runs keep their folders.
UNHASHED_AT_DEFAULT = {"oracle_weight": 0.0, "oracle_lambda": 0.0, "oracle_cache": False, "oracle_target": "label",
                       "oracle_smoothing": 0.0, "oracle_temperature": 1.0, "oracle_weighting": "pooled",
                       "oracle_subimages": 0, "oracle_regret_scale": "mean",
                       "calibrate_images": 0, "calibrate_drop_db": 0.03}


@dataclass(frozen=True)
class RunConfig:
    stage: Literal["reference", "branch", "baseline", "classsr", "joint", "arm", "pcsr0", "pcsr1"]
    backbone: str
    widths: tuple[int, ...]
    data_dir: str
    iterations: int
    batch_size: int
    lr: float
    eta_min: float
    periods: tuple[int, ...]
    restarts: tuple[int, ...] = ()
    restart_weights: tuple[float, ...] = ()
    l1_weight: float = 1.0
    class_weight: float = 0.0
    average_weight: float = 0.0
    oracle_weight: float = 0.0
    oracle_lambda: float = 0.0
    oracle_cache: bool = False
    oracle_target: Literal["label", "soft"] = "label"
    oracle_smoothing: float = 0.0
    oracle_temperature: float = 1.0
    oracle_regret_scale: Literal["mean", "median"] = "mean"
    oracle_weighting: Literal["pooled", "image"] = "pooled"
    oracle_subimages: int = 0
    calibrate_images: int = 0
    calibrate_drop_db: float = 0.03
    model_kwargs: dict[str, int | str | bool] | None = None  # depth kwargs; ClassSR stages also a non-default
    # classifier; branches sliced from an ARM supernet its flavour (CARN: bn False)
    scale: int = 4
    classes_csv: str | None = None
    class_id: int | None = None
    init: tuple[str, ...] = ()
    betas: tuple[float, ...] = (0.9, 0.99)
    weight_decay: float = 0.0
    seed: int = 10
    device: str = "auto"
    amp: bool = False
    compile: bool = False
    channels_last: bool = True
    loader_workers: int = 0
    log_every: int = 100
    checkpoint_every: int = 5000
    snapshot_every: int = 0

    def __post_init__(self):
        if self.stage == "branch" and self.class_id is not None and self.classes_csv is None:
            raise ValueError("a branch run on class data needs classes_csv")
        if self.stage in ("classsr", "joint") and len(self.widths) < 2:
            raise ValueError(f"{self.stage} needs at least 2 widths, got {self.widths}")
        if self.iterations < 1 or self.batch_size < 1:
            raise ValueError("iterations and batch_size must be ≥ 1")
        if self.oracle_cache and (self.stage != "classsr" or self.oracle_weight <= 0
                                  or any((self.l1_weight, self.class_weight, self.average_weight))):
            raise ValueError("oracle_cache trains the Class-Module alone on oracle costs (stage classsr): it needs "
                             "oracle_weight > 0 and l1_weight, class_weight, average_weight 0, got "
                             f"stage {self.stage}, oracle_weight {self.oracle_weight}, l1_weight {self.l1_weight}, "
                             f"class_weight {self.class_weight}, average_weight {self.average_weight}")
        if not self.oracle_cache and (self.oracle_target != "label" or self.oracle_smoothing or self.oracle_subimages
                                      or self.oracle_weighting != "pooled" or self.oracle_temperature != 1.0
                                      or self.oracle_regret_scale != "mean"):
            raise ValueError("oracle_target, oracle_smoothing, oracle_temperature, oracle_regret_scale, "
                             "oracle_weighting and oracle_subimages need oracle_cache: true")
        if (self.calibrate_images or self.calibrate_drop_db != 0.03) and not self.oracle_cache:
            raise ValueError("calibrate_images and calibrate_drop_db choose the operating point on branch errors "
                             "scored like the oracle cache's: they need oracle_cache: true")
        if self.calibrate_images < 0 or self.calibrate_drop_db < 0:
            raise ValueError(f"calibrate_images and calibrate_drop_db must be ≥ 0, got {self.calibrate_images}, "
                             f"{self.calibrate_drop_db}")

    def digest(self) -> str:
        data = {k: v for k, v in to_dict(self).items() if k not in NOT_HASHED
                and not (k in UNHASHED_AT_DEFAULT and v == UNHASHED_AT_DEFAULT[k])}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    def save(self, path: Path) -> None:
        path.write_text(yaml.safe_dump(to_dict(self), sort_keys=False))

    @classmethod
    def load(cls, path: str | Path) -> "RunConfig":
        return from_dict(cls, read_yaml(path), "run")


def _model_kwargs(bb, stage: str, name: str) -> dict:
    # the classifier only where there is one, and only when not the paper's: other runs keep their digests
    classifier = {"classifier": bb.classifier} if bb.classifier and stage in ("classsr", "joint") else {}
    flavour = ARM_FLAVOUR.get(name, {}) if bb.branch_source == "arm" and stage in ("classsr", "joint") else {}
    return {**bb.model_kwargs(), **classifier, **flavour}


def resolve(profile: Profile, stage: str, backbone: str, *, data_dir: str, classes_csv: str | None = None,
            class_id: int | None = None, init: tuple[str, ...] = ()) -> RunConfig:
    """The run of ``stage`` for ``backbone`` under ``profile`` (reference runs always use MSRResNet)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; known: {', '.join(STAGES)}")
    train = profile.train
    if stage == "reference":
        bb, name = train.reference, "srresnet"
    elif stage == "arm":  # ARM's supernet: its own widths; depth as the backbone's ClassSR runs, if any
        bb, name = train.backbones.get(backbone, BackboneConfig()), backbone
        bb = BackboneConfig(widths=ARM_WIDTHS[backbone], blocks=bb.blocks, groups=bb.groups, stages=bb.stages)
    elif stage in ("pcsr0", "pcsr1"):  # PCSR's encoder width (pcsr.md §1.1); depth and overrides as for ARM
        from ..methods.pcsr.configs import CONFIGS

        bb, name = train.backbones.get(backbone, BackboneConfig()), backbone
        bb = BackboneConfig(widths=(CONFIGS[backbone]["width"],), blocks=bb.blocks, groups=bb.groups,
                            stages=bb.stages)
    else:
        if backbone not in train.backbones:
            raise ValueError(f"backbone {backbone!r} is not in train.backbones ({', '.join(train.backbones)})")
        bb, name = train.backbones[backbone], backbone
    widths = bb.widths or spec(name).paper_widths
    if stage in ("branch",):
        widths = (widths[class_id if class_id is not None else -1],)
    elif stage == "baseline":
        widths = (widths[-1],)
    recipe = paper_recipe(stage, name)
    for overrides in (train.stages.get(stage), bb.stages.get(stage)):  # profile-wide, then this backbone's
        if overrides is not None:
            recipe.update({f.name: getattr(overrides, f.name) for f in fields(overrides)
                           if getattr(overrides, f.name) is not None})
    try:
        CosineRestart(recipe["lr"], recipe["eta_min"], tuple(recipe["periods"]), tuple(recipe["restarts"]),
                      tuple(recipe["restart_weights"]))
    except ValueError as e:
        raise ValueError(f"train.stages.{stage} ({name}): {e} — override periods, restarts and restart_weights "
                         "together") from None
    return RunConfig(stage=stage, backbone=name, widths=tuple(widths), data_dir=str(data_dir),
                     model_kwargs=_model_kwargs(bb, stage, name), scale=profile.data.scale, classes_csv=classes_csv,
                     class_id=class_id if stage == "branch" and train.branch_data == "class" else None,
                     init=tuple(init), seed=train.seed, device=train.device, amp=train.amp, compile=train.compile,
                     channels_last=train.channels_last,
                     loader_workers=train.loader_workers,
                     log_every=train.log_every, checkpoint_every=train.checkpoint_every,
                     snapshot_every=_snapshot_every(train, stage, recipe["iterations"]), **recipe)


def _snapshot_every(train, stage: str, iterations: int) -> int:
    """Kept weights: the -O's every train.snapshot_every, stage 2's at train.stage2_points even steps."""
    if stage == "baseline":
        return train.snapshot_every
    if stage == "classsr" and train.stage2_points:
        return max(1, iterations // train.stage2_points)
    return 0

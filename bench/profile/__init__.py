"""The science profile (``configs/*.yaml``): data, class split, training; typed, unknown keys rejected.

Every number of the paper's recipe (spec §3–4) is a default here or in ``bench.train.recipes``; a profile only
states what it changes, e.g. iteration counts for a demo. ``load_profile`` is the single entry point.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import ConfigError, FolderName, PositiveInt, from_dict, merge, read_numbers, read_yaml
from ..backbones import spec
from ..schema import check_config
from .data import DataConfig, SplitConfig, TestSetConfig
from .evaluation import EvalConfig, PerfConfig, PerfDepth
from .released import ArmConfig, FetchConfig, OfficialConfig
from .train import STAGES, AblationConfig, BackboneConfig, StageConfig, TrainConfig
__all__ = ["STAGES", "AblationConfig", "ArmConfig", "BackboneConfig", "DataConfig", "EvalConfig", "FetchConfig", "OfficialConfig",
           "PerfConfig", "PerfDepth", "Profile", "SplitConfig", "StageConfig", "TestSetConfig", "TrainConfig",
           "load_profile", "workflow_profile"]


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
    threads: PositiveInt = 1
    """Torch threads per workflow job (capped at --cores): --cores N runs N / threads jobs at once. 1 by measurement:
    on 2 cores two 1-thread training jobs at once took 0.78-0.85 of the time of two 2-thread jobs in sequence
    (docs/thread_efficiency.py). Trained weights depend on it (~1e-6), so a reference run states it."""
    fetch: FetchConfig = FetchConfig()
    """Released files named by key (arm-net, pcsr-save, div2k): cache, opt-in download, mirror (bench.fetch)."""
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Registered adaptive methods to evaluate (bench.methods), each with its own section, e.g. methods.<name>:
    {backbones: [fsrcnn]}; its keys are checked by the method's config."""

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
    from ..arm.tables import ARM_WIDTHS

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
    _check_methods(profile, path)
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


def _check_methods(profile: Profile, path) -> None:
    """Every ``methods.<name>`` names a registered method and passes its config (checked at load, by key)."""
    from ..methods import method_config

    for name, raw in profile.methods.items():
        try:
            method_config(name, raw)
        except ConfigError as e:
            raise ConfigError(f"{path or 'profile'}: {e}") from None
        except KeyError as e:
            raise ConfigError(f"{path or 'profile'}: methods.{name}: {e.args[0]}") from None

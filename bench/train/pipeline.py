"""The paper's training chain for a profile, run in order in one process; completed runs are skipped.

Paths and job configurations come from ``bench.plan.dag.Plan``, so this chain and the Snakemake DAG (which runs the
same jobs separately) share one layout and each other's completed runs.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import split
from ..plan.dag import Plan, Variant
from ..data.subimages import SubImages
from ..device import pick_device
from ..plan.layout import train_index
from ..models import load_official
from ..profile import Profile
from .trainer import train


def class_split(profile: Profile, data_dir: Path, reference: Path, out: Path) -> pd.DataFrame:
    """Per-sub-image PSNR of the reference MSRResNet and the class table (``split.thresholds``)."""
    if out.is_file():
        return pd.read_csv(out)
    index = pd.read_csv(train_index(data_dir))
    model = load_official("srresnet", reference, scale=profile.data.scale)
    psnr = split.reference_psnr(model, SubImages(data_dir, index, scale=profile.data.scale),
                                batch_size=profile.split.batch_size, device=str(pick_device(profile.train.device)))
    mode = profile.split.thresholds
    if mode == "auto":
        mode = "paper" if profile.data.source == "div2k" and profile.split.num_classes == 3 else "quantile"
    return split.split(index, psnr, num_classes=profile.split.num_classes, mode=mode, out=out)


def run_variant(plan: Plan, v: Variant, done: set[Path]) -> dict[str, Path]:
    """Train every run a variant needs that is not done yet (shared branches and baselines run once)."""
    out = {}
    for k, path in enumerate(plan.branch_models(v.backbone, v.id)):
        out[f"branch{k}"] = _once(plan.branch_run(v.backbone, plan.tag(v.backbone, v.id), k), path, done)
    width = v.widths[-1]
    out["baseline"] = _once(plan.baseline_run(v.backbone, width), plan.baseline_model(v.backbone, width), done)
    for stage in ("classsr", "joint")[: 2 if v.profile.train.joint else 1]:
        out[stage] = _once(plan.variant_run(v.backbone, v.id, stage), plan.variant_model(v.backbone, v.id, stage),
                           done)
    return out


def _once(cfg, path: Path, done: set[Path]) -> Path:
    if path not in done:
        train(cfg, path.parent)
        done.add(path)
    return path


def run_all(plan: Plan) -> dict[str, Path]:
    """Reference net, class split(s), every variant's runs and ARM's supernets, in dependency order."""
    if not plan.layout.path("manifest").is_file():
        raise FileNotFoundError(f"{plan.data_dir} is not a prepared data folder: run `python -m bench prepare` "
                                "first")
    reference = plan.reference_model()
    if not plan.profile.split.reference_checkpoint:
        train(plan.reference_run(), reference.parent)
    out, done = {"reference": reference}, set()
    for m in sorted({len(v.widths) for v in plan.variants.values()}):
        table = class_split(plan.split_profile(m), plan.data_dir, reference, plan.classes(m))
        out[f"classes_m{m}"] = plan.classes(m)
        print(f"class split (M = {m}): {table['class'].value_counts().sort_index().to_dict()}")
    for v in plan.variants.values():
        out.update({f"{v.backbone}/{v.id}/{k}": p for k, p in run_variant(plan, v, done).items()})
    if not plan.profile.arm.folder:  # ARM's supernets (their tables: python -m bench arm-table)
        for backbone in plan.profile.arm.backbones:
            out[f"{backbone}/arm"] = _once(plan.arm_run(backbone), plan.arm_model(backbone), done)
    return out

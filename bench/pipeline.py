"""The paper's training chain for a profile, run in order; every step is skipped when its output exists.

Layout under ``runs``: ``reference/model.pth`` (stage 0, unless ``split.reference_checkpoint`` is given),
``classes.csv`` (the class split), then per backbone ``branch{k}/``, ``baseline/`` (the "-O" network),
``classsr/`` and, with ``train.joint``, ``joint/``. The Snakemake DAG runs the same steps as separate jobs.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import split
from .data.subimages import SubImages
from .models import PAPER_WIDTHS, load_official
from .profile import Profile
from .train.run import resolve
from .train.trainer import pick_device, train


def reference_checkpoint(profile: Profile, data_dir: Path, runs: Path) -> Path:
    if profile.split.reference_checkpoint:
        path = Path(profile.split.reference_checkpoint)
        if not path.is_file():
            raise FileNotFoundError(f"split.reference_checkpoint {path} does not exist")
        return path
    return train(resolve(profile, "reference", "srresnet", data_dir=str(data_dir)), runs / "reference")


def class_split(profile: Profile, data_dir: Path, reference: Path, out: Path) -> pd.DataFrame:
    """Per-sub-image PSNR of the reference MSRResNet and the class table (``split.thresholds``)."""
    if out.is_file():
        return pd.read_csv(out)
    index = pd.read_csv(data_dir / "train" / "subimages.csv")
    model = load_official("srresnet", reference, scale=profile.data.scale)
    psnr = split.reference_psnr(model, SubImages(data_dir, index, scale=profile.data.scale),
                                batch_size=profile.split.batch_size, device=str(pick_device(profile.train.device)))
    mode = profile.split.thresholds
    if mode == "auto":
        mode = "paper" if profile.data.source == "div2k" and profile.split.num_classes == 3 else "quantile"
    return split.split(index, psnr, num_classes=profile.split.num_classes, mode=mode, out=out)


def train_backbone(profile: Profile, backbone: str, data_dir: Path, classes: Path, runs: Path) -> dict[str, Path]:
    base, data = runs / backbone, str(data_dir)
    n = profile.split.num_classes
    out = {f"branch{k}": train(resolve(profile, "branch", backbone, data_dir=data, classes_csv=str(classes),
                                       class_id=k), base / f"branch{k}") for k in range(n)}
    out["baseline"] = train(resolve(profile, "baseline", backbone, data_dir=data), base / "baseline")
    branches = tuple(str(out[f"branch{k}"]) for k in range(n))
    out["classsr"] = train(resolve(profile, "classsr", backbone, data_dir=data, init=branches), base / "classsr")
    if profile.train.joint:
        out["joint"] = train(resolve(profile, "joint", backbone, data_dir=data, init=(str(out["classsr"]),)),
                             base / "joint")
    return out


def run_all(profile: Profile, data_dir: str | Path, runs: str | Path) -> dict[str, Path]:
    data_dir, runs = Path(data_dir), Path(runs)
    if not (data_dir / "manifest.sha256").is_file():
        raise FileNotFoundError(f"{data_dir} is not a prepared data folder: run `python -m bench prepare` first")
    m = profile.split.num_classes
    bad = {b: list(c.widths or PAPER_WIDTHS[b]) for b, c in profile.train.backbones.items()
           if len(c.widths or PAPER_WIDTHS[b]) != m}
    if bad:
        raise ValueError(f"train.backbones widths {bad} do not give one branch per class (split.num_classes = {m})")
    reference = reference_checkpoint(profile, data_dir, runs)
    classes = runs / "classes.csv"
    table = class_split(profile, data_dir, reference, classes)
    out = {"reference": reference, "classes": classes}
    for backbone in profile.train.backbones:
        out.update({f"{backbone}/{k}": v for k, v in train_backbone(profile, backbone, data_dir, classes,
                                                                    runs).items()})
    print(f"class split: {table['class'].value_counts().sort_index().to_dict()}")
    return out

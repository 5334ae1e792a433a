"""Per-patch anatomy of one trained ClassSR on one test set: every branch's PSNR on every patch, the -O's, the
classifier's choice, and the patch's class by the split's own criterion (the reference MSRResNet's PSNR against
the training split's thresholds).

It answers *why* a ClassSR routes as it does (Kong et al., CVPR 2021, §3): ClassSR saves FLOPs only where a narrow
branch is about as good as the wide one; where the wide branch wins on every kind of patch, the L1 term of stage 2
pulls the routing to it. Patch PSNR: RGB, 8-bit, scale-px border crop, on the authors' 32/28 grid.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..analysis.evaluate import testset_pairs
from ..core.images import read_image, to_tensor
from ..models import load_official
from ..provenance import write_atomic
from ..train.split import assign, patch_psnr
from ..core.tiling import extract, make_grid
from .common import limit_threads


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="ClassSR checkpoint (authors' key format)")
    parser.add_argument("--arch", required=True, help="its registry name, e.g. classsr_fsrcnn")
    parser.add_argument("--original", help="the -O network's checkpoint (adds its per-patch PSNR)")
    parser.add_argument("--reference", required=True, help="the reference MSRResNet of the class split")
    parser.add_argument("--classes", required=True, help="the split's classes.csv (its thresholds are used)")
    parser.add_argument("--testset", required=True, help="prepared test set folder (holds pairs.csv)")
    parser.add_argument("--out", required=True, help="CSV to write (one row per patch)")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64, help="patches per forward pass")


def split_thresholds(classes_csv: str | Path) -> tuple[float, ...]:
    """The PSNR thresholds (dB, ascending) a stored split used: the lowest PSNR of every class but the hardest."""
    table = pd.read_csv(classes_csv)
    m = int(table["class"].max()) + 1
    return tuple(sorted(float(table.loc[table["class"] == k, "psnr_db"].min()) for k in range(m - 1)))


@torch.no_grad()
def anatomy(classsr, original, reference, thresholds, testset: Path, scale: int, batch_size: int = 64) -> pd.DataFrame:
    """One row per patch of every test image; patches go through the networks ``batch_size`` at a time, so memory
    stays bounded on 8K images (Test8K: 296,412 patches)."""
    frames = []
    for name, lr_path, hr_path in testset_pairs(testset, scale=scale):
        lr, hr = to_tensor(read_image(lr_path), name=str(lr_path)), to_tensor(read_image(hr_path), name=str(hr_path))
        grid = make_grid(lr.shape[1], lr.shape[2])
        for start in range(0, len(grid), batch_size):
            stop = min(start + batch_size, len(grid))
            frames.append(_patch_rows(classsr, original, reference, thresholds, lr, hr, grid, start, stop, scale)
                          .assign(image=name))
    df = pd.concat(frames, ignore_index=True)
    return df[["image"] + [c for c in df.columns if c != "image"]]


def _patch_rows(classsr, original, reference, thresholds, lr, hr, grid, start: int, stop: int,
                scale: int) -> pd.DataFrame:
    x = extract(lr, grid, start, stop)
    s, p = scale, grid.patch
    hr_patches = torch.stack([hr[:, s * y:s * (y + p), s * xx:s * (xx + p)]
                              for y, xx in map(grid.position, range(start, stop))])
    ref = patch_psnr(reference(x), hr_patches, s).numpy()
    probs, chosen = classsr.route(x)
    row = {"patch": np.arange(start, stop), "ref_psnr_db": ref, "ref_class": assign(ref, thresholds),
           "class": chosen.numpy(), "max_prob": probs.amax(1).numpy()}
    for k, branch in enumerate(classsr.branches):
        row[f"psnr_branch{k}_db"] = patch_psnr(branch(x), hr_patches, s).numpy()
    if original is not None:
        row["psnr_original_db"] = patch_psnr(original(x), hr_patches, s).numpy()
    return pd.DataFrame(row)


def run(args: argparse.Namespace) -> int:
    limit_threads()
    classsr = load_official(args.arch, args.model, scale=args.scale).eval()
    backbone = args.arch.removeprefix("classsr_")
    original = load_official(backbone, args.original, scale=args.scale).eval() if args.original else None
    reference = load_official("srresnet", args.reference, scale=args.scale).eval()
    thresholds = split_thresholds(args.classes)
    df = anatomy(classsr, original, reference, thresholds, Path(args.testset), args.scale, args.batch_size)
    write_atomic(args.out, lambda tmp: df.to_csv(tmp, index=False))
    psnr = [c for c in df.columns if c.startswith("psnr_")]
    print(f"split thresholds (dB): {[round(t, 3) for t in thresholds]}; {len(df)} patches")
    print("share of patches per class, by the split's criterion (ref_class) and by the classifier (class):")
    print(pd.DataFrame({"ref_class": df["ref_class"].value_counts(normalize=True),
                        "class": df["class"].value_counts(normalize=True)}).sort_index().fillna(0).round(3))
    print("mean patch PSNR (dB) of every network, per ref_class:")
    print(df.groupby("ref_class")[psnr].mean().round(3).to_string())
    print("classifier's class per ref_class (row shares):")
    print(pd.crosstab(df["ref_class"], df["class"], normalize="index").round(2).to_string())
    return 0

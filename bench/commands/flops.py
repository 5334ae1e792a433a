"""FLOPs per LR patch of every backbone at the paper's branch widths and of the classifier.

Both conventions (``flops_paper`` = the paper's 2×MAC bookkeeping, ``macs`` = true multiply-adds), next to
the published per-branch costs at ×4 and the relative difference. Writes a tidy CSV with ``--out``.
"""
from __future__ import annotations

import argparse

import pandas as pd

from ..core import flops
from ..backbones import spec, specs
from ..models import build
from ..provenance import provenance, write_atomic

ROLES = ("simple", "medium", "hard")


def table(*, scale: int = 4, lr_size: int = 32) -> pd.DataFrame:
    rows = []
    for backbone, s in specs().items():  # the paper's Table 1 order
        for role, width in zip(ROLES, s.paper_widths):
            rows.append(_row(backbone, width, role, build(backbone, width=width, scale=scale), scale, lr_size))
    rows.append(_row("classifier", None, "classifier", build("classifier"), scale, lr_size))
    df = pd.DataFrame(rows).astype({"width": "Int64", "flops_published": "Int64"})
    return df.assign(**provenance())


def _row(model: str, width, role: str, net, scale: int, lr_size: int) -> dict:
    published = None
    if scale == 4 and lr_size == 32:
        # the classifier's only printed cost is the constant the authors add for ClassSR-FSRCNN
        published = (spec("fsrcnn").authors_classifier_flops if model == "classifier"
                     else spec(model).published_flops.get(width))
    paper = flops.count(net, lr_size, "paper")
    return {"model": model, "width": width, "role": role, "scale": scale, "lr_size": lr_size,
            "params": sum(p.numel() for p in net.parameters()), "flops_paper": paper,
            "macs": flops.count(net, lr_size, "macs"), "flops_published": published,
            "diff_pct": None if published is None else round(100 * (paper - published) / published, 4)}


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=int, default=4, choices=(2, 3, 4), help="SR scale (default 4, the paper's)")
    parser.add_argument("--lr-size", type=int, default=32, help="LR patch side in pixels (default 32)")
    parser.add_argument("--out", help="also write the table as CSV to this path")


def run(args: argparse.Namespace) -> int:
    df = table(scale=args.scale, lr_size=args.lr_size)
    shown = df.drop(columns=["git_rev", "torch_version", "device", "lr_size"]).astype(object)
    shown = shown.where(shown.notna(), "-")
    print(f"FLOPs per {args.lr_size}×{args.lr_size} LR patch, ×{args.scale} "
          "(flops_paper = 2×MACs of conv/linear, FSRCNN deconv on the HR grid; macs = true multiply-adds)")
    print(shown.to_string(index=False))
    if "classifier" in set(df["model"]):
        print("note: the authors add 7.4 M for the classifier (ClassSR-FSRCNN only); the convention gives "
              f"{int(df.loc[df['model'] == 'classifier', 'flops_paper'].iloc[0]):,}.")
    if args.out:
        write_atomic(args.out, lambda tmp: df.to_csv(tmp, index=False))
        print(f"wrote {args.out}")
    return 0

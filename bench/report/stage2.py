"""Stage 2 of ClassSR as it trains (issue 22): what the Class-Module routes, on the test set and on training
sub-images, at every kept iteration — from ``python -m bench curve`` CSVs only (no torch).

The paper's Average-Loss balances the classes of the *training batches*; whether the test set is routed alike is
a separate question, and a gap between the two is the first thing to look at when ClassSR saves fewer FLOPs than
published. ``routing_gap`` = total-variation distance between the train and test class fractions (0 = the same
routing, 1 = disjoint).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .tables import BICUBIC



def stage2_table(curves: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (backbone, test set, model, iteration)."""
    keys = ["backbone", "testset", "model", "iteration"]
    classes = sorted(c for c in curves.columns if c.startswith("n_class"))
    test, train = curves[curves["split"] == "test"], curves[curves["split"] == "train"]
    rows = []
    for key, g in test.groupby(keys, sort=True):
        patches = g["patches"].sum()
        row = dict(zip(keys, key), psnr_db=g["psnr_rgb_db"].mean(),
                   flops_paper=(g["flops_paper"] * g["patches"]).sum() / patches,
                   mean_max_prob=(g["mean_max_prob"] * g["patches"]).sum() / patches)
        row |= {f"frac_class{c[7:]}": g[c].sum() / patches for c in classes if g[c].notna().any()}
        t = train.set_index(keys).loc[[key]] if key in train.set_index(keys).index else None
        if t is not None:
            row["train_mean_max_prob"] = float(t["mean_max_prob"].iloc[0])
            row |= {f"train_frac_class{c[7:]}": float(t[c].iloc[0] / t["patches"].iloc[0]) for c in classes
                    if f"frac_class{c[7:]}" in row}
            row["routing_gap"] = 0.5 * sum(abs(row[f"frac_class{c[7:]}"] - row[f"train_frac_class{c[7:]}"])
                                           for c in classes if f"frac_class{c[7:]}" in row)
        rows.append(row)
    table = pd.DataFrame(rows)
    original = _per_patch_flops(summary[summary["model"] == "original"])
    bicubic = summary[summary["model"] == BICUBIC].groupby("testset")["psnr_rgb_db"].mean()
    table["flops_pct"] = 100 * table["flops_paper"] / [original.get((b, t), np.nan) for b, t in
                                                        zip(table["backbone"], table["testset"])]
    table["gain_over_bicubic_db"] = table["psnr_db"] - table["testset"].map(bicubic)
    first = keys + ["psnr_db", "gain_over_bicubic_db", "flops_pct", "mean_max_prob"]
    return table[first + [c for c in table.columns if c not in first]]


def _per_patch_flops(rows: pd.DataFrame) -> dict:
    return {k: (g["flops_paper"] * g["patches"]).sum() / g["patches"].sum()
            for k, g in rows.groupby(["backbone", "testset"])}


def stage2_figure(table: pd.DataFrame, testset: str, out: Path, caption: str) -> None:
    """Per ClassSR model: FLOPs % of the -O and the share of the hardest class, test (solid) and train (dashed),
    and the gain over bicubic, against the stage-2 iteration."""
    from . import figures  # matplotlib only where a figure is drawn

    plt = figures.plt
    sub = table[table["testset"] == testset]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    models = sorted({(b, m) for b, m in zip(sub["backbone"], sub["model"])})
    # one colour per model, however many (tab10 alone would leave the 11th without one)
    colours = dict(zip(models, figures.sns.color_palette("tab10" if len(models) <= 10 else "tab20", len(models))))
    for (b, m), g in sub.groupby(["backbone", "model"]):
        hard = sorted(c for c in g.columns if c.startswith("frac_class") and g[c].notna().any())[-1]
        colour, label = colours[(b, m)], f"{b} {m}"
        axes[0].plot(g["iteration"], g["flops_pct"], "o-", color=colour, label=label)
        axes[1].plot(g["iteration"], 100 * g[hard], "o-", color=colour, label=f"{label} test")
        if f"train_{hard}" in g:
            axes[1].plot(g["iteration"], 100 * g[f"train_{hard}"], "x--", color=colour, label=f"{label} train")
        axes[2].plot(g["iteration"], g["gain_over_bicubic_db"], "o-", color=colour, label=label)
    for ax, title in zip(axes, ("FLOPs (% of the -O)", "hardest class (% of patches)", "gain over bicubic (dB)")):
        ax.set_xlabel("stage-2 iteration")
        ax.set_title(title, fontsize=9)
    fig.suptitle(f"{testset}: stage 2 as it trains (solid: test set; dashed: training sub-images)", fontsize=10)
    figures._captioned(fig, caption)
    fig.subplots_adjust(right=0.8)  # the legend beside the panels, not over them
    fig.legend(*axes[1].get_legend_handles_labels(), loc="center right", fontsize=8)
    fig.savefig(out, dpi=120)
    plt.close(fig)

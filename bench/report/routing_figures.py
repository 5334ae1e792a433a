"""Figures of the routing analysis (from tables/routing_curves.csv only): per test set, each ClassSR model's
any-time curve between its random and oracle bounds; and the global PSNR–FLOPs frontier over every backbone."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ..analysis.routing_curves import pareto  # noqa: E402
from .figures import _captioned  # noqa: E402

LINES = {"oracle": ("k", "-", "oracle (least total error)"), "oracle_bicubic": ("0.5", "--", "oracle + bicubic path"),
         "classifier_bias": ("tab:blue", "-", "classifier, logit bias (any-time)"),
         "classifier_bicubic": ("tab:green", "-.", "classifier + bicubic path")}
MARKS = {"classifier": ("tab:blue", "*", "trained classifier"), "random": ("tab:red", "x", "random, same fractions"),
         "single_branch": ("tab:orange", "s", "all patches to one branch")}  # the widest is not the -O network


def routing_curves(curves: pd.DataFrame, testset: str, out: Path, caption: str, paper: pd.DataFrame | None = None,
                   originals: pd.DataFrame | None = None):
    """One panel per (backbone, model) of ``testset``: FLOPs per patch (M, paper convention) vs PSNR (dB)."""
    sub = curves[curves["testset"] == testset]
    models = list(sub.groupby(["backbone", "model"], sort=False).groups)
    cols = min(3, len(models))
    rows = -(-len(models) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 4.0 * rows + 0.8), squeeze=False)
    for ax in axes.flat[len(models):]:
        ax.set_visible(False)
    for ax, (backbone, model) in zip(axes.flat, models):
        g = sub[(sub["backbone"] == backbone) & (sub["model"] == model)]
        for policy, (colour, style, label) in LINES.items():
            line = g[g["policy"] == policy].sort_values("flops_paper")
            ax.plot(line["flops_paper"] / 1e6, line["psnr_rgb_db"], style, color=colour, label=label, lw=1.2)
        for policy, (colour, marker, label) in MARKS.items():
            pts = g[g["policy"] == policy]
            ax.scatter(pts["flops_paper"] / 1e6, pts["psnr_rgb_db"], color=colour, marker=marker, s=60, label=label,
                       zorder=3)
        bicubic = g[g["policy"] == "bicubic"]["psnr_rgb_db"]
        if len(bicubic):
            ax.axhline(bicubic.iloc[0], color="0.4", ls=":", lw=1, label="bicubic (0 FLOPs)")
        if originals is not None:  # the separately trained -O network, as evaluated
            o = originals[(originals["backbone"] == backbone) & (originals["testset"] == testset)]
            ax.scatter(o["flops_paper"] / 1e6, o["psnr_rgb_db"], color="tab:purple", marker="D", s=45,
                       label="-O network (evaluated)", zorder=3)
        if paper is not None and model == "classsr":
            ref = paper[(paper["backbone"] == backbone) & (paper["testset"] == testset)
                        & (paper["variant"] == "classsr")]
            if len(ref):
                ax.scatter(ref["flops"].astype(float) / 1e6, ref["psnr_db"], facecolors="none", edgecolors="k",
                           marker="*", s=120, label="paper (Table 1)", zorder=3)
        ax.set(title=f"{backbone} · {model}", xlabel="FLOPs per 32×32 patch (M, paper convention)",
               ylabel="PSNR (dB, RGB)")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="lower right")
    _captioned(fig, caption)
    fig.savefig(out, dpi=150)
    plt.close(fig)


def frontier(curves: pd.DataFrame, testset: str, out: Path, caption: str) -> None:
    """Every backbone's achievable points — -O and other single branches, trained ClassSR, its any-time and
    bicubic-path curves (not the oracle or random bounds) — on one axis; the non-dominated ones joined."""
    achievable = ("classifier", "classifier_bias", "classifier_bicubic", "single_branch")
    sub = curves[(curves["testset"] == testset) & curves["policy"].isin(achievable)].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.0, 5.0))
    for backbone, g in sub.groupby("backbone", sort=False):
        ax.scatter(g["flops_paper"] / 1e6, g["psnr_rgb_db"], s=10, alpha=0.5, label=backbone)
    best = sub[pareto(sub)].sort_values("flops_paper")
    ax.plot(best["flops_paper"] / 1e6, best["psnr_rgb_db"], "k-", lw=1, label="frontier (non-dominated)")
    ax.scatter(best["flops_paper"] / 1e6, best["psnr_rgb_db"], facecolors="none", edgecolors="k", s=40)
    ax.set(xscale="log", xlabel="FLOPs per 32×32 patch (M, paper convention, log)", ylabel="PSNR (dB, RGB)",
           title=f"PSNR–FLOPs frontier · {testset}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    _captioned(fig, caption)
    fig.savefig(out, dpi=150)
    plt.close(fig)

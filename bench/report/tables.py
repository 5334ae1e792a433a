"""Table 1 of ClassSR (Kong et al., CVPR 2021) regenerated from the evaluation summary, next to the paper's numbers.

Dataset PSNR = mean over images of the per-image RGB PSNR; dataset FLOPs = patch-weighted mean over all patches
of the set (the authors' dataset-total bookkeeping, spec §5); % = ClassSR FLOPs / original FLOPs. The paper's own
printed percentages are recomputed from its printed numbers and flagged when they disagree by more than 1 point.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["backbone", "testset", "model"]


def dataset_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (backbone, test set, model): mean PSNR/SSIM, patch-weighted FLOPs and class fractions."""
    def agg(g: pd.DataFrame) -> pd.Series:
        w = g["patches"]
        out = {"images": len(g), "patches": int(w.sum()), "psnr_rgb_db": g["psnr_rgb_db"].mean(),
               "psnr_y_db": g["psnr_y_db"].mean(), "ssim_rgb": g["ssim_rgb"].mean(),
               "flops_paper": (g["flops_paper"] * w).sum() / w.sum(), "macs": (g["macs"] * w).sum() / w.sum(),
               "flops_authors": (g["flops_authors"] * w).sum() / w.sum(), "time_ms": g["time_ms"].sum()}
        for col in sorted(c for c in g.columns if c.startswith("n_class")):
            out[col.replace("n_", "frac_")] = g[col].sum() / w.sum() if g[col].notna().all() else np.nan
        return pd.Series(out)

    return summary.groupby(KEYS, sort=False).apply(agg, include_groups=False).reset_index()


def table1(summary: pd.DataFrame, paper: pd.DataFrame, *, main: str = "classsr") -> pd.DataFrame:
    rows = dataset_rows(summary)
    original = rows[rows["model"] == "original"].set_index(["backbone", "testset"])
    out = []
    for r in rows[rows["model"].isin(["original", main])].itertuples():
        base = original.loc[(r.backbone, r.testset)] if (r.backbone, r.testset) in original.index else None
        variant = "original" if r.model == "original" else "classsr"
        ref = paper[(paper["backbone"] == r.backbone) & (paper["testset"] == r.testset) & (paper["variant"] == variant)]
        ref = ref.iloc[0] if len(ref) else None
        out.append({"backbone": r.backbone, "testset": r.testset, "variant": variant, "psnr_db": r.psnr_rgb_db,
                    "flops_paper": r.flops_paper, "flops_pct": 100 * r.flops_paper / base["flops_paper"]
                    if base is not None else np.nan, "paper_psnr_db": ref["psnr_db"] if ref is not None else np.nan,
                    "paper_flops": float(ref["flops"]) if ref is not None else np.nan,
                    "paper_flops_pct_printed": ref["flops_printed_pct"] if ref is not None else np.nan})
    df = pd.DataFrame(out)
    df["diff_psnr_db"] = df["psnr_db"] - df["paper_psnr_db"]
    df["diff_flops_pct"] = 100 * (df["flops_paper"] - df["paper_flops"]) / df["paper_flops"]
    return flag_paper(df, paper)


def flag_paper(df: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Recompute the paper's % of the original from its own printed FLOPs; flag disagreements > 1 point."""
    orig = paper[paper["variant"] == "original"].set_index(["backbone", "testset"])["flops"].astype(float)
    recomputed, flags = [], []
    for r in df.itertuples():
        key = (r.backbone, r.testset)
        pct = 100 * r.paper_flops / orig[key] if r.variant == "classsr" and key in orig.index else np.nan
        recomputed.append(pct)
        bad = not np.isnan(pct) and abs(pct - r.paper_flops_pct_printed) > 1
        flags.append(f"paper prints {r.paper_flops_pct_printed:.0f}% but its numbers give {pct:.0f}%" if bad else "")
    return df.assign(paper_flops_pct_recomputed=recomputed, flag=flags)


def ablation_table(summary: pd.DataFrame) -> pd.DataFrame:
    rows = dataset_rows(summary)
    original = rows[rows["model"] == "original"].set_index(["backbone", "testset"])["flops_paper"]
    rows = rows[rows["model"] != "original"].copy()
    rows["flops_pct"] = [100 * f / original.get((b, t), np.nan) for b, t, f in
                         zip(rows["backbone"], rows["testset"], rows["flops_paper"])]
    keep = ["backbone", "testset", "model", "psnr_rgb_db", "flops_paper", "flops_pct"] + \
        [c for c in rows.columns if c.startswith("frac_class")]
    return rows[keep].sort_values(["backbone", "testset", "model"]).reset_index(drop=True)


def markdown(df: pd.DataFrame, caption: str) -> str:
    return f"{df.to_markdown(index=False, floatfmt='.4g')}\n\n{caption}\n"


def latex(df: pd.DataFrame, caption: str) -> str:
    return df.to_latex(index=False, float_format="%.4g", caption=caption.replace("%", r"\%"),
                       label="tab:table1").replace("_", r"\_")


PERF_COLUMNS = ["backbone", "model", "mode", "mix", "patches", "time_ms", "time_ms_min", "time_ms_max", "mpix_per_s",
                "flops_paper", "macs", "gflops_per_s", "peak_mem_mb", "speedup_vs_original", "mac_ratio",
                "speedup_over_mac_ratio"]


def perf_table(perf: pd.DataFrame) -> pd.DataFrame:
    """The latency table: one row per backbone, model, mode and mix, from ``python -m bench perf``'s CSV."""
    missing = [c for c in PERF_COLUMNS if c not in perf.columns]
    if missing:
        raise ValueError(f"perf CSV lacks column(s) {missing}; regenerate it with python -m bench perf")
    out = perf[PERF_COLUMNS].copy()
    out["mix"] = out["mix"].fillna("")
    return out.round({"time_ms": 1, "time_ms_min": 1, "time_ms_max": 1, "mpix_per_s": 3, "gflops_per_s": 1,
                      "peak_mem_mb": 0, "speedup_vs_original": 3, "mac_ratio": 3, "speedup_over_mac_ratio": 3})


def perf_caption(perf: pd.DataFrame) -> str:
    env = perf.iloc[0]
    return (f"Latency on one {env['lr_height']}×{env['lr_width']} LR image ({env['patches']} patches of 32×32), "
            f"{env['device']} ({env['cpu']}, {env['threads']} threads), torch {env['torch_version']}; median of "
            f"{env['repeats']} interleaved runs, min/max beside it. FLOPs and MACs per patch (classifier included); "
            "speed-ups over the batched original; speedup_over_mac_ratio = wall-time speed-up ÷ true-MAC ratio.")

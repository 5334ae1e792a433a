"""Tolerances of a trained profile's regression reference from its measured seed spread (issue 25).

A rerun of a trained profile on another machine, thread count or torch build is another draw of the same recipe: the
float differences (~1e-6 in a weight) reach the class split and the routing and move results as a seed does
(results/reference/fsrcnn_cpu/README.md). So a reference made with ``train.seeds`` (≥ 2) carries, per model, the
spread of its per-seed results, and ``bench compare`` accepts a difference up to Z·sd, Z = 2√2 (the difference of
two independent draws, 95 %), never less than the fixed tolerance. Written by ``bench compare --update
--seed-tolerances`` into the reference folder as tolerances.csv; a reference without it (the bit-exact ci goldens)
keeps the fixed tolerances.
"""
from __future__ import annotations

import math

import pandas as pd

Z = 2 * math.sqrt(2)
FILE = "tolerances.csv"
#: quantity -> (summary column it is measured on, the fixed floor): PSNR in dB, FLOPs relative to the value, class
#: fractions as a share of the patches.
QUANTITIES = {"psnr": ("psnr_rgb_db", 0.05), "flops": ("flops_paper", 0.0), "frac": ("n_class", 0.02)}


def seed_tolerances(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (backbone, test set, model) evaluated under ≥ 2 seeds: the sd over seeds of its image-mean PSNR
    (dB), of its patch-weighted FLOPs (relative) and of its class fractions (largest over classes), and the
    tolerance each gives."""
    if "seed" not in summary or summary["seed"].nunique() < 2:
        raise ValueError("seed tolerances need a summary with two or more seeds (train.seeds)")
    rows = []
    for (backbone, testset, model), g in summary.groupby(["backbone", "testset", "model"], sort=True):
        per = g.groupby("seed").apply(_per_seed, include_groups=False)
        if len(per) < 2:
            continue
        sd = per.std(ddof=1)
        mean_flops = per["flops"].mean()
        frac_sd = max((sd[c] for c in sd.index if c.startswith("frac")), default=0.0)
        rows.append({"backbone": backbone, "testset": testset, "model": model, "seeds": len(per),
                     "psnr_sd_db": sd["psnr"], "psnr_tolerance_db": max(0.05, Z * sd["psnr"]),
                     "flops_sd_rel": sd["flops"] / mean_flops if mean_flops else 0.0,
                     "flops_tolerance_rel": Z * sd["flops"] / mean_flops if mean_flops else 0.0,
                     "frac_sd": frac_sd, "frac_tolerance": max(0.02, Z * frac_sd)})
    return pd.DataFrame(rows).fillna(0.0)


def _per_seed(g: pd.DataFrame) -> pd.Series:
    out = {"psnr": g["psnr_rgb_db"].mean(),
           "flops": (g["flops_paper"] * g["patches"]).sum() / g["patches"].sum()}
    counts = [c for c in g.columns if c.startswith("n_class") and g[c].notna().all()]
    if counts:
        fracs = g[counts].sum() / g[counts].sum().sum()
        out |= {f"frac{i}": v for i, v in enumerate(fracs)}
    return pd.Series(out)


def row_limits(merged: pd.DataFrame, column: str, kind: str, fixed, tolerances: pd.DataFrame | None):
    """Per-row tolerance of ``column`` (of quantity ``kind``) in compare's merged frame: the fixed one, widened to
    the seed tolerance of the row's model where the reference has one."""
    if tolerances is None or kind not in QUANTITIES:
        return fixed
    model = "model" if "model" in merged else "variant" if "variant" in merged else None
    if model is None or not {"backbone", "testset"} <= set(merged.columns):
        return fixed
    t = tolerances.rename(columns={"model": model})
    seed = merged[["backbone", "testset", model]].merge(t, on=["backbone", "testset", model], how="left")
    if kind == "psnr":
        extra = seed["psnr_tolerance_db"]
    elif kind == "flops":
        extra = seed["flops_tolerance_rel"] * merged[f"{column}_ref"].astype(float).abs().to_numpy()
    else:
        extra = seed["frac_tolerance"] * (merged["patches"].astype(float).to_numpy() if column.startswith("n_class")
                                          else 1.0)
    extra = pd.Series(extra, index=seed.index).fillna(0.0)
    return pd.concat([pd.Series(fixed, index=seed.index, dtype=float), extra], axis=1).max(axis=1).to_numpy()


def kind(column: str) -> str | None:
    """Which seed-spread quantity a compared column moves with: psnr (dB), flops, frac (class shares or counts)."""
    if "psnr" in column or column.endswith("_db"):
        return "psnr"
    if "flops" in column or "macs" in column:
        return "flops"
    if "frac" in column or column.startswith("n_class"):
        return "frac"
    return None

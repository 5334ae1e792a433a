"""ARM (Chen et al., "ARM: Any-Time Super-Resolution Method", ECCV 2022) beside ClassSR's Table 1, from stored CSVs.

One tidy table per (backbone, test set): the MATLAB-bicubic reference, this run's -O and ClassSR rows (Table 1's),
ARM's η sweep from this run (one row per knob), and the published points — ClassSR's Table 1 and ARM's ARM-L/M/S
(``results/paper/arm.csv``) — marked ``source = paper``. FLOPs per 32×32 LR patch in the paper's convention (ARM's
cost list is the same convention; its bicubic path, edge score and lookup count 0, as ARM counts them);
``flops_pct``: % of the full network (ARM: its full width C_3; ClassSR: its -O); ``flops_pct_original``: % of
the -O network of the same source (this run's, or the paper's 100 % row), one denominator for every method — the
two differ where the run's -O is not ARM's full width (reduced demo widths).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..report.intervals import delta_columns
from ..report.tables import BICUBIC, dataset_rows

#: The paired 95 % intervals of this run's rows (issue 25): gain over bicubic, and each ARM knob minus this run's -O.
INTERVALS = ["gain_over_bicubic_ci_low_db", "gain_over_bicubic_ci_high_db", "delta_vs_original_db",
             "delta_vs_original_ci_low_db", "delta_vs_original_ci_high_db", "delta_vs_original_significant"]
COLUMNS = ["backbone", "testset", "method", "source", "knob", "psnr_db", "gain_over_bicubic_db", *INTERVALS,
           "flops_paper", "flops_pct", "flops_pct_original", "frac_path0", "frac_path1", "frac_path2", "frac_path3"]


def arm_table(summary: pd.DataFrame, table1: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """ARM's rows (ours and published) with ClassSR's Table 1 rows of the same backbones and test sets."""
    rows = dataset_rows(summary)
    arm = rows[rows["arm"]]
    if arm.empty:
        return pd.DataFrame(columns=COLUMNS)
    full = summary[summary["knob"].notna()].groupby("backbone")["flops_full_paper"].first()
    bicubic = rows[rows["model"] == BICUBIC].set_index("testset")["psnr_rgb_db"]
    vs_original = delta_columns(summary, [((b, t, m), (b, t, "original")) for b, t, m in
                                          zip(arm["backbone"], arm["testset"], arm["model"])], "delta_vs_original")
    out = [{"backbone": r.backbone, "testset": r.testset, "method": "arm", "source": "ours",
            "knob": r.model.removeprefix("arm_"), "psnr_db": r.psnr_rgb_db,
            "gain_over_bicubic_db": r.gain_over_bicubic_db,
            "gain_over_bicubic_ci_low_db": r.gain_over_bicubic_ci_low_db,
            "gain_over_bicubic_ci_high_db": r.gain_over_bicubic_ci_high_db, **vs_original.iloc[i].to_dict(),
            "flops_paper": r.flops_paper, "flops_pct": 100 * r.flops_paper / full[r.backbone],
            **{f"frac_path{j}": getattr(r, f"frac_class{j}") for j in range(4)}}
           for i, r in enumerate(arm.itertuples())]
    pairs = set(zip(arm["backbone"], arm["testset"]))
    for r in table1.itertuples():
        if (r.backbone, r.testset) in pairs or (r.variant == BICUBIC and r.testset in set(arm["testset"])):
            out.append({"backbone": r.backbone, "testset": r.testset, "method": r.variant, "source": "ours",
                        "psnr_db": r.psnr_db, "gain_over_bicubic_db": r.gain_over_bicubic_db,
                        "gain_over_bicubic_ci_low_db": r.gain_over_bicubic_ci_low_db,
                        "gain_over_bicubic_ci_high_db": r.gain_over_bicubic_ci_high_db,
                        **{k: getattr(r, src, np.nan) for k, src in (
                            ("delta_vs_original_db", "delta_vs_original_db"),
                            ("delta_vs_original_ci_low_db", "delta_ci_low_db"),
                            ("delta_vs_original_ci_high_db", "delta_ci_high_db"),
                            ("delta_vs_original_significant", "delta_significant"))},
                        "flops_paper": r.flops_paper, "flops_pct": r.flops_pct})
            if r.variant != BICUBIC and not np.isnan(r.paper_psnr_db):
                out.append({"backbone": r.backbone, "testset": r.testset, "method": r.variant, "source": "paper",
                            "psnr_db": r.paper_psnr_db, "gain_over_bicubic_db": r.paper_psnr_db - bicubic.get(
                                r.testset, np.nan), "flops_paper": r.paper_flops,
                            "flops_pct": r.paper_flops_pct_recomputed if r.variant == "classsr" else 100.0})
    for r in published.itertuples():
        if (r.backbone, r.testset) in pairs:
            n = np.array([r.n_path0, r.n_path1, r.n_path2, r.n_path3], float)
            out.append({"backbone": r.backbone, "testset": r.testset, "method": "arm", "source": "paper",
                        "knob": f"k{r.k:g} ({r.level})", "psnr_db": r.psnr_db,
                        "gain_over_bicubic_db": r.psnr_db - bicubic.get(r.testset, np.nan),
                        "flops_paper": float(r.flops), "flops_pct": r.flops_pct,
                        **{f"frac_path{j}": v for j, v in enumerate(n / n.sum())}})
    df = pd.DataFrame(out, columns=COLUMNS).fillna({"knob": ""})
    original = df[df["method"] == "original"].set_index(["backbone", "testset", "source"])["flops_paper"]
    base = [original.get((b, t, s), np.nan) for b, t, s in zip(df["backbone"], df["testset"], df["source"])]
    df["flops_pct_original"] = 100 * df["flops_paper"] / base
    order = df["method"].map({BICUBIC: 0, "original": 1, "classsr": 2, "arm": 3})
    return (df.assign(_o=order, _s=df["source"] != "ours").sort_values(["testset", "backbone", "_o", "_s",
                                                                         "flops_paper"])
            .drop(columns=["_o", "_s"]).reset_index(drop=True))

"""Table 1 of ClassSR (Kong et al., CVPR 2021) regenerated from the evaluation summary, next to the paper's numbers.

Dataset PSNR = mean over images of the per-image RGB PSNR; dataset FLOPs = patch-weighted mean over all patches
of the set (the authors' dataset-total bookkeeping, spec §5); % = ClassSR FLOPs / original FLOPs. The paper's own
printed percentages are recomputed from its printed numbers and flagged when they disagree by more than 1 point.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.metrics import METRICS
from .intervals import BOOTSTRAP, delta_columns, paired_interval, shown, significant  # noqa: F401 (re-exported)

KEYS = ["backbone", "testset", "model"]
#: Backbone, model and variant id of the zero-FLOPs MATLAB-bicubic reference rows.
BICUBIC = "bicubic"
#: A ClassSR model sending at least this share of a test set's patches to one class has a collapsed routing.
COLLAPSE = 0.95


def dataset_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (backbone, test set, model): mean PSNR/SSIM, patch-weighted FLOPs and class fractions, the gain
    over the bicubic reference of the same test set and whether the routing collapsed."""
    def agg(g: pd.DataFrame) -> pd.Series:
        w = g["patches"]
        # patch-weighted means; empty (not 0) when any image lacks the value, e.g. flops_authors for non-paper
        # widths. Every group returns the same keys, or pandas stacks the results into one Series.
        weighted = (lambda col: (g[col] * w).sum(min_count=len(g)) / w.sum() if col in g else np.nan)
        out = {"images": len(g), "patches": int(w.sum()),
               **{m.column: g[m.column].agg(m.average) for m in METRICS.values() if m.column in g},
               "flops_paper": weighted("flops_paper"), "macs": weighted("macs"),
               "flops_authors": weighted("flops_authors"),
               "flops_image": g["flops_image"].mean() if "flops_image" in g else np.nan,  # PCSR's reported unit
               "time_ms": g["time_ms"].sum(),
               "mean_max_prob": weighted("mean_max_prob"),
               "arm": bool(g["knob"].notna().any()) if "knob" in g else False,  # ARM's sweep rows (knob: a key column)
               "method": _method(g)}
        counts = sorted(c for c in g.columns if c.startswith("n_class"))
        total = g[counts].sum().sum()  # patches (ClassSR, ARM) or HR pixels (PCSR routes pixels)
        for col in counts:
            out[col.replace("n_", "frac_")] = g[col].sum() / total if g[col].notna().all() and total else np.nan
        return pd.Series(out)

    seeded = "seed" in summary and summary["seed"].notna().any()
    rows = summary.groupby(KEYS + (["seed"] if seeded else []), sort=False).apply(agg, include_groups=False)
    rows = _collapse(rows.reset_index())  # per seed: a routing collapses in one training, not in an average
    rows = _across_seeds(rows) if seeded else rows
    bicubic = rows[rows["model"] == BICUBIC].set_index("testset")["psnr_rgb_db"]
    rows.insert(rows.columns.get_loc("psnr_rgb_db") + 1, "gain_over_bicubic_db",
                rows["psnr_rgb_db"] - rows["testset"].map(bicubic))
    gain = delta_columns(summary, [None if m == BICUBIC else ((b, t, m), (BICUBIC, t, BICUBIC))
                                   for b, t, m in zip(rows["backbone"], rows["testset"], rows["model"])],
                         "gain_over_bicubic")  # its mean is the column above (same images); its interval:
    at = rows.columns.get_loc("gain_over_bicubic_db") + 1
    for k, col in enumerate(["gain_over_bicubic_ci_low_db", "gain_over_bicubic_ci_high_db",
                             "gain_over_bicubic_significant"]):
        rows.insert(at + k, col, gain[col].to_numpy())
    return rows


def _collapse(rows: pd.DataFrame) -> pd.DataFrame:
    """The largest class fraction of each row and whether it reaches ``COLLAPSE``."""
    frac = rows[[c for c in rows.columns if c.startswith("frac_class")]]
    rows["max_class_frac"] = frac.max(axis=1) if frac.shape[1] else np.nan
    rows["collapsed"] = rows["max_class_frac"] >= COLLAPSE
    return rows


def first_seed(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of the first seed of ``train.seeds`` (the plain runs/ and eval/ folders; shared rows carry it):
    ``summarize`` writes that seed's plan first, so it is the seed of the first row."""
    if "seed" not in summary or summary["seed"].isna().all():
        return summary
    return summary[summary["seed"] == summary["seed"].iloc[0]]


def _across_seeds(per_seed: pd.DataFrame) -> pd.DataFrame:
    """One row per model from its rows per training seed: the mean over seeds of every numeric column (each seed's
    test-set value first; ``max_class_frac`` is the mean of each seed's largest class), ``collapsed`` when any seed's
    routing collapsed, ``seeds`` and the sd across seeds of the test-set PSNR and FLOPs (``psnr_rgb_sd_db``,
    ``flops_paper_sd``; empty with one seed)."""
    numeric = [c for c in per_seed.columns if c not in KEYS + ["seed"] and pd.api.types.is_numeric_dtype(per_seed[c])
               and not pd.api.types.is_bool_dtype(per_seed[c])]
    grouped = per_seed.groupby(KEYS, sort=False)
    out = grouped[numeric].mean()
    for col in [c for c in per_seed.columns if c not in numeric and c not in KEYS + ["seed"]]:
        out[col] = grouped[col].any() if pd.api.types.is_bool_dtype(per_seed[col]) else grouped[col].first()
    out["seeds"] = grouped["seed"].nunique()
    out["psnr_rgb_sd_db"] = grouped["psnr_rgb_db"].std(ddof=1)
    out["flops_paper_sd"] = grouped["flops_paper"].std(ddof=1)  # a routing's cost varies with the seed too
    return out.reset_index()


#: Methods with tables of their own (Table 1, ablations, ARM's); every other method's rows go to the methods table.
OWN_TABLES = ("classsr", "original", BICUBIC, "arm")


def _method(g: pd.DataFrame) -> str:
    """The method of one model's rows: ARM's sweep (knob set), else the evaluation's ``variant`` column (bicubic,
    original, classsr or a registered method's name)."""
    if "knob" in g and g["knob"].notna().any():
        return "arm"
    return str(g["variant"].iloc[0]) if "variant" in g and g["variant"].notna().any() else "classsr"


def _variant(model: str) -> str:
    return model if model in ("original", BICUBIC) else "classsr"


def table1(summary: pd.DataFrame, paper: pd.DataFrame, *, main: str = "classsr") -> pd.DataFrame:
    """Per test set: the bicubic reference, then per backbone the "-O" network and ClassSR.

    ``flops_paper``/``flops_pct``: our exact count in the paper's convention (classifier included for every
    ClassSR). ``flops_authors``/``flops_pct_authors``: the authors' bookkeeping (their rounded constants, classifier
    for FSRCNN only) — what the published numbers use, so ``diff_flops_pct`` (relative difference of the FLOPs per
    patch, %) and ``diff_pct_points`` compare like with like.
    """
    rows = dataset_rows(summary)
    rows = rows[rows["model"].isin(["original", main, BICUBIC])]
    rows = pd.concat([rows[rows["model"] == BICUBIC], rows[rows["model"] != BICUBIC]])
    original = rows[rows["model"] == "original"].set_index(["backbone", "testset"])
    out = []
    for r in rows.itertuples():
        base = original.loc[(r.backbone, r.testset)] if (r.backbone, r.testset) in original.index else None
        variant = _variant(r.model)
        ref = paper[(paper["backbone"] == r.backbone) & (paper["testset"] == r.testset) & (paper["variant"] == variant)]
        ref = ref.iloc[0] if len(ref) else None
        pct = (lambda col, of=None: 100 * getattr(r, col, np.nan) / base[of or col]
               if base is not None and base[of or col] else np.nan)
        out.append({"backbone": r.backbone, "testset": r.testset, "variant": variant, "psnr_db": r.psnr_rgb_db,
                    "psnr_sd_db": getattr(r, "psnr_rgb_sd_db", np.nan), "seeds": getattr(r, "seeds", 1),
                    "gain_over_bicubic_db": r.gain_over_bicubic_db,
                    "gain_over_bicubic_ci_low_db": r.gain_over_bicubic_ci_low_db,
                    "gain_over_bicubic_ci_high_db": r.gain_over_bicubic_ci_high_db,
                    "gain_over_bicubic_significant": r.gain_over_bicubic_significant, "flops_paper": r.flops_paper,
                    "flops_pct": pct("flops_paper"), "flops_pct_sd": pct("flops_paper_sd", "flops_paper"),
                    "flops_authors": r.flops_authors,
                    "flops_pct_authors": pct("flops_authors"), "max_class_frac": r.max_class_frac,
                    "collapsed": r.collapsed,
                    "paper_psnr_db": ref["psnr_db"] if ref is not None else np.nan,
                    "paper_flops": float(ref["flops"]) if ref is not None else np.nan,
                    "paper_flops_pct_printed": ref["flops_printed_pct"] if ref is not None else np.nan})
    df = pd.DataFrame(out)
    df["diff_psnr_db"] = df["psnr_db"] - df["paper_psnr_db"]
    df["diff_flops_pct"] = 100 * (df["flops_authors"] - df["paper_flops"]) / df["paper_flops"]
    df = flag_paper(df, paper)
    df["diff_pct_points"] = df["flops_pct_authors"] - df["paper_flops_pct_recomputed"]
    df = df.join(pd.DataFrame([_vs_original(summary, r.backbone, r.testset, main) if r.variant == "classsr"
                               else {} for r in df.itertuples()], index=df.index))
    return df


def _vs_original(summary: pd.DataFrame, backbone: str, testset: str, model: str) -> dict:
    """ClassSR − its -O, PSNR over the test set's images (and seeds): mean, 95 % paired bootstrap interval, and
    whether the interval excludes 0 (issue 25: no difference without its interval)."""
    cols = delta_columns(summary, [((backbone, testset, model), (backbone, testset, "original"))], "delta").iloc[0]
    if np.isnan(cols["delta_db"]):
        return {}
    return {"delta_vs_original_db": cols["delta_db"], "delta_ci_low_db": cols["delta_ci_low_db"],
            "delta_ci_high_db": cols["delta_ci_high_db"], "delta_significant": cols["delta_significant"]}


def flag_paper(df: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Recompute the paper's % of the original from its own printed FLOPs; flag disagreements > 1 point, and
    collapsed routings (≥ 95 % of the patches to one class)."""
    orig = paper[paper["variant"] == "original"].set_index(["backbone", "testset"])["flops"].astype(float)
    recomputed, flags = [], []
    for r in df.itertuples():
        key = (r.backbone, r.testset)
        pct = 100 * r.paper_flops / orig[key] if r.variant == "classsr" and key in orig.index else np.nan
        recomputed.append(pct)
        notes = [f"collapsed: {100 * r.max_class_frac:.0f}% of patches to one class"] if r.collapsed else []
        if not np.isnan(pct) and abs(pct - r.paper_flops_pct_printed) > 1:
            notes.append(f"paper prints {r.paper_flops_pct_printed:.0f}% but its numbers give {pct:.0f}%")
        flags.append("; ".join(notes))
    return df.assign(paper_flops_pct_recomputed=recomputed, flag=flags)


def ablation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Every ClassSR variant with its -O network and the bicubic reference of each test set."""
    rows = dataset_rows(summary)
    original = rows[rows["model"] == "original"].set_index(["backbone", "testset"])["flops_paper"]
    # ARM's sweep (4 paths) has its own table (bench.arm.report), other methods theirs (methods_table)
    rows = rows[rows["method"].isin(["classsr", "original", BICUBIC])].dropna(axis=1, how="all")
    for col, flops in (("flops_pct", "flops_paper"), ("flops_pct_sd", "flops_paper_sd")):
        if flops in rows:
            rows[col] = [100 * f / original[(b, t)] if (b, t) in original.index else np.nan
                         for b, t, f in zip(rows["backbone"], rows["testset"], rows[flops])]
    keys = list(zip(rows["backbone"], rows["testset"], rows["model"]))
    to_main = [((b, t, m), (b, t, "classsr")) if m not in (BICUBIC, "original", "classsr") else None
               for b, t, m in keys]
    vs_main = delta_columns(summary, to_main, "delta_vs_main")
    vs_original = delta_columns(summary, [((b, t, m), (b, t, "original")) if m not in (BICUBIC, "original")
                                          else None for b, t, m in keys], "delta_vs_original")
    routing = _routing_vs_main(summary, to_main)
    rows = pd.concat([rows.reset_index(drop=True), vs_main, vs_original, routing], axis=1)
    keep = ["backbone", "testset", "model", "psnr_rgb_db", "psnr_rgb_sd_db", "seeds", "gain_over_bicubic_db",
            "gain_over_bicubic_ci_low_db",
            "gain_over_bicubic_ci_high_db", "gain_over_bicubic_significant", *vs_main.columns, *vs_original.columns,
            "flops_paper", "flops_pct", "flops_pct_sd", "mean_max_prob", "max_class_frac", "collapsed"] + [
            c for c in rows.columns if c.startswith("frac_class")] + list(routing.columns)
    order = rows["model"].map(lambda m: {BICUBIC: 0, "original": 1}.get(m, 2))
    rows = rows.assign(_order=order).sort_values(["testset", "_order", "backbone", "model"])
    return rows[[c for c in keep if c in rows.columns]].reset_index(drop=True)


def _routing_vs_main(summary: pd.DataFrame, to_main: list[tuple | None]) -> pd.DataFrame:
    """Each ablation's routing minus its main ClassSR's (``to_main``: the ablation table's pairs), with intervals
    over images (and seeds): the mean maximum class probability (the paper: without Class-Loss the probabilities
    stay soft, spec §7) and the share of patches sent to the hardest class (without Average-Loss the routing
    drifts to it). Per image, then averaged over images like the PSNR; empty without routing counts."""
    counts = sorted(c for c in summary.columns if c.startswith("n_class"))
    if counts:  # a model's hardest class: its last non-empty count column
        n = summary[counts]
        summary = summary.assign(frac_hard=n.ffill(axis=1).iloc[:, -1] / n.sum(axis=1, min_count=1))
    cols = [delta_columns(summary, to_main, name, column, unit="")
            for name, column in (("max_prob_vs_main", "mean_max_prob"), ("hard_frac_vs_main", "frac_hard"))
            if column in summary]
    return pd.concat(cols, axis=1) if cols else pd.DataFrame(index=range(len(to_main)))


def methods_table(summary: pd.DataFrame, *, only: str | None = None) -> pd.DataFrame:
    """Every registered method's models (``bench.methods``) beside the bicubic reference, the -O network and the
    main ClassSR of the same backbone and test set; ``flops_pct``: % of that -O network's FLOPs (paper convention),
    ``flops_pct_own``: % of the method's own -O (its ``<method>_original`` model) where it has one; ``only``: one
    method's rows with their context. Empty when the profile evaluates no such method."""
    rows = dataset_rows(summary)
    others = rows[~rows["method"].isin(OWN_TABLES) & ((rows["method"] == only) if only else True)]
    if others.empty:
        return pd.DataFrame()
    pairs = set(zip(others["backbone"], others["testset"]))
    context = rows[[(b, t) in pairs and m in ("original", "classsr") for b, t, m in
                    zip(rows["backbone"], rows["testset"], rows["model"])]]
    bicubic = rows[(rows["model"] == BICUBIC) & rows["testset"].isin(others["testset"])]
    table = pd.concat([bicubic, context, others])
    original = rows[rows["model"] == "original"].set_index(["backbone", "testset"])["flops_paper"]
    table["flops_pct"] = [100 * f / original[(b, t)] if (b, t) in original.index else np.nan
                          for b, t, f in zip(table["backbone"], table["testset"], table["flops_paper"])]
    # a method that ships its own -O (model <method>_original, e.g. PCSR's separately trained baselines)
    own = table.set_index(["backbone", "testset", "model"])["flops_paper"]
    table["flops_pct_own"] = [100 * f / own[(b, t, f"{m}_original")] if (b, t, f"{m}_original") in own.index
                              else np.nan for b, t, m, f in zip(table["backbone"], table["testset"], table["method"],
                                                                table["flops_paper"])]
    vs_original = delta_columns(summary, [((b, t, m), (b, t, "original")) if m not in (BICUBIC, "original") else None
                                          for b, t, m in zip(table["backbone"], table["testset"], table["model"])],
                                "delta_vs_original")
    table = pd.concat([table.reset_index(drop=True), vs_original], axis=1)
    keep = ["backbone", "testset", "method", "model", "psnr_rgb_db", "psnr_rgb_sd_db", "seeds", "gain_over_bicubic_db",
            "gain_over_bicubic_ci_low_db", "gain_over_bicubic_ci_high_db", "gain_over_bicubic_significant",
            *vs_original.columns, "flops_paper", "flops_pct", "flops_pct_own", "flops_image", "max_class_frac", "collapsed"] + sorted(c for c in table.columns if c.startswith("frac_class"))
    order = table["method"].map(lambda m: {BICUBIC: 0, "original": 1, "classsr": 2}.get(m, 3))
    table = table.assign(_order=order).sort_values(["testset", "_order", "backbone", "model"])
    return table[keep].dropna(axis=1, how="all").reset_index(drop=True)


def markdown_by_testset(df: pd.DataFrame, caption: str) -> str:
    """One markdown table per test set; columns empty for that test set (e.g. paper numbers on a set the paper
    did not use) are left out — the CSV keeps them."""
    parts = []
    df = compact(df)
    for testset, sub in df.groupby("testset", sort=False):
        sub = sub.drop(columns="testset").dropna(axis=1, how="all")
        sub = sub.loc[:, [c for c in sub.columns if not (sub[c].astype(str) == "").all()]]
        parts.append(f"### {testset}\n\n{sub.to_markdown(index=False, floatfmt='.4g')}\n")
    return "\n".join(parts) + f"\n{caption}\n"


def compact(df: pd.DataFrame) -> pd.DataFrame:
    """Each difference with an interval (``<name>_ci_low_db`` …) as one printed column 'mean [low, high]*' ('*':
    the interval excludes 0); the CSV keeps the four columns."""
    df = df.copy()
    for low in [c for c in df.columns if c.endswith(("_ci_low_db", "_ci_low"))]:
        unit = "_db" if low.endswith("_db") else ""  # a difference of fractions or probabilities has no unit
        name = low.removesuffix(f"_ci_low{unit}")
        mean = next((c for c in (f"{name}{unit}", f"{name}_vs_original{unit}") if c in df), None)
        if mean is None or (name == "delta" and f"delta_vs_original{unit}" not in df):
            continue
        high = f"{name}_ci_high{unit}"
        df[mean] = [shown(m, lo, hi) for m, lo, hi in zip(df[mean].astype(float), df[low], df[high])]
        df = df.drop(columns=[low, high, *[c for c in (f"{name}_significant",) if c in df]])
    return df


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
    isa = f", {env['cpu_isa']}" if "cpu_isa" in perf.columns else ""  # CSVs of before 2026-12-07 lack it
    return (f"Latency on one {env['lr_height']}×{env['lr_width']} LR image ({env['patches']} patches of 32×32), "
            f"{env['device']} ({env['cpu']}{isa}, {env['threads']} threads), torch {env['torch_version']}; median of "
            f"{env['repeats']} interleaved runs, min/max beside it. Columns: docs/latency.md.")


def learning_curve(curves: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Per (backbone, test set, iteration): the -O network's mean PSNR over images and its gain over the
    MATLAB-bicubic reference of the same test set (same grid and crop)."""
    mean = (curves.groupby(["backbone", "testset", "iteration"], sort=True)["psnr_rgb_db"].mean()
            .reset_index())
    bicubic = summary[summary["model"] == BICUBIC].groupby("testset")["psnr_rgb_db"].mean()
    mean["bicubic_psnr_db"] = mean["testset"].map(bicubic)
    mean["gain_over_bicubic_db"] = mean["psnr_rgb_db"] - mean["bicubic_psnr_db"]
    return mean

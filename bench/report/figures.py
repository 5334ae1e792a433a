"""Figures from stored CSVs: Fig. 2-style PSNR vs FLOPs, Fig. 1-style class map, training curves, class bars."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

CLASS_COLOURS = ["#2ca02c", "#ffbf00", "#d62728", "#1f77b4", "#9467bd"]  # simple → hard (green, yellow, red, …)


def _captioned(fig, caption: str, *, size: float = 8.0) -> None:
    """Lay the figure out above a wrapped caption (one or two lines, bench.report.legend), leaving the room its
    lines need; 8 pt, the size of the axis labels."""
    chars_per_line = int(fig.get_figwidth() * 72 / (size * 0.55))  # an average glyph is ~0.55 em wide
    lines = -(-len(caption) // chars_per_line)  # wrapped lines, rounded up
    bottom = min(0.45, (lines + 0.5) * size * 1.35 / (fig.get_figheight() * 72) + 0.02)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    fig.text(0.01, 0.01, caption, fontsize=size, wrap=True, va="bottom")


def fig2(table: pd.DataFrame, testset: str, out: Path, caption: str, arm: pd.DataFrame | None = None,
         methods: pd.DataFrame | None = None) -> pd.DataFrame:
    """PSNR (dB) vs FLOPs per patch (G, paper convention): -O and ClassSR joined; paper points hollow; bicubic
    (0 FLOPs, off the log axis) as a dashed horizontal line; ARM's η sweep (``bench.arm.report`` rows) as triangles,
    its published ARM-L/M/S hollow; every registered method's models (``tables.methods_table``) as diamonds.
    Returns the points drawn (testset, backbone, method, model, source, flops_paper, psnr_db)."""
    sub = table[table["testset"] == testset]
    nets = sub[sub["variant"] != "bicubic"]
    arm = arm[(arm["testset"] == testset) & (arm["method"] == "arm")] if arm is not None else pd.DataFrame()
    others = _other_methods(methods, testset)
    backbones = list(dict.fromkeys([*nets["backbone"], *arm.get("backbone", []), *others.get("backbone", [])]))
    palette = dict(zip(backbones, sns.color_palette("tab10")))
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    points = []

    def draw(x, y, *, backbone, method, model, source, **style):
        ax.scatter(x / 1e9, y, **style)
        methods = [method] * len(x) if isinstance(method, str) else list(method)
        points.extend({"testset": testset, "backbone": backbone, "method": k, "model": m, "source": source,
                       "flops_paper": f, "psnr_db": p} for k, m, f, p in zip(methods, model, x, y))

    for backbone, g in nets.groupby("backbone", sort=False):
        g = g.set_index("variant").reindex(["original", "classsr"])
        colour = palette[backbone]
        ax.plot(g["flops_paper"] / 1e9, g["psnr_db"], "-", color=colour, alpha=0.6)
        draw(g["flops_paper"], g["psnr_db"], backbone=backbone, method=g.index, model=g.index, source="ours",
             color=colour, marker="o", label=f"{backbone} (ours)")
        _error_bars(ax, g["flops_paper"], g["psnr_db"], g.rename(columns={"delta_vs_original_db": "delta_db"}),
                    "delta", colour)
        if g["paper_psnr_db"].notna().all():
            ax.plot(g["paper_flops"] / 1e9, g["paper_psnr_db"], ":", color=colour, alpha=0.6)
            draw(g["paper_flops"], g["paper_psnr_db"], backbone=backbone, method=g.index, model=g.index,
                 source="paper", facecolors="none", edgecolors=colour, marker="s", label=f"{backbone} (paper)")
    for (backbone, source), g in (arm.groupby(["backbone", "source"], sort=False) if len(arm) else []):
        # an all-bicubic point (0 FLOPs) sits off the log axis: the legend counts those left out (at demo scale ARM
        # sends every patch to its bicubic path at every k, docs/arm.md, and the sweep would vanish unexplained)
        off = int(((g["flops_paper"] <= 0) & ~g["knob"].str.fullmatch(r"e\d")).sum())
        g = g[g["flops_paper"] > 0].sort_values("flops_paper")
        ours, colour = source == "ours", palette[backbone]
        forced = g["knob"].str.fullmatch(r"e\d")  # a forced path is not a point of the η curve
        swept = g[~forced]
        ax.plot(swept["flops_paper"] / 1e9, swept["psnr_db"], "-." if ours else ":", color=colour, alpha=0.6)
        note = f"; {off} at 0 FLOPs, off axis" if off else ""
        draw(swept["flops_paper"], swept["psnr_db"], backbone=backbone, method="arm", model=swept["knob"],
             source=source, marker="^", color=colour if ours else "none", edgecolors=colour,
             label=f"ARM-{backbone} ({'ours, η sweep' if ours else 'paper'}{note})")
        if forced.any():
            draw(g[forced]["flops_paper"], g[forced]["psnr_db"], backbone=backbone, method="arm",
                 model=g[forced]["knob"], source=source, marker="x", color=palette[backbone],
                 label=f"ARM-{backbone} (ours, one width everywhere)")
    for (backbone, method), g in (others.groupby(["backbone", "method"], sort=False) if len(others) else []):
        own = g["model"] == f"{method}_original"  # the method's own -O (another training than the suite's)
        swept = g[~own].sort_values("flops_paper")
        if len(swept) > 1:  # a knob sweep: its curve
            ax.plot(swept["flops_paper"] / 1e9, swept["psnr_rgb_db"], "--", color=palette[backbone], alpha=0.6)
        draw(swept["flops_paper"], swept["psnr_rgb_db"], backbone=backbone, method=method, model=swept["model"],
             source="ours", marker="D", color=palette[backbone], edgecolors="k", label=f"{method}-{backbone} (ours)")
        _error_bars(ax, swept["flops_paper"], swept["psnr_rgb_db"], swept, "delta_vs_original", palette[backbone])
        if own.any():
            draw(g[own]["flops_paper"], g[own]["psnr_rgb_db"], backbone=backbone, method=method,
                 model=g[own]["model"], source="ours", marker="D", color="none", edgecolors=palette[backbone],
                 label=f"{method}-{backbone}: its own -O")
    bicubic = sub[sub["variant"] == "bicubic"]
    if len(bicubic):
        ax.axhline(bicubic["psnr_db"].iloc[0], color="0.4", ls="--", lw=1, label="bicubic (0 FLOPs)")
    _flops_axis(ax, pd.Series([p["flops_paper"] for p in points], dtype=float))
    ax.set_xlabel("FLOPs per 32×32 LR patch (G, paper convention)")
    ax.set_ylabel("PSNR (dB, RGB)")
    names = ["-O → ClassSR"] + (["ARM's η sweep"] if len(arm) else []) + list(dict.fromkeys(others.get("method", [])))
    ax.set_title(f"{testset}: " + ", ".join(names), fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    _captioned(fig, caption)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return pd.DataFrame(points, columns=["testset", "backbone", "method", "model", "source", "flops_paper",
                                         "psnr_db"]).dropna(subset=["flops_paper", "psnr_db"])


def _error_bars(ax, x, y, rows: pd.DataFrame, name: str, colour, scale: float = 1e9) -> None:
    """The paired 95 % interval of ``<name>`` (a model minus its -O, over the test images) drawn around each point:
    the uncertainty of the comparison the figure is for, not of the absolute PSNR (which the images' spread
    dominates)."""
    low, high, mean = (f"{name}_ci_low_db", f"{name}_ci_high_db", f"{name}_db")
    if not {low, high, mean} <= set(rows.columns):
        return
    ok = rows[mean].notna().to_numpy() & rows[low].notna().to_numpy()
    if not ok.any():
        return
    d, lo, hi = (rows[c].to_numpy(dtype=float)[ok] for c in (mean, low, high))
    ax.errorbar(np.asarray(x, dtype=float)[ok] / scale, np.asarray(y, dtype=float)[ok],
                yerr=[np.clip(d - lo, 0, None), np.clip(hi - d, 0, None)], fmt="none", ecolor=colour, elinewidth=1,
                capsize=3, alpha=0.8)


def _other_methods(methods: pd.DataFrame | None, testset: str) -> pd.DataFrame:
    """The registered methods' own rows of ``testset`` (not the context rows of the methods table)."""
    if methods is None or methods.empty:
        return pd.DataFrame()
    sub = methods[(methods["testset"] == testset) & ~methods["method"].isin(["bicubic", "original", "classsr"])]
    return sub[sub["flops_paper"] > 0]


def _flops_axis(ax, flops: pd.Series) -> None:
    """Log FLOPs only where the points span backbones (else unreadable); plain G ticks."""
    flops = flops.dropna()
    flops = flops[flops > 0]
    label = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.3g}")
    ax.xaxis.set_major_formatter(label)
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    if len(flops) and flops.max() > 5 * flops.min():
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(label)
        # within about a decade no power of ten may fall inside the axis: label the 2× and 5× minor ticks too
        ax.xaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v:.3g}" if f"{v:.0e}"[0] in "25" and flops.max() < 30 * flops.min() else ""))


def class_map(sample_png: Path, routing_csv: Path, out: Path, *, scale: int = 4, patch: int = 32,
              step: int = 28, alpha: float = 0.25) -> None:
    """SR image with every 32×32 patch tinted by its class (the authors' mask demo, spec §5)."""
    img = plt.imread(sample_png)[..., :3]
    routing = pd.read_csv(routing_csv)
    first = routing[routing["image"] == routing["image"].iloc[0]]
    cols = (img.shape[1] // scale - patch) // step + 1
    tint = np.zeros_like(img)
    weight = np.zeros(img.shape[:2] + (1,))
    for p, k in zip(first["patch"], first["class"]):
        y, x = scale * step * (p // cols), scale * step * (p % cols)
        tint[y:y + scale * patch, x:x + scale * patch] += matplotlib.colors.to_rgb(CLASS_COLOURS[k % 5])
        weight[y:y + scale * patch, x:x + scale * patch] += 1
    tint = tint / np.maximum(weight, 1)
    fig, ax = plt.subplots(figsize=(6, 6 * img.shape[0] / img.shape[1]))
    ax.imshow((1 - alpha) * img + alpha * tint)
    ax.set_axis_off()
    counts = first["class"].value_counts(normalize=True).sort_index()
    ax.set_title("classes: " + ", ".join(f"{k}: {100 * v:.0f}%" for k, v in counts.items()) + " (0 = simple)",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def training_curves(logs: dict[str, pd.DataFrame], out: Path) -> None:
    """Total loss vs iteration of every ClassSR run (one panel per run)."""
    n = max(len(logs), 1)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.8), squeeze=False)
    for ax, (name, log) in zip(axes[0], logs.items()):
        for col in ("loss", "l1", "class_loss", "average_loss"):
            if col in log:
                ax.plot(log["iteration"], log[col], label=col)
        ax.set_yscale("log")
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("iteration")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def class_distribution(rows: pd.DataFrame, out: Path) -> None:
    """Fraction of test patches per class, per backbone and test set (ClassSR models)."""
    frac = [c for c in rows.columns if c.startswith("frac_class")]
    data = rows[rows["model"] == "classsr"].melt(id_vars=["backbone", "testset"], value_vars=frac,
                                                 var_name="class", value_name="fraction").dropna()
    grid = sns.catplot(data=data, x="backbone", y="fraction", hue="class", col="testset", kind="bar",
                       palette=CLASS_COLOURS[: len(frac)], height=3, aspect=1.2)
    grid.savefig(out, dpi=110)
    plt.close(grid.figure)


def ablation_plot(table: pd.DataFrame, out: Path) -> None:
    """PSNR vs % of the -O network's FLOPs of every variant, each with the paired 95 % interval of its difference
    to the -O (over the test images); bicubic per test set as a dashed line."""
    fig, ax = plt.subplots(figsize=(6, 4))
    nets = table[table["model"] != "bicubic"]
    sns.scatterplot(data=nets, x="flops_pct", y="psnr_rgb_db", hue="model", style="backbone", ax=ax)
    _error_bars(ax, nets["flops_pct"], nets["psnr_rgb_db"], nets, "delta_vs_original", "0.3", scale=1.0)
    for r in table[table["model"] == "bicubic"].itertuples():
        ax.axhline(r.psnr_rgb_db, color="0.4", ls="--", lw=1)
        ax.annotate(f"bicubic ({r.testset})", (0.01, r.psnr_rgb_db), xycoords=("axes fraction", "data"),
                    fontsize=8, va="bottom", color="0.3")
    ax.set_xlabel("FLOPs (% of the original network)")
    ax.set_ylabel("PSNR (dB, RGB)")
    ax.set_title("bars: 95 % paired interval of the variant minus its -O", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def perf_plot(perf: pd.DataFrame, out: Path) -> None:
    """Wall time per patch against true MACs per patch (log–log), one colour per backbone: points on one line
    through the origin would mean time follows FLOPs."""
    df = perf.assign(ms_per_patch=perf["time_ms"] / perf["patches"], gmacs=perf["macs"] / 1e9,
                     case=perf["model"] + " " + perf["mode"] + perf["mix"].fillna("").map(lambda m: f" {m}" if m
                                                                                          else ""))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sns.scatterplot(data=df, x="gmacs", y="ms_per_patch", hue="backbone", style="case", s=60, ax=ax)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("true GMACs per 32×32 LR patch")
    ax.set_ylabel("wall time per patch (ms)")
    ax.legend(fontsize=8, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def learning_curve(curve: pd.DataFrame, testset: str, out: Path, caption: str) -> None:
    """Mean PSNR (dB) of every -O network against training iterations on one test set; bicubic dashed."""
    sub = curve[curve["testset"] == testset]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    sns.lineplot(data=sub, x="iteration", y="psnr_rgb_db", hue="backbone", marker="o", ax=ax)
    bicubic = sub["bicubic_psnr_db"].dropna()
    if len(bicubic):
        ax.axhline(bicubic.iloc[0], color="0.4", ls="--", lw=1, label="bicubic (0 FLOPs)")
        low = min(sub["psnr_rgb_db"].quantile(0.25), bicubic.iloc[0] - 1.0)  # the first snapshots are noise
        ax.set_ylim(bottom=low)
    ax.set_xlabel("training iteration of the -O network")
    ax.set_ylabel("PSNR (dB, RGB)")
    ax.set_title(f"{testset}: learning curve against bicubic")
    ax.legend(fontsize=8)
    _captioned(fig, caption)
    fig.savefig(out, dpi=120)
    plt.close(fig)

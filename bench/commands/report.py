"""Render Table 1, the ablation table and the figures from stored CSVs only (this verb never imports torch).

Reads the evaluation summary, the paper's Table 1 (results/paper/table1.csv), the learning-curve CSVs, the ClassSR
runs' train_log.csv files and the routing/sample files of the class maps — all given as arguments (the workflow
declares them as the rule's inputs); writes tables/ and figures/ under --out.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..analysis import routing_curves
from ..arm import report as report_arm
from ..report import figures, protocol, routing_figures, stage2, tables


TABLE1_CAPTION = (
    "Table 1 (ClassSR, Kong et al. CVPR 2021) regenerated. PSNR: dB, RGB, scale-px border crop, mean over images; "
    "gain_over_bicubic_db: PSNR minus MATLAB-bicubic upscaling of the same LR on the same grid and crop (the "
    "bicubic row, 0 FLOPs). flops_paper / flops_pct: our exact FLOPs per 32×32 LR patch in the paper's convention "
    "(classifier included for every ClassSR) and % of the -O network; flops_authors / flops_pct_authors: the "
    "authors' bookkeeping (rounded constants, classifier for FSRCNN only), which the published numbers use, so "
    "diff_flops_pct (relative FLOPs difference, %) and diff_pct_points are computed from it; paper_* = published. "
    "max_class_frac: largest share of the test patches sent to one class; collapsed: ≥ 95 %. "
    "delta_vs_original_db: ClassSR − its -O (mean over images) with its 95 % paired bootstrap interval over the test "
    "images (delta_ci_low_db, delta_ci_high_db; delta_significant: the interval excludes 0). ")
ABLATION_CAPTION = (
    "Ablations: every ClassSR variant next to its -O network and the bicubic reference. flops_pct: % of the -O "
    "network's FLOPs (paper convention, classifier included); mean_max_prob: mean over test patches of the "
    "classifier's largest softmax probability (1 = hard decisions); frac_classK: share of patches routed to class K "
    "(0 = simple); collapsed: ≥ 95 % of the patches to one class. ")

ARM_CAPTION = (
    "ARM (Chen et al., ECCV 2022) beside ClassSR, one protocol: PSNR in dB (RGB, scale-px crop, mean over images; "
    "the same engine, tiling and overlap averaging for every method); gain_over_bicubic_db against MATLAB bicubic of "
    "the same LR; flops_paper: FLOPs per 32×32 LR patch in the paper's convention (ARM's cost list; its bicubic "
    "path, edge score and table lookup count 0 as ARM counts them; ClassSR's classifier counted); flops_pct: % of "
    "the full network (ARM: its full width; ClassSR: its -O); flops_pct_original: % of the -O network of the same "
    "source, one denominator for all (they differ where the run's -O is narrower than ARM's full width). knob: k (η = k·C_3) or e<j> (path j forced); "
    "frac_pathJ: share of patches on path J (0 = bicubic, J = J-th width). source paper: ClassSR's Table 1 and ARM's "
    "ARM-L/M/S (its test logs; a different k per test set). A table built here (arm.table calibrate) comes from "
    "training sub-images, not DIV2K's validation set as ARM's. ")
ARM_FIG_NOTE = ("Triangles: ARM (filled: this run's η sweep; hollow: ARM's published ARM-L/M/S); an ARM point with every "
                "patch on its bicubic path (0 FLOPs) lies off the axis: see tables/arm.md. ")
METHODS_CAPTION = (
    "Registered methods (bench.methods) under ClassSR's protocol, beside the bicubic reference, the -O network and "
    "the main ClassSR of the same backbone: PSNR in dB (RGB, scale-px crop, mean over images), flops_paper per "
    "32×32 LR patch (paper convention, the method's routing cost included) and flops_pct (% of the -O network); "
    "frac_classK: share of patches on path K (0 = cheapest); collapsed: ≥ 95 % of the patches on one path. ")
METHODS_FIG_NOTE = "Diamonds: registered methods (tables/methods.md). "
LEARNING_CAPTION = (
    "Learning curves: mean PSNR (dB, RGB, same grid and crop as Table 1) of every -O network at its kept "
    "snapshots (train.snapshot_every) and at the end of training; gain_over_bicubic_db: minus MATLAB-bicubic "
    "upscaling of the same LR (0 FLOPs). ")


ROUTING_CAPTION = (
    "Routing analysis of each trained ClassSR model from one per-patch pass over the test set (bench.analysis.routing): "
    "PSNR from the patch-decomposed image error (each HR pixel counted once, overlaps split at their middle; the "
    "evaluated, overlap-averaged PSNR of the trained routing is in classifier_efficiency.csv; psnr_pooled_db: one "
    "MSE over all patches), FLOPs per 32×32 LR "
    "patch in the paper's convention, classifier included only where it runs. Oracle: per patch the branch "
    "minimising squared error + λ·FLOPs; random: the classifier's classes shuffled (10 draws); logit bias: "
    "logits − knob·k; bicubic path: 0 FLOPs. ")
EFFICIENCY_CAPTION = (
    "Classifier efficiency = (PSNR_classifier − PSNR_random) / (PSNR_oracle − PSNR_random) at the classifier's "
    "branch FLOPs (random keeps its class fractions; the oracle curve is interpolated there): 1 = as good as any "
    "routing of these branches, 0 = chance, < 0 = worse than chance; empty when the oracle beats random by less "
    "than 0.05 dB. PSNR in dB (patch-decomposed): mean over images as the paper, and pooled (one MSE over all "
    "patches; *_pooled) — the image mean penalises a routing that concentrates its cheap branches in a few "
    "images, and the oracle bounds the pooled PSNR only (its points exactly, interpolated between them). "
    "psnr_evaluated_db: the evaluation's (overlap-averaged) PSNR of the trained routing. "
    "classifier_minus_random_pooled_db: pooled PSNR of the trained routing minus random routing at its fractions "
    "(expected), with 95 % bootstrap intervals over patches (narrow: patches of an image are correlated) and over "
    "images (conservative). ")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--summary", required=True, help="evaluation summary CSV")
    parser.add_argument("--paper", default="results/paper/table1.csv", help="the paper's Table 1 CSV")
    parser.add_argument("--arm-paper", default="results/paper/arm.csv", help="ARM's published points CSV")
    parser.add_argument("--missing", help="CSV of the evaluations summarize did not find (listed, not fatal)")
    parser.add_argument("--curves", nargs="*", default=[], help="learning-curve CSVs of python -m bench curve")
    parser.add_argument("--stage2-curves", nargs="*", default=[],
                        help="stage-2 curve CSVs of python -m bench curve --arch classsr_<backbone>")
    parser.add_argument("--train-logs", nargs="*", default=[],
                        help="train_log.csv of ClassSR runs (<runs>/<backbone>/<variant>/classsr/train_log.csv)")
    parser.add_argument("--class-map", nargs=3, action="append", default=[], metavar=("TESTSET", "ROUTING", "SAMPLE"),
                        help="routing CSV and SR sample PNG of the class-map figure of a test set (repeatable)")
    parser.add_argument("--routing-cache", nargs=5, action="append", default=[],
                        metavar=("TESTSET", "BACKBONE", "MODEL", "CACHE", "COSTS"),
                        help="per-patch routing cache and part costs of a ClassSR model (python -m bench routing)")
    parser.add_argument("--out", required=True, help="folder receiving tables/ and figures/")


def write_text(path: Path, text: str) -> None:
    """Write through a temporary name, so a reader never sees half a table."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def run(args: argparse.Namespace) -> int:
    summary, paper, out = pd.read_csv(args.summary), pd.read_csv(args.paper), Path(args.out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    note = str(summary["scale_note"].dropna().iloc[0]) if summary["scale_note"].notna().any() else ""
    t1 = tables.table1(summary, paper)
    t1.to_csv(out / "tables" / "table1.csv", index=False)
    write_text(out / "tables" / "table1.md", tables.markdown_by_testset(t1, TABLE1_CAPTION + note))
    write_text(out / "tables" / "table1.tex", tables.latex(t1, TABLE1_CAPTION + note))
    arm = report_arm.arm_table(summary, t1, pd.read_csv(args.arm_paper))
    if len(arm):
        arm.to_csv(out / "tables" / "arm.csv", index=False)
        write_text(out / "tables" / "arm.md", tables.markdown_by_testset(arm, ARM_CAPTION + note))
    methods = tables.methods_table(summary)
    if len(methods):
        methods.to_csv(out / "tables" / "methods.csv", index=False)
        write_text(out / "tables" / "methods.md", tables.markdown_by_testset(methods, METHODS_CAPTION + note))
        for name in sorted(set(methods["method"]) - set(tables.OWN_TABLES)):  # one table per method (pcsr.md, …)
            own = tables.methods_table(summary, only=name)
            own.to_csv(out / "tables" / f"{name}.csv", index=False)
            write_text(out / "tables" / f"{name}.md", tables.markdown_by_testset(own, METHODS_CAPTION + note))
    points = [figures.fig2(t1, testset, out / "figures" / f"fig2_{testset}.png",
                           "Filled: this run; hollow: the paper (Table 1"
                           + (", ARM's ARM-L/M/S" if len(arm) else "") + "); dashed: bicubic (0 FLOPs); bars: 95 % "
                           "paired interval of a model minus its -O over the test images. "
                           + (ARM_FIG_NOTE if len(arm) else "") + (METHODS_FIG_NOTE if len(methods) else "") + note,
                           arm if len(arm) else None, methods)
              for testset in t1["testset"].unique()]
    if points:  # every point of the Fig. 2 panels, as drawn
        pd.concat(points, ignore_index=True).to_csv(out / "tables" / "fig2_points.csv", index=False)
    matrix = protocol.protocol_table(summary)  # every profile: how far each protocol choice moves each model
    matrix.to_csv(out / "tables" / "protocol.csv", index=False)
    write_text(out / "tables" / "protocol.md", tables.markdown_by_testset(
        protocol.markdown(matrix), protocol.CAPTION + protocol.published_note(matrix) + note))
    ab = tables.ablation_table(summary)
    ab.to_csv(out / "tables" / "ablations.csv", index=False)
    write_text(out / "tables" / "ablations.md", tables.markdown_by_testset(ab, ABLATION_CAPTION + note))
    rows = tables.dataset_rows(summary)
    skipped = []
    if len(ab):
        figures.ablation_plot(ab, out / "figures" / "ablations.png")
    else:
        skipped.append("ablations.png (no ClassSR evaluation)")
    if (rows["model"] == "classsr").any():
        figures.class_distribution(rows, out / "figures" / "class_distribution.png")
    else:
        skipped.append("class_distribution.png (no ClassSR evaluation)")
    for testset, routing, sample in args.class_map:
        if Path(routing).is_file() and Path(sample).is_file():
            figures.class_map(Path(sample), Path(routing), out / "figures" / f"classmap_{testset}.png")
    _curves(args.train_logs, out)
    first = tables.first_seed(summary)  # the curves and the routing analysis are the first seed's runs
    if args.curves:
        _learning_curves(args.curves, first, out, note)
    if args.stage2_curves:
        _stage2(args.stage2_curves, first, out, note)
    if args.routing_cache:
        _routing(args.routing_cache, first, paper, out, note)
    for name in skipped:
        print(f"not rendered: {name}")
    if args.missing and Path(args.missing).is_file() and len(pd.read_csv(args.missing)):
        print(f"missing evaluations (rendered without them):\n{pd.read_csv(args.missing).to_string(index=False)}")
    print(t1[["backbone", "testset", "variant", "psnr_db", "flops_paper", "flops_pct", "flag"]].to_string(index=False))
    return 0


def _learning_curves(paths: list[str], summary: pd.DataFrame, out: Path, note: str) -> None:
    curve = tables.learning_curve(pd.concat([pd.read_csv(p) for p in paths], ignore_index=True), summary)
    curve.to_csv(out / "tables" / "learning_curve.csv", index=False)
    write_text(out / "tables" / "learning_curve.md", tables.markdown_by_testset(curve, LEARNING_CAPTION + note))
    for testset in curve["testset"].unique():
        figures.learning_curve(curve, testset, out / "figures" / f"learning_curve_{testset}.png",
                               LEARNING_CAPTION + note)


def _stage2(paths: list[str], summary: pd.DataFrame, out: Path, note: str) -> None:
    table = stage2.stage2_table(pd.concat([pd.read_csv(p) for p in paths], ignore_index=True), summary)
    table.to_csv(out / "tables" / "stage2.csv", index=False)
    write_text(out / "tables" / "stage2.md", tables.markdown_by_testset(table, stage2.CAPTION + note))
    for testset in table["testset"].unique():
        stage2.stage2_figure(table, testset, out / "figures" / f"stage2_{testset}.png", stage2.CAPTION + note)


def _routing(caches: list[list[str]], summary: pd.DataFrame, paper: pd.DataFrame, out: Path, note: str) -> None:
    frames, rows = [], []
    rows_all = tables.dataset_rows(summary)
    evaluated = rows_all.set_index(["backbone", "testset", "model"])["psnr_rgb_db"]
    for testset, backbone, model, cache, costs in caches:
        patches, part_costs = pd.read_csv(cache), pd.read_csv(costs)  # read once: curves and over_chance
        points = routing_curves.curves(patches, part_costs)
        frames.append(points.assign(backbone=backbone, testset=testset, model=model))
        measured = evaluated.get((backbone, testset, model), float("nan"))
        rows.append({"backbone": backbone, "testset": testset, "model": model, **routing_curves.efficiency(points),
                     **routing_curves.over_chance(patches, part_costs),
                     "psnr_evaluated_db": measured})
    keys = ["backbone", "testset", "model"]
    curves = pd.concat(frames, ignore_index=True)
    curves = curves[keys + [c for c in curves.columns if c not in keys]]
    curves.to_csv(out / "tables" / "routing_curves.csv", index=False)
    eff = pd.DataFrame(rows)
    eff.to_csv(out / "tables" / "classifier_efficiency.csv", index=False)
    write_text(out / "tables" / "classifier_efficiency.md", tables.markdown_by_testset(eff, EFFICIENCY_CAPTION + note))
    for testset in curves["testset"].unique():
        routing_figures.routing_curves(curves, testset, out / "figures" / f"routing_curves_{testset}.png",
                                       ROUTING_CAPTION + note, paper, rows_all[rows_all["model"] == "original"])
        routing_figures.frontier(curves, testset, out / "figures" / f"frontier_{testset}.png", ROUTING_CAPTION + note)


def _curves(paths: list[str], out: Path) -> None:
    # a run is named by its folders: <backbone>/<variant>/classsr/train_log.csv
    logs = {"/".join(Path(p).parts[-4:-1]): pd.read_csv(p) for p in paths if Path(p).is_file()}
    if logs:
        figures.training_curves(logs, out / "figures" / "training_curves.png")

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
from ..report import figures, legend, protocol, routing_figures, stage2, tables
from ..report.legend import caption


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
    parser.add_argument("--scale", help="scale CSV of summarize (the profile beside the paper's recipe): tables/scale.md")
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
    shown: dict[str, str] = {}  # legend key -> its text for this run (tables/README.md)

    def table(key: str, df: pd.DataFrame, name: str | None = None, extra: str = "") -> None:
        df.to_csv(out / "tables" / f"{name or key}.csv", index=False)
        write_text(out / "tables" / f"{name or key}.md", tables.markdown_by_testset(df, caption(key)))
        shown[key] = legend.LEGENDS[key].long + extra

    t1 = tables.table1(summary, paper)
    table("table1", t1)
    write_text(out / "tables" / "table1.tex", tables.latex(t1, legend.LEGENDS["table1"].short))
    arm = report_arm.arm_table(summary, t1, pd.read_csv(args.arm_paper))
    if len(arm):
        table("arm", arm)
    methods = tables.methods_table(summary)
    if len(methods):
        table("methods", methods)
        for name in sorted(set(methods["method"]) - set(tables.OWN_TABLES)):  # one table per method (pcsr.md, …)
            table("methods", tables.methods_table(summary, only=name), name=name)
    fig_note = (legend.ARM_FIG_NOTE if len(arm) else "") + (legend.METHODS_FIG_NOTE if len(methods) else "")
    shown["fig2"] = legend.FIG2_LONG + fig_note
    points = [figures.fig2(t1, testset, out / "figures" / f"fig2_{testset}.png",
                           f"{legend.FIG2_SHORT} Legend: tables/README.md#fig2; scale: tables/scale.md.",
                           arm if len(arm) else None, methods)
              for testset in t1["testset"].unique()]
    if points:  # every point of the Fig. 2 panels, as drawn
        pd.concat(points, ignore_index=True).to_csv(out / "tables" / "fig2_points.csv", index=False)
    matrix = protocol.protocol_table(summary)  # every profile: how far each protocol choice moves each model
    matrix.to_csv(out / "tables" / "protocol.csv", index=False)
    write_text(out / "tables" / "protocol.md",
               tables.markdown_by_testset(protocol.markdown(matrix), caption("protocol")))
    shown["protocol"] = legend.LEGENDS["protocol"].long + protocol.published_note(matrix)
    ab = tables.ablation_table(summary)
    table("ablations", ab)
    _figures(summary, ab, args.class_map, args.train_logs, out)
    first = tables.first_seed(summary)  # the curves and the routing analysis are the first seed's runs
    if args.curves:
        shown["learning_curve"] = _learning_curves(args.curves, first, out)
    if args.stage2_curves:
        shown["stage2"] = _stage2(args.stage2_curves, first, out)
    if args.routing_cache:
        shown |= _routing(args.routing_cache, first, paper, out)
    _scale(args.scale, out)
    write_text(out / "tables" / "README.md", legend.readme(shown))
    if args.missing and Path(args.missing).is_file() and len(pd.read_csv(args.missing)):
        print(f"missing evaluations (rendered without them):\n{pd.read_csv(args.missing).to_string(index=False)}")
    print(t1[["backbone", "testset", "variant", "psnr_db", "flops_paper", "flops_pct", "flag"]].to_string(index=False))
    return 0


def _figures(summary: pd.DataFrame, ab: pd.DataFrame, class_maps: list[list[str]], train_logs: list[str],
             out: Path) -> None:
    """The ablation plot, class distribution, class maps and training curves (each skipped, said so, when its
    inputs are absent)."""
    rows, skipped = tables.dataset_rows(summary), []
    if len(ab):
        figures.ablation_plot(ab, out / "figures" / "ablations.png")
    else:
        skipped.append("ablations.png (no ClassSR evaluation)")
    if (rows["model"] == "classsr").any():
        figures.class_distribution(rows, out / "figures" / "class_distribution.png")
    else:
        skipped.append("class_distribution.png (no ClassSR evaluation)")
    for testset, routing, sample in class_maps:
        if Path(routing).is_file() and Path(sample).is_file():
            figures.class_map(Path(sample), Path(routing), out / "figures" / f"classmap_{testset}.png")
    _curves(train_logs, out)
    for name in skipped:
        print(f"not rendered: {name}")


def _scale(path: str | None, out: Path) -> None:
    """tables/scale.md: where this run departs from the paper's recipe (summarize's scale CSV), once per report."""
    if not path:
        return
    scale = pd.read_csv(path, dtype=str, keep_default_na=False)  # values as written: "[16, 24, 32]", "0.001"
    scale.to_csv(out / "tables" / "scale.csv", index=False)
    head = "# Scale of this run\n\nWhere the profile departs from the paper's recipe (ClassSR, Kong et al., CVPR 2021; "
    body = (scale[["setting", "this_run", "paper"]].to_markdown(index=False, disable_numparse=True) if len(scale)
            else "This run uses the paper's recipe throughout.")
    write_text(out / "tables" / "scale.md", head + "spec §3.2); every other setting is the paper's.\n\n" + body + "\n")


def _learning_curves(paths: list[str], summary: pd.DataFrame, out: Path) -> str:
    curve = tables.learning_curve(pd.concat([pd.read_csv(p) for p in paths], ignore_index=True), summary)
    curve.to_csv(out / "tables" / "learning_curve.csv", index=False)
    write_text(out / "tables" / "learning_curve.md", tables.markdown_by_testset(curve, caption("learning_curve")))
    for testset in curve["testset"].unique():
        figures.learning_curve(curve, testset, out / "figures" / f"learning_curve_{testset}.png",
                               caption("learning_curve", figure=True))
    return legend.LEGENDS["learning_curve"].long


def _stage2(paths: list[str], summary: pd.DataFrame, out: Path) -> str:
    table = stage2.stage2_table(pd.concat([pd.read_csv(p) for p in paths], ignore_index=True), summary)
    table.to_csv(out / "tables" / "stage2.csv", index=False)
    write_text(out / "tables" / "stage2.md", tables.markdown_by_testset(table, caption("stage2")))
    for testset in table["testset"].unique():
        stage2.stage2_figure(table, testset, out / "figures" / f"stage2_{testset}.png", caption("stage2", figure=True))
    return legend.LEGENDS["stage2"].long


def _routing(caches: list[list[str]], summary: pd.DataFrame, paper: pd.DataFrame, out: Path) -> dict[str, str]:
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
    write_text(out / "tables" / "classifier_efficiency.md",
               tables.markdown_by_testset(eff, caption("classifier_efficiency")))
    line = caption("routing_curves", figure=True)
    for testset in curves["testset"].unique():
        routing_figures.routing_curves(curves, testset, out / "figures" / f"routing_curves_{testset}.png", line,
                                       paper, rows_all[rows_all["model"] == "original"])
        routing_figures.frontier(curves, testset, out / "figures" / f"frontier_{testset}.png", line)
    return {k: legend.LEGENDS[k].long for k in ("classifier_efficiency", "routing_curves")}


def _curves(paths: list[str], out: Path) -> None:
    # a run is named by its folders: <backbone>/<variant>/classsr/train_log.csv
    logs = {"/".join(Path(p).parts[-4:-1]): pd.read_csv(p) for p in paths if Path(p).is_file()}
    if logs:
        figures.training_curves(logs, out / "figures" / "training_curves.png")

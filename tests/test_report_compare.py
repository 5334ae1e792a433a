"""Report rendering from CSVs (no torch), Table 1 arithmetic and flags, and the regression comparison."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.analysis.compare import compare, summary
from bench.report import tables

ROOT = Path(__file__).resolve().parents[1]
PAPER = pd.read_csv(ROOT / "results" / "paper" / "table1.csv")


def fake_summary() -> pd.DataFrame:
    """Two images per set; ClassSR routes 3/2/1 and 1/1/4 patches (of 6 each)."""
    rows = []
    for testset in ("test2k", "embedded"):
        for backbone in ("fsrcnn", "carn"):
            for model, costs in (("original", None), ("classsr", (1e8, 2e8, 4e8))):
                for image, counts, psnr in (("a", (3, 2, 1), 30.0), ("b", (1, 1, 4), 26.0)):
                    flops = 4e8 if costs is None else float(np.dot(costs, counts) / 6)
                    row = {"testset": testset, "image": image, "backbone": backbone, "model": model,
                           "variant": model, "patches": 6, "psnr_rgb_db": psnr + (model == "classsr") * 0.1,
                           "psnr_y_db": psnr + 1, "ssim_rgb": 0.8, "ssim_y": 0.85, "flops_paper": flops,
                           "macs": flops / 2, "flops_authors": flops, "time_ms": 5.0, "scale_note": "demo scale: x"}
                    if costs is not None:
                        row.update({f"n_class{k}": c for k, c in enumerate(counts)})
                    rows.append(row)
    return pd.DataFrame(rows)


def test_table1_arithmetic_and_paper_flags():
    t1 = tables.table1(fake_summary(), PAPER)
    c = t1[(t1["backbone"] == "fsrcnn") & (t1["testset"] == "test2k") & (t1["variant"] == "classsr")].iloc[0]
    # patch-weighted over the set: (3·1 + 2·2 + 1·4 + 1·1 + 1·2 + 4·4)·1e8 / 12 = 2.5e8 → 62.5 % of 4e8
    assert c["flops_paper"] == pytest.approx(2.5e8) and c["flops_pct"] == pytest.approx(62.5)
    assert c["psnr_db"] == pytest.approx(28.1) and c["paper_psnr_db"] == 25.61
    assert c["diff_psnr_db"] == pytest.approx(28.1 - 25.61)
    carn = t1[(t1["backbone"] == "carn") & (t1["testset"] == "test2k") & (t1["variant"] == "classsr")].iloc[0]
    assert carn["flag"] == "paper prints 71% but its numbers give 73%"
    assert (t1.loc[t1["backbone"] == "fsrcnn", "flag"] == "").all()
    assert np.isnan(t1[t1["testset"] == "embedded"]["paper_psnr_db"]).all()
    rows = tables.dataset_rows(fake_summary())
    frac = rows[(rows["model"] == "classsr")].iloc[0]
    assert frac["frac_class0"] == pytest.approx(4 / 12) and frac["frac_class2"] == pytest.approx(5 / 12)


def with_bicubic(summary: pd.DataFrame) -> pd.DataFrame:
    """The bicubic reference rows of every test set (0 FLOPs, 27 and 25 dB for images a and b)."""
    rows = [{"testset": t, "image": i, "backbone": "bicubic", "model": "bicubic", "variant": "bicubic",
             "patches": 6, "psnr_rgb_db": p, "psnr_y_db": p + 1, "ssim_rgb": 0.7, "ssim_y": 0.75, "flops_paper": 0.0,
             "macs": 0.0, "flops_authors": 0.0, "time_ms": 1.0, "scale_note": "demo scale: x"}
            for t in summary["testset"].unique() for i, p in (("a", 27.0), ("b", 25.0))]
    return pd.concat([summary, pd.DataFrame(rows)], ignore_index=True)


def test_bicubic_gain_and_collapse_flag():
    summary = with_bicubic(fake_summary())
    # ClassSR-CARN on the embedded set: every patch of both images in class 2 → collapsed
    hit = (summary["backbone"] == "carn") & (summary["model"] == "classsr") & (summary["testset"] == "embedded")
    summary.loc[hit, ["n_class0", "n_class1", "n_class2"]] = [0, 0, 6]
    summary.loc[summary["model"] == "classsr", "mean_max_prob"] = 0.9  # ClassSR rows only, as evaluate writes it
    summary.loc[hit & (summary["image"] == "a"), "flops_authors"] = np.nan  # non-paper widths: no authors' count
    t1 = tables.table1(summary, PAPER)
    assert t1.iloc[0]["variant"] == "bicubic" and t1.iloc[0]["psnr_db"] == pytest.approx(26.0)
    fs = t1[(t1["backbone"] == "fsrcnn") & (t1["testset"] == "test2k")].set_index("variant")
    assert fs.loc["original", "gain_over_bicubic_db"] == pytest.approx(28.0 - 26.0)
    assert fs.loc["classsr", "gain_over_bicubic_db"] == pytest.approx(28.1 - 26.0)
    carn = t1[(t1["backbone"] == "carn") & (t1["testset"] == "embedded") & (t1["variant"] == "classsr")].iloc[0]
    assert carn["collapsed"] and carn["flag"].startswith("collapsed: 100% of patches")
    assert np.isnan(carn["flops_authors"]) and np.isnan(carn["flops_pct_authors"])  # empty, not 0
    assert not fs.loc["classsr", "collapsed"] and fs.loc["classsr", "max_class_frac"] == pytest.approx(5 / 12)
    ab = tables.ablation_table(summary)
    assert (ab.loc[ab["model"] == "classsr", "mean_max_prob"] == 0.9).all() and ab.loc[ab["model"] == "original",
                                                                                      "mean_max_prob"].isna().all()
    assert ab.groupby("testset")["model"].first().eq("bicubic").all()
    assert ab.loc[(ab["backbone"] == "carn") & (ab["testset"] == "embedded") & (ab["model"] == "classsr"),
                  "collapsed"].item()
    md = tables.markdown_by_testset(t1, "caption")
    embedded = md.split("### embedded")[1]  # no paper numbers for the embedded set: those columns are dropped
    assert "paper_psnr_db" not in embedded and "paper_psnr_db" in md.split("### embedded")[0]
    assert "gain_over_bicubic_db" in embedded and "paper_psnr_db" in t1.columns


def test_report_renders_without_torch(tmp_path):
    summary = tmp_path / "summary.csv"
    fake_summary().to_csv(summary, index=False)
    code = ("import sys; from bench.cli import main; rc = main(['report', '--summary', sys.argv[1], '--paper', "
            "sys.argv[2], '--out', sys.argv[3]]); assert 'torch' not in sys.modules, 'torch imported'; "
            "raise SystemExit(rc)")
    result = subprocess.run([sys.executable, "-c", code, str(summary), str(ROOT / "results/paper/table1.csv"),
                             str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for name in ("tables/table1.csv", "tables/table1.md", "tables/table1.tex", "tables/ablations.csv",
                 "figures/fig2_test2k.png", "figures/fig2_embedded.png", "figures/class_distribution.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    md = (tmp_path / "tables" / "table1.md").read_text()
    assert "paper prints 71%" in md and "demo scale" not in md  # the scale is said once, in scale.md
    legend = (tmp_path / "tables" / "README.md").read_text()
    assert "## table1" in legend and "delta_vs_original_db" in legend and "## fig2" in legend


def test_captions_are_at_most_two_lines_and_point_to_legend_and_scale(tmp_path):
    """Issue 26: one short caption per table and figure; the legend once (tables/README.md), the run's scale
    once (tables/scale.md, from summarize's scale CSV)."""
    from bench.cli import main
    from bench.report.legend import LEGENDS, MAX_CAPTION, caption

    for key in LEGENDS:
        for figure in (False, True):
            line = caption(key, figure=figure)
            assert len(line) <= MAX_CAPTION and "README.md#" + key in line and "scale.md" in line, line
    summary, scale = tmp_path / "summary.csv", tmp_path / "scale.csv"
    fake_summary().to_csv(summary, index=False)
    pd.DataFrame({"setting": ["branch iterations"], "this_run": ["250"], "paper": ["500000"],
                  "profile": ["default"]}).to_csv(scale, index=False)
    assert main(["report", "--summary", str(summary), "--paper", str(ROOT / "results/paper/table1.csv"),
                 "--scale", str(scale), "--out", str(tmp_path)]) == 0
    for md in (tmp_path / "tables").glob("*.md"):
        if md.name in ("README.md", "scale.md"):
            continue
        last = md.read_text().rstrip("\n").split("\n")[-1]
        assert len(last) <= MAX_CAPTION and "scale.md" in last, (md.name, last)
    assert re.search(r"\| branch iterations +\| 250 +\| 500000 +\|", (tmp_path / "tables" / "scale.md").read_text())


def test_compare_tolerances(tmp_path):
    ref, cur = tmp_path / "ref", tmp_path / "cur"
    for d in (ref, cur):
        (d / "eval").mkdir(parents=True)
    base = fake_summary()
    base.to_csv(ref / "eval" / "summary.csv", index=False)
    ok = base.assign(psnr_rgb_db=base["psnr_rgb_db"] + 0.04, time_ms=99.0, scale_note="other")
    ok.to_csv(cur / "eval" / "summary.csv", index=False)
    assert compare(cur, ref) == []
    bad = base.copy()
    bad.loc[0, "psnr_rgb_db"] += 0.06
    bad.loc[1, "flops_paper"] += 10
    bad = bad.drop(index=5)
    bad.to_csv(cur / "eval" / "summary.csv", index=False)
    problems = compare(cur, ref)
    assert any("psnr_rgb_db drifted" in p and "'image': 'a'" in p for p in problems)
    assert any("flops_paper drifted" in p for p in problems)
    assert any("missing" in p for p in problems) and len(problems) == 3
    assert compare(tmp_path / "nowhere", ref)[0].endswith("(reference " + str(ref / "eval" / "summary.csv") + ")")
    assert summary(problems) == "1 missing file(s)/row(s)/column(s), 2 value(s) drifted"


def test_compare_words_a_missing_file_as_missing_not_drift(tmp_path, capsys):
    from bench.cli import main

    (tmp_path / "ref" / "eval").mkdir(parents=True)
    fake_summary().to_csv(tmp_path / "ref" / "eval" / "summary.csv", index=False)
    assert main(["compare", str(tmp_path / "cur"), str(tmp_path / "ref")]) == 1
    out = capsys.readouterr().out
    assert "summary.csv missing" in out and "1 missing file(s)/row(s)/column(s), 0 value(s) drifted" in out


def test_partial_results_are_summarized_and_reported(tmp_path, capsys):
    from bench.cli import main

    one = fake_summary()
    one = one[(one["testset"] == "embedded") & (one["backbone"] == "fsrcnn") & (one["model"] == "original")]
    (tmp_path / "eval" / "embedded" / "fsrcnn").mkdir(parents=True)
    one.drop(columns="scale_note").to_csv(tmp_path / "eval" / "embedded" / "fsrcnn" / "original.csv", index=False)
    assert main(["summarize", "--config", str(ROOT / "configs" / "ci.yaml"), "--root", str(tmp_path)]) == 0
    missing = pd.read_csv(tmp_path / "eval" / "missing.csv")["missing"].tolist()
    # ci.yaml's outputs: 16 of the first seed, 16 of the second (all but bicubic)
    assert len(missing) == 32 and any(m.endswith("embedded/carn/classsr.csv") for m in missing)
    assert sum("/eval_s11/" in m for m in missing) == 16
    assert any(m.endswith("embedded/fsrcnn/pcsr_adm.csv") for m in missing)  # PCSR (ci's methods section)
    assert any(m.endswith("embedded/fsrcnn/arm.sweep.csv") for m in missing)  # ARM's sweep (ci's arm section)
    assert any(m.endswith("embedded/bicubic.csv") for m in missing)
    assert main(["report", "--summary", str(tmp_path / "eval" / "summary.csv"), "--paper",
                 str(ROOT / "results" / "paper" / "table1.csv"), "--missing", str(tmp_path / "eval" / "missing.csv"),
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "missing evaluations" in out and "classsr.csv" in out
    assert (tmp_path / "tables" / "table1.md").is_file()


def test_compare_names_a_model_the_reference_has_not_pinned(tmp_path, capsys):
    """A new variant's rows would otherwise pass the regression gate unchecked."""
    from bench.cli import main

    ref = pd.DataFrame([{"backbone": "fsrcnn", "testset": "t", "model": "classsr", "psnr_rgb_db": 30.0}])
    cur = pd.concat([ref, ref.assign(model="soft", psnr_rgb_db=29.0)])
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    assert main(["compare", str(tmp_path / "cur.csv"), str(tmp_path / "ref.csv")]) == 1
    assert "'model': 'soft'} is not in the reference" in capsys.readouterr().out
    cur.iloc[:1].to_csv(tmp_path / "cur.csv", index=False)
    assert main(["compare", str(tmp_path / "cur.csv"), str(tmp_path / "ref.csv")]) == 0


def test_table1_carries_a_paired_interval_for_classsr_minus_its_o():
    """Issue 25: a difference is printed with its interval — a constant gain is significant, a gain that one image
    contradicts is not."""
    import numpy as np

    from bench.report.tables import paired_interval, table1

    a = pd.Series([30.0, 31.0, 32.0, 33.0], index=list("wxyz"))
    mean, low, high = paired_interval(a + 0.2, a)
    assert np.isclose(mean, 0.2) and np.isclose(low, 0.2) and np.isclose(high, 0.2)
    mean, low, high = paired_interval(a + pd.Series([0.3, 0.3, 0.3, -1.0], index=list("wxyz")), a)
    assert low < 0 < high and np.isclose(mean, -0.025)
    rows = [{"testset": "t", "image": i, "backbone": "fsrcnn", "model": m, "variant": m, "patches": 10,
             "psnr_rgb_db": 30.0 + k + (0.1 if m == "classsr" else 0.0), "flops_paper": 1.0, "macs": 1.0,
             "time_ms": 1.0, **({"n_class0": 5, "n_class1": 5} if m == "classsr" else {})}
            for k, i in enumerate("abc") for m in ("original", "classsr")]
    t = table1(pd.DataFrame(rows), pd.DataFrame(columns=["backbone", "testset", "variant", "psnr_db", "flops",
                                                         "flops_printed_pct"]))
    c = t[t["variant"] == "classsr"].iloc[0]
    assert np.isclose(c["delta_vs_original_db"], 0.1) and c["delta_significant"]
    assert np.isnan(t[t["variant"] == "original"].iloc[0]["delta_vs_original_db"])


def _paired_rows(effects: dict[str, list[float]], **extra) -> pd.DataFrame:
    """Per-image rows of one backbone on test set t: model → PSNR offsets over images a, b, c (base 30 + k)."""
    rows = []
    for model, offsets in effects.items():
        for k, (image, off) in enumerate(zip("abc", offsets)):
            backbone = "bicubic" if model == "bicubic" else "fsrcnn"
            variant = model if model in ("bicubic", "original") else "classsr"
            rows.append({"testset": "t", "image": image, "backbone": backbone, "model": model, "variant": variant,
                         "patches": 10, "psnr_rgb_db": 30.0 + k + off, "flops_paper": 0.0 if model == "bicubic"
                         else 1.0, "macs": 1.0, "time_ms": 1.0, **extra,
                         **({} if variant != "classsr" else {"n_class0": 5, "n_class1": 5})})
    return pd.DataFrame(rows)


def test_ablation_and_methods_tables_print_intervals():
    """Issue 25: each ablation minus its main variant and minus the -O, and every gain over bicubic, with a paired
    interval; '*' in the markdown only where the interval excludes 0."""
    summary = _paired_rows({"bicubic": [-1.0, -1.0, -1.0], "original": [0.0, 0.0, 0.0],
                            "classsr": [0.1, 0.1, 0.1], "no_avg": [0.3, -0.5, 0.4]})
    ab = tables.ablation_table(summary).set_index("model")
    assert np.isclose(ab.loc["no_avg", "delta_vs_main_db"], (0.2 - 0.6 + 0.3) / 3)
    assert ab.loc["no_avg", "delta_vs_main_ci_low_db"] < 0 < ab.loc["no_avg", "delta_vs_main_ci_high_db"]
    assert not ab.loc["no_avg", "delta_vs_main_significant"] and np.isnan(ab.loc["classsr", "delta_vs_main_db"])
    assert ab.loc["classsr", "delta_vs_original_significant"] and np.isclose(ab.loc["classsr", "delta_vs_original_db"], 0.1)
    assert np.isclose(ab.loc["original", "gain_over_bicubic_ci_low_db"], 1.0)
    assert ab.loc["original", "gain_over_bicubic_significant"]
    md = tables.markdown_by_testset(ab.reset_index(), "caption")
    assert "+0.100 [+0.100, +0.100]*" in md and "delta_vs_main_ci_low_db" not in md
    import re
    assert re.search(r"no_avg .*-0\.033 \[[^\]]*\](?!\*)", md)  # not significant: no star


def test_ablation_table_tests_the_loss_ablations_routing_claims():
    """The paper's loss ablations (spec §7) are claims about routing: without Class-Loss the probabilities stay
    soft, without Average-Loss the patches drift to the hard class. The ablation table carries both as differences
    from the main ClassSR with intervals over images and seeds: found where every image and seed agrees, not where
    the seeds disagree."""
    summary = _paired_rows({"original": [0.0] * 3, "classsr": [0.1] * 3, "no_cls": [0.1] * 3, "no_avg": [0.1] * 3})
    is_model = {m: summary["model"] == m for m in ("classsr", "no_cls", "no_avg")}
    summary.loc[is_model["classsr"], "mean_max_prob"] = [0.80, 0.70, 0.75]
    summary.loc[is_model["no_cls"], "mean_max_prob"] = [0.50, 0.45, 0.55]   # softer on every image
    summary.loc[is_model["no_avg"], "mean_max_prob"] = [0.80, 0.70, 0.75]
    for m in ("classsr", "no_cls", "no_avg"):  # 3 classes: 2/3/5, and no_avg 0/1/9 (more to the hard class)
        summary.loc[is_model[m], ["n_class0", "n_class1", "n_class2"]] = (0, 1, 9) if m == "no_avg" else (2, 3, 5)
    ab = tables.ablation_table(summary).set_index("model")
    assert np.isclose(ab.loc["no_cls", "max_prob_vs_main"], -0.25) and ab.loc["no_cls", "max_prob_vs_main_significant"]
    assert np.isclose(ab.loc["no_avg", "hard_frac_vs_main"], 0.4) and ab.loc["no_avg", "hard_frac_vs_main_significant"]
    assert ab.loc["no_avg", "max_prob_vs_main"] == 0 and not ab.loc["no_avg", "max_prob_vs_main_significant"]
    assert np.isnan(ab.loc["classsr", "hard_frac_vs_main"])  # the main variant is the reference
    md = tables.markdown_by_testset(ab.reset_index(), "caption")
    assert "-0.250 [-0.300, -0.200]*" in md and "+0.400 [+0.400, +0.400]*" in md and "_ci_low" not in md
    # two seeds that disagree about the direction: no claim either way
    flipped = summary.copy()
    flipped.loc[is_model["no_cls"], "mean_max_prob"] = [0.95, 0.90, 0.99]
    seeded = pd.concat([summary.assign(seed=10), flipped.assign(seed=11)], ignore_index=True)
    assert not tables.ablation_table(seeded).set_index("model").loc["no_cls", "max_prob_vs_main_significant"]


def test_protocol_table_deltas_and_published_cells():
    """The protocol matrix: each choice's move with its interval, and whether a row sits in its method's published
    cell (ClassSR: RGB, crop scale, grid, 8-bit LR)."""
    from bench.report import protocol

    summary = _paired_rows({"original": [0.0, 0.0, 0.0], "classsr": [0.1, 0.1, 0.1]}, lr_bits=8)
    summary["psnr_y_db"] = summary["psnr_rgb_db"] + 1.5
    summary["psnr_rgb_crop0_db"] = summary["psnr_rgb_db"] - [0.1, 0.2, 0.3] * 2
    summary["psnr_y_crop0_db"] = summary["psnr_y_db"] - 0.2
    summary["inference"] = "grid"
    summary["psnr_rgb_grid_db"] = summary["psnr_rgb_db"]
    summary["psnr_rgb_whole_db"] = np.where(summary["model"] == "original", summary["psnr_rgb_db"] + 0.05, np.nan)
    t = protocol.protocol_table(summary).set_index("model")
    assert np.isclose(t.loc["original", "d_y_db"], 1.5) and t.loc["original", "d_y_significant"]
    assert np.isclose(t.loc["original", "d_crop0_db"], -0.2) and t.loc["original", "d_crop0_ci_low_db"] < -0.2
    assert np.isclose(t.loc["original", "d_y_crop0_db"], 1.3)
    assert np.isclose(t.loc["original", "d_whole_minus_grid_db"], 0.05)
    assert np.isnan(t.loc["classsr", "d_whole_minus_grid_db"])  # a routed model has no whole-image cell
    assert t["published_here"].all() and "ClassSR" in t.loc["classsr", "published_cell"]
    whole = protocol.protocol_table(summary.assign(inference="whole")).set_index("model")
    assert not whole["published_here"].any()


def test_tables_average_seeds_and_intervals_resample_them():
    """train.seeds: a model's test-set value is the mean over seeds with their sd; its interval resamples seeds and
    images (wider than one seed's when the seeds disagree), a model trained once is broadcast over the seeds."""
    from bench.report.intervals import crossed_interval

    one = _paired_rows({"bicubic": [-1.0, -1.0, -1.0], "original": [0.0, 0.0, 0.0], "classsr": [0.1, 0.1, 0.1]})
    other = _paired_rows({"original": [0.0, 0.0, 0.0], "classsr": [-0.3, -0.3, -0.3]})
    summary = pd.concat([one.assign(seed=10), other.assign(seed=11)], ignore_index=True)
    rows = tables.dataset_rows(summary).set_index("model")
    assert np.isclose(rows.loc["classsr", "psnr_rgb_db"], 31.0 - 0.1) and rows.loc["classsr", "seeds"] == 2
    assert np.isclose(rows.loc["classsr", "psnr_rgb_sd_db"], np.std([31.1, 30.7], ddof=1))
    assert rows.loc["bicubic", "seeds"] == 1 and rows.loc["classsr", "patches"] == 30
    cheaper = summary.assign(flops_paper=np.where((summary["seed"] == 11) & (summary["model"] == "classsr"), 0.5,
                                                  summary["flops_paper"]))  # seed 11 routes to half the cost
    t1 = tables.table1(cheaper, PAPER.iloc[:0]).set_index("variant")
    assert np.isclose(t1.loc["classsr", "flops_pct"], 75.0)
    assert np.isclose(t1.loc["classsr", "flops_pct_sd"], 100 * np.std([1.0, 0.5], ddof=1))
    assert np.isclose(tables.ablation_table(cheaper).set_index("model").loc["classsr", "flops_pct_sd"], 35.355, atol=1e-3)
    assert np.isclose(rows.loc["original", "gain_over_bicubic_db"], 1.0)
    t1 = tables.table1(summary, PAPER.iloc[:0]).set_index("variant")
    assert np.isclose(t1.loc["classsr", "delta_vs_original_db"], -0.1)
    assert t1.loc["classsr", "delta_ci_low_db"] < -0.25 and t1.loc["classsr", "delta_ci_high_db"] > 0.05
    assert not t1.loc["classsr", "delta_significant"]  # one seed better, one worse: no difference
    d = np.array([[0.1, -0.3]] * 3)
    assert np.allclose(crossed_interval(d[:, :1]), 0.1)  # one seed, one value: no spread


def test_seed_tolerances_widen_compare_to_the_measured_seed_spread(tmp_path):
    """Issue 25: a trained profile's reference carries each model's seed spread (tolerances.csv); compare accepts a
    rerun within Z·sd of it and still refuses one beyond; a reference without the file keeps the fixed ±0.05 dB."""
    from bench.analysis.compare import compare
    from bench.analysis.seed_tolerance import Z, seed_tolerances

    rows = [{"backbone": "fsrcnn", "testset": "t", "model": "classsr", "image": img, "seed": seed,
             "psnr_rgb_db": 27.0 + shift + 0.1 * img, "flops_paper": 100.0 * (1 + 0.01 * shift), "patches": 10,
             "n_class0": 5, "n_class1": 5}
            for seed, shift in ((10, 0.0), (11, 0.1), (12, 0.2)) for img in range(2)]
    summary = pd.DataFrame(rows)
    tol = seed_tolerances(summary).iloc[0]
    assert tol["seeds"] == 3 and tol["psnr_sd_db"] == pytest.approx(0.1)
    assert tol["psnr_tolerance_db"] == pytest.approx(Z * 0.1) and tol["frac_tolerance"] == 0.02
    ref, cur = tmp_path / "ref", tmp_path / "cur"
    for d in (ref, cur):
        (d / "eval").mkdir(parents=True)
    summary.to_csv(ref / "eval" / "summary.csv", index=False)
    summary.assign(psnr_rgb_db=summary["psnr_rgb_db"] + 0.2).to_csv(cur / "eval" / "summary.csv", index=False)
    assert len(compare(cur, ref)) == 6  # fixed ±0.05 dB: every row drifted
    seed_tolerances(summary).to_csv(ref / "tolerances.csv", index=False)
    assert compare(cur, ref) == []  # 0.2 dB < 2√2 · 0.1 dB
    summary.assign(psnr_rgb_db=summary["psnr_rgb_db"] + 0.3).to_csv(cur / "eval" / "summary.csv", index=False)
    assert len(compare(cur, ref)) == 6 and "tolerance 0.2828" in compare(cur, ref)[0]
    with pytest.raises(ValueError, match="two or more seeds"):
        seed_tolerances(summary[summary["seed"] == 10])

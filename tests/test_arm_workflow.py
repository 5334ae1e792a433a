"""ARM (Chen et al., ECCV 2022) as a workflow citizen: its training stage, its table CSV, its profile section, the
plan's paths, its report table and figure, and its latency rows."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import tiny_profile_dict

from bench.arm import routing
from bench.arm.evaluate import perf_cases
from bench.arm.tables import ARM_WIDTHS, CARN_COSTS, FSRCNN_COSTS
from bench.config import ConfigError
from bench.plan.dag import Plan
from bench.models import fresh_arm, load_arm
from bench.profile import load_profile
from bench.arm.report import arm_table
from bench.train.run import resolve
from bench.train.trainer import train

#: ARM's cost lists (arm.md §3); SRResNet's from its closed form 1,253,376w² + 940,032w.
COSTS = {"fsrcnn": FSRCNN_COSTS, "carn": CARN_COSTS,
         "srresnet": [0] + [1_253_376 * w * w + 940_032 * w for w in ARM_WIDTHS["srresnet"]]}


def test_published_points_agree_with_their_counts():
    """results/paper/arm.csv: FLOPs recomputed from its path counts and ARM's cost lists equal the printed FLOPs
    (to the 0.01 M printed), % = FLOPs / C_3, and the bicubic share is the same for every backbone and k
    (arm.md §4.2)."""
    pub = pd.read_csv("results/paper/arm.csv")
    assert len(pub) == 36 and set(pub["level"]) == {"ARM-L", "ARM-M", "ARM-S"}
    for r in pub.itertuples():
        n = np.array([r.n_path0, r.n_path1, r.n_path2, r.n_path3], float)
        flops = (n * COSTS[r.backbone]).sum() / n.sum()
        assert flops == pytest.approx(r.flops, abs=0.006e6), r
        assert 100 * r.flops / COSTS[r.backbone][-1] == pytest.approx(r.flops_pct, abs=0.006), r
    share = pub.assign(s=pub["n_path0"] / pub[["n_path0", "n_path1", "n_path2", "n_path3"]].sum(axis=1))
    assert (share.groupby("testset")["s"].nunique() == 1).all()


def test_training_draws_widths_as_arm_and_updates_only_their_corners():
    """p ∝ C_j² (arm.md §5) and forward_width: gradients reach exactly the leading corner of the shared tensors and
    equal those of the standalone sub-net."""
    expected = {"fsrcnn": [.0602, .2797, .6601], "carn": [.0697, .2871, .6432], "srresnet": [.0662, .2845, .6493]}
    for name, p in expected.items():
        arm = fresh_arm(name, seed=0)  # paper depth: the costs, and so p, depend on it
        assert arm.width_probabilities() == pytest.approx(p, abs=6e-4), name
    arm = fresh_arm("carn", seed=0)
    x = torch.rand(2, 3, 12, 12)
    arm.forward_width(x, 36).abs().mean().backward()
    sub = arm.subnet(36).train()
    sub.forward(x).abs().mean().backward()
    grads = dict(sub.named_parameters())
    for name, full in arm.full.named_parameters():
        corner = tuple(slice(0, n) for n in grads[name].shape)
        assert torch.allclose(full.grad[corner], grads[name].grad, atol=1e-6), name
        outside = full.grad.clone()
        outside[corner] = 0
        assert not outside.any(), name


def test_arm_stage_trains_resumes_and_saves_arms_format(prepared, tmp_path):
    raw, data = prepared
    stages = {"arm": {"iterations": 4, "batch_size": 2, "periods": [4]}}
    profile = load_profile(None, tiny_profile_dict(raw["data"]["root"], stages=stages, checkpoint_every=2))
    cfg = resolve(profile, "arm", "fsrcnn", data_dir=str(data))
    assert (cfg.widths, cfg.lr, cfg.betas, cfg.l1_weight) == ((16, 36, 56), 1e-3, (0.9, 0.99), 1.0)
    assert resolve(load_profile(None, {}), "arm", "carn", data_dir="d").iterations == 2_000_000
    whole = train(cfg, tmp_path / "whole")
    train(cfg, tmp_path / "cut", stop_after=3)
    resumed = train(cfg, tmp_path / "cut")
    a, b = torch.load(whole, weights_only=True), torch.load(resumed, weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    log = pd.read_csv(tmp_path / "whole" / "train_log.csv")
    assert set(log["width"]) <= {16, 36, 56} and log["iteration"].tolist() == [1, 2, 3, 4]
    assert pd.read_csv(tmp_path / "cut" / "train_log.csv")["width"].tolist() == log["width"].tolist()
    assert load_arm("fsrcnn", str(whole)).widths == (16, 36, 56)  # ARM's key format, read strictly


def test_table_csv_round_trips_and_is_refused_for_another_backbone(tmp_path):
    arm = fresh_arm("fsrcnn", seed=0)
    table = np.array(arm.lut, copy=True)
    table[1, 3] = np.nan  # an empty bin
    path = tmp_path / "table.csv"
    routing.table_frame(table, arm.centres, arm.costs()).to_csv(path, index=False)
    back, centres, costs = routing.read_table(path)
    np.testing.assert_array_equal(back, table)
    np.testing.assert_allclose(centres, arm.centres)
    np.testing.assert_allclose(costs, FSRCNN_COSTS, atol=64)
    torch.save(arm.full.state_dict(), tmp_path / "arm-fsrcnn.pth")
    assert np.isnan(load_arm("fsrcnn", str(tmp_path / "arm-fsrcnn.pth"), lut=path).lut[1, 3])
    torch.save(fresh_arm("carn", seed=0).full.state_dict(), tmp_path / "arm-carn.pth")
    with pytest.raises(ValueError, match="another backbone"):
        load_arm("carn", str(tmp_path / "arm-carn.pth"), lut=path)
    pd.DataFrame({"path": [0]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match=r"bad.csv: not an ARM lookup table CSV"):
        routing.read_table(tmp_path / "bad.csv")


@pytest.mark.parametrize("arm, message", [
    ({"backbones": ["rcan"]}, r"no ARM supernet \['rcan'\]"),
    ({"backbones": ["fsrcnn"], "knobs": ["e7"]}, "knob 'e7': expected best, e0/e1/e2/e3"),
    ({"backbones": ["fsrcnn"], "knobs": []}, "knobs: empty"),
    ({"backbones": ["fsrcnn"], "knobs": [0]}, "k must be > 0"),
    ({"backbones": ["fsrcnn"], "table": "released"}, "released tables belong to ARM's released weights"),
    ({"backbones": ["srresnet"], "folder": "/x", "table": "released"}, r"no lookup table for \['srresnet'\]"),
    ({"backbones": ["fsrcnn"], "table": "t.state"}, "arm.folder, which is not set"),
    ({"backbones": ["fsrcnn"], "calibration_patches": 0}, "arm.calibration_patches: must be ≥ 1"),
    ({"backbones": ["fsrcnn"], "color": 1}, "unknown config key 'arm.color'"),
])
def test_bad_arm_sections_are_refused_by_name(arm, message):
    with pytest.raises(ConfigError, match=message):
        load_profile(None, {"arm": arm})


def test_arm_without_training_data_needs_released_files():
    with pytest.raises(ConfigError, match="data.source is none"):
        load_profile(None, {"data": {"source": "none", "test_sets": []}, "arm": {"backbones": ["srresnet"],
                                                                               "folder": "/x"}})


def test_plan_of_arm_released_and_trained(tmp_path):
    trained = Plan(load_profile("configs/ci.yaml"), tmp_path)
    assert trained.arm_model("fsrcnn") == tmp_path / "runs" / "fsrcnn" / "arm" / "model.pth"
    assert trained.arm_table("fsrcnn") == tmp_path / "runs" / "fsrcnn" / "arm" / "table.csv"
    assert tmp_path / "eval" / "embedded" / "fsrcnn" / "arm.sweep.csv" in trained.evaluations()
    released = Plan(load_profile("configs/ci.yaml", {"arm": {"folder": str(tmp_path)}}), tmp_path)
    with pytest.raises(FileNotFoundError, match="arm-fsrcnn.pth not found .config keys arm.folder and arm.checkpoint"):
        released.arm_model("fsrcnn")
    assert released.arm_table("fsrcnn") is None  # ARM's released table, embedded
    state = Plan(load_profile("configs/ci.yaml", {"arm": {"folder": str(tmp_path), "table": "{name}.state"}}),
                 tmp_path)
    with pytest.raises(FileNotFoundError, match=r"fsrcnn.state not found \(config keys arm.folder and arm.table\)"):
        state.arm_table("fsrcnn")
    with pytest.raises(ConfigError, match="ablation id 'arm' is reserved"):
        load_profile("configs/ci.yaml", {"ablations": [{"id": "arm", "backbone": "fsrcnn", "class_weight": 0}]})


def _summary() -> pd.DataFrame:
    base = {"testset": "test2k", "image": "a", "patches": 10, "ssim_rgb": 0.8, "psnr_y_db": 30.0, "ssim_y": 0.8,
            "time_ms": 1.0}
    rows = [{**base, "backbone": "bicubic", "model": "bicubic", "psnr_rgb_db": 24.0, "flops_paper": 0.0},
            {**base, "backbone": "fsrcnn", "model": "original", "psnr_rgb_db": 25.6, "flops_paper": 468e6},
            {**base, "backbone": "fsrcnn", "model": "classsr", "psnr_rgb_db": 25.6, "flops_paper": 311e6,
             **{f"n_class{j}": n for j, n in enumerate([5, 3, 2])}}]
    for knob, counts, psnr in (("e3", [0, 0, 0, 10], 25.5), ("k1", [2, 0, 8, 0], 25.55)):
        flops = float(np.dot(counts, FSRCNN_COSTS)) / 10
        rows.append({**base, "backbone": "fsrcnn", "model": f"arm_{knob}", "kind": "arm", "knob": knob,
                     "psnr_rgb_db": psnr, "flops_paper": flops, "flops_full_paper": FSRCNN_COSTS[-1],
                     **{f"n_class{j}": n for j, n in enumerate(counts)}})
    return pd.DataFrame(rows).assign(macs=lambda d: d["flops_paper"] / 2)


def test_report_puts_arm_beside_table1_and_on_fig2(tmp_path):
    from bench.report import figures, tables

    summary = _summary()
    t1 = tables.table1(summary, pd.read_csv("results/paper/table1.csv"))
    table = arm_table(summary, t1, pd.read_csv("results/paper/arm.csv"))
    ours = table[(table["method"] == "arm") & (table["source"] == "ours")].set_index("knob")
    assert ours.loc["e3", "flops_pct"] == pytest.approx(100) and ours.loc["e3", "frac_path3"] == 1
    assert ours.loc["k1", "frac_path0"] == pytest.approx(0.2)
    assert ours.loc["k1", "gain_over_bicubic_db"] == pytest.approx(1.55)
    # issue 25: each knob minus this run's -O with its paired interval (one image here: a point interval)
    assert ours.loc["k1", "delta_vs_original_db"] == pytest.approx(-0.05)
    assert ours.loc["k1", "delta_vs_original_ci_low_db"] == pytest.approx(-0.05)
    assert ours.loc["k1", "delta_vs_original_significant"]
    paper = table[(table["method"] == "arm") & (table["source"] == "paper")]
    assert paper["knob"].tolist() == ["k0.85 (ARM-S)", "k3.45 (ARM-M)", "k4 (ARM-L)"]  # sorted by FLOPs
    assert paper["psnr_db"].tolist() == [25.5910, 25.6068, 25.6352]
    assert set(table["method"]) == {"bicubic", "original", "classsr", "arm"}
    assert "arm_e3" not in set(tables.ablation_table(summary)["model"])
    out = tmp_path / "fig2.png"
    figures.fig2(t1, "test2k", out, "caption", table)
    assert out.stat().st_size > 10_000


def test_fig2_legend_counts_arm_points_off_the_log_axis(tmp_path, monkeypatch):
    """An η sweep that sends every patch to ARM's bicubic path (0 FLOPs, as at demo scale) cannot sit on the log
    axis; the legend says how many of its points were left out instead of listing an empty series."""
    from bench.report import figures, tables

    summary = _summary()
    t1 = tables.table1(summary, pd.read_csv("results/paper/table1.csv"))
    table = arm_table(summary, t1, pd.read_csv("results/paper/arm.csv"))
    ours = (table["method"] == "arm") & (table["source"] == "ours") & ~table["knob"].str.fullmatch(r"e\d")
    table.loc[ours, "flops_paper"] = 0.0
    figs = []
    monkeypatch.setattr(figures.plt, "close", figs.append)
    figures.fig2(t1, "test2k", tmp_path / "fig2.png", "caption", table)
    labels = [t.get_text() for t in figs[0].axes[0].get_legend().get_texts()]
    assert f"ARM-fsrcnn (ours, η sweep; {int(ours.sum())} at 0 FLOPs, off axis)" in labels, labels
    assert "ARM-fsrcnn (paper)" in labels


def test_latency_rows_of_arm():
    from bench.analysis.perf import benchmark
    from bench.models import build

    torch.manual_seed(0)
    lr = torch.rand(3, 60, 88)
    original = build("fsrcnn", width=56).eval()
    classsr = build("classsr_fsrcnn").eval()
    arm = fresh_arm("fsrcnn", seed=0).eval()
    rows = benchmark(original, classsr, lr, modes=("batched",), mixes=("real",), repeats=1, warmup=0,
                     batch_size=8, others=[("arm", arm, perf_cases(arm, [3, 1.0]))])
    arm_rows = {r["mix"]: r for r in rows if r["model"] == "arm"}
    assert set(arm_rows) == {"e3", "k1"}
    assert arm_rows["e3"]["flops_paper"] == pytest.approx(FSRCNN_COSTS[-1], rel=1e-6)
    assert arm_rows["k1"]["flops_paper"] < arm_rows["e3"]["flops_paper"] and arm_rows["k1"]["time_ms"] > 0


def test_ci_profile_puts_arm_through_the_dag():
    """The ci profile trains ARM's FSRCNN supernet, builds its table and sweeps it (the golden summary holds its
    rows: results/reference/ci/eval/summary.csv)."""
    profile = load_profile("configs/ci.yaml")
    assert profile.arm.backbones == ("fsrcnn",) and profile.arm.table_mode("fsrcnn") == "calibrate"
    golden = pd.read_csv("results/reference/ci/eval/summary.csv")
    arm = golden[golden["model"].str.startswith("arm_")]
    assert set(arm["model"]) == {f"arm_{k}" for k in ("e1", "e3", "best", "k0.5", "k2", "k8")}
    e3 = arm[arm["model"] == "arm_e3"]
    assert (e3["n_class3"] == e3["patches"]).all() and (e3["flops_paper"] == FSRCNN_COSTS[-1]).all()
    table = pd.read_csv("results/reference/ci/tables/arm.csv")
    assert {"bicubic", "original", "classsr", "arm"} == set(table["method"])


def test_paper_eval_sweeps_every_published_knob():
    """paper_eval's arm.knobs hold ARM's test-mode sweep and the k of every published ARM-L/M/S point of its
    backbones (typed in the profile; checked here against results/paper/arm.csv)."""
    profile = load_profile("configs/paper_eval.yaml")
    published = pd.read_csv("results/paper/arm.csv")
    ks = set(published[published["backbone"].isin(profile.arm.backbones)]["k"])
    knobs = {k for k in profile.arm.knobs if isinstance(k, float)}
    assert ks <= knobs and {0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0} <= knobs


def test_train_verb_runs_arms_stage_in_its_own_folder(tmp_path):
    import argparse

    from bench.commands.train import _stage

    args = argparse.Namespace(stage="arm", backbone="fsrcnn", variant="classsr", class_id=None)
    cfg, path = _stage(Plan(load_profile("configs/ci.yaml"), tmp_path), args)
    assert cfg.stage == "arm" and path == tmp_path / "runs" / "fsrcnn" / "arm" / "model.pth"
    with pytest.raises(ValueError, match="released supernets .arm.folder is set"):
        _stage(Plan(load_profile("configs/ci.yaml", {"arm": {"folder": str(tmp_path)}}), tmp_path), args)


def test_a_table_of_the_wrong_shape_names_its_file(tmp_path):
    arm = fresh_arm("fsrcnn", seed=0)
    frame = routing.table_frame(arm.lut, arm.centres, arm.costs())
    frame[frame["path"] < 3].to_csv(tmp_path / "short.csv", index=False)  # 3 paths, not bicubic + 3 widths
    torch.save(arm.full.state_dict(), tmp_path / "arm-fsrcnn.pth")
    with pytest.raises(ValueError, match=r"short.csv: ARM fsrcnn: a lookup table needs 4 paths × 30 bins, got \(3, 30\)"):
        load_arm("fsrcnn", str(tmp_path / "arm-fsrcnn.pth"), lut=tmp_path / "short.csv")

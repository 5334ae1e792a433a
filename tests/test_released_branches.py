"""ClassSR on released networks (issue 22): branches and -O sliced from an ARM supernet, stage 2 supervised by
per-patch oracle labels, and the stage-2 curve (train and test routing at every kept iteration)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from bench.cli import main
from bench.config import ConfigError
from bench.plan.dag import Plan
from bench.models import build, fresh_arm, load_official
from bench.profile import load_profile
from bench.train.losses import oracle_labels, oracle_loss
from bench.train.run import resolve
from bench.train.trainer import train
from conftest import tiny_profile_dict

ARM_SOURCED = {"train": {"backbones": {"fsrcnn": {"widths": [16, 36, 56], "branch_source": "arm"}}},
               "arm": {"backbones": ["fsrcnn"]}}


def test_plan_takes_branches_and_the_O_from_the_arm_supernet(tmp_path):
    plan = Plan(load_profile(None, {"name": "r", **ARM_SOURCED}), tmp_path)
    assert plan.branch_models("fsrcnn", "classsr") == [tmp_path / "runs" / "fsrcnn" / f"arm_w{w}" / "model.pth"
                                                      for w in (16, 36, 56)]
    assert plan.evaluated_model("fsrcnn", "original") == ("fsrcnn", tmp_path / "runs/fsrcnn/arm_w56/model.pth")
    assert plan.variant_run("fsrcnn", "classsr", "classsr").init[0].endswith("arm_w16/model.pth")
    released = Plan(load_profile(None, {"name": "r", **ARM_SOURCED, "arm": {"backbones": ["fsrcnn"],
                                                                               "folder": str(tmp_path)}}), tmp_path)
    with pytest.raises(FileNotFoundError, match="config keys arm.folder and arm.checkpoint"):
        released.arm_model("fsrcnn")  # the arm_slice rule's input: a missing file stops the run by key


def test_carn_branches_take_arms_flavour():
    profile = load_profile(None, {"train": {"backbones": {"carn": {"branch_source": "arm"}}}})
    assert resolve(profile, "classsr", "carn", data_dir="d").model_kwargs == {"bn": False}
    assert resolve(profile, "baseline", "carn", data_dir="d").model_kwargs == {}


@pytest.mark.parametrize("backbone, message", [
    ({"rcan": {"branch_source": "arm"}}, "ARM has no rcan supernet"),
    ({"fsrcnn": {"branch_source": "arm", "widths": [8, 56]}}, r"widths \[8, 56\] are not all widths of ARM"),
    ({"srresnet": {"branch_source": "arm", "blocks": 2}}, "the depth is the supernet's"),
])
def test_arm_sourced_branches_that_cannot_exist_are_refused(backbone, message):
    with pytest.raises(ConfigError, match=message):
        load_profile(None, {"train": {"backbones": backbone}})


def test_arm_slice_writes_the_subnet_in_the_authors_format(tmp_path, capsys):
    arm = fresh_arm("carn", seed=0)
    torch.save(arm.full.state_dict(), tmp_path / "arm.pth")
    out = tmp_path / "w52.pth"
    assert main(["arm-slice", "--model", str(tmp_path / "arm.pth"), "--backbone", "carn", "--width", "52",
                 "--out", str(out)]) == 0
    net, x = load_official("carn", out).eval(), torch.rand(2, 3, 32, 32)
    assert not net.bn and torch.equal(net(x), arm.subnet(52)(x))
    assert main(["arm-slice", "--model", str(tmp_path / "arm.pth"), "--backbone", "carn", "--width", "40",
                 "--out", str(tmp_path / "w40.pth")]) != 0
    assert "has widths [36, 52, 64], not 40" in capsys.readouterr().err


def test_oracle_labels_trade_error_against_flops():
    hr = torch.zeros(3, 3, 8, 8)
    srs = [torch.full_like(hr, e) for e in (0.3, 0.2, 0.1)]  # the costlier branch, the smaller the error
    srs[0][2], srs[1][2], srs[2][2] = 0.0, 0.0, 0.0  # a flat sample: every branch exact
    costs = torch.tensor([1.0, 2.0, 3.0])
    assert oracle_labels(srs, hr, costs, 0.0).tolist() == [2, 2, 0]  # ties go to the first (cheapest) branch
    assert oracle_labels(srs, hr, costs, 1e9).tolist() == [0, 0, 0]
    probs = torch.tensor([[0.1, 0.1, 0.8], [0.8, 0.1, 0.1]])
    assert oracle_loss(probs, torch.tensor([2, 0])) < oracle_loss(probs, torch.tensor([0, 2]))


def test_stage2_with_oracle_labels_trains_and_keeps_its_curve_points(prepared, tmp_path):
    raw, data = prepared
    stages = {"classsr": {"iterations": 4, "batch_size": 4, "periods": [4], "restarts": [], "restart_weights": [],
                          "oracle_weight": 1.0, "oracle_lambda": 1e-4}}
    profile = load_profile(None, tiny_profile_dict(raw["data"]["root"], stages=stages, stage2_points=2))
    widths = profile.train.backbones["fsrcnn"].widths
    init = []
    for k, w in enumerate(widths):
        path = tmp_path / f"b{k}.pth"
        torch.save(build("fsrcnn", width=w).state_dict(), path)
        init.append(str(path))
    cfg = resolve(profile, "classsr", "fsrcnn", data_dir=str(data), init=tuple(init))
    assert (cfg.oracle_weight, cfg.oracle_lambda, cfg.snapshot_every) == (1.0, 1e-4, 2)
    train(cfg, tmp_path / "run")
    log = pd.read_csv(tmp_path / "run" / "train_log.csv")
    assert {"oracle_loss", "frac_oracle0", "frac_class2"} <= set(log.columns)
    assert np.allclose(log[[f"frac_oracle{k}" for k in range(3)]].sum(axis=1), 1)
    kept = sorted(p.name for p in (tmp_path / "run" / "snapshots").iterdir())
    assert kept == ["iter_0000000.pth", "iter_0000002.pth"]  # and the final model.pth


def test_default_runs_keep_their_digest_when_oracle_fields_exist():
    """Runs made before the oracle and calibration fields existed keep their folders (the digest guards resumption)."""
    import dataclasses
    import hashlib
    import json

    from bench.config import to_dict
    from bench.train.run import NOT_HASHED

    cfg = resolve(load_profile(None, {}), "classsr", "fsrcnn", data_dir="d")
    before = {k: v for k, v in to_dict(cfg).items() if k not in NOT_HASHED and not k.startswith(("oracle_", "calibrate_"))}
    assert cfg.digest() == hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()[:16]
    with_oracle = resolve(load_profile(None, {"train": {"stages": {"classsr": {"oracle_weight": 1.0}}}}),
                          "classsr", "fsrcnn", data_dir="d")
    assert cfg.digest() != with_oracle.digest()
    calibrated = resolve(load_profile(None, {"train": {"stages": {"classsr": {
        "oracle_weight": 1.0, "oracle_cache": True, "l1_weight": 0.0, "class_weight": 0.0, "average_weight": 0.0}}}}),
        "classsr", "fsrcnn", data_dir="d")
    assert calibrated.digest() != dataclasses.replace(calibrated, calibrate_images=2).digest()


def test_stage2_table_sets_train_routing_beside_test_routing():
    from bench.report.stage2 import stage2_table

    base = {"backbone": "fsrcnn", "testset": "t", "model": "classsr", "psnr_rgb_db": 30.0, "mean_max_prob": 0.5}
    curves = pd.DataFrame([
        {**base, "split": "test", "iteration": 0, "image": "a", "patches": 10, "flops_paper": 300.0,
         "n_class0": 0, "n_class1": 0, "n_class2": 10},
        {**base, "split": "test", "iteration": 0, "image": "b", "patches": 30, "flops_paper": 100.0,
         "n_class0": 30, "n_class1": 0, "n_class2": 0},
        {**base, "split": "train", "iteration": 0, "patches": 100, "n_class0": 50, "n_class1": 50, "n_class2": 0}])
    summary = pd.DataFrame([{"backbone": "fsrcnn", "testset": "t", "model": "original", "patches": 40,
                             "flops_paper": 400.0, "psnr_rgb_db": 31.0},
                            {"backbone": "bicubic", "testset": "t", "model": "bicubic", "patches": 40,
                             "flops_paper": 0.0, "psnr_rgb_db": 29.0}])
    row = stage2_table(curves, summary).iloc[0]
    assert row["frac_class0"] == 0.75 and row["frac_class2"] == 0.25 and row["train_frac_class1"] == 0.5
    assert row["flops_pct"] == pytest.approx(100 * 150 / 400) and row["gain_over_bicubic_db"] == 1.0
    assert row["routing_gap"] == pytest.approx(0.5 * (0.25 + 0.5 + 0.25))

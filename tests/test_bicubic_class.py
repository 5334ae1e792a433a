"""ClassSR's optional zero-cost bicubic class (width 0; beyond the paper, ARM's path 0 for a learned router):
the model, its FLOPs, its checkpoint, the profile's checks, the plan and stage 2 on cached oracle costs."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from bench.core import flops
from bench.config import ConfigError
from bench.plan.dag import Plan
from bench.models import build, load_official
from bench.models.common import CheckpointError
from bench.models.official import export_official
from bench.profile import load_profile
from bench.train.run import resolve
from bench.train.trainer import build_model, train
from conftest import tiny_profile_dict

WIDTHS = [0, 8, 16]


def test_the_bicubic_class_is_pytorch_bicubic_at_zero_flops():
    model = build("classsr_fsrcnn", widths=WIDTHS).eval()
    x = torch.rand(4, 3, 32, 32)
    expected = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False).clamp(0, 1)
    assert torch.equal(model.run(x, classes=torch.zeros(4, dtype=torch.long)).sr, expected)
    assert len(model.networks) == 2 and model.num_classes == 3
    for convention in flops.CONVENTIONS:
        costs = flops.classsr_costs(model, 32, convention).branches
        assert costs[0] == 0 and 0 < costs[1] < costs[2]


def test_checkpoint_names_its_bicubic_class_and_loads_back():
    model = build("classsr_fsrcnn", widths=WIDTHS).eval()
    state = export_official(model)
    assert [k for k in state if k.startswith("net1.")] == ["net1.bicubic_scale"]
    back = load_official("classsr_fsrcnn", state, scale=4)
    x = torch.rand(3, 3, 32, 32)
    assert back.widths == (0, 8, 16) and torch.equal(back(x), model(x))
    with pytest.raises(CheckpointError, match="bicubic class is ×4, asked ×2"):
        load_official("classsr_fsrcnn", state, scale=2)


@pytest.mark.parametrize("widths", [[8, 0, 16], [0, 0, 16], [8, 16, 0], [-8, 16]])
def test_a_zero_width_anywhere_but_first_is_refused(widths):
    with pytest.raises(ValueError, match="except a first 0"):
        build("classsr_fsrcnn", widths=widths)
    with pytest.raises(ConfigError, match="except a first 0|must be ≥ 0"):
        load_profile(None, {"train": {"backbones": {"fsrcnn": {"widths": widths}}}})


def test_reserved_and_reference_widths_are_refused():
    with pytest.raises(ConfigError, match="reference network needs a width > 0"):
        load_profile(None, {"train": {"reference": {"widths": [0]}}})
    with pytest.raises(ConfigError, match="'bicubic' is reserved"):
        load_profile(None, {"ablations": [{"id": "bicubic", "backbone": "fsrcnn", "widths": [0, 8, 16]}]})


def test_plan_slices_and_loads_no_network_for_the_bicubic_class(tmp_path):
    raw = {"name": "r", "train": {"backbones": {"fsrcnn": {"widths": [16, 36, 56], "branch_source": "arm"}}},
           "arm": {"backbones": ["fsrcnn"]},
           "ablations": [{"id": "bicubic_class", "backbone": "fsrcnn", "widths": [0, 16, 36, 56]}]}
    plan = Plan(load_profile(None, raw), tmp_path)
    slices = [tmp_path / "runs" / "fsrcnn" / f"arm_w{w}" / "model.pth" for w in (16, 36, 56)]
    assert plan.branch_models("fsrcnn", "bicubic_class") == slices  # no arm_w0
    cfg = plan.variant_run("fsrcnn", "bicubic_class", "classsr")
    assert cfg.widths == (0, 16, 36, 56) and len(cfg.init) == 3
    trained = Plan(load_profile(None, {"name": "t", "ablations": [
        {"id": "bicubic_class", "backbone": "fsrcnn", "widths": [0, 16, 36, 56]}]}), tmp_path / "t")
    assert [p.parent.name for p in trained.branch_models("fsrcnn", "bicubic_class")] == ["branch1", "branch2", "branch3"]


def test_stage2_on_cached_costs_learns_a_bicubic_class(prepared, tmp_path):
    raw, data = prepared
    stages = {"classsr": {"iterations": 6, "batch_size": 4, "periods": [6], "restarts": [], "restart_weights": [],
                          "oracle_weight": 1.0, "oracle_lambda": 1e-4, "l1_weight": 0.0, "class_weight": 0.0,
                          "average_weight": 0.0, "oracle_cache": True, "oracle_target": "soft",
                          "oracle_weighting": "image", "oracle_subimages": 24}}
    profile = load_profile(None, tiny_profile_dict(raw["data"]["root"], stages=stages))
    init = []
    for w in WIDTHS[1:]:
        torch.save(build("fsrcnn", width=w).state_dict(), tmp_path / f"w{w}.pth")
        init.append(str(tmp_path / f"w{w}.pth"))
    cfg = resolve(profile, "classsr", "fsrcnn", data_dir=str(data), init=tuple(init))
    cfg = dataclasses.replace(cfg, widths=tuple(WIDTHS))
    assert len(build_model(cfg).networks) == 2
    with pytest.raises(ValueError, match="one pretrained file per network branch"):
        build_model(dataclasses.replace(cfg, init=tuple(init) * 2))
    train(cfg, tmp_path / "run")
    model = load_official("classsr_fsrcnn", tmp_path / "run" / "model.pth")
    assert model.widths == tuple(WIDTHS)
    for w, net in zip(WIDTHS[1:], model.networks):  # the frozen branches come back as they were loaded
        assert torch.equal(net.state_dict()["head_conv.0.weight"],
                           torch.load(tmp_path / f"w{w}.pth", weights_only=True)["head_conv.0.weight"])
    log = pd.read_csv(tmp_path / "run" / "train_log.csv")
    assert {"frac_class0", "frac_class2"} <= set(log.columns)


def test_stage2_figure_draws_more_models_than_one_palette_has(tmp_path):
    """A profile with many variants (released.yaml has 14) once failed the report: tab10 ran out of colours."""
    from pathlib import Path

    from bench.report.stage2 import stage2_figure

    ref = pd.read_csv(Path(__file__).parents[1] / "results/reference/ci/tables/stage2.csv")
    one = ref[(ref.backbone == "fsrcnn") & (ref.model == "classsr")].assign(gain_over_bicubic_db=0.1)
    table = pd.concat([one.assign(model=f"m{i}") for i in range(14)])
    stage2_figure(table, "embedded", tmp_path / "s.png", "caption")
    assert (tmp_path / "s.png").stat().st_size > 0

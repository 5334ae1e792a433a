"""Tiled inference equals the authors' per-patch path; evaluation rows follow the paper's protocol."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import assert_same_8bit, tiny_kwargs

from bench.core import flops
from bench.analysis.evaluate import evaluate
from bench.core.inference import upscale
from bench.models import build
from bench.core.tiling import Stitcher, extract, make_grid


def per_patch_reference(model, lr):
    """The authors' loop: one patch at a time, argmax branch, clamp + round to 8 bits, stitch by averaging."""
    grid = make_grid(lr.shape[1], lr.shape[2])
    stitcher, classes = Stitcher(grid, 4), []
    with torch.no_grad():
        for i in range(len(grid)):
            patch = extract(lr, grid, i, i + 1)
            if hasattr(model, "route"):
                k = int(model.route(patch)[1])
                classes.append(k)
                sr = model.branches[k](patch)
            else:
                sr = model(patch)
            stitcher.add(torch.round(sr.clamp(0, 1) * 255) / 255, i)
    return stitcher.result(), classes


@pytest.mark.parametrize("name", ["classsr_fsrcnn", "classsr_carn", "srresnet"])
def test_batched_engine_equals_per_patch_loop(name):
    model = build(name, **tiny_kwargs(name)).eval()
    lr = torch.rand(3, 75, 101)
    sr, classes = upscale(model, lr, batch_size=5)
    ref, ref_classes = per_patch_reference(model, lr)
    assert_same_8bit(sr, ref)
    if classes is not None:
        assert classes.tolist() == ref_classes


def test_forced_route_and_bad_input():
    model = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    lr = torch.rand(3, 60, 60)
    route = torch.tensor([2, 0, 1, 2])
    sr, classes = upscale(model, lr, route=route)
    assert classes.tolist() == route.tolist()
    with torch.no_grad():
        alone = model.branches[0](extract(lr, make_grid(60, 60), 1, 2))
    # patch 1 starts at LR x = 28 (HR 112); HR columns 128–144 are covered by it alone
    torch.testing.assert_close(sr[:, 0:16, 128:144], (torch.round(alone.clamp(0, 1) * 255) / 255)[0, :, 0:16, 16:32])
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        upscale(model, lr, route=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        upscale(model, lr, route=torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="smaller than one"):
        upscale(model, torch.rand(3, 20, 60))
    with pytest.raises(ValueError, match=r"\(3, H, W\)"):
        upscale(model, torch.rand(1, 60, 60))


def test_evaluation_rows(prepared, tmp_path):
    _, data = prepared
    model = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    df = evaluate(model, backbone="fsrcnn", model_id="classsr", testset=data / "test" / "tiny",
                  routing_out=tmp_path / "r.csv", sample_out=tmp_path / "s.png")
    assert len(df) == 3 and {"psnr_rgb_db", "psnr_y_db", "ssim_rgb", "ssim_y", "n_class0", "flops_paper", "macs",
                             "flops_authors", "time_ms"} <= set(df.columns)
    row = df.iloc[0]
    counts = [row[f"n_class{k}"] for k in range(3)]
    assert sum(counts) == row["patches"]
    costs = flops.classsr_costs(model)
    assert row["flops_paper"] == pytest.approx(flops.average(costs.branches, counts, classifier_cost=costs.classifier))
    assert np.isnan(row["flops_authors"])  # tiny widths: the authors' constants do not apply
    routing = pd.read_csv(tmp_path / "r.csv")
    assert len(routing) == df["patches"].sum() and (tmp_path / "s.png").stat().st_size > 0
    # the routing pass's own softmax confidence: at least 1/M, at most 1, and its mean is the row's mean_max_prob
    assert routing["max_prob"].between(1 / 3, 1).all()
    first = routing[routing["image"] == row["image"]]["max_prob"]
    assert row["mean_max_prob"] == pytest.approx(first.mean(), abs=1e-6)
    baseline = build("fsrcnn", width=56).eval()
    orig = evaluate(baseline, backbone="fsrcnn", model_id="original", testset=data / "test" / "tiny")
    assert (orig["flops_paper"] == 467_877_888).all() and (orig["flops_authors"] == 468e6).all()
    assert "n_class0" not in orig.columns
    full = evaluate(baseline, backbone="fsrcnn", model_id="original", testset=data / "test" / "tiny", coverage="full")
    grids = [(make_grid(h, w), make_grid(h, w, coverage="full")) for h, w in _lr_sizes(data / "test" / "tiny")]
    assert orig["patches"].tolist() == [len(p) for p, _ in grids]
    assert full["patches"].tolist() == [len(f) for _, f in grids]
    assert (full["patches"] >= orig["patches"]).all() and (full["patches"] > orig["patches"]).any()


def _lr_sizes(testset):
    from bench.core.images import read_image

    pairs = pd.read_csv(testset / "pairs.csv")
    return [read_image(testset / lr).shape[:2] for lr in pairs["lr"]]


def test_protocol_matrix_columns(prepared):
    """Issue 25's protocol matrix: every row scores RGB/Y × crop scale/0 and each inference the model runs."""
    _, data = prepared
    testset = data / "test" / "tiny"
    net = build("carn", **tiny_kwargs("carn")).eval()  # random FSRCNN weights give a flat, clamped output
    plain = evaluate(net, backbone="carn", model_id="original", testset=testset)
    assert (plain["inference"] == "grid").all()
    assert (plain["psnr_rgb_grid_db"] == plain["psnr_rgb_db"]).all()
    # these LR images hold one 32×32 patch each: the whole covered image is that patch, so both inferences agree
    assert (plain["patches"] == 1).all()
    assert np.allclose(plain["psnr_rgb_whole_db"], plain["psnr_rgb_db"], rtol=0, atol=1e-9)
    for col in ("psnr_rgb_crop0_db", "psnr_y_crop0_db", "ssim_rgb_crop0", "ssim_y_crop0"):
        assert plain[col].notna().all() and (plain[col] != plain[col.replace("_crop0", "")]).any()
    skipped = evaluate(net, backbone="carn", model_id="original", testset=testset, other_inference=False)
    assert skipped["psnr_rgb_whole_db"].isna().all()
    assert (skipped["psnr_rgb_db"] == plain["psnr_rgb_db"]).all()
    routed = evaluate(build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval(), backbone="fsrcnn",
                      model_id="classsr", testset=testset)
    assert routed["psnr_rgb_whole_db"].isna().all() and (routed["psnr_rgb_grid_db"] == routed["psnr_rgb_db"]).all()


def test_whole_image_inference_is_one_pass_over_the_covered_image():
    net = build("carn", **tiny_kwargs("carn")).eval()
    lr = torch.rand(3, 70, 90)
    sr, classes = upscale(net, lr, inference="whole")
    h, w = make_grid(70, 90).covered_hr(net.scale)
    with torch.no_grad():
        direct = net(lr[:, : h // 4, : w // 4].unsqueeze(0))[0].clamp(0, 1)
    assert classes is None and sr.shape == (3, h, w)
    assert (sr * 255 - torch.round(direct * 255)).abs().max() < 1.0001  # 8-bit rounding of one pass
    grid, _ = upscale(net, lr)
    assert (grid - sr).abs().max() > 1 / 255  # the grid's seams and overlap averaging differ from one pass
    with pytest.raises(ValueError, match="grid inference, not 'whole'"):
        upscale(build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval(), lr, inference="whole")

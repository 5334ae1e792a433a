"""ARM's routing (Chen et al., ECCV 2022; spec arm.md §2) against values from the spec: the released lookup tables
and the route per bin they give for each k, the boundary scores, the edge score and the bicubic path by hand."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.arm.routing import bicubic_path, bins, decide, edge_scores, eta
# the released tables and cost lists, checked below against the routes the spec publishes for them
from bench.arm.tables import CARN, CARN_COSTS, CENTRES, FSRCNN, FSRCNN_COSTS


@pytest.mark.parametrize("table,costs,k,route", [
    (FSRCNN, FSRCNN_COSTS, 0.75, "011112222212111111111222222223"),
    (FSRCNN, FSRCNN_COSTS, 0.815, "011222222222212212221222222223"),
    (FSRCNN, FSRCNN_COSTS, 0.85, "011222222222222222222222222223"),
    (FSRCNN, FSRCNN_COSTS, 1.5, "022222222222222222222222222233"),
    (FSRCNN, FSRCNN_COSTS, 3.45, "022222323322222322222333333333"),
    (FSRCNN, FSRCNN_COSTS, 3.6, "022222323322222323222333333333"),
    (FSRCNN, FSRCNN_COSTS, 4, "022222333333333333333333333333"),
    (FSRCNN, FSRCNN_COSTS, 16, "033333333333333333333333333333"),
    (CARN, CARN_COSTS, 1.3, "011212212221133313333333333332"),
    (CARN, CARN_COSTS, 1.32, "011212212221133333333333333332"),
    (CARN, CARN_COSTS, 1.36, "011222223233233333333333333332"),
    (CARN, CARN_COSTS, 1.38, "011222223233333333333333333332"),
    (CARN, CARN_COSTS, 1.5, "012222333333333333333333333332"),
    (CARN, CARN_COSTS, 1.94, "022333333333333333333333333332"),
    (CARN, CARN_COSTS, 4, "033333333333333333333333333332"),
])
def test_the_released_tables_give_the_published_route_per_bin(table, costs, k, route):
    got = decide(np.array(table), costs, np.arange(30), eta(k, costs))
    assert "".join(map(str, got)) == route


def test_best_mode_sends_bin_zero_to_bicubic_and_forced_paths_are_forced():
    assert "".join(map(str, decide(np.array(FSRCNN), FSRCNN_COSTS, np.arange(30), "best"))) == "0" + "3" * 29
    assert "".join(map(str, decide(np.array(CARN), CARN_COSTS, np.arange(30), "best"))) == \
        "033333333333333333333333333332"
    assert set(decide(np.array(FSRCNN), FSRCNN_COSTS, np.arange(30), 3)) == {3}
    with pytest.raises(ValueError, match="forced path 7"):
        decide(np.array(FSRCNN), FSRCNN_COSTS, np.arange(30), 7)
    with pytest.raises(ValueError, match="η > 0"):
        decide(np.array(FSRCNN), FSRCNN_COSTS, np.arange(30), -1.0)


def test_boundary_scores_take_the_nearest_centre_not_the_floor():
    # arm.md §2.3: 73.2158203125 → bin 10 (floor would give 9); 146.431640625 → bin 19; outside the range clamps
    assert bins(np.array([73.2158203125, 146.431640625, -5.0, 300.0]), CENTRES).tolist() == [10, 19, 0, 29]


def test_edge_score_by_hand():
    flat = torch.full((1, 3, 8, 8), 100 / 255)
    assert edge_scores(flat).tolist() == [0.0]
    # one bright pixel in a dark grey patch: its own response −8·255 clips to 255; the 4 diagonal neighbours get
    # 2·255 = 510 → 255; everything else 0 (the pixel sits away from the border) → 5·255/64
    dot = torch.zeros(1, 3, 8, 8)
    dot[0, :, 3, 4] = 1.0
    assert edge_scores(dot)[0] == pytest.approx(5 * 255 / 64)
    # pure red is grey (9798·255 + 16384) >> 15 = 76 (OpenCV's fixed point): the pixel's −8·76 clips to 255, its
    # four diagonal neighbours get 2·76 = 152
    red = torch.zeros(1, 3, 8, 8)
    red[0, 0, 3, 4] = 1.0
    assert edge_scores(red)[0] == pytest.approx((255 + 4 * 152) / 64)
    # borders are reflect-101 (OpenCV's default): a bright corner pixel is not its own mirror image, so only it
    # (−8·255 → 255) and pixel (1, 1) (2·255 → 255) respond; a symmetric reflection would add 2·255 at the corner
    corner = torch.zeros(1, 3, 8, 8)
    corner[0, :, 0, 0] = 1.0
    assert edge_scores(corner)[0] == pytest.approx(2 * 255 / 64)


def test_bicubic_path_is_pytorchs_a_minus_075_kernel():
    """An impulse upscaled ×4: output pixel (i, j) sees source offsets d = (i + 0.5)/4 − 0.5 − r; the weight is the
    Keys cubic kernel with a = −0.75 (MATLAB uses −0.5)."""
    def keys(d, a=-0.75):
        d = abs(d)
        return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1 if d <= 1 else a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a

    x = torch.zeros(1, 3, 8, 8, dtype=torch.float64)
    x[0, :, 4, 4] = 0.5
    out = bicubic_path(x)
    for i, j in ((17, 17), (18, 16), (19, 21)):
        dy, dx = (i + 0.5) / 4 - 0.5 - 4, (j + 0.5) / 4 - 0.5 - 4
        assert out[0, 0, i, j].item() == pytest.approx(min(1.0, max(0.0, 0.5 * keys(dy) * keys(dx))), abs=1e-12)


def _us_fsrcnn(state: dict, w: int, x: torch.Tensor) -> torch.Tensor:
    """ARM's slimmable FSRCNN forward at width w, written from the slicing table of arm.md §1.2 (not via subnet)."""
    import torch.nn.functional as F

    p = lambda k: state[k]  # noqa: E731
    y = F.prelu(F.conv2d(x, p("head_conv.0.weight")[:w], p("head_conv.0.bias")[:w], padding=2), p("head_conv.1.weight"))
    y = F.prelu(F.conv2d(y, p("body_conv.0.0.weight")[:, :w], p("body_conv.0.0.bias")), p("body_conv.0.1.weight"))
    for i in range(1, 5):
        y = F.conv2d(y, p(f"body_conv.{i}.weight"), p(f"body_conv.{i}.bias"), padding=1)
    y = F.prelu(y, p("body_conv.5.weight"))
    y = F.prelu(F.conv2d(y, p("body_conv.6.0.weight")[:w], p("body_conv.6.0.bias")[:w]), p("body_conv.6.1.weight"))
    return F.conv_transpose2d(y, p("tail_conv.weight")[:w], p("tail_conv.bias"), stride=4, padding=3, output_padding=1)


def test_arm_subnets_equal_the_slimmable_forward_and_round_trip_arms_key_format(tmp_path):
    from bench.models import build, export_official, load_arm

    torch.manual_seed(0)
    state = export_official(build("fsrcnn", width=56))  # ARM's FSRCNN keys are ClassSR's (arm.md §1.5)
    torch.save(state, tmp_path / "arm-fsrcnn.pth")
    arm = load_arm("fsrcnn", str(tmp_path / "arm-fsrcnn.pth"))
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        for w in (16, 36, 56):
            torch.testing.assert_close(arm.subnet(w)(x), _us_fsrcnn(state, w, x), rtol=1e-5, atol=1e-6)
        assert torch.equal(arm.subnet(56)(x), arm.full(x))
    assert [sum(p.numel() for p in arm.subnet(w).parameters()) for w in (16, 36, 56)] == [10_755, 17_635, 24_515]
    srresnet = load_arm("srresnet", export_official(build("srresnet", width=64, blocks=2)))
    assert srresnet.subnet(36).conv_first.weight.shape == (36, 3, 3, 3)


def test_arm_bad_input_is_named():
    from bench.models import CheckpointError, build, export_official, load_arm

    with pytest.raises(CheckpointError, match="a ClassSR checkpoint"):
        load_arm("fsrcnn", export_official(build("classsr_fsrcnn", widths=[16, 36, 56])))
    with pytest.raises(CheckpointError, match="supernets are 56 wide; this checkpoint is 36"):
        load_arm("fsrcnn", export_official(build("fsrcnn", width=36)))
    arm = load_arm("fsrcnn", export_official(build("fsrcnn", width=56)))
    with pytest.raises(ValueError, match=r"widths \[16, 36, 56\], not 24"):
        arm.subnet(24)
    with pytest.raises(KeyError, match="no ARM supernet 'edsr'"):
        load_arm("edsr", {})


def test_arm_carn_is_the_biased_fusion_flavour_and_its_subnets_are_leading_corners(tmp_path):
    """ARM's US-CARN-M (arm.md §1.3, §1.5): 54 keys (biased 1×1 fusion convs, no BatchNorm), 294,171 parameters;
    its width-w sub-net takes the leading corner of every tensor, CARN's concatenated and grouped convs included."""
    from bench.models import build, export_official, load_arm

    torch.manual_seed(0)
    state = export_official(build("carn", width=64, bn=False))
    assert len(state) == 54 and not any("running_mean" in k for k in state)
    assert state["b1.c2.0.bias"].shape == (64,) and state["b1.c2.0.weight"].shape == (64, 192, 1, 1)
    assert sum(v.numel() for v in state.values()) == 294_171
    torch.save(state, tmp_path / "arm-carn.pth")
    arm = load_arm("carn", str(tmp_path / "arm-carn.pth"))
    assert arm.widths == (36, 52, 64) and not arm.full.bn
    sub = arm.subnet(36)
    assert sub.b1.c2[0].weight.shape == (36, 108, 1, 1) and sub.b1.b1.body[0].weight.shape == (36, 9, 3, 3)
    assert torch.equal(sub.b2.c3[0].weight, state["b2.c3.0.weight"][:36, :144])
    assert torch.equal(sub.upsample.up.body[3].weight, state["upsample.up.body.3.weight"][:144, :9])
    assert torch.equal(sub.sub_mean.bias, state["sub_mean.bias"])  # MeanShift never sliced
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(arm.subnet(64)(x), arm.full(x))
        assert sub(x).shape == (1, 3, 128, 128)
    # ClassSR's CARN (BatchNorm fusion, 102 keys) is not an ARM supernet
    with pytest.raises(Exception, match="unexpected keys|missing keys"):
        from bench.models.arm import ArmSupernet
        ArmSupernet(backbone="carn", state={**export_official(build("carn", width=64)), "c1.0.bias": torch.zeros(64)})


def test_upscale_routes_arm_by_edge_score_and_eta_with_bicubic_as_class_zero():
    from bench.arm.routing import eta as eta_of
    from bench.core.inference import upscale
    from bench.models import build, export_official, load_arm
    from bench.core.tiling import extract, make_grid

    torch.manual_seed(0)
    arm = load_arm("fsrcnn", export_official(build("fsrcnn", width=56)))
    lr = torch.rand(3, 60, 88)
    lr[:, :, :40] = 0.5  # flat left part: edge score 0, bin 0 → bicubic in every mode (arm.md §2.3)
    lr = torch.round(lr * 255) / 255
    grid = make_grid(60, 88)
    patches = extract(lr, grid, 0, len(grid))
    costs = arm.costs()
    assert costs[0] == 0 and costs[1:] == pytest.approx(FSRCNN_COSTS[1:], abs=8)  # ARM's cost_list to 4 FLOPs
    for k in (0.75, 1.5, 4, 16):
        _, classes = upscale(arm, lr, eta=eta_of(k, costs))
        want = decide(np.array(FSRCNN), costs, bins(edge_scores(patches), CENTRES), eta_of(k, costs))
        assert classes.tolist() == want.tolist()
        assert classes[0] == 0
    # forced paths: 0 is ARM's bicubic, 3 the full network, each stitched like any network's patches
    bic, classes = upscale(arm, lr, eta=0)
    assert set(classes.tolist()) == {0}
    torch.testing.assert_close(bic[:, :128, :128], torch.round(bicubic_path(patches[:1])[0] * 255) / 255)
    full, _ = upscale(arm, lr, eta=3)
    torch.testing.assert_close(full, upscale(arm.subnet(56), lr)[0])
    with pytest.raises(ValueError, match="η > 0"):
        upscale(arm, lr, eta=-2.0)
    with pytest.raises(ValueError, match="forced path 5"):
        upscale(arm, lr, eta=5)
    with pytest.raises(ValueError, match="ARM supernets"):
        upscale(build("fsrcnn", width=8), lr, eta=1e9)
    with pytest.raises(ValueError, match="no lookup table"):
        upscale(load_arm("srresnet", export_official(build("srresnet", width=64, blocks=1))), lr)
    with pytest.raises(ValueError, match="4 paths × 30 bins"):
        load_arm("fsrcnn", export_official(build("fsrcnn", width=56)), lut=np.zeros((3, 30)))


def test_eta_sweep_rows_follow_the_routing_and_the_protocol(tmp_path):
    """More k never buys fewer FLOPs; forced e3 is the full network's row (same PSNR as evaluating it alone);
    FLOPs are the patch-weighted path costs with bicubic at 0."""
    from conftest import one_image_testset

    from bench.analysis.evaluate import evaluate
    from bench.arm.evaluate import evaluate_arm
    from bench.models import build, export_official, load_arm

    torch.manual_seed(0)
    arm = load_arm("fsrcnn", export_official(build("fsrcnn", width=56)))
    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (256, 512, 3), dtype=np.uint8)
    hr[:, :256] = 120  # a flat half: bin 0, ARM's bicubic path at every k
    lr = hr[::4, ::4]
    testset = one_image_testset(tmp_path, hr, lr)
    rows = evaluate_arm(arm, testset=testset, knobs=(0.5, 1.5, 16.0, "best", 3))
    assert rows.model.tolist() == ["arm_k0.5", "arm_k1.5", "arm_k16", "arm_best", "arm_e3"]
    assert rows.flops_paper.iloc[:3].is_monotonic_increasing
    costs = np.array(arm.costs())
    n = rows[[f"n_class{j}" for j in range(4)]].to_numpy()
    np.testing.assert_allclose(rows.flops_paper, (n * costs).sum(1) / n.sum(1))
    assert (n[:4, 0] > 0).all() and n[4].tolist() == [0, 0, 0, n[4].sum()]
    alone = evaluate(arm.subnet(56), backbone="fsrcnn", model_id="original", testset=testset)
    assert rows.psnr_rgb_db.iloc[4] == pytest.approx(alone.psnr_rgb_db.iloc[0], abs=1e-9)
    assert rows.flops_paper.iloc[4] == pytest.approx(alone.flops_paper.iloc[0])


def test_a_table_built_from_validation_patches_bins_like_arm():
    from bench.arm.routing import build_table, patch_psnr
    from bench.models import build, export_official, load_arm

    # 31 equal edges from min to max, last bin closed; empty bins NaN; the mean PSNR per bin and path
    table, centres = build_table(np.array([0.0, 1.0, 2.9, 30.0]), np.array([[10, 20, 30, 40.0], [1, 2, 3, 4.0]]))
    assert centres[0] == pytest.approx(0.5) and centres[-1] == pytest.approx(29.5)
    assert table[:, 0].tolist() == [10.0, 1.0] and table[:, 1].tolist() == [20.0, 2.0]  # 1.0 opens bin 1
    assert table[:, 2].tolist() == [30.0, 3.0] and table[:, 29].tolist() == [40.0, 4.0]  # the max: last bin
    assert np.isnan(table[:, 3:29]).all()
    x = torch.rand(2, 3, 16, 16)
    assert patch_psnr(x, x).tolist() == [80.0, 80.0]
    y = x.clone()
    y[0, 0, 8, 8] = (torch.round(x[0, 0, 8, 8] * 255) + 10) / 255 if x[0, 0, 8, 8] < 0.5 else \
        (torch.round(x[0, 0, 8, 8] * 255) - 10) / 255
    assert patch_psnr(y, x, crop=4)[0] == pytest.approx(20 * np.log10(255 / np.sqrt(100 / (3 * 64))))
    # calibrate: a table of 4 paths, after which upscale routes with it
    torch.manual_seed(0)
    arm = load_arm("srresnet", export_official(build("srresnet", width=64, blocks=1)))
    hr = torch.rand(6, 3, 128, 128)
    arm.calibrate(torch.nn.functional.avg_pool2d(hr, 4), hr)
    assert arm.lut.shape == (4, 30) and np.isfinite(arm.lut[:, [0, 29]]).all()


def test_a_lookup_table_in_arms_state_format_round_trips_and_another_backbones_is_refused(tmp_path):
    """ARM's ``.state`` keeps its table as numpy arrays under ``hmap`` (arm.md §2.2): read with weights_only=True
    through an allow-list of numpy's array reconstruction only."""
    from bench.models import CheckpointError, build, export_official, load_arm

    hmap = {"eta": "best", "bins": 30, "cost_list": np.array(FSRCNN_COSTS, np.float64),
            "hmap_y_mean_list": [np.array(row) for row in FSRCNN], "hmap_x_list": [CENTRES.copy() for _ in FSRCNN]}
    torch.save({"epoch": 1, "iter": 2, "hmap": hmap}, tmp_path / "arm-fsrcnn.state")
    state = export_official(build("fsrcnn", width=56))
    arm = load_arm("fsrcnn", state, lut=str(tmp_path / "arm-fsrcnn.state"))
    np.testing.assert_array_equal(arm.lut, np.array(FSRCNN))
    np.testing.assert_array_equal(arm.centres, CENTRES)
    with pytest.raises(CheckpointError, match="another backbone's table"):
        load_arm("carn", export_official(build("carn", width=64, bn=False)), lut=str(tmp_path / "arm-fsrcnn.state"))
    torch.save({"epoch": 1}, tmp_path / "plain.state")
    with pytest.raises(CheckpointError, match="plain.state: not an ARM training state"):
        load_arm("fsrcnn", state, lut=str(tmp_path / "plain.state"))
    import os as _os
    torch.save({"hmap": hmap, "evil": _os.getcwd}, tmp_path / "evil.state")
    with pytest.raises(CheckpointError, match="evil.state"):
        load_arm("fsrcnn", state, lut=str(tmp_path / "evil.state"))

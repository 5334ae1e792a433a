"""Routing analysis (issue 12): per-patch cache and the policies derived from it, on cases with known answers."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import one_image_testset

from bench.analysis.routing_curves import POLICIES, curves, efficiency, pareto

COSTS = pd.DataFrame({"part": ["branch0", "branch1", "branch2", "bicubic", "classifier"],
                      "flops_paper": [100.0, 200.0, 400.0, 0.0, 10.0], "macs": [50.0, 100.0, 200.0, 0.0, 5.0]})


def _cache(logits, sse, bicubic=None, pixels=100.0, images=None) -> pd.DataFrame:
    n = len(logits)
    df = pd.DataFrame({"image": images or ["a"] * n, "patch": range(n), "pixels": pixels})
    for k in range(3):
        df[f"logit{k}"] = [row[k] for row in logits]
        df[f"sse_branch{k}"] = [row[k] for row in sse]
    df["sse_bicubic"] = bicubic if bicubic is not None else [max(row) * 2 for row in sse]
    return df


def _psnr(sse_sum, pixels):
    return 10 * math.log10(255 ** 2 / (sse_sum / pixels))


# four patches: two flat ones every branch handles (SSE 100), two textured ones only the widest does well
SSE = [[100, 100, 100], [100, 100, 100], [900, 400, 100], [900, 400, 100]]
SMART = [[5, 0, 0], [5, 0, 0], [0, 0, 5], [0, 0, 5]]  # flat → branch 0, textured → branch 2
WRONG = [[0, 0, 5], [0, 0, 5], [5, 0, 0], [5, 0, 0]]  # the opposite


def test_every_policy_is_derived_and_single_points_have_known_values():
    pts = curves(_cache(SMART, SSE), COSTS)
    assert set(pts["policy"]) == set(POLICIES)
    wide = pts[(pts["policy"] == "single_branch") & (pts["knob"] == 2)].iloc[0]
    assert wide["psnr_rgb_db"] == pytest.approx(_psnr(400, 400)) and wide["flops_paper"] == 400
    cls = pts[pts["policy"] == "classifier"].iloc[0]
    assert cls["flops_paper"] == pytest.approx((100 + 100 + 400 + 400) / 4 + 10)  # classifier cost included
    assert cls["psnr_rgb_db"] == pytest.approx(_psnr(400, 400))
    assert pts[pts["policy"] == "bicubic"].iloc[0]["flops_paper"] == 0


def test_bias_zero_reproduces_the_trained_routing_and_the_bias_moves_flops_monotonically():
    pts = curves(_cache(SMART, SSE), COSTS)
    bias = pts[pts["policy"] == "classifier_bias"].sort_values("knob")
    cls = pts[pts["policy"] == "classifier"].iloc[0]
    zero = bias[bias["knob"] == 0].iloc[0]
    assert zero[["psnr_rgb_db", "flops_paper", "frac_class0", "frac_class2"]].tolist() == \
        cls[["psnr_rgb_db", "flops_paper", "frac_class0", "frac_class2"]].tolist()
    assert bias["flops_paper"].is_monotonic_decreasing  # larger knob: cheaper classes
    assert bias["frac_class2"].iloc[0] == 1 and bias["frac_class0"].iloc[-1] == 1  # both extremes reached


def test_oracle_bounds_the_classifier_and_random_matches_its_flops():
    for logits in (SMART, WRONG):
        pts = curves(_cache(logits, SSE), COSTS)
        cls = pts[pts["policy"] == "classifier"].iloc[0]
        rand = pts[pts["policy"] == "random"].iloc[0]
        assert rand["flops_paper"] == cls["flops_paper"] - 10  # same class fractions; no classifier run
        assert rand[["frac_class0", "frac_class2"]].tolist() == cls[["frac_class0", "frac_class2"]].tolist()
        oracle = pts[pts["policy"] == "oracle"].sort_values("flops_paper")
        best = np.interp(rand["flops_paper"], oracle["flops_paper"], oracle["psnr_rgb_db"])
        assert best >= cls["psnr_rgb_db"] - 1e-9
    smart = efficiency(curves(_cache(SMART, SSE), COSTS))
    wrong = efficiency(curves(_cache(WRONG, SSE), COSTS))
    assert smart["efficiency"] == pytest.approx(1.0)  # the smart classifier is the oracle at its FLOPs
    assert wrong["efficiency"] < 0  # worse than chance


def test_the_bicubic_path_costs_nothing_and_helps_the_oracle_on_flat_patches():
    flat_bicubic = [100, 100, 5000, 5000]  # bicubic as good as a branch on the flat patches
    pts = curves(_cache(SMART, SSE, bicubic=flat_bicubic), COSTS)
    with_b = pts[pts["policy"] == "oracle_bicubic"].sort_values("flops_paper")
    without = pts[pts["policy"] == "oracle"].sort_values("flops_paper")
    # the same best PSNR for less: flat patches go to bicubic at 0 FLOPs
    assert with_b["psnr_rgb_db"].max() == pytest.approx(without["psnr_rgb_db"].max())
    assert with_b.loc[with_b["psnr_rgb_db"].idxmax(), "flops_paper"] < without.loc[without["psnr_rgb_db"].idxmax(),
                                                                                     "flops_paper"]
    anytime = pts[(pts["policy"] == "classifier_bicubic") & (pts["knob"] == 0.0)].iloc[0]
    assert anytime["frac_bicubic"] == 0.5 and anytime["psnr_rgb_db"] == pytest.approx(_psnr(400, 400))


def test_psnr_is_the_mean_over_images_of_the_patch_decomposed_image_psnr():
    pts = curves(_cache(SMART, SSE, images=["a", "a", "b", "b"]), COSTS)
    narrow = pts[(pts["policy"] == "single_branch") & (pts["knob"] == 0)].iloc[0]
    assert narrow["psnr_rgb_db"] == pytest.approx((_psnr(200, 200) + _psnr(1800, 200)) / 2)


def test_pareto_marks_the_non_dominated_points():
    pts = pd.DataFrame({"flops_paper": [1, 2, 3, 2], "psnr_rgb_db": [20, 25, 24, 22]})
    assert pareto(pts).tolist() == [True, True, False, False]


def test_the_cache_reproduces_the_engine_routing_and_the_bicubic_reference(tmp_path):
    """On a real image: argmax of the cached logits = the engine's classes; the cached bicubic error gives the
    bicubic row's PSNR exactly; the widest branch's patch-decomposed PSNR is within 0.3 dB of its stitched one."""
    import torch

    from bench.data.sources import embedded
    from bench.analysis.evaluate import bicubic_image, evaluate
    from bench.core.images import to_tensor
    from bench.core.inference import upscale
    from bench.models import build
    from bench.core.resize import bicubic_degrade
    from bench.analysis.routing import branch_costs, patch_cache

    torch.manual_seed(0)
    hr, lr = bicubic_degrade(embedded("test")[1].load()[:200, :264], 4)
    testset = one_image_testset(tmp_path / "data", hr, lr)
    model = build("classsr_fsrcnn", widths=[4, 8, 12]).eval()
    with torch.no_grad():  # spread the routing over the classes
        model.classifier.lastOut.bias.copy_(torch.tensor([0.02, 0.0, -0.02]))
    cache = patch_cache(model, testset=tmp_path / "data" / "test" / "t", batch_size=16)
    _, classes = upscale(model, to_tensor(lr), batch_size=16)
    assert (cache[[f"logit{k}" for k in range(3)]].to_numpy().argmax(1) == classes.numpy()).all()
    pts = curves(cache, branch_costs(model))
    bicubic = bicubic_image(testset / "lr.png", testset / "hr.png", scale=4)
    assert pts[pts["policy"] == "bicubic"].iloc[0]["psnr_rgb_db"] == pytest.approx(bicubic["psnr_rgb_db"], abs=1e-6)
    wide = evaluate(model.branches[2], backbone="fsrcnn", model_id="w", testset=tmp_path / "data" / "test" / "t",
                    batch_size=16)
    decomposed = pts[(pts["policy"] == "single_branch") & (pts["knob"] == 2)].iloc[0]["psnr_rgb_db"]
    assert abs(decomposed - wide.loc[0, "psnr_rgb_db"]) < 0.3


def test_over_chance_gives_the_classifier_minus_random_with_patch_and_image_intervals():
    """Issue 25's patch-level interval: the smart routing beats random routing at its own class fractions (half of
    the patches to branch 0, half to branch 2), the wrong one loses; over images the interval is wider."""
    from bench.analysis.routing_curves import over_chance

    images = ["a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c"]
    sse = SSE * 3
    smart = over_chance(_cache(SMART * 3, sse, images=images), COSTS)
    wrong = over_chance(_cache(WRONG * 3, sse, images=images), COSTS)
    # random at those fractions: flat patches 100, textured (900 + 100) / 2 = 500 → 1200 per image against 400
    expected = 10 * math.log10(1200 / 400)
    assert smart["classifier_minus_random_pooled_db"] == pytest.approx(expected)
    assert smart["classifier_minus_random_patches_ci_low_db"] > 0 > wrong["classifier_minus_random_patches_ci_high_db"]
    # identical images: resampling them changes nothing, resampling patches does
    assert smart["classifier_minus_random_images_ci_low_db"] == pytest.approx(expected)
    assert smart["classifier_minus_random_patches_ci_low_db"] < expected

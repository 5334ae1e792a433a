"""PCSR (ECCV 2024) without its released files: the sampler input, the decision rules, ADM, refinement, the FLOPs
closed form against the work a forward pass actually does, the checkpoint reader's refusals, and the method through
the engine, evaluation and perf (tests/test_pcsr_released.py checks the released networks against pcsr.md §6)."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from conftest import one_image_testset
from torch import nn

from bench.methods.pcsr.adm import adm_heavy
from bench.methods.pcsr.checkpoint import PCSRCheckpointError, load_pcsr, load_pcsr_baseline
from bench.methods.pcsr.model import PCSR, refine

TINY = {"width": 8, "heavy": (12, 12), "light": (4,), "classifier": (4,)}


def tiny(backbone="fsrcnn", **kw) -> PCSR:
    torch.manual_seed(0)
    depth = {"blocks": 1} if backbone == "srresnet" else {}
    return PCSR(backbone=backbone, **TINY, **depth, **kw).eval()


def test_the_sampler_input_is_the_nearest_lr_feature_its_offset_and_cell():
    model = tiny()
    feat = torch.arange(2 * 3 * 5, dtype=torch.float).view(2, 3, 5)  # C = 2, h = 3, w = 5
    q = model._queries(feat, 0, 12)
    i, j = 9, 13  # HR pixel → LR pixel (2, 3), offsets (1, 1) of 4
    row = q[i * 20 + j]
    assert row[:2].tolist() == feat[:, 2, 3].tolist()
    assert row[2:].tolist() == [-0.25, -0.25, 0.5, 0.5]
    assert sorted(set(q[:, 2].tolist())) == [-0.75, -0.25, 0.25, 0.75]


def test_the_k_rule_is_a_threshold_on_p_heavy_that_k_moves():
    model = tiny()
    p = torch.linspace(0, 1, 1001)
    probs = torch.stack([1 - p, p], 1)
    model.k = 0.0
    assert torch.equal(model.decide(probs), p > 0.5)  # k = 0: argmax, ties light
    c_light, c_heavy = model.decision_costs().tolist()
    counts = []
    for k in (-25.0, -1.0, 0.0, 1.0, 2.0):
        model.k = k
        heavy = model.decide(probs)
        r = (c_heavy / c_light) ** k
        assert torch.equal(heavy[(p - r / (1 + r)).abs() > 1e-4], (p > r / (1 + r))[(p - r / (1 + r)).abs() > 1e-4])
        counts.append(int(heavy.sum()))
    assert counts == sorted(counts, reverse=True) and counts[0] >= 1000 and counts[-1] < counts[2]


def test_adm_splits_two_modes_and_keeps_the_smallest_light():
    g = torch.Generator().manual_seed(0)
    x = torch.cat([0.1 + 0.02 * torch.rand(300, generator=g), 0.8 + 0.05 * torch.rand(100, generator=g)])
    heavy = adm_heavy(x)
    assert heavy[300:].all() and not heavy[:300].any()
    assert not adm_heavy(1 - x)[x.argmax()]  # the minimum of the flipped map is light
    with pytest.raises(ValueError, match="not all equal"):
        adm_heavy(torch.full((10,), 0.3))


def test_refinement_blurs_light_pixels_next_to_heavy_ones_away_from_the_border():
    pred = torch.rand(1, 3, 6, 6)
    heavy = torch.zeros(1, 1, 6, 6, dtype=torch.bool)
    heavy[0, 0, 2, 2] = heavy[0, 0, 0, 5] = True
    out = refine(pred, heavy)
    box = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(pred, (1,) * 4, mode="replicate"), 3, stride=1)
    changed = (out != pred).any(1)[0]
    expected = torch.zeros(6, 6, dtype=torch.bool)
    expected[1:4, 1:4] = True
    expected[2, 2] = False  # heavy pixels never change
    expected[1, 4] = True   # the corner pixel's interior neighbour; the outer rows and columns never change
    assert torch.equal(changed, expected)
    assert torch.equal(out[..., 1, 1], box[..., 1, 1])


@pytest.mark.parametrize("backbone", ["fsrcnn", "carn", "srresnet"])
def test_the_flops_closed_form_is_the_work_a_forward_pass_does(backbone):
    """pcsr.md §3: F = E·h·w + (C + L)·q + (Hv − L)·n_heavy, against hooks counting every executed layer with
    PCSR's rules (2·MAC for convs and linears, 2·numel BN, numel PReLU) on a real forward."""
    model, total = tiny(backbone, k="adm"), {"f": 0}  # ADM: both classes, whatever random weights give

    def hook(m, inputs, out):
        if isinstance(m, nn.Linear):
            total["f"] += 2 * out.shape[0] * m.in_features * m.out_features
        elif isinstance(m, nn.Conv2d):
            total["f"] += 2 * m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups * out[0].numel()
        elif isinstance(m, nn.BatchNorm2d):
            total["f"] += 2 * inputs[0].numel()
        elif isinstance(m, nn.PReLU):
            total["f"] += inputs[0].numel()

    for m in model.modules():
        m.register_forward_hook(hook)
    model._costs = model.costs  # counted before the hooks see anything
    total["f"] = 0
    with torch.no_grad():
        _, heavy, _ = model.forward_image(torch.rand(1, 3, 9, 11))
    assert 0 < int(heavy.sum()) < heavy.numel()  # both MLPs ran
    assert model.costs.image(9, 11, 4, int(heavy.sum())) == total["f"]


def test_path_costs_average_to_the_per_patch_rate():
    model = tiny()
    (light, heavy), encoder = model.path_costs()
    h, w, n_heavy = 32, 32, 5000
    per_image = model.costs.image(h, w, 4, n_heavy)
    q = 16 * h * w
    assert (light * (q - n_heavy) + heavy * n_heavy) / q + encoder == pytest.approx(per_image, rel=1e-12)


def _save(model: PCSR, path, name="pcsr-phase1", **edit):
    enc_arg = {"fsrcnn": "d", "carn": "nf", "srresnet": "nf"}[model.backbone]
    spec = lambda hidden: {"name": "liif-sampler", "args": {"imnet_spec": {"name": "mlp", "args": {
        "hidden_list": list(hidden)}}}}
    args = {"encoder_spec": {"name": model.backbone, "args": {enc_arg: TINY["width"], "no_upsampling": True}},
            "heavy_sampler_spec": spec(TINY["heavy"]), "light_sampler_spec": spec(TINY["light"]),
            "classifier_spec": spec(TINY["classifier"])}
    torch.save({"model": {"name": name, "args": args, "sd": model.state_dict(), **edit}, "iter": 1}, path)
    return path


def test_a_saved_pcsr_file_loads_back_to_the_same_network(tmp_path):
    model = tiny("carn")
    loaded = load_pcsr(_save(model, tmp_path / "m.pth"), backbone="carn", k=1.0, refine=False)
    x = torch.rand(1, 3, 8, 8)
    model.k, model.refine = 1.0, False
    with torch.no_grad():
        assert torch.equal(loaded.forward_image(x)[0], model.forward_image(x)[0])


def test_foreign_and_broken_files_are_refused_by_name(tmp_path):
    from bench.models import build

    good = _save(tiny(), tmp_path / "pcsr.pth")
    torch.save(build("fsrcnn", width=8).state_dict(), tmp_path / "classsr.pth")  # ClassSR/ARM: plain state dicts
    (tmp_path / "cut.pth").write_bytes(good.read_bytes()[:300])
    sd = tiny().state_dict()
    sd.pop("classifier.imnet.layers.0.weight")
    torch.save({"model": {"name": "pcsr-phase1", "args": torch.load(good, weights_only=True)["model"]["args"],
                          "sd": sd}}, tmp_path / "keys.pth")
    cases = {"classsr.pth": "not a PCSR checkpoint", "cut.pth": "cannot be read as a torch checkpoint",
             "keys.pth": "missing ['classifier.imnet.layers.0.weight']"}
    for name, message in cases.items():
        with pytest.raises(PCSRCheckpointError, match=f"{name}: .*{re.escape(message)}"):
            load_pcsr(tmp_path / name)
    with pytest.raises(PCSRCheckpointError, match="a PCSR-fsrcnn model, not PCSR-carn"):
        load_pcsr(good, backbone="carn")
    with pytest.raises(PCSRCheckpointError, match="load_pcsr_baseline"):
        load_pcsr(_save(tiny(), tmp_path / "base.pth", name="fsrcnn"))
    with pytest.raises(PCSRCheckpointError, match="not one of PCSR's baselines"):
        load_pcsr_baseline(good)
    with pytest.raises(FileNotFoundError, match="no such PCSR checkpoint"):
        load_pcsr(tmp_path / "absent.pth")


def test_pcsr_evaluates_and_times_through_the_generic_engine(tmp_path):
    """Evaluation rows with per-pixel class counts, the per-patch rate and the whole image's closed-form FLOPs;
    a latency row beside ClassSR's."""
    from bench.analysis.evaluate import evaluate
    from bench.analysis.perf import benchmark
    from bench.core.resize import bicubic_degrade
    from bench.data.sources import embedded
    from bench.models import build

    model = tiny()
    hr, lr = bicubic_degrade(embedded("test")[0].load()[:160, :240], 4)  # LR 40×60: the grid covers 32×60
    testset = one_image_testset(tmp_path / "data", hr, lr)
    row = evaluate(model, backbone="fsrcnn", model_id="pcsr_k0", testset=testset, batch_size=8).iloc[0]
    q = 16 * 32 * 60
    assert row.variant == "pcsr" and row.n_class0 + row.n_class1 == q and row.patches == 2
    assert row.flops_image == pytest.approx(model.costs.image(32, 60, 4, int(row.n_class1)), rel=1e-9)
    assert row.flops_paper == pytest.approx(row.flops_image * 1024 / (32 * 60), rel=1e-9)
    assert np.isfinite(row.psnr_rgb_db) and 0.5 <= row.mean_max_prob <= 1
    torch.manual_seed(0)
    rows = benchmark(build("fsrcnn", width=56).eval(), build("classsr_fsrcnn").eval(), torch.rand(3, 40, 60),
                     modes=("batched",), mixes=("real",), repeats=1, warmup=0, batch_size=8,
                     others=[("pcsr", tiny(), [("real", {})])])
    pcsr = [r for r in rows if r["model"] == "pcsr"]
    assert len(pcsr) == 1 and pcsr[0]["time_ms"] > 0 and pcsr[0]["batch_sizes"] == "image"


def test_the_methods_profile_plans_pcsr_beside_classsr_and_arm_on_both_protocols(tmp_path):
    """configs/methods.yaml with PCSR's save/ folder set: one evaluation per knob, its own -O, both test sets
    (uint8 LR and PCSR's 16-bit LR), latency rows for the routed models; a missing file names the config keys."""
    from pathlib import Path

    from bench.plan.dag import Plan
    from bench.profile import load_profile

    root = Path(__file__).resolve().parents[1]
    for name in ("fsrcnn-pcsr-phase1", "carn-pcsr-phase1", "fsrcnn-x4", "carn-x4"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "iter_last.pth").write_bytes(b"")
    plan = Plan(load_profile(root / "configs" / "methods.yaml", {"methods": {"pcsr": {"folder": str(tmp_path)}}}))
    ids = {m for (b, m) in plan.method_models if b == "fsrcnn"}
    assert ids == {"pcsr_km25", "pcsr_k0", "pcsr_k0p5", "pcsr_k1", "pcsr_k2", "pcsr_adm", "pcsr_original"}
    evaluations = {str(p) for p in plan.evaluations()}
    for testset in ("embedded", "embedded_float"):
        assert str(plan.evaluation(testset, "carn", "pcsr_adm")) in evaluations
    assert plan.profile.data.test_sets[1].lr_bits == 16
    args = plan.perf_args()
    assert args.count("--method") == 14 and "pcsr_k1" in args
    (tmp_path / "carn-x4" / "iter_last.pth").unlink()
    with pytest.raises(FileNotFoundError, match="methods.pcsr.folder and methods.pcsr.baseline"):
        Plan(load_profile(root / "configs" / "methods.yaml", {"methods": {"pcsr": {"folder": str(tmp_path)}}}))


def test_a_16_bit_lr_test_set_is_the_float_bicubic_within_its_quantum(tmp_path):
    from bench.core.images import read_image
    from bench.core.resize import bicubic_degrade, imresize
    from bench.data.prepare import prepare_test
    from bench.profile import TestSetConfig

    pairs = prepare_test(TestSetConfig(name="f", source="embedded", lr_bits=16), 4, tmp_path)
    row = pairs.iloc[0]
    lr = read_image(tmp_path / "test" / "f" / row["lr"])
    hr = read_image(tmp_path / "test" / "f" / row["hr"])
    assert lr.dtype == np.uint16 and hr.dtype == np.uint8
    exact = imresize(hr.astype(np.float64), 1 / 4) / 255
    assert np.abs(lr / 65535 - np.clip(exact, 0, 1)).max() <= 0.5 / 65535 + 1e-12
    assert np.abs(lr / 65535 * 255 - bicubic_degrade(hr, 4)[1]).max() <= 0.5 + 1e-9  # uint8 LR: its rounding


def test_patch_mode_runs_pcsrs_32_28_patches_and_counts_their_pixels(tmp_path):
    """PCSR's own patch mode: each patch as PCSR's forward sees it alone (k rule, no refinement), rounded and
    overlap-averaged; classes per pixel of every patch; FLOPs per image = the patches run."""
    from bench.analysis.evaluate import evaluate
    from bench.core.inference import upscale
    from bench.core.resize import bicubic_degrade
    from bench.core.tiling import extract, make_grid
    from bench.data.sources import embedded

    model = tiny(k=0.0, refine=False, mode="patch")
    hr, lr = bicubic_degrade(embedded("test")[0].load()[:160, :240], 4)
    testset = one_image_testset(tmp_path / "data", hr, lr)
    x = torch.from_numpy(lr).permute(2, 0, 1).float() / 255
    sr, classes = upscale(model, x)
    grid = make_grid(40, 60)
    with torch.no_grad():
        first, heavy, _ = model.forward_image(extract(x, grid, 0, 1))
    assert len(grid) == 2 and classes.numel() == 2 * 16384 and torch.equal(classes[:16384], heavy.long())
    assert torch.equal(sr[:, :, :112], (torch.round(first.clamp(0, 1) * 255) / 255)[0, :, :, :112])  # no overlap
    row = evaluate(model, backbone="fsrcnn", model_id="pcsr_k0", testset=testset, batch_size=8).iloc[0]
    assert row.n_class0 + row.n_class1 == 2 * 16384
    assert row.flops_image == pytest.approx(sum(model.costs.image(32, 32, 4, int(n)) for n in
                                                (classes[:16384].sum(), classes[16384:].sum())), rel=1e-9)
    # the protocol matrix: patch mode is the grid inference; the whole-image pass is image mode's SR
    assert row.inference == "grid" and row.psnr_rgb_grid_db == row.psnr_rgb_db
    whole = tiny(k=0.0, refine=False, mode="image")
    whole.load_state_dict(model.state_dict())
    image_row = evaluate(whole, backbone="fsrcnn", model_id="pcsr_k0", testset=testset).iloc[0]
    assert image_row.inference == "whole" and image_row.psnr_rgb_whole_db == image_row.psnr_rgb_db
    assert row.psnr_rgb_whole_db == pytest.approx(image_row.psnr_rgb_db, abs=1e-9)
    assert image_row.psnr_rgb_grid_db == pytest.approx(row.psnr_rgb_db, abs=1e-9)


def test_pcsr_trains_its_two_phases_and_phase_1_loads_as_a_released_file(tmp_path, prepared):
    """pcsr0 trains encoder + heavy MLP; pcsr1 starts from it, freezes both (weights and BatchNorm statistics) and
    trains the light MLP and classifier with the heavy-fraction penalty; its model.pth is PCSR's file format."""
    import pandas as pd

    from bench.profile import load_profile
    from bench.train.run import resolve
    from bench.train.trainer import train

    raw, data = prepared
    stage = {"iterations": 2, "batch_size": 2, "periods": [2]}
    profile = load_profile(None, {**raw, "train": {**raw["train"], "stages": {"pcsr0": stage, "pcsr1": stage}}})
    cfg0 = resolve(profile, "pcsr0", "carn", data_dir=str(data))
    assert cfg0.widths == (52,) and cfg0.lr == 2e-4 and cfg0.betas == (0.9, 0.99)
    p0 = train(cfg0, tmp_path / "p0")
    cfg1 = resolve(profile, "pcsr1", "carn", data_dir=str(data), init=(str(p0),))
    assert (cfg1.l1_weight, cfg1.average_weight) == (1000.0, 3.0)
    p1 = train(cfg1, tmp_path / "p1")
    s0, s1 = (torch.load(p, weights_only=True)["model"]["sd"] for p in (p0, p1))
    frozen = [k for k in s0 if k.startswith(("encoder.", "heavy_sampler."))]
    learnt = [k for k in s0 if k.startswith(("light_sampler.", "classifier."))]
    assert any("running_mean" in k for k in frozen) and all(torch.equal(s0[k], s1[k]) for k in frozen)
    assert not all(torch.equal(s0[k], s1[k]) for k in learnt)
    model = load_pcsr(p1, backbone="carn")
    assert model.heavy_sampler.imnet.layers[0].out_features == 74
    log = pd.read_csv(tmp_path / "p1" / "train_log.csv")
    assert {"l1", "average_loss", "frac_heavy"} <= set(log.columns) and np.isfinite(log["loss"]).all()
    with pytest.raises(PCSRCheckpointError, match="not a PCSR phase-0 model"):
        train(resolve(profile, "pcsr1", "carn", data_dir=str(data), init=(str(p1),)), tmp_path / "bad")

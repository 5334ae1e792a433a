"""Tests that training can learn (ClassSR, Kong et al., CVPR 2021): aligned LR/HR training pairs, every backbone
over-fits one batch through the suite's loss, and stage 2 (§3.3, branches frozen) learns to route by difficulty.

Seeded and single-threaded (tiny tensors: thread hand-offs cost more than the work, and one thread gives the same
floats on every machine), so the values below are reproducible; no wall-clock assertion.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from skimage import data, io

from bench.data.prepare import prepare
from bench.data.subimages import SubImages
from bench.core.metrics import psnr
from bench.models import BACKBONES, build, export_official, load_official
from bench.profile import load_profile
from bench.core.resize import bicubic_degrade, imresize
from bench.train.run import RunConfig
from bench.train.schedule import CosineRestart
from bench.train.trainer import build_model, losses, train

SCALE = 4


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def to_batch(patches: np.ndarray) -> torch.Tensor:
    """(n, h, w, 3) uint8 → (n, 3, h, w) float in [0, 1], as the trainer's loader delivers."""
    return torch.from_numpy(np.ascontiguousarray(patches.transpose(0, 3, 1, 2))).float() / 255


def to_255(t: torch.Tensor) -> np.ndarray:
    """(3, h, w) float in [0, 1] → (h, w, 3) float64 on the 0–255 scale (exact for 8-bit data)."""
    return np.round(t.permute(1, 2, 0).double().numpy() * 255)


def interior(img: np.ndarray, m: int = 8, dy: int = 0, dx: int = 0) -> np.ndarray:
    """``img`` less an ``m``-px frame, optionally read (dy, dx) px off-centre."""
    h, w = img.shape[:2]
    return img[m + dy:h - m + dy, m + dx:w - m + dx]


# --- (a) data: LR/HR sub-images are aligned ------------------------------------------------------------------------


def test_prepared_subimages_are_aligned_lr_hr_pairs(tmp_path):
    """Per-sub-image bicubic ×4 scores exactly like the full-image bicubic on the same HR region (spec §4), and a
    pairing off by 1–3 HR px does not: the training pairs of the real preparation are aligned."""
    # 250×251 photograph: mod-crop to 248×248, LR 62×62 → sub-image starts 0, 16 and the edge-flush 30 per axis
    io.imsave(tmp_path / "astronaut.png", data.astronaut()[:250, 131:382], check_contrast=False)
    cfg = load_profile(None, {"data": {"source": "folder", "root": str(tmp_path), "aug_scales": [1.0],
                                       "test_sets": []}}).data
    out = prepare(cfg, tmp_path / "prep")
    index = pd.read_csv(out / "train" / "subimages.csv")
    assert sorted(set(index["x"])) == sorted(set(index["y"])) == [0, 16, 30] and len(index) == 9
    lr_full = np.load(out / "train" / "lr" / "astronaut_s1.npy")
    hr_full = np.load(out / "train" / "hr" / "astronaut_s1.npy").astype(np.float64)
    sr_full = imresize(lr_full, SCALE).astype(np.float64)  # 8-bit in → rounded 8-bit out, as bicubic_image
    lr_subs, hr_subs = SubImages(out, index, scale=SCALE).crop(np.arange(len(index)))  # the trainer's read path
    for i, (y, x) in enumerate(zip(index["y"], index["x"])):
        sr = imresize(to_255(lr_subs[i]).astype(np.uint8), SCALE).astype(np.float64)
        hr = to_255(hr_subs[i])
        region = np.s_[SCALE * y:SCALE * (y + 32), SCALE * x:SCALE * (x + 32)]
        # 8 HR px ≥ the 6 px the ×4 cubic kernel reaches into a patch's mirrored border
        ref = psnr(interior(sr_full[region]), interior(hr_full[region]), crop_border=0)
        assert abs(psnr(interior(sr), interior(hr), crop_border=0) - ref) <= 0.05, (y, x)
        assert 20 < ref < 45, (y, x)  # a real photograph's bicubic ×4 PSNR, not identical images (80 dB)
        for dy, dx in [(1, 0), (0, -1), (-3, 3)]:  # mis-paired by even 1 HR px: clearly worse
            shifted = psnr(interior(sr), interior(hr, dy=dy, dx=dx), crop_border=0)
            assert shifted < ref - 0.05, (y, x, dy, dx)


# --- (b) every backbone can fit one batch through the suite's loss -------------------------------------------------

#: Depth reductions for speed only; width 32 suits CARN's group-4 convs and RCAN's reduction 16.
DEPTH = {"srresnet": {"blocks": 1}, "rcan": {"groups": 1, "blocks": 1}}
FIT_WIDTH, FIT_STEPS, FIT_LR = 32, 800, 2e-3


def photo_batch(patch: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """4 LR patches of the astronaut photograph (MATLAB bicubic ×1/4) and their HR crops."""
    hr, lr = bicubic_degrade(data.astronaut(), SCALE)
    pos = [(10, 10), (20, 30), (35, 5), (40, 40)]
    lrs = np.stack([lr[y:y + patch, x:x + patch] for y, x in pos])
    hrs = np.stack([hr[SCALE * y:SCALE * (y + patch), SCALE * x:SCALE * (x + patch)] for y, x in pos])
    return to_batch(lrs), to_batch(hrs)


@pytest.mark.parametrize("backbone", BACKBONES)
def test_every_backbone_overfits_one_batch(backbone):
    """Adam on one fixed batch with the trainer's own model builder, loss and cosine schedule: the L1 falls ≥ 80 %.
    SRResNet starts near bilinear quality (its global bilinear skip), so its 80 % needs width 32 and 8×8 patches."""
    torch.manual_seed(0)
    cfg = RunConfig(stage="branch", backbone=backbone, widths=(FIT_WIDTH,), data_dir="unused", iterations=FIT_STEPS,
                    batch_size=4, lr=FIT_LR, eta_min=1e-6, periods=(FIT_STEPS,), model_kwargs=DEPTH.get(backbone),
                    device="cpu")
    model, (lr, hr) = build_model(cfg), photo_batch()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=tuple(cfg.betas))
    schedule = CosineRestart(cfg.lr, cfg.eta_min, cfg.periods)
    model.train()
    for t in range(1, FIT_STEPS + 1):
        for group in opt.param_groups:
            group["lr"] = schedule(t)
        l1 = losses(model, cfg, lr, hr)["l1"]
        if t == 1:
            initial = l1.item()
            native = getattr(model, "native_range", 1.0)  # RCAN: 255 — its L1 is on the 0–255 scale
            assert initial == pytest.approx(native * (model(lr) - hr).abs().mean().item(), rel=1e-4)
        opt.zero_grad()
        l1.backward()
        opt.step()
    model.eval()  # CARN's BatchNorm now uses its running statistics, as at inference
    with torch.no_grad():
        final = losses(model, cfg, lr, hr)["l1"].item()
    assert final <= 0.2 * initial, f"{backbone}: L1 {initial:.4g} → {final:.4g} ({1 - final / initial:.1%} drop)"


# --- (c) stage 2 learns to route -------------------------------------------------------------------------------

WIDTHS, SHIFT = (8, 16), 0.1  # class 0 = the narrow (cheap) branch, class 1 = the wide one


def flat_and_textured(rng: np.random.Generator, n: int) -> np.ndarray:
    """n flat 32×32 LR patches then n textured ones (strong noise), all on random mid-range base colours, so only
    texture — not colour — tells them apart (the paper's 'simple' vs 'hard' sub-images, §3.1)."""
    base = rng.integers(100, 156, (2 * n, 1, 1, 3))
    noise = rng.integers(-96, 97, (2 * n, 32, 32, 3)) * (np.arange(2 * n) >= n)[:, None, None, None]
    return (base + noise).astype(np.uint8)


def routing_folder(root, narrow, wide, n: int) -> None:
    """A prepared training folder (the layout of ``bench.data.prepare``) whose HR is exactly what the cheap branch
    makes of flat patches and what the wide branch makes of textured ones, clipped and rounded to 8 bits."""
    lr = flat_and_textured(np.random.default_rng(0), n)
    with torch.no_grad():
        x = to_batch(lr)
        sr = torch.cat([narrow(x[:n]), wide(x[n:])])
    hr = (sr.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    for kind, arr in (("lr", lr), ("hr", hr)):
        (root / "train" / kind).mkdir(parents=True)
        np.save(root / "train" / kind / "strip.npy", np.concatenate(list(arr), axis=1))  # patches side by side
    pd.DataFrame({"image": "strip", "y": 0, "x": 32 * np.arange(2 * n)}).to_csv(root / "train" / "subimages.csv",
                                                                                index=False)


def test_classsr_stage_learns_to_route_flat_patches_to_the_cheap_branch(tmp_path):
    """Stage 2 with the paper's losses (1000·L1 + 0.5·class + 3·average, §3.3) trains only the Class-Module and
    learns the routing the data rewards: flat → cheap branch, textured → wide branch, on fresh patches."""
    torch.manual_seed(0)
    narrow, wide = (build("srresnet", width=w, blocks=1).eval() for w in WIDTHS)
    with torch.no_grad():
        # random SRResNets are ≈ bilinear (0.1-scaled init): a constant tint makes the branches differ by a margin
        # that the trainer's flips/transposes keep (a random network alone is not flip-equivariant)
        wide.conv_last.bias += SHIFT
    init = []
    for k, branch in enumerate((narrow, wide)):
        init.append(str(tmp_path / f"branch{k}.pth"))
        torch.save(export_official(branch), init[-1])
    routing_folder(tmp_path / "data", narrow, wide, n=32)
    iters = 200
    cfg = RunConfig(stage="classsr", backbone="srresnet", widths=WIDTHS, data_dir=str(tmp_path / "data"),
                    iterations=iters, batch_size=16, lr=1e-3, eta_min=1e-7, periods=(iters,), l1_weight=1000.0,
                    class_weight=0.5, average_weight=3.0, model_kwargs={"blocks": 1}, init=tuple(init), device="cpu",
                    log_every=10, checkpoint_every=iters)
    model = load_official("classsr_srresnet", train(cfg, tmp_path / "run"))
    for k, branch in enumerate((narrow, wide)):  # the SR branches stayed frozen
        for key, value in branch.state_dict().items():
            assert torch.equal(model.branches[k].state_dict()[key], value), (k, key)
    log = pd.read_csv(tmp_path / "run" / "train_log.csv")
    assert log["l1"].iloc[0] > 0.03 and log["l1"].iloc[-1] < 0.005  # from ≈ SHIFT/2 (undecided) to ≈ quantisation
    fresh = to_batch(flat_and_textured(np.random.default_rng(1), 100))
    with torch.no_grad():
        _, classes = model.route(fresh)
    to_cheap, to_wide = (classes[:100] == 0).float().mean().item(), (classes[100:] == 1).float().mean().item()
    assert to_cheap >= 0.9 and to_wide >= 0.9, (to_cheap, to_wide)

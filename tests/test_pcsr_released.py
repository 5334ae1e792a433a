"""PCSR's released phase-1 networks against the parity anchors of pcsr.md §6 (PCSR's own code run on CPU): heavy
counts exactly, FLOPs to the unit, mean SR and listed SR pixels to 1e-5, for k = 0, 1, 2, −25 and ADM, refinement on
and off. Needs PCSR's ``save/`` folder (github.com/3587jjh/PCSR, never downloaded here):
``PCSR_CKPT_DIR=/path/to/PCSR/save pytest tests/test_pcsr_released.py``; skipped without it."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

CKPT = os.environ.get("PCSR_CKPT_DIR")
pytestmark = pytest.mark.skipif(not CKPT, reason="PCSR_CKPT_DIR (PCSR's released save/ folder) not set")

# (backbone, input, k, refine) -> (heavy pixels, FLOPs, mean SR, SR[:, 80, 80] or None, SR[:, 159, 159] or None,
# u8sum or None); pcsr.md §6
ANCHORS = {
    ("fsrcnn", "A", 0, True): (5510, 213_814_640, 0.460716, (.928122, .991906, .996664), (1.008296, .987170, .911785),
                               9_068_309),
    ("fsrcnn", "A", 0, False): (5510, 213_814_640, 0.466966, (.928122, .991906, .996664),
                                (1.008296, .987170, .911785), 9_191_299),
    ("fsrcnn", "A", 1, True): (778, 95_211_792, 0.461601, (.984941, 1.036667, 1.004054), (1.008296, .987170, .911785),
                               9_058_203),
    ("fsrcnn", "A", 2, True): (3, 75_787_192, 0.458781, None, (1.187232, 1.159839, 1.051463), 9_002_515),
    ("fsrcnn", "A", -25, True): (25600, 717_350_400, 0.483585, (.928122, .991906, .996664), None, 9_519_440),
    ("fsrcnn", "A", "adm", True): (8677, None, 0.459101, None, None, None),
    ("fsrcnn", "B", 0, True): (24396, 687_173_344, 0.490723, (.875547, .939198, .211045), (.300196, .119753, .202673),
                               9_600_233),
    ("fsrcnn", "B", 1, True): (15234, None, 0.488910, None, None, None),
    ("fsrcnn", "B", 2, True): (5122, None, 0.484641, None, None, None),
    ("fsrcnn", "B", "adm", True): (21318, None, 0.490319, None, None, None),
    ("carn", "A", 0, True): (16136, 1_489_661_408, 0.495456, (.934212, .987532, .969630), (.934518, .915682, .845226),
                             9_799_718),
    ("carn", "A", 0, False): (16136, 1_489_661_408, 0.495352, None, None, 9_797_656),
    ("carn", "A", 1, True): (12980, 1_370_907_440, 0.495306, None, None, 9_796_741),
    ("carn", "A", 2, True): (12636, None, 0.494969, None, None, None),
    ("carn", "A", -25, True): (25600, 1_845_772_800, 0.495574, None, (.935447, .931423, .857762), None),
    ("carn", "A", "adm", True): (12854, None, 0.495237, None, None, None),
    ("carn", "B", 0, True): (25563, 1_844_380_564, 0.489224, (.842901, .687851, .158951), None, 9_562_773),
    ("carn", "B", 1, True): (25453, None, 0.489247, None, None, None),
    ("carn", "B", 2, True): (25195, None, 0.489313, None, None, None),
    ("carn", "B", "adm", True): (25105, None, 0.489340, None, None, None),
}


def input_a() -> torch.Tensor:
    """pcsr.md §6 input A (1, 3, 40, 40): a smooth pattern with a ±0.15 checkerboard on its right half."""
    c, y, x = np.meshgrid(np.arange(3), np.arange(40), np.arange(40), indexing="ij")
    v = 0.5 + 0.25 * np.sin(0.2 * x + 0.5 * c) * np.cos(0.15 * y)
    v = v + np.where(x >= 20, np.where((x + y) % 2 == 0, 0.15, -0.15), 0.0)
    lr = torch.from_numpy(np.clip(v, 0, 1)[None]).float()
    assert abs(lr.sum().item() - 2390.86035) < 1e-3
    return lr


def input_b() -> torch.Tensor:
    torch.manual_seed(0)
    lr = torch.rand(1, 3, 40, 40)
    assert abs(lr.sum().item() - 2377.09277) < 1e-3
    return lr


@pytest.mark.parametrize("key", sorted(ANCHORS, key=str))
def test_released_pcsr_reproduces_the_parity_anchors(key):
    from bench.methods.pcsr.checkpoint import load_pcsr

    backbone, which, k, refine = key
    heavy_ref, flops_ref, mean_ref, centre, corner, u8_ref = ANCHORS[key]
    model = load_pcsr(Path(CKPT) / f"{backbone}-pcsr-phase1" / "iter_last.pth", backbone=backbone, k=k, refine=refine)
    torch.set_num_threads(1)  # the anchors were taken on one thread
    with torch.no_grad():
        sr, heavy, _ = model.forward_image(input_a() if which == "A" else input_b())
    n = int(heavy.sum())
    assert n == heavy_ref
    if flops_ref is not None:
        assert model.costs.image(40, 40, 4, n) == flops_ref
    assert abs(sr.mean().item() - mean_ref) < 1e-5
    for (y, x), ref in (((80, 80), centre), ((159, 159), corner)):
        if ref is not None:
            assert np.allclose(sr[0, :, y, x].numpy(), ref, atol=1e-5)
    if u8_ref is not None:  # pixels within ~1e-6 of a rounding boundary may land on either side
        assert abs(torch.round(sr.clamp(0, 1) * 255).sum().item() - u8_ref) <= 10


@pytest.mark.parametrize("backbone, ratio", [("fsrcnn", 10.1158), ("carn", 2.13637)])
def test_released_pcsr_cost_tables(backbone, ratio):
    from bench.methods.pcsr.checkpoint import load_pcsr

    model = load_pcsr(Path(CKPT) / f"{backbone}-pcsr-phase1" / "iter_last.pth")
    light, heavy = model.decision_costs().tolist()
    assert abs(heavy / light - ratio) < 1e-4


@pytest.mark.parametrize("backbone, params", [("fsrcnn", 24_515), ("carn", 294_915)])
def test_released_baselines_load_into_the_registry(backbone, params):
    from bench.methods.pcsr.checkpoint import load_pcsr_baseline

    net = load_pcsr_baseline(Path(CKPT) / f"{backbone}-x4" / "iter_last.pth", backbone=backbone)
    own = sum(p.numel() for n, p in net.named_parameters() if not n.startswith(("sub_mean", "add_mean")))
    assert own == params
    lr = input_a()
    sr = net(lr)
    assert sr.shape == (1, 3, 160, 160) and 0.3 < sr.mean().item() < 0.7  # a working ×4 network, not noise

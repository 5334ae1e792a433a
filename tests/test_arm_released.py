"""ARM's released supernets against the synthetic vector of arm.md §6 (the authors' code run on CPU): every forced
width's PSNR, mean and one SR pixel. Needs ARM's ``ckpt/arm-{fsrcnn,carn}.pth`` (from chenbong/ARM-Net, never
downloaded here): ``ARM_CKPT_DIR=/path/to/ckpt pytest tests/test_arm_released.py``; skipped without it."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

CKPT = os.environ.get("ARM_CKPT_DIR")
pytestmark = pytest.mark.skipif(not CKPT, reason="ARM_CKPT_DIR (ARM's released ckpt/ folder) not set")

# arm.md §6: forced width e = 1, 2, 3 → (PSNR dB, mean(SR) on 0–255, SR[5, 300] as RGB)
VECTOR = {
    "fsrcnn": [(27.1734, 125.64542, (123, 104, 114)), (26.9585, 125.48967, (125, 107, 118)),
               (26.9149, 125.49018, (124, 106, 116))],
    "carn": [(26.6628, 125.41915, (122, 106, 118)), (25.4021, 125.46268, (120, 97, 129)),
             (24.3199, 125.40585, (95, 88, 111))],
}


def synthetic_lr() -> np.ndarray:
    """The 60×88 LR image of arm.md §6 as RGB uint8 (the spec defines it in BGR channel order)."""
    y, x = np.mgrid[0:60, 0:88]
    bgr = np.zeros((60, 88, 3), np.int64)
    for c in range(3):
        amp = np.where(x < 34, 0, 10 * ((x - 34) // 9 + 1))
        h = (37 * x + 91 * y + 53 * c + (x * y % 17)) % 256
        base = np.where(x < 34, 90 + (x + y) // 3 + 20 * c, 128)
        bgr[..., c] = np.clip(base + (h % (2 * amp + 1)) - amp, 0, 255)
    assert bgr.sum() == 1_990_646 and bgr[0, 0].tolist() == [90, 110, 130]
    return bgr[..., ::-1].astype(np.uint8)


@pytest.mark.parametrize("name", sorted(VECTOR))
def test_released_supernets_reproduce_the_synthetic_vector(name):
    from bench.core.inference import upscale
    from bench.core.metrics import scores
    from bench.models import load_arm

    rgb = synthetic_lr().astype(np.float64)
    gt = np.repeat(np.repeat(rgb, 4, 0), 4, 1)  # GT = LR repeated 4×4
    lr = torch.from_numpy(rgb.transpose(2, 0, 1).copy()).float() / 255
    arm = load_arm(name, str(Path(CKPT) / f"arm-{name}.pth"))
    for width, (psnr, mean, pixel) in zip(arm.widths, VECTOR[name]):
        sr, _ = upscale(arm.subnet(width), lr)
        img = sr.numpy().transpose(1, 2, 0).astype(np.float64) * 255
        assert scores(img, gt, 4)["psnr_rgb_db"] == pytest.approx(psnr, abs=1e-4)
        assert img.mean() == pytest.approx(mean, abs=2e-5)
        assert np.rint(img[5, 300]).tolist() == list(pixel)


# arm.md §6: ARM's routing on the same vector, k → (counts [bic, w1, w2, w3], FLOPs M, PSNR dB)
ROUTED = {
    "fsrcnn": {0.5: ([2, 4, 0, 0], 94.1752, 27.1739), 0.75: ([2, 2, 2, 0], 148.6111, 27.0208),
               1.5: ([2, 0, 4, 0], 203.0469, 26.9585), 4: ([2, 0, 2, 2], 257.4828, 26.9424)},
    "carn": {1: ([2, 4, 0, 0], 253.4769, 26.6631), 1.36: ([2, 0, 2, 2], 642.1463, 24.5928),
             4: ([2, 0, 0, 4], 769.9169, 24.3199)},
}


@pytest.mark.parametrize("name", sorted(ROUTED))
def test_released_supernets_routed_by_eta_reproduce_the_synthetic_vector(name):
    from bench.arm.routing import eta
    from bench.core.inference import upscale
    from bench.core.metrics import scores
    from bench.models import load_arm

    rgb = synthetic_lr().astype(np.float64)
    gt = np.repeat(np.repeat(rgb, 4, 0), 4, 1)
    lr = torch.from_numpy(rgb.transpose(2, 0, 1).copy()).float() / 255
    arm = load_arm(name, str(Path(CKPT) / f"arm-{name}.pth"))
    costs = np.array(arm.costs())
    for k, (counts, mflops, psnr) in ROUTED[name].items():
        sr, classes = upscale(arm, lr, eta=eta(k, costs))
        n = np.bincount(classes.numpy(), minlength=4)
        assert n.tolist() == counts
        assert (n * costs).sum() / n.sum() / 1e6 == pytest.approx(mflops, abs=1e-4)
        img = sr.numpy().transpose(1, 2, 0).astype(np.float64) * 255
        assert scores(img, gt, 4)["psnr_rgb_db"] == pytest.approx(psnr, abs=1e-4)


@pytest.mark.parametrize("name", sorted(VECTOR))
def test_released_state_tables_equal_the_embedded_ones(name):
    from bench.arm.routing import read_table
    from bench.arm.tables import CENTRES, RELEASED

    table, centres, costs = read_table(Path(CKPT) / f"arm-{name}.state")
    np.testing.assert_allclose(table, RELEASED[name], atol=5e-7)
    np.testing.assert_allclose(centres, CENTRES, atol=1e-9)
    assert costs[0] == 0 and len(costs) == 4

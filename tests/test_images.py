"""Documented conversions to the models' input convention and clear errors for everything else."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import io

from bench.images import read_image, to_image, to_tensor


def test_uint8_and_uint16_scaling():
    img8 = np.full((4, 5, 3), 255, np.uint8)
    t = to_tensor(img8)
    assert t.shape == (3, 4, 5) and t.dtype == torch.float32 and torch.all(t == 1)
    img16 = np.full((4, 5, 3), 65535 // 2, np.uint16)
    assert to_tensor(img16)[0, 0, 0].item() == pytest.approx(0.5, abs=1e-4)


def test_gray_and_alpha_conversions():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    t = to_tensor(gray)
    assert t.shape == (3, 3, 4) and torch.equal(t[0], t[2])
    rgba = np.dstack([np.full((2, 2, 3), 10, np.uint8), np.zeros((2, 2), np.uint8)])
    assert torch.all(to_tensor(rgba) == 10 / 255)
    gray_alpha = np.dstack([np.full((2, 2), 51, np.uint8), np.full((2, 2), 255, np.uint8)])
    assert torch.all(to_tensor(gray_alpha) == 0.2)


@pytest.mark.parametrize("img,err,match", [
    (np.zeros((2, 2, 5), np.uint8), ValueError, "shape"),
    (np.zeros((2, 2, 3, 1), np.uint8), ValueError, "shape"),
    (np.full((2, 2, 3), 2.0), ValueError, r"\[0, 1\]"),
    (np.full((2, 2, 3), np.nan), ValueError, "NaN"),
    (np.zeros((2, 2, 3), np.int32), TypeError, "int32"),
])
def test_refused_images(img, err, match):
    with pytest.raises(err, match=match):
        to_tensor(img, name="probe.png")


def test_to_image_rounds_like_the_authors():
    t = torch.tensor([0.0, 0.5, 1.2, -0.1, 0.501960814]).view(1, 1, 5).repeat(3, 1, 1)
    assert to_image(t)[0, :, 0].tolist() == [0, 128, 255, 0, 128]


def test_read_image(tmp_path):
    path = tmp_path / "gray16.png"
    io.imsave(path, np.full((6, 7), 40000, np.uint16), check_contrast=False)
    img = read_image(path)
    assert img.shape == (6, 7, 3) and img.dtype == np.uint16
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(ValueError, match="broken.png"):
        read_image(tmp_path / "broken.png")
    with pytest.raises(FileNotFoundError, match="missing.png"):
        read_image(tmp_path / "missing.png")

"""Documented conversions to the models' input convention and clear errors for everything else."""
from __future__ import annotations

import imagecodecs
import numpy as np
import pandas as pd
import pytest
import tifffile
import torch
from PIL import Image, ImageOps
from skimage import io

from bench.data.prepare import prepare
from bench.data.subimages import SubImages
from bench.core.images import ImageError, read_image, to_image, to_tensor, write_image
from bench.profile import load_profile
from bench.core.resize import bicubic_degrade


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


def _photo(h=48, w=64, seed=0) -> np.ndarray:
    """A smooth colour image with some texture (JPEG keeps it within a few levels)."""
    yy, xx = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(seed)
    img = np.stack([xx * 255 / w, yy * 255 / h, 255 - (xx + yy) * 255 / (h + w)], axis=-1)
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def test_sixteen_bit_png_and_tiff_keep_all_16_bits(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 65536, (20, 24, 3), dtype=np.uint16)
    (tmp_path / "rgb16.png").write_bytes(imagecodecs.png_encode(rgb))
    tifffile.imwrite(tmp_path / "rgb16.tif", rgb)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 65535, np.uint16)])
    (tmp_path / "rgba16.png").write_bytes(imagecodecs.png_encode(rgba))
    for name in ("rgb16.png", "rgb16.tif", "rgba16.png"):
        img = read_image(tmp_path / name)
        assert img.dtype == np.uint16 and np.array_equal(img, rgb), name  # Pillow alone keeps the high byte only
    assert to_tensor(read_image(tmp_path / "rgb16.png"))[0, 0, 0].item() == pytest.approx(rgb[0, 0, 0] / 65535)


def test_cmyk_is_converted_not_read_as_rgb_plus_alpha(tmp_path):
    rgb = _photo()
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "print.jpg", quality=95)
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "print.tif")
    jpg, tif = read_image(tmp_path / "print.jpg"), read_image(tmp_path / "print.tif")
    assert np.array_equal(tif, rgb)
    assert np.abs(jpg.astype(int) - rgb).mean() < 3  # JPEG loss only; C, M, Y taken as R, G, B would be ~128 off
    assert np.corrcoef(jpg[..., 0].ravel(), rgb[..., 0].ravel())[0, 1] > 0.99


def test_palette_bilevel_and_gray16(tmp_path):
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[:4] = (200, 30, 10)
    Image.fromarray(rgb).quantize(colors=4).save(tmp_path / "pal.png")
    assert np.array_equal(read_image(tmp_path / "pal.png"), rgb)
    Image.fromarray(rgb[..., 0] > 100).save(tmp_path / "bw.png")
    assert set(np.unique(read_image(tmp_path / "bw.png"))) == {0, 255}
    gray = np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000
    Image.fromarray(gray).save(tmp_path / "g16.png")
    assert np.array_equal(read_image(tmp_path / "g16.png")[..., 2], gray)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_as_a_viewer_would(tmp_path, orientation):
    im = Image.fromarray(_photo(6, 10))
    exif = im.getexif()
    exif[0x0112] = orientation
    im.save(tmp_path / "o.png", exif=exif)  # lossless, so the comparison is exact
    with Image.open(tmp_path / "o.png") as saved:
        upright = np.asarray(ImageOps.exif_transpose(saved))
    assert np.array_equal(read_image(tmp_path / "o.png"), upright)


@pytest.mark.parametrize("content,match", [
    (b"", r"empty\.png: empty file \(0 bytes\)"),
    (b"hello, not an image", r"empty\.png: not an image file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", r"empty\.png: cannot decode image"),
])
def test_empty_and_non_image_files_are_named_with_the_cause(tmp_path, content, match):
    (tmp_path / "empty.png").write_bytes(content)
    with pytest.raises(ImageError, match=match):
        read_image(tmp_path / "empty.png")


def test_float_and_multiframe_files_are_refused_by_name(tmp_path):
    Image.fromarray(np.zeros((4, 4), np.float32)).save(tmp_path / "float.tif")
    with pytest.raises(ImageError, match=r"float\.tif: TIFF with \(32,\) bits per sample"):
        read_image(tmp_path / "float.tif")
    frames = [Image.fromarray(np.full((4, 4, 3), v, np.uint8)) for v in (0, 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(ImageError, match=r"anim\.gif: 2 frames"):
        read_image(tmp_path / "anim.gif")


def test_write_image_keeps_16_bits(tmp_path):
    img = np.random.default_rng(2).integers(0, 65536, (5, 6, 3), dtype=np.uint16)
    write_image(tmp_path / "w.png", img)
    assert np.array_equal(read_image(tmp_path / "w.png"), img)
    with pytest.raises(TypeError, match="float64"):
        write_image(tmp_path / "f.png", img.astype(float))


def test_sixteen_bit_test_set_is_prepared_at_16_bits(tmp_path):
    hr16 = _photo(160, 192).astype(np.uint16) * 257
    (tmp_path / "src").mkdir()
    tifffile.imwrite(tmp_path / "src" / "deep.tif", hr16)
    cfg = load_profile(None, {"data": {"source": "none", "test_sets": [
        {"name": "deep", "source": "folder", "root": str(tmp_path / "src")}]}}).data
    out = prepare(cfg, tmp_path / "out")
    pairs = pd.read_csv(out / "test" / "deep" / "pairs.csv")
    hr, lr = bicubic_degrade(hr16, 4)
    assert np.array_equal(read_image(out / "test" / "deep" / pairs.loc[0, "hr"]), hr)
    assert np.array_equal(read_image(out / "test" / "deep" / pairs.loc[0, "lr"]), lr) and lr.dtype == np.uint16


def test_mixed_bit_depths_are_scaled_per_image(tmp_path):
    img8 = _photo(128, 128)
    (tmp_path / "src").mkdir()
    Image.fromarray(img8).save(tmp_path / "src" / "a8.png")
    (tmp_path / "src" / "b16.png").write_bytes(imagecodecs.png_encode(img8.astype(np.uint16) * 257))
    cfg = load_profile(None, {"data": {"source": "folder", "root": str(tmp_path / "src"), "aug_scales": [1.0],
                                       "test_sets": []}}).data
    out = prepare(cfg, tmp_path / "out")
    index = pd.read_csv(out / "train" / "subimages.csv")
    subs = SubImages(out, index, scale=4)
    first = index.groupby("image").head(1).index.to_numpy()  # the same crop of the 8-bit and the 16-bit copy
    lr, hr = subs.crop(first)
    assert torch.allclose(lr[0], lr[1], atol=1 / 255) and torch.allclose(hr[0], hr[1], atol=1e-6)
    assert hr[0].mean() > 0.2  # an 8-bit crop divided by 65535 would be nearly black

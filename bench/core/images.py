"""Image files in and out, and the models' input convention: float RGB (3, H, W) in [0, 1].

Every image the suite reads (data sources, test sets, processed pairs, ``perf --image``) goes through
:func:`read_image`, whose contract is:

===============================================  ==========================================================
file                                             result (an (H, W, 3) array)
===============================================  ==========================================================
8-bit gray, gray+alpha, RGB, RGBA (any format)   uint8; gray replicated to RGB, alpha dropped
1-bit (bilevel)                                  uint8, 0 or 255
palette (P, PA)                                  uint8, the palette's RGB colours (transparency dropped)
CMYK (JPEG, TIFF)                                uint8 RGB = (255 − C)(255 − K)/255 per channel (Pillow's
                                                 conversion; Adobe's inverted CMYK JPEGs are undone by
                                                 Pillow). An embedded ICC profile is *not* applied: a warning
                                                 says the colours are approximate.
YCbCr                                            uint8 RGB (Pillow's conversion)
16-bit PNG (gray, gray+alpha, RGB, RGBA),        uint16 with all 16 bits (Pillow alone would drop the low
16-bit TIFF (gray, RGB), 16-bit gray (I;16)      byte of RGB PNG/TIFF, so these are decoded by imagecodecs
                                                 and tifffile); scaled by 1/65535 once, in :func:`to_unit`
EXIF orientation tag (any format)                applied: the pixels as a viewer shows them. LR and HR are
                                                 read by this one function, so a pair stays aligned.
anything else                                    refused, naming the file and the reason: empty file, not an
                                                 image, truncated data, 32-bit integer/float pixels, LAB/HSV,
                                                 multi-frame files (animations, multi-page TIFF)
===============================================  ==========================================================

Embedded ICC profiles of RGB images are not applied either, as in the authors' OpenCV reader: DIV2K/DIV8K are
sRGB PNGs. Bit depth is a per-image property: a data set may mix 8- and 16-bit files, and every crop is scaled by
its own image's maximum (:func:`to_unit`), never by the batch's dtype.

:func:`write_image` writes 8-bit PNG with Pillow and 16-bit PNG with imagecodecs, so prepared test sets keep a
16-bit source's precision.
"""
from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported where tensors are made: reading files needs none
    import torch

UNIT_MAX = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}  # full scale of each integer depth
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_ORIENTATION = 0x0112
_TIFF_BITS, _TIFF_PHOTOMETRIC = 258, 262
# Pillow mode → the mode converted to (None: the array is taken as it is)
_PIL_MODES = {"L": None, "LA": None, "RGB": None, "RGBA": None, "1": "L", "P": "RGB", "PA": "RGB",
              "CMYK": "RGB", "YCbCr": "RGB", "RGBX": "RGB", "RGBa": "RGB", "La": "L",
              "I;16": None, "I;16L": None, "I;16B": None, "I;16N": None}
# EXIF orientation → the array operation that shows the image upright (EXIF 2.3, tag 0x0112)
_ORIENT = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}


class ImageError(ValueError):
    """A file that cannot be read as an image under the documented contract."""


def to_rgb_array(img: np.ndarray, *, name: str = "image") -> np.ndarray:
    """(H, W, 3) RGB array of the input's dtype, after the documented gray/alpha conversions."""
    img = np.asarray(img)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"{name}: expected an (H, W), (H, W, 1|2|3|4) image, got shape {img.shape}")
    channels = img.shape[2]
    if channels in (1, 2):
        img = np.repeat(img[..., :1], 3, axis=2)
    return img[..., :3]


def to_unit(img: np.ndarray, *, name: str = "image") -> np.ndarray:
    """float32 copy in [0, 1]: 8-bit /255, 16-bit /65535 (the image's own depth), float checked to lie in [0, 1]."""
    if img.dtype in UNIT_MAX:
        return img.astype(np.float32) / np.float32(UNIT_MAX[img.dtype])
    if np.issubdtype(img.dtype, np.floating):
        if np.isnan(img).any():
            raise ValueError(f"{name}: float image contains NaN")
        if img.size and (img.min() < 0 or img.max() > 1):
            raise ValueError(f"{name}: float images must lie in [0, 1], got range [{img.min():.3g}, {img.max():.3g}]")
        return img.astype(np.float32)
    raise TypeError(f"{name}: unsupported pixel type {img.dtype}; use 8-bit, 16-bit or float in [0, 1]")


def to_tensor(img: np.ndarray, *, name: str = "image") -> torch.Tensor:
    """float32 tensor (3, H, W) in [0, 1] from an 8-bit, 16-bit or [0, 1] float image."""
    import torch

    out = to_unit(to_rgb_array(img, name=name), name=name)
    return torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1)))


def to_image(t: torch.Tensor) -> np.ndarray:
    """(3, H, W) tensor in [0, 1] → (H, W, 3) float64 on the 0–255 scale, clamped and rounded like the
    authors' ``tensor2img`` (numpy rounding, half to even)."""
    if t.dim() != 3 or t.shape[0] != 3:
        raise ValueError(f"expected a (3, H, W) tensor, got {tuple(t.shape)}")
    arr = t.detach().float().clamp(0, 1).cpu().numpy().transpose(1, 2, 0)
    return np.round(arr * np.float32(255.0)).astype(np.float64)  # float32 product, as the authors' code


def read_image(path) -> np.ndarray:
    """Read an image file as an (H, W, 3) uint8 or uint16 array under the module's contract; every error
    names the file and the cause."""
    from PIL import Image, UnidentifiedImageError

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"image not found: {path}")
    if os.path.getsize(path) == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    try:
        with Image.open(path) as im:
            orientation = _orientation(im, path)
            if getattr(im, "n_frames", 1) > 1:
                raise ImageError(f"{path}: {im.n_frames} frames/pages; expected a single image")
            img = _decode_16bit(im, path)
            img = _pil_array(im, path) if img is None else img
    except UnidentifiedImageError:
        with open(path, "rb") as f:
            head = f.read(16)
        raise ImageError(f"{path}: not an image file (no known image format; it starts with {head!r})") from None
    except (OSError, SyntaxError, ValueError, RuntimeError) as e:  # truncated or corrupt data, bad codec state
        if isinstance(e, ImageError):
            raise
        raise ImageError(f"{path}: cannot decode image ({type(e).__name__}: {e})") from None
    return np.ascontiguousarray(_ORIENT[orientation](to_rgb_array(img, name=path)))


def _orientation(im, path: str) -> int:
    value = im.getexif().get(_EXIF_ORIENTATION, 1)
    if value not in _ORIENT:
        warnings.warn(f"{path}: EXIF orientation {value!r} is not a valid value (1-8); ignored", stacklevel=3)
        return 1
    return value


def _decode_16bit(im, path: str) -> np.ndarray | None:
    """The full 16-bit samples of a 16-bit PNG or TIFF (None for every other file)."""
    if im.format == "PNG":
        with open(path, "rb") as f:
            head = f.read(26)
        if head[:8] != _PNG_SIGNATURE or head[24] != 16:  # IHDR bit depth
            return None
        import imagecodecs

        with open(path, "rb") as f:
            return imagecodecs.png_decode(f.read())
    if im.format == "TIFF":
        bits = im.tag_v2.get(_TIFF_BITS, (1,))
        bits = bits if isinstance(bits, tuple) else (bits,)
        if max(bits) <= 8:
            return None
        photometric = im.tag_v2.get(_TIFF_PHOTOMETRIC)
        if set(bits) != {16} or photometric not in (1, 2):  # 1 = MinIsBlack (gray), 2 = RGB
            raise ImageError(f"{path}: TIFF with {bits} bits per sample and photometric {photometric} is not "
                             "supported; use 8-bit, or 16-bit gray/RGB")
        import tifffile

        return tifffile.imread(path, key=0)
    return None


def _pil_array(im, path: str) -> np.ndarray:
    if im.mode not in _PIL_MODES:
        raise ImageError(f"{path}: pixel mode {im.mode!r} is not supported (32-bit integer/float, LAB, HSV); "
                         "convert it to 8- or 16-bit gray/RGB")
    if im.mode == "CMYK" and im.info.get("icc_profile"):
        warnings.warn(f"{path}: CMYK converted to RGB without its embedded ICC profile; colours are approximate",
                      stacklevel=3)
    target = _PIL_MODES[im.mode]
    img = np.asarray(im.convert(target) if target else im)
    return img.astype(np.uint16) if img.dtype.kind == "u" and img.dtype.itemsize == 2 else img  # I;16B → native


def write_image(path, img: np.ndarray) -> None:
    """Write an (H, W, 3) or (H, W) uint8/uint16 array as PNG (16-bit kept at 16 bits)."""
    path = os.fspath(path)
    if not path.lower().endswith(".png"):
        raise ValueError(f"{path}: write_image writes PNG only")
    if img.dtype == np.uint8:
        from PIL import Image

        Image.fromarray(np.ascontiguousarray(img)).save(path)
    elif img.dtype == np.uint16:
        import imagecodecs

        with open(path, "wb") as f:
            f.write(imagecodecs.png_encode(np.ascontiguousarray(img)))
    else:
        raise TypeError(f"{path}: cannot write pixel type {img.dtype}; expected uint8 or uint16")

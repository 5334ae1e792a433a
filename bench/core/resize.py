"""MATLAB-compatible bicubic ``imresize`` with antialiasing (the convention of DIV2K's LR images and of the ClassSR
authors' data scripts, spec §4).

No maintained package on PyPI is documented to match MATLAB here (PIL, ``skimage.transform.resize`` and plain
``F.interpolate`` do not; see the project's ecosystem notes), so this implements MATLAB's published algorithm:
for each output pixel x (1-based), u = x/s + ½(1 − 1/s); the cubic kernel (a = −0.5) is widened by 1/s when
downscaling (antialiasing); taps beyond the border are mirrored symmetrically; weights are normalised per output
pixel; output size = ceil(s · input size); the dimension with the smaller scale is resized first. 8-bit outputs
are rounded half up and clipped, as MATLAB does. Computation is float64, separable, one tap at a time so memory
stays at the size of the output.
"""
from __future__ import annotations

import math

import numpy as np


def cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2, ax3 = ax ** 2, ax ** 3
    return ((1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
            + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


def contributions(in_len: int, out_len: int, scale: float, antialias: bool = True):
    """(indices (out_len, P) 0-based, weights (out_len, P)) of MATLAB's ``contributions``."""
    width = 4.0
    kernel = cubic
    if scale < 1 and antialias:
        width = width / scale
        kernel = lambda x: scale * cubic(scale * x)  # noqa: E731
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = int(math.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]  # 1-based
    weights = kernel(u[:, None] - idx)
    weights /= weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])  # symmetric padding
    idx = mirror[np.mod(idx - 1, 2 * in_len).astype(np.int64)]
    keep = np.any(weights != 0, axis=0)
    return idx[:, keep], weights[:, keep]


def _resize_axis(img: np.ndarray, axis: int, out_len: int, scale: float) -> np.ndarray:
    idx, weights = contributions(img.shape[axis], out_len, scale)
    moved = np.moveaxis(img, axis, 0)
    out = np.zeros((out_len,) + moved.shape[1:], dtype=np.float64)
    shape = (out_len,) + (1,) * (moved.ndim - 1)
    for t in range(idx.shape[1]):
        out += weights[:, t].reshape(shape) * moved[idx[:, t]]
    return np.moveaxis(out, 0, axis)


def imresize(img: np.ndarray, scale: float, *, output_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Resize an (H, W) or (H, W, C) image by ``scale`` like MATLAB ``imresize(img, scale, 'bicubic')``.

    uint8 in → uint8 out (rounded half up, clipped); float in → float64 out (not clipped).
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    img = np.asarray(img)
    h, w = img.shape[:2]
    out_h, out_w = output_shape or (math.ceil(h * scale), math.ceil(w * scale))
    if (out_h, out_w) == (h, w) and scale == 1:
        return img.copy()
    out = img.astype(np.float64)
    # MATLAB resizes the dimension with the smaller scale first (rows on ties).
    order = (0, 1) if out_h / h <= out_w / w else (1, 0)
    for axis in order:
        out = _resize_axis(out, axis, (out_h, out_w)[axis], scale)
    if img.dtype == np.uint8:
        return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
    if img.dtype == np.uint16:
        return np.clip(np.floor(out + 0.5), 0, 65535).astype(np.uint16)
    return out


def mod_crop(img: np.ndarray, scale: int) -> np.ndarray:
    """Crop bottom/right so that height and width are multiples of ``scale`` (top-left anchored, as the authors)."""
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


def bicubic_degrade(hr: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """(mod-cropped HR, LR = MATLAB bicubic ×1/scale) — the degradation of DIV2K and ClassSR's test sets."""
    hr = mod_crop(hr, scale)
    return hr, imresize(hr, 1 / scale)

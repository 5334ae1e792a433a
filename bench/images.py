"""Reading images and converting them to the models' input convention: float RGB (3, H, W) in [0, 1].

Documented conversions (everything else is refused with an error naming the image):

* 8-bit → /255; 16-bit → /65535 (full 16-bit range, not rescaled to 8 bits first); float arrays must already
  lie in [0, 1].
* gray (H, W) or (H, W, 1) → the channel replicated to RGB; gray + alpha (H, W, 2) → gray → RGB.
* RGBA (H, W, 4) → the alpha channel is dropped (SR benchmarks are opaque photographs; compositing on a
  background would invent pixel values).
"""
from __future__ import annotations

import os

import numpy as np
import torch

_MAX = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


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


def to_tensor(img: np.ndarray, *, name: str = "image") -> torch.Tensor:
    """float32 tensor (3, H, W) in [0, 1] from an 8-bit, 16-bit or [0, 1] float image."""
    img = to_rgb_array(img, name=name)
    if img.dtype in _MAX:
        out = img.astype(np.float32) / _MAX[img.dtype]
    elif np.issubdtype(img.dtype, np.floating):
        if np.isnan(img).any():
            raise ValueError(f"{name}: float image contains NaN")
        if img.size and (img.min() < 0 or img.max() > 1):
            raise ValueError(f"{name}: float images must lie in [0, 1], got range [{img.min():.3g}, {img.max():.3g}]")
        out = img.astype(np.float32)
    else:
        raise TypeError(f"{name}: unsupported pixel type {img.dtype}; use 8-bit, 16-bit or float in [0, 1]")
    return torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1)))


def to_image(t: torch.Tensor) -> np.ndarray:
    """(3, H, W) tensor in [0, 1] → (H, W, 3) float64 on the 0–255 scale, clamped and rounded like the
    authors' ``tensor2img`` (numpy rounding, half to even)."""
    if t.dim() != 3 or t.shape[0] != 3:
        raise ValueError(f"expected a (3, H, W) tensor, got {tuple(t.shape)}")
    arr = t.detach().float().clamp(0, 1).cpu().numpy().transpose(1, 2, 0)
    return np.round(arr * np.float32(255.0)).astype(np.float64)  # float32 product, as the authors' code


def read_image(path) -> np.ndarray:
    """Read an image file as an (H, W, 3) array (8- or 16-bit); the path is named in every error."""
    from skimage import io  # imported here: reading files is not needed by the model code paths

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"image not found: {path}")
    try:
        img = io.imread(path)
    except Exception as e:  # imageio/PIL raise many types for corrupt or truncated files
        raise ValueError(f"{path}: cannot decode image ({type(e).__name__}: {e})") from None
    return to_rgb_array(img, name=path)

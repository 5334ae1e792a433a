"""Building blocks shared by the backbones (Kong et al., ClassSR, CVPR 2021; spec §1.1).

Every backbone maps float RGB in [0, 1], shape (N, 3, h, w), to (N, 3, s·h, s·w) with s = ``scale``.
"""
from __future__ import annotations

import os
import pickle
import re
import zipfile

import torch
from torch import nn

SCALES = (2, 3, 4)
#: DIV2K RGB mean used by EDSR/RCAN/CARN's MeanShift layers.
DIV2K_MEAN = (0.4488, 0.4371, 0.4040)


class MeanShift(nn.Conv2d):
    """1×1 convolution that adds (sign=+1) or subtracts (sign=-1) ``rgb_range``·mean.

    Its weight and bias are ordinary parameters, as in the authors' code (spec §8.5: their
    ``requires_grad=False`` is set on the module, not the parameters, so branch pretraining trained them).
    Loading an official checkpoint therefore always takes these tensors from the file.
    """

    def __init__(self, *, rgb_range: float, sign: int, mean=DIV2K_MEAN):
        super().__init__(3, 3, kernel_size=1)
        with torch.no_grad():
            self.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
            self.bias.copy_(sign * rgb_range * torch.tensor(mean))


def init_scaled_kaiming(modules, scale: float = 0.1) -> None:
    """The authors' ``initialize_weights``: Kaiming-normal (fan_in, a=0) × scale, zero bias.

    Applies to ``nn.Conv2d`` and ``nn.Linear`` instances only (exact type match is not required, but
    ``nn.ConvTranspose2d`` is not a ``Conv2d`` and keeps PyTorch's default init, spec §8.13). MeanShift
    layers are skipped because the authors build them after initialising the body.
    """
    for module in modules:
        for m in module.modules():
            if isinstance(m, MeanShift):
                continue
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, a=0, mode="fan_in")
                m.weight.data.mul_(scale)
                if m.bias is not None:
                    m.bias.data.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)


def check_scale(scale) -> int:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES} (an int), got {scale!r}")
    return scale


def check_width(width, *, name: str = "width", multiple_of: int = 1, minimum: int = 1) -> int:
    """Reject non-integer widths early: a float width would otherwise fail deep inside nn.Conv2d."""
    if isinstance(width, bool) or not isinstance(width, int):
        raise TypeError(f"{name} must be an int, got {type(width).__name__} {width!r}")
    if width < minimum or width % multiple_of:
        raise ValueError(f"{name} must be an int ≥ {minimum} divisible by {multiple_of}, got {width}")
    return width


def check_classes(classes, n: int, num_classes: int, device=None) -> torch.Tensor:
    """``classes`` as a tensor of n class ids in [0, num_classes − 1] on ``device``; a clear error otherwise."""
    classes = torch.as_tensor(classes, device=device)
    if classes.shape != (n,) or classes.is_floating_point():
        raise ValueError(f"classes must be an integer tensor of shape ({n},), got {tuple(classes.shape)} "
                         f"of dtype {classes.dtype}")
    if n and (int(classes.min()) < 0 or int(classes.max()) >= num_classes):
        raise ValueError(f"class ids must be in [0, {num_classes - 1}], got range "
                         f"[{int(classes.min())}, {int(classes.max())}]")
    return classes


def check_rgb_batch(x: torch.Tensor) -> None:
    """Models take (N, 3, h, w) floats; anything else is a caller bug we name rather than let conv fail."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"expected an RGB batch of shape (N, 3, h, w), got {shape}; convert gray/RGBA "
                         "images with bench.core.images.to_tensor first")
    if not x.is_floating_point():
        raise TypeError(f"expected a float tensor in [0, 1], got dtype {x.dtype}")


class CheckpointError(ValueError):
    """An official checkpoint that cannot be loaded exactly: wrong architecture, missing/extra/mis-shaped keys."""


def load_torch_file(path) -> object:
    """``torch.load(path, weights_only=True)`` on the CPU; every way a file can fail to load — missing, empty,
    truncated, not a torch file, pickled code — becomes an error naming the file and the cause."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a directory, not a checkpoint file (give the .pth file inside it)")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    size = os.path.getsize(path)
    if size == 0:
        raise CheckpointError(f"{path}: empty file (0 bytes)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        if found:
            raise CheckpointError(f"{path}: refused to load — it holds the pickled object {found.group(1)}, which is "
                                  "not a tensor (code could run on load; or the file is truncated). Re-save it as "
                                  "a plain state dict of tensors.") from None
        raise CheckpointError(f"{path}: {_unreadable_cause(path, size)} ({str(e)[:200]})") from None
    except Exception as e:  # torch raises OSError, RuntimeError, KeyError, EOFError… for damaged files
        raise CheckpointError(f"{path}: {_unreadable_cause(path, size)} ({type(e).__name__}: {str(e)[:200]})"
                              ) from None


def _unreadable_cause(path: str, size: int) -> str:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK"):
        if not zipfile.is_zipfile(path):
            return f"truncated or damaged: a zip archive without its directory ({size} bytes; download it again)"
        return "a zip archive that is not a PyTorch checkpoint, or a damaged one"
    if head[:1] == b"\x80":
        return f"a legacy (non-zip) torch file that cannot be read, possibly truncated ({size} bytes)"
    return f"not a PyTorch checkpoint (it starts with {head!r})"


def check_tensor_values(state: dict, expected: dict, arch: str) -> None:
    """Refuse tensors whose dtype class differs from the model's (e.g. int64 weights) or that hold NaN/inf."""
    kinds = [f"{k} ({v.dtype}, model {expected[k].dtype})" for k, v in state.items()
             if k in expected and v.is_floating_point() != expected[k].is_floating_point()]
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    problems = [f"{label} ({len(keys)}): {', '.join(keys[:8])}{', …' if len(keys) > 8 else ''}"
                for label, keys in (("wrong dtype", kinds), ("NaN or infinite values", bad)) if keys]
    if problems:
        raise CheckpointError(f"checkpoint of {arch} refused: " + "; ".join(problems))


def shape_of(state: dict, key: str, arch: str) -> tuple[int, ...]:
    """Shape of ``state[key]``; a missing key means the file is not a checkpoint of ``arch``."""
    if key not in state:
        some = ", ".join(list(state)[:4])
        raise CheckpointError(f"not a {arch} checkpoint: key {key!r} is missing (it has {len(state)} keys: {some}, …)")
    return tuple(state[key].shape)


def infer_scale(state: dict, first: str, second: str, width: int, arch: str) -> int:
    """×4 upsamplers have two ×2 stages; a single stage with 9·width channels is ×3, with 4·width ×2."""
    if second in state:
        return 4
    return 3 if shape_of(state, first, arch)[0] == 9 * width else 2


def count_indices(state: dict, prefix: str) -> int:
    """Number of distinct integer indices i in keys ``prefix + "{i}." + …`` (e.g. residual blocks)."""
    found = {k[len(prefix):].split(".", 1)[0] for k in state if k.startswith(prefix)}
    return len({i for i in found if i.isdigit()})

"""Import and export of the authors' released checkpoints (ClassSR, Kong et al., CVPR 2021; spec §2).

Official single-branch files (``<X>_branch{1,2,3}.pth``, the "-O" baselines) hold the network's state dict with
the keys of spec §2a; full ClassSR files hold ``classifier.*`` then ``net1.*`` … ``netM.*``. Both may carry a
``module.`` prefix (DataParallel). Our module names equal the authors' keys, except that ClassSR branches live in
``branches.{k}`` (a ModuleList, so any M works) where the authors have ``net{k+1}``.

Unlike the authors' test code (non-strict load, spec §8.8), loading here is strict: any missing, unexpected or
mis-shaped key is a :class:`CheckpointError` naming the keys. Files are read with ``weights_only=True``.
"""
from __future__ import annotations

import os
import re

import torch
from torch import nn

from .classsr import ClassSR
from .common import CheckpointError, check_tensor_values, load_torch_file
from .registry import BACKBONES, INFER_KWARGS, build

_NET_KEY = re.compile(r"^net(\d+)\.")
_BRANCH_KEY = re.compile(r"^branches\.(\d+)\.")


def read_state_dict(source) -> dict[str, torch.Tensor]:
    """A state dict from a path or a mapping; the ``module.`` prefix is stripped as the authors' loaders do."""
    origin = "state dict"
    if isinstance(source, (str, os.PathLike)):
        origin = os.fspath(source)
        source = load_torch_file(origin)
    if not isinstance(source, dict) or not all(isinstance(v, torch.Tensor) for v in source.values()):
        hint = ""
        if isinstance(source, dict) and {"params", "state_dict", "params_ema"} & set(source):
            hint = " — it looks like a wrapper; pass e.g. ckpt['params'] or ckpt['state_dict']"
        raise CheckpointError(f"{origin}: expected a flat state dict of tensors{hint}")
    return {(k[7:] if k.startswith("module.") else k): v for k, v in source.items()}


def load_official(name: str, source, **overrides) -> nn.Module:
    """Build ``name`` with hyper-parameters read off the checkpoint and load it strictly; returns it in eval mode.

    ``name`` is a backbone (``fsrcnn carn srresnet rcan``) or ``classsr_<backbone>``; ``source`` a path or a
    state dict. ``overrides`` fix constructor kwargs not visible in the tensors (FSRCNN's ``scale``, default 4).
    """
    state = read_state_dict(source)
    backbone = name.removeprefix("classsr_")
    if backbone not in BACKBONES or (name != backbone and f"classsr_{backbone}" != name):
        raise KeyError(f"no official format for {name!r}; known: "
                       f"{', '.join(BACKBONES + [f'classsr_{b}' for b in BACKBONES])}")
    kwargs = INFER_KWARGS[backbone](state) if name == backbone else _classsr_kwargs(backbone, state)
    if "scale" in overrides and kwargs.get("scale", overrides["scale"]) != overrides["scale"]:
        raise CheckpointError(f"{name}: the checkpoint's bicubic class is ×{kwargs['scale']}, asked ×{overrides['scale']}")
    model = build(name, **{**kwargs, **overrides})
    expected = _official_view(model)
    _check_keys(expected, state, name)
    check_tensor_values(state, expected, name)
    model.load_state_dict(_rename(state, _NET_KEY, "branches.{}.", -1) if isinstance(model, ClassSR) else state)
    return model.eval()


def _classsr_kwargs(backbone: str, state: dict) -> dict:
    # one class per branch: net1 … netM (the classifier's own keys depend on which classifier it is)
    found = sorted({int(m.group(1)) for m in map(_NET_KEY.match, state) if m})
    if not found or found != list(range(1, len(found) + 1)):
        raise CheckpointError(f"not a classsr_{backbone} checkpoint: expected branches net1 … netM, found "
                              f"{[f'net{k}' for k in found] or 'none'}")
    branches, bicubic = [], None
    for k in found:
        sub = {key[len(f"net{k}."):]: v for key, v in state.items() if key.startswith(f"net{k}.")}
        if k == 1 and set(sub) == {"bicubic_scale"}:  # the zero-cost bicubic class (bench/models/bicubic.py)
            bicubic = int(sub["bicubic_scale"])
            continue
        branches.append(INFER_KWARGS[backbone](sub))
    shared = {key: v for key, v in branches[0].items() if key != "width"}
    for k, kw in enumerate(branches[1:], start=2):
        if {key: v for key, v in kw.items() if key != "width"} != shared:
            raise CheckpointError(f"branches differ in more than width: {branches[0]} vs {kw}")
    widths = [kw["width"] for kw in branches]
    if bicubic is None:
        return {"widths": widths, **shared}
    return {"widths": [0] + widths, **shared, "scale": bicubic}


def _rename(state: dict, pattern: re.Pattern, template: str, shift: int) -> dict:
    def new(key):
        m = pattern.match(key)
        return template.format(int(m.group(1)) + shift) + key[m.end():] if m else key

    return {new(k): v for k, v in state.items()}


def _check_keys(expected: dict, state: dict, name: str) -> None:
    """Strict comparison in the authors' key names, so errors name keys as they appear in the file."""
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(v.shape)}"
              for k, v in expected.items() if k in state and state[k].shape != v.shape]
    problems = [f"{label} ({len(keys)}): {', '.join(keys[:8])}{', …' if len(keys) > 8 else ''}"
                for label, keys in (("missing keys", missing), ("unexpected keys", unexpected),
                                    ("shape mismatches", shapes)) if keys]
    if problems:
        raise CheckpointError(f"checkpoint does not match {name}: " + "; ".join(problems))


def _official_view(model: nn.Module) -> dict[str, torch.Tensor]:
    if isinstance(model, ClassSR):
        return _rename(model.state_dict(), _BRANCH_KEY, "net{}.", 1)
    if isinstance(model, nn.Module):  # backbones name their modules with the authors' keys
        return model.state_dict()
    raise TypeError(f"export_official needs a model, got {type(model).__name__}")


def export_official(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict in the authors' key format (CPU tensors), loadable by their code and by ``load_official``."""
    return {k: v.detach().cpu().clone() for k, v in _official_view(model).items()}

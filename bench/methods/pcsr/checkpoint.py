"""PCSR's released files (``save/`` of github.com/3587jjh/PCSR; pcsr.md §1.2): phase-1 models and plain ×4
baselines, read with ``weights_only=True`` (their tensors were saved on CUDA: mapped to the CPU) and loaded strictly.

A file is {model: {name, args, sd}, optimizer, lr_scheduler, iter}; ``args`` names the encoder and the MLP sizes,
which build the network here, so a foreign or malformed file is refused by name before any weight is copied.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ...models import build
from .model import PCSR

#: PCSR's encoder argument naming the width, per backbone (its ``models/*.py``).
WIDTH_ARG = {"fsrcnn": "d", "carn": "nf", "srresnet": "nf"}


class PCSRCheckpointError(ValueError):
    """A file that is not what ``load_pcsr`` / ``load_pcsr_baseline`` reads, with the file and the reason."""


def _read(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such PCSR checkpoint")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated files, pickles of classes, not a torch file at all
        raise PCSRCheckpointError(f"{path}: cannot be read as a torch checkpoint with weights_only=True "
                                  f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
    model = ckpt.get("model") if isinstance(ckpt, dict) else None
    if not isinstance(model, dict) or not {"name", "args", "sd"} <= set(model):
        raise PCSRCheckpointError(f"{path}: not a PCSR checkpoint (no model: {{name, args, sd}} entry; ClassSR's "
                                  "and ARM's files are plain state dicts)")
    return model


def _spec_hidden(args: dict, key: str, path) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in args[key]["args"]["imnet_spec"]["args"]["hidden_list"])
    except (KeyError, TypeError, ValueError):
        raise PCSRCheckpointError(f"{path}: model.args.{key} has no imnet_spec.args.hidden_list") from None


def load_pcsr(path: str | Path, *, backbone: str | None = None, scale: int = 4, k: float | str = 0.0,
              refine: bool = True, mode: str = "image") -> PCSR:
    """A released PCSR phase-1 model (``save/<backbone>-pcsr-phase1/iter_last.pth``) with knob ``k`` (or "adm"),
    refinement on or off and ``mode`` image or patch; ``backbone``, when given, must be the file's encoder."""
    model = _read(path)
    if model["name"] != "pcsr-phase1":
        raise PCSRCheckpointError(f"{path}: model.name is {model['name']!r}; load_pcsr reads PCSR's phase-1 models "
                                  "(pcsr-phase1); plain baselines: load_pcsr_baseline")
    args = model["args"]
    enc = args.get("encoder_spec", {}) if isinstance(args, dict) else {}
    name = enc.get("name")
    if name not in WIDTH_ARG:
        raise PCSRCheckpointError(f"{path}: encoder {name!r} is none of PCSR's ({', '.join(WIDTH_ARG)})")
    if backbone is not None and backbone != name:
        raise PCSRCheckpointError(f"{path}: a PCSR-{name} model, not PCSR-{backbone}")
    depth = {"blocks": int(enc["args"]["nb"])} if name == "srresnet" and "nb" in enc.get("args", {}) else {}
    net = PCSR(backbone=name, scale=scale, k=k, refine=refine, mode=mode, width=int(enc["args"][WIDTH_ARG[name]]),
               heavy=_spec_hidden(args, "heavy_sampler_spec", path), light=_spec_hidden(args, "light_sampler_spec", path),
               classifier=_spec_hidden(args, "classifier_spec", path), **depth)
    _load_strict(net, model["sd"], path)
    return net.eval()


def load_pcsr_baseline(path: str | Path, *, backbone: str | None = None, scale: int = 4) -> nn.Module:
    """A released plain ×4 network of PCSR (``save/<backbone>-x4``) as the registry's backbone. CARN's file has no
    MeanShift (PCSR's pipeline subtracts and adds the mean outside the network): the registry's CARN keeps its
    MeanShifts at the same constants, which is that pipeline."""
    model = _read(path)
    name = model["name"]
    if name not in WIDTH_ARG:
        raise PCSRCheckpointError(f"{path}: model.name {name!r} is not one of PCSR's baselines ({', '.join(WIDTH_ARG)})")
    if backbone is not None and backbone != name:
        raise PCSRCheckpointError(f"{path}: PCSR's {name} baseline, not {backbone}")
    args = model["args"]
    if args.get("no_upsampling"):
        raise PCSRCheckpointError(f"{path}: an encoder without upsampler, not a ×4 baseline")
    file_scale = int(args.get("upscale", args.get("scale", scale)))
    if file_scale != scale:
        raise PCSRCheckpointError(f"{path}: a ×{file_scale} network, asked for ×{scale}")
    net = build(name, width=int(args[WIDTH_ARG[name]]), scale=scale)
    state = dict(model["sd"])
    if name == "carn":
        state.update({k: v for k, v in net.state_dict().items() if k.startswith(("sub_mean.", "add_mean."))})
    _load_strict(net, state, path)
    return net.eval()


def _load_strict(net: nn.Module, state, path) -> None:
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise PCSRCheckpointError(f"{path}: model.sd is not a state dict of tensors")
    own = net.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    wrong = [k for k in set(own) & set(state) if own[k].shape != state[k].shape]
    if missing or unexpected or wrong:
        raise PCSRCheckpointError(f"{path}: keys do not match the network its args describe — missing "
                                  f"{missing[:4]}, unexpected {unexpected[:4]}, wrong shape {sorted(wrong)[:4]}")
    net.load_state_dict(state, strict=True)


def _hidden(mlp: nn.Module) -> list[int]:
    return [m.out_features for m in mlp.modules() if isinstance(m, nn.Linear)][:-1]


def to_released(model: PCSR, name: str = "pcsr-phase1") -> dict:
    """A model in PCSR's file format ({model: {name, args, sd}}), which ``load_pcsr`` reads (phase 1) and
    ``read_phase0`` (phase 0)."""
    enc_args = {WIDTH_ARG[model.backbone]: model.encoder.width, "no_upsampling": True}
    if model.backbone == "srresnet":
        enc_args["nb"] = model.encoder.blocks
    spec = lambda mlp: {"name": "liif-sampler", "args": {"imnet_spec": {"name": "mlp", "args": {
        "hidden_list": _hidden(mlp)}}}}
    args = {"encoder_spec": {"name": model.backbone, "args": enc_args},
            "heavy_sampler_spec": spec(model.heavy_sampler), "light_sampler_spec": spec(model.light_sampler),
            "classifier_spec": spec(model.classifier)}
    return {"model": {"name": name, "args": args, "sd": {k: v.detach().cpu() for k, v in model.state_dict().items()}}}


def read_phase0(path: str | Path) -> dict[str, torch.Tensor]:
    """The encoder and heavy-MLP weights of a phase-0 file (what phase 1 starts from)."""
    model = _read(path)
    if model["name"] != "pcsr-phase0":
        raise PCSRCheckpointError(f"{path}: model.name is {model['name']!r}, not a PCSR phase-0 model")
    state = model["sd"]
    if not any(k.startswith("encoder.") for k in state) or not any(k.startswith("heavy_sampler.") for k in state):
        raise PCSRCheckpointError(f"{path}: a phase-0 model needs encoder.* and heavy_sampler.* weights")
    return state

"""PCSR (Jeong, Kim, Jo, Kim, ECCV 2024; ``../shared/spec/pcsr.md``): pixel-level routing between a light and a
heavy MLP upsampler over a conv encoder, registered as the method ``pcsr``.

A profile evaluates PCSR's released phase-1 networks with ``methods: {pcsr: {folder: <PCSR's save/>}}``: one model
per backbone and knob (``pcsr_k0``, ``pcsr_k1``, ``pcsr_adm`` …) under the suite's protocol; without a folder its
two phases are trained here (``training.py``, stages of the one trainer). Torch is imported by ``load`` and
``perf_model`` only (planning stays torch-free).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .. import Method, MethodModel, MethodRun, ProtocolCell, register_method
from ...fetch import resolve_folder

#: The backbones PCSR released phase-1 networks for (its SRResNet files are absent, pcsr.md §1.2).
RELEASED = ("fsrcnn", "carn")


@dataclass(frozen=True)
class PCSRConfig:
    """PCSR's section of a profile (``methods.pcsr``)."""

    folder: str = ""
    """PCSR's save/ folder (github.com/3587jjh/PCSR), or the key pcsr-save: those files fetched into the cache
    (bench.fetch). Empty: PCSR is
    trained here, its two phases as stages pcsr0 and pcsr1 (train.stages.pcsr0/pcsr1 override PCSR's recipe)."""
    checkpoint: str = "{name}-pcsr-phase1/iter_last.pth"
    """File of a backbone's phase-1 model under folder ({name}: fsrcnn, carn)."""
    backbones: tuple[str, ...] = RELEASED
    """Backbones to evaluate."""
    knobs: tuple[float | str, ...] = (0.0, 1.0, 2.0, "adm")
    """PCSR's k (0 = argmax, > 0 towards light, < 0 towards heavy) or adm (its two-means decision)."""
    refine: bool = True
    """PCSR's 3×3 refinement of light pixels next to heavy ones (on in PCSR's test script)."""
    mode: Literal["image", "patch"] = "image"
    """image: the whole LR at once (PCSR's --per_image, its README's command); patch: its 32×32 patches at step 28
    in batches of 96, overlaps averaged."""
    baseline: str = "{name}-x4/iter_last.pth"
    """File of PCSR's own plain ×4 network under folder (model pcsr_original: the -O of PCSR's provenance, a
    separate 2M-iteration training); empty = none."""

    def __post_init__(self):
        object.__setattr__(self, "folder", resolve_folder(self.folder) or "")  # a fetch key names its cache folder
        for k in self.knobs:
            if isinstance(k, bool) or (isinstance(k, str) and k.lower() != "adm"):
                raise ValueError(f"knobs: {k!r} is neither a number k nor adm")


def knob_label(k) -> str:
    """A model id's knob part: k0, k0p5, km25, adm (ids are [A-Za-z0-9_])."""
    if isinstance(k, str):
        return "adm"
    return "k" + f"{float(k):g}".replace("-", "m").replace(".", "p")


def runs(plan, cfg: PCSRConfig) -> list[MethodRun]:
    """Phase 0 then phase 1 per backbone when no released folder is given (pcsr.md §5.2)."""
    if cfg.folder:
        return []
    out = []
    for backbone in cfg.backbones:
        phase0 = plan.method_model(backbone, "pcsr", "pcsr0")
        out += [MethodRun("pcsr", backbone, "pcsr0", plan.method_run_config("pcsr0", backbone)),
                MethodRun("pcsr", backbone, "pcsr1", plan.method_run_config("pcsr1", backbone, init=(str(phase0),)))]
    return out


def models(plan, cfg: PCSRConfig) -> list[MethodModel]:
    out = []
    for backbone in cfg.backbones:
        released = bool(cfg.folder)
        path = (_released(plan, cfg.folder, cfg.checkpoint, backbone, "checkpoint") if released
                else plan.method_model(backbone, "pcsr", "pcsr1"))
        # latency from the released weights (their routing); a trained file is not an input of the perf job
        extra = {"checkpoint": str(path)} if released else {}
        out += [MethodModel(method="pcsr", backbone=backbone, id=f"pcsr_{knob_label(k)}", inputs=(str(path),),
                            options={"k": k, "refine": cfg.refine, "mode": cfg.mode, **extra})
                for k in cfg.knobs]
        if cfg.baseline and released:
            base = _released(plan, cfg.folder, cfg.baseline, backbone, "baseline")
            out.append(MethodModel(method="pcsr", backbone=backbone, id="pcsr_original", inputs=(str(base),),
                                   options={"baseline": True}))
    return out


def _released(plan, folder: str, template: str, backbone: str, key: str) -> Path:
    path = Path(folder) / template.format(name=backbone)
    return plan.released_file(path, f"{path} not found (config keys methods.pcsr.folder and methods.pcsr.{key}); "
                              "PCSR's networks are in the save/ folder of github.com/3587jjh/PCSR (or set "
                              "methods.pcsr.folder: pcsr-save to fetch them: python -m bench fetch --list)")


def load(inputs, *, backbone: str, scale: int, k=0.0, refine: bool = True, mode: str = "image",
         baseline: bool = False, checkpoint=""):
    """PCSR's phase-1 model at knob k, or (``baseline``) its plain ×4 network, whose rows say method pcsr
    (``checkpoint``: the same file as ``inputs``, kept in the options for the latency benchmark)."""
    from .checkpoint import load_pcsr, load_pcsr_baseline

    if len(inputs) != 1:
        raise ValueError(f"PCSR loads one checkpoint, got {len(inputs)}")
    if baseline:
        net = load_pcsr_baseline(inputs[0], backbone=backbone, scale=scale)
        net.method = "pcsr"  # a plain network of PCSR's provenance: the variant column of its rows
        return net
    return load_pcsr(inputs[0], backbone=backbone, scale=scale, k=k, refine=refine, mode=mode)


def perf_model(*, backbone: str, scale: int, depth: dict, k=0.0, refine: bool = True, mode: str = "image",
               baseline: bool = False, checkpoint: str = ""):
    """PCSR's phase-1 network of ``backbone`` at knob k: the released one (its routing, so its heavy fraction, is
    what latency follows), else PCSR's configuration with seeded random weights (the caller seeds; an arbitrary
    heavy fraction). None for the baseline: the same architecture as the suite's -O, which perf times."""
    from .checkpoint import load_pcsr
    from .model import PCSR

    if baseline:
        return None
    if checkpoint:
        return load_pcsr(checkpoint, backbone=backbone, scale=scale, k=k, refine=refine, mode=mode)
    return PCSR(backbone=backbone, scale=scale, k=k, refine=refine, mode=mode, **depth)


register_method(Method(name="pcsr", config=PCSRConfig, models=models, load=load, perf_model=perf_model,
                       routing_cache=False, runs=runs,
                       # test_pcsr.py --per_image: float LR, whole image, RGB, `scale` px shaved (pcsr.md §4)
                       published_cell=ProtocolCell("rgb", "scale", "whole", 16, "PCSR, Jeong et al. 2024: "
                                                   "test_pcsr.py --per_image, float LR, pcsr.md §4"),
                       description="PCSR (ECCV 2024): per-pixel light/heavy MLP upsamplers"))

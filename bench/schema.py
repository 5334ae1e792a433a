"""JSON schema of the workflow config, generated from the profile dataclasses (one source of truth).

Every key gets its type, default and a description; every object rejects unknown keys. The committed
``workflow/schemas/config.schema.yaml`` is this output (``python -m bench schema --out …``; a test keeps them equal).
"""
from __future__ import annotations

import dataclasses
import types
import typing

from .config import ConfigError, to_dict
from .profile import Profile

DOCS = {
    "Profile.name": "Profile name; outputs go to results/<name>/ and logs/<name>/.",
    "Profile.data": "Training HR source, degradation and test sets (spec §4).",
    "Profile.split": "Class split of the training sub-images by reference-network PSNR.",
    "Profile.train": "Training stages; every value not set is the paper's recipe (spec §3.2).",
    "Profile.ablations": "ClassSR variants, each a run id with overridden settings (spec §7).",
    "Profile.evaluate": "Evaluation settings.",
    "Profile.official": "Evaluate the authors' released checkpoints instead of training.",
    "Profile.perf": "Latency benchmark of the perf target (wall time next to FLOPs).",
    "PerfConfig.backbones": "Backbones to time (paper widths, random seeded weights); null = train.backbones.",
    "PerfConfig.image": "LR image to super-resolve; null = the embedded 'rocket' photograph.",
    "PerfConfig.crop": "Crop the LR image to HxW pixels (top-left), e.g. 200x300; null = whole image.",
    "PerfConfig.size": "Mirror-tile the LR image to HxW pixels, e.g. 1080x1920 (8K output at x4).",
    "PerfConfig.modes": "per_patch (the authors' loop), batched (this suite's engine), whole (original, no tiling).",
    "PerfConfig.mixes": "ClassSR routing: real (its classifier), simple, hard, mix (forced 50/20/30 %).",
    "PerfConfig.repeats": "Timed runs per case (interleaved); the median is reported.",
    "PerfConfig.warmup": "Untimed runs per case first.",
    "PerfConfig.batch_size": "Patches per forward pass, or auto (measured per branch).",
    "PerfConfig.layout": "Memory layout of the batched engine: channels_last (default) or contiguous.",
    "PerfConfig.device": "auto (CUDA when present), cpu, or cuda[:N].",
    "PerfConfig.depth": "Per-backbone depth overrides (srresnet: blocks; rcan: groups, blocks); empty = the paper's.",
    "PerfDepth.blocks": "Residual blocks (SRResNet 16, RCAN 20 per group).",
    "PerfDepth.groups": "RCAN residual groups (paper 10).",
    "DataConfig.source": "Training HR images: embedded (offline default), folder, div2k, or none (evaluation only).",
    "DataConfig.root": "Folder of the training source (folder: the images; div2k: holds DIV2K_train_HR/).",
    "DataConfig.scale": "SR scale factor (the paper: 4).",
    "DataConfig.aug_scales": "Rescaling factors of the training HR images (MATLAB bicubic), paper {1, .9, .8, .7, .6}.",
    "DataConfig.lr_patch": "LR sub-image side in pixels (paper 32).",
    "DataConfig.lr_step": "LR sub-image step in pixels (paper 16).",
    "DataConfig.lr_thresh": "Add an edge-flush sub-image when the uncovered remainder exceeds this (paper 12).",
    "DataConfig.test_sets": "Test sets evaluated by the workflow.",
    "DataConfig.jobs": "Processes used to prepare the training images.",
    "TestSetConfig.name": "Test-set name (folder and table label), e.g. test2k.",
    "TestSetConfig.source": "embedded, folder, div2k (0801-0900), div8k (first-last) or processed (HR/X4, LR/X4).",
    "TestSetConfig.root": "Folder of the source (not needed for embedded).",
    "TestSetConfig.first": "First DIV8K index (div8k only), e.g. 1201.",
    "TestSetConfig.last": "Last DIV8K index (div8k only), e.g. 1300.",
    "TestSetConfig.downscale": "MATLAB-bicubic factor applied to the HR first (Test2K 0.25, Test4K 0.5, Test8K 1).",
    "SplitConfig.num_classes": "Number of classes M (= branches).",
    "SplitConfig.thresholds": "paper (27.16882/35.149761 dB), quantile, auto (paper on DIV2K) or M-1 ascending dB.",
    "SplitConfig.reference_checkpoint": "MSRResNet checkpoint (authors' format) to split with; null = train stage 0.",
    "SplitConfig.batch_size": "Sub-images per forward pass of the reference network.",
    "TrainConfig.seed": "Random seed (the authors': 10).",
    "TrainConfig.device": "auto (CUDA when present), cpu, or cuda[:N].",
    "TrainConfig.amp": "bfloat16 mixed precision on CUDA.",
    "TrainConfig.compile": "torch.compile the networks.",
    "TrainConfig.channels_last": "Train in the channels-last memory layout (NHWC): on CPU 1.2-2x the samples/s of "
                                 "the default layout for these networks; same maths, rounding-level differences.",
    "TrainConfig.loader_workers": "Batch-building processes (0 = in the training process).",
    "TrainConfig.log_every": "Iterations between train_log.csv rows.",
    "TrainConfig.checkpoint_every": "Iterations between resumable checkpoints.",
    "TrainConfig.snapshot_every": ("Iterations between kept weights of every -O network (snapshots/, also at "
                                   "iteration 0), evaluated into its learning curve against bicubic; 0 = none."),
    "TrainConfig.joint": "Run stage 3, joint fine-tuning of classifier and branches.",
    "TrainConfig.branch_data": "Pretrain branch k on class-k data (paper) or on all data (ablation).",
    "TrainConfig.reference": "The reference MSRResNet of the class split (paper: width 64, 16 blocks).",
    "TrainConfig.backbones": "Backbones to run, with their branch widths and depth (demo reductions).",
    "TrainConfig.stages": "Overrides of the paper recipe per stage (reference, branch, baseline, classsr, joint).",
    "BackboneConfig.widths": "Branch widths, simple to hard; the last is the original (-O) network.",
    "BackboneConfig.blocks": "Residual blocks (SRResNet 16, RCAN 20 per group); fewer = demo reduction.",
    "BackboneConfig.groups": "RCAN residual groups (paper 10); fewer = demo reduction.",
    "BackboneConfig.classifier": "Registry name of the ClassSR classifier (null = the paper's Class-Module); "
                                 "a new classifier is one model file plus this line.",
    "BackboneConfig.stages": "Per-backbone overrides of the stage recipes, applied over train.stages.",
    "StageConfig.iterations": "Training iterations.",
    "StageConfig.batch_size": "Sub-images per iteration.",
    "StageConfig.lr": "Initial learning rate (Adam).",
    "StageConfig.eta_min": "Minimum learning rate of the cosine schedule.",
    "StageConfig.periods": "Cosine periods (iterations).",
    "StageConfig.restarts": "Iterations at which the cosine schedule restarts.",
    "StageConfig.restart_weights": "Learning-rate multiplier at each restart.",
    "StageConfig.l1_weight": "Weight of the L1 image loss (ClassSR: 1000; RCAN 4 on 0-255).",
    "StageConfig.class_weight": "Weight of the Class-Loss (paper 0.5; 0 = off).",
    "StageConfig.average_weight": "Weight of the Average-Loss (paper 3; 0 = off).",
    "AblationConfig.id": "Run id of the variant (tables and folders).",
    "AblationConfig.backbone": "Backbone of the variant.",
    "AblationConfig.set": "Any train.* key, dotted, with its value for this variant, e.g. "
                          "{train.stages.classsr.lr: 1e-4}: a new ablation axis is a config line.",
    "AblationConfig.widths": "Branch widths (their number sets the number of classes).",
    "AblationConfig.class_weight": "Class-Loss weight of the variant (0 = off).",
    "AblationConfig.average_weight": "Average-Loss weight of the variant (0 = off).",
    "AblationConfig.joint": "Joint fine-tuning for this variant.",
    "AblationConfig.branch_data": "Branch pretraining data of this variant: class or all.",
    "EvalConfig.batch_size": "Patches per forward pass during evaluation.",
    "EvalConfig.coverage": "paper (the authors' grid, remainder dropped) or full (edge-flush patches).",
    "OfficialConfig.folder": "Folder of the authors' .pth files; set = evaluate them instead of training.",
    "OfficialConfig.classsr": "File name of a ClassSR checkpoint; {name} = FSRCNN, CARN, SRResNet or RCAN.",
    "OfficialConfig.original": "File name of an original (-O) checkpoint; {name} as above.",
}
_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean"}


def type_schema(hint) -> dict:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [type_schema(a) for a in args if a is not type(None)]
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        if type(None) in args:
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is tuple:
        return {"type": "array", "items": type_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": type_schema(args[1])}
    if dataclasses.is_dataclass(hint):
        return object_schema(hint)
    if hint is typing.Any:
        return {}
    return {"type": _SCALARS[hint]}


def object_schema(cls) -> dict:
    hints = typing.get_type_hints(cls)
    props, required = {}, []
    for f in dataclasses.fields(cls):
        key = f"{cls.__name__}.{f.name}"
        if key not in DOCS:
            raise KeyError(f"config key {key} has no description in bench.schema.DOCS")
        prop = {**type_schema(hints[f.name]), "description": DOCS[key]}
        if f.default is not dataclasses.MISSING:
            prop["default"] = to_dict(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            prop["default"] = to_dict(f.default_factory())
        else:
            required.append(f.name)
        props[f.name] = prop
    schema = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        schema["required"] = required
    return schema


def config_schema() -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "description": "classsr-bench workflow profile (generated from bench.profile by `python -m bench "
                           "schema`; do not edit by hand)", **object_schema(Profile)}


def check_config(config: dict) -> None:
    """Validate a workflow config against :func:`config_schema`; the first error becomes one ConfigError line
    naming the dotted key, the problem and the key's description (Snakemake's own validation would print the
    whole schema after the message)."""
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(config_schema()).iter_errors(config),
                    key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if not errors:
        return
    e = jsonschema.exceptions.best_match(errors)
    key = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in e.absolute_path).replace(".[", "[")
    described = e.schema.get("description") if isinstance(e.schema, dict) else None
    more = f" ({len(errors) - 1} more problem(s) after fixing it)" if len(errors) > 1 else ""
    raise ConfigError(f"config key {key or '(top level)'}: {e.message}"
                      + (f" — {described}" if described else "") + more)

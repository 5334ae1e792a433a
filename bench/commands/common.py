"""Arguments shared by several verbs: the profile and where its data and runs live."""
from __future__ import annotations

import argparse
import json
import os

import yaml

from ..config import merge, nested
from ..profile import Profile, load_profile


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="configs/default.yaml",
                        help="profile YAML (default: configs/default.yaml, the embedded demo)")
    parser.add_argument("--profile-json", help="the profile as JSON instead of --config (used by the workflow)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a profile value, e.g. --set train.stages.branch.iterations=50 (repeatable)")
    parser.add_argument("--root", help="results folder of the profile (default: results/<profile name>)")
    parser.add_argument("--data", help="prepared data folder (default: <root>/data)")
    parser.add_argument("--runs", help="training runs folder (default: <root>/runs)")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """The test set and the inference-engine settings shared by evaluate, curve and routing."""
    parser.add_argument("--testset", required=True, help="prepared test set folder (holds pairs.csv)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--coverage", default="paper", choices=["paper", "full"],
                        help="paper: the authors' grid (remainder dropped); full: edge-flush patches")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--device", default="auto")


def add_model_arguments(parser: argparse.ArgumentParser, *, arch_required: bool = False) -> None:
    """How the evaluate and routing verbs name the model they load: a registry name (--arch, the authors'
    checkpoint format) or a registered method (--method, bench.methods) with its JSON --options."""
    parser.add_argument("--model", nargs="+", default=[],
                        help="checkpoint (authors' key format); a --method may load several")
    parser.add_argument("--arch", required=arch_required,
                        help="registry name, e.g. fsrcnn or classsr_fsrcnn (or --method)")
    parser.add_argument("--classifier", default="classifier",
                        help="registry name of a ClassSR model's classifier (default: the paper's Class-Module)")
    parser.add_argument("--method", help="a registered adaptive method (bench.methods) instead of --arch")
    parser.add_argument("--options", default="{}", help="--method: its load options as a JSON object")
    parser.add_argument("--backbone", help="backbone column (default: from --arch, classsr_fsrcnn → fsrcnn)")


def load_model(args: argparse.Namespace, device) -> tuple:
    """(model on ``device`` in eval mode, backbone) of the verb's --arch or --method; clear errors naming the flag."""
    import json

    from ..models import load_official

    if args.method:
        from ..methods import get_method

        if not args.backbone:
            raise ValueError(f"--method {args.method} needs --backbone")
        try:
            options = json.loads(args.options)
        except json.JSONDecodeError as e:
            raise ValueError(f"--options is not JSON ({e}): {args.options!r}") from None
        model = get_method(args.method).load(tuple(args.model), backbone=args.backbone, scale=args.scale, **options)
        return model.to(device).eval(), args.backbone
    if not args.arch:
        raise ValueError("name the model with --arch (a registry name) or --method (a registered method)")
    if len(args.model) != 1:
        raise ValueError(f"--arch {args.arch} needs one --model checkpoint (authors' key format), got "
                         f"{len(args.model)}")
    backbone = args.backbone or backbone_of(args.arch)  # before loading: a wrong --arch fails at once
    classifier = {"classifier": args.classifier} if args.arch.startswith("classsr") else {}
    return load_official(args.arch, args.model[0], scale=args.scale, **classifier).to(device).eval(), backbone


def backbone_of(arch: str) -> str:
    """The backbone of a registry name: ``classsr_fsrcnn`` and ``arm_fsrcnn`` → ``fsrcnn`` (the tables' backbone
    column); a clear error naming --arch otherwise."""
    from ..backbones import specs

    name = arch.removeprefix("classsr_").removeprefix("arm_")
    if name not in specs():
        raise ValueError(f"--arch {arch}: no backbone {name!r} in it; known backbones: {', '.join(specs())} (pass "
                         "--backbone for the tables' column)")
    return name


def parse_sets(items: list[str]) -> dict:
    """``a.b.c=value`` strings → nested dict; values are parsed as YAML scalars/lists."""
    dotted = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        dotted[key] = yaml.safe_load(value)
    return nested(dotted)


def profile_from(args: argparse.Namespace) -> Profile:
    if args.profile_json:
        return load_profile(None, merge(json.loads(args.profile_json), parse_sets(args.set)))
    return load_profile(args.config, parse_sets(args.set))


def plan_from(args: argparse.Namespace):
    """The job plan of the profile, with the data/runs folders of the command line."""
    from ..plan.dag import Plan  # imported here: it pulls in torch, which the report verb must not

    return Plan(profile_from(args), args.root, data_dir=args.data, runs_dir=args.runs)


def limit_threads() -> None:
    """Use at most the machine's cores: Snakemake exports OMP_NUM_THREADS = the rule's threads, which can exceed
    them (``--cores 8`` on a 2-core machine), and oversubscribed torch runs several times slower."""
    import torch

    wanted = int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or torch.get_num_threads()
    torch.set_num_threads(max(1, min(wanted, os.cpu_count() or 1)))

"""Arguments shared by several verbs: the profile and where its data and runs live."""
from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from ..profile import Profile, load_profile


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="configs/default.yaml",
                        help="profile YAML (default: configs/default.yaml, the embedded demo)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a profile value, e.g. --set train.stages.branch.iterations=50 (repeatable)")
    parser.add_argument("--data", help="prepared data folder (default: results/<profile name>/data)")
    parser.add_argument("--runs", help="training runs folder (default: results/<profile name>/runs)")


def parse_sets(items: list[str]) -> dict:
    """``a.b.c=value`` strings → nested dict; values are parsed as YAML scalars/lists."""
    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    return out


def profile_from(args: argparse.Namespace) -> Profile:
    return load_profile(args.config, parse_sets(args.set))


def data_dir(args: argparse.Namespace, profile: Profile) -> Path:
    return Path(args.data) if args.data else Path("results") / profile.name / "data"


def runs_dir(args: argparse.Namespace, profile: Profile) -> Path:
    return Path(args.runs) if args.runs else Path("results") / profile.name / "runs"

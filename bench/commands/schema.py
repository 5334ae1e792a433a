"""Print or write the JSON schema of the workflow config, generated from the profile dataclasses."""
from __future__ import annotations

import argparse

import yaml

from ..provenance import write_atomic
from ..profile import Profile
from ..schema import config_schema


#: Output files checked writable before the work (bench.cli.check_arguments).
OUTPUT_FILES = ("out",)

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="write the schema (YAML) here, e.g. workflow/schemas/config.schema.yaml")


def render() -> str:
    return yaml.safe_dump(config_schema(Profile), sort_keys=False, allow_unicode=True, width=120)


def run(args: argparse.Namespace) -> int:
    text = render()
    if args.out:
        write_atomic(args.out, lambda tmp: open(tmp, "w").write(text))
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0

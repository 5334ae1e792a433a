"""Render the latency table and figure from ``python -m bench perf``'s CSV (stored CSV only; no torch).

A target of its own, apart from ``report``: timing paper-depth networks on a CPU can take far longer than
evaluating them, and Table 1 and the figures must not wait for it. Writes ``latency.{csv,md}`` and
``latency_time_vs_flops.png`` into --out (the workflow: results/<profile>/perf/).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..report import figures, tables
from .report import write_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--perf", required=True, help="latency CSV of python -m bench perf")
    parser.add_argument("--out", required=True, help="folder receiving latency.{csv,md} and the figure")


def run(args: argparse.Namespace) -> int:
    perf, out = pd.read_csv(args.perf), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = tables.perf_table(perf)
    table.to_csv(out / "latency.csv", index=False)
    write_text(out / "latency.md", tables.markdown(table, tables.perf_caption(perf)))
    figures.perf_plot(perf, out / "latency_time_vs_flops.png")
    print(table.to_string(index=False))
    return 0

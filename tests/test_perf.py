"""The latency benchmark's correctness (never its timings): modes agree, forced mixes are honoured, columns."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from conftest import assert_same_8bit, tiny_kwargs

from bench.core.inference import upscale
from bench.models import build
from bench.analysis.perf import add_ratios, benchmark, forced_route, per_patch


def test_forced_mixes():
    mix = forced_route(100, 3, "mix")
    assert torch.bincount(mix, minlength=3).tolist() == [50, 20, 30]
    assert forced_route(7, 3, "simple").tolist() == [0] * 7 and forced_route(7, 3, "hard").tolist() == [2] * 7
    assert torch.equal(forced_route(50, 3, "mix"), forced_route(50, 3, "mix"))  # seeded
    with pytest.raises(ValueError, match="3 fractions for 2 classes"):
        forced_route(10, 2, "mix")


def test_per_patch_mode_equals_the_engine():
    model = build("classsr_carn", **tiny_kwargs("classsr_carn")).eval()
    lr = torch.rand(3, 64, 90)
    assert_same_8bit(per_patch(model, lr), upscale(model, lr)[0])
    route = forced_route(6, 3, "mix")
    assert_same_8bit(per_patch(model, lr, route), upscale(model, lr, route=route)[0])


def test_benchmark_rows_and_ratios():
    original = build("fsrcnn", width=12).eval()
    classsr = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    rows = benchmark(original, classsr, torch.rand(3, 60, 88), repeats=1, warmup=0)
    df = add_ratios(pd.DataFrame(rows).assign(backbone="fsrcnn"))
    assert len(df) == 2 + 1 + 4 + 1  # per_patch ×2, batched original, 4 ClassSR mixes, whole
    simple = df[(df["mode"] == "batched") & (df["mix"] == "simple")].iloc[0]
    hard = df[(df["mode"] == "batched") & (df["mix"] == "hard")].iloc[0]
    assert simple["macs"] < hard["macs"] and simple["patches"] == 6
    base = df[(df["model"] == "original") & (df["mode"] == "batched")].iloc[0]
    assert base["speedup_vs_original"] == 1 and base["mac_ratio"] == 1
    assert (df["time_ms"] > 0).all() and (df["gflops_per_s"] > 0).all()


def test_batch_size_is_measured_once_and_auto_matches_fixed():
    from bench.core.inference import CANDIDATES, tune_batch_size

    net = build("fsrcnn", width=12).eval()
    calls = []
    net.register_forward_hook(lambda *_: calls.append(1))
    size = tune_batch_size(net, candidates=(1, 4, 16))
    runs = 3 + 2 * (16 + 4 + 1)  # one warm-up each, then 2 rounds of >= 16 patches per candidate
    assert size in (1, 4, 16) and len(calls) == runs
    assert tune_batch_size(net, candidates=(1, 4, 16)) == size and len(calls) == runs  # cached
    model = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    lr = torch.rand(3, 70, 90)
    assert_same_8bit(upscale(model, lr, batch_size="auto")[0], upscale(model, lr, batch_size=7)[0])
    assert set(CANDIDATES) >= {1, 64}


def test_perf_command_from_the_profile_and_its_report(tmp_path):
    """The DAG's perf rule: profile section → CLI → CSV with provenance → table and figure without torch."""
    import subprocess
    import sys

    from bench.cli import main
    from bench.profile import PerfConfig
    from bench.report import tables

    cfg = PerfConfig(backbones=("fsrcnn",), crop="40x64", repeats=1, warmup=0, batch_size=4, device="cpu",
                     mixes=("real", "mix"), arm_knobs=("e3", 2.0))
    out = tmp_path / "perf" / "perf.csv"
    out.parent.mkdir()
    assert main(["perf", *cfg.cli_args(), "--out", str(out)]) == 0
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df["mode"]) == ["per_patch", "per_patch", "batched", "batched", "batched", "batched", "batched",
                                "whole"]
    assert list(df[df["model"] == "arm"]["mix"]) == ["e3", "k2"]  # ARM's routed inference, labelled by knob
    assert (df["patches"] == 2).all() and (df["lr_height"] == 40).all() and (df["device"] == "cpu").all()
    assert {"git_rev", "torch_version", "cpu", "cpu_isa", "threads", "layout", "peak_mem_mb"} <= set(df.columns)
    assert tables.perf_table(df).shape == (8, len(tables.PERF_COLUMNS))
    code = ("import sys; from bench.cli import main; rc = main(['latency', '--perf', sys.argv[1], '--out', "
            "sys.argv[2]]); assert 'torch' not in sys.modules; raise SystemExit(rc)")
    result = subprocess.run([sys.executable, "-c", code, str(out), str(tmp_path / "perf")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "perf" / "latency_time_vs_flops.png").stat().st_size > 0
    assert "40×64 LR image (2 patches" in (tmp_path / "perf" / "latency.md").read_text()
    assert len(pd.read_csv(tmp_path / "perf" / "latency.csv")) == 8


def test_perf_config_is_checked():
    from bench.profile import PerfConfig, PerfDepth

    with pytest.raises(ValueError, match="unknown backbone"):
        PerfConfig(backbones=("edsr",))
    with pytest.raises(ValueError, match=r"perf.depth.carn: \['blocks'\]"):
        PerfConfig(depth={"carn": PerfDepth(blocks=2)})
    args = PerfConfig(depth={"rcan": PerfDepth(groups=2)}).cli_args()
    assert args[args.index("--rcan-groups") + 1] == "2" and "--rcan-blocks" not in args


def test_perf_times_the_profiles_backbones_unless_told_otherwise():
    """An evaluation profile limited to FSRCNN must not time RCAN at paper depth (13+ min on 2 cores)."""
    from bench.profile import load_profile

    only = load_profile(None, {"train": {"backbones": {"fsrcnn": {}}}})
    args = only.perf_args()
    assert args[args.index("--backbones") + 1:args.index("--modes")] == ["fsrcnn"]
    told = load_profile(None, {"train": {"backbones": {"fsrcnn": {}}}, "perf": {"backbones": ["carn"]}})
    assert told.perf_args()[args.index("--backbones") + 1] == "carn"
    assert "--backbones fsrcnn carn srresnet rcan" in " ".join(load_profile(None).perf_args())


def test_perf_image_arguments():
    """--crop and --size shape the LR image (mirror tiling beyond its edges); malformed sizes name the flag."""
    import argparse

    from bench.commands.perf import _lr, add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    lr = _lr(parser.parse_args(["--crop", "40x64", "--size", "100x150"]))
    assert lr.shape == (3, 100, 150)
    torch.testing.assert_close(lr[:, 40:80, :64], lr[:, :40, :64].flip(1))  # symmetric padding of the crop
    with pytest.raises(SystemExit, match="--size expects HxW"):
        _lr(parser.parse_args(["--size", "100by150"]))
    with pytest.raises(SystemExit, match="--crop expects positive"):
        _lr(parser.parse_args(["--crop", "0x10"]))

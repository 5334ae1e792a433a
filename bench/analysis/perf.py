"""Latency benchmark of ClassSR on a large image: wall time next to FLOPs (issue: honest latency).

Modes, all on the same LR image and tiling (32/28, paper grid):

* ``per_patch``: the authors' test loop re-implemented — one 32×32 patch at a time through the classifier and its
  branch (or the original network), with the authors' layout (NCHW) and ops (FSRCNN's transposed conv);
* ``batched``: ``bench.core.inference.upscale`` — one streaming pass, each branch on full batches of its own patches;
* ``whole``: the original network on the full LR image at once (no tiling; a lower bound for the original).

ClassSR runs with its own routing (``real``) and with forced mixes (``simple``: all class 0, ``hard``: all class
M − 1, ``mix``: 50 % / 20 % / 30 % of patches, assigned by a seeded permutation); forced mixes still run the
classifier (its decision is overridden), so their time covers what their MAC count includes. The cases of one mode are
*interleaved*: after a warm-up of every case, each repeat times every case once, so slow phases of a shared machine
hit all cases alike (identical runs differed by up to 21 % when timed one after the other). Median, min and max in
ms; CUDA is synchronised around every run; peak memory is reset before each case (CUDA allocator peak, or the
process's peak RSS via ``/proc/self/clear_refs`` on Linux).
"""
from __future__ import annotations

import contextlib
import os
import platform
import statistics
import time

import numpy as np
import torch
from torch import nn

from .evaluate import model_costs, routed_costs
from ..core.inference import DEFAULT_BATCH, memory_format, prepare, sync, tune_batch_size, upscale
from ..core.tiling import Stitcher, extract, make_grid

MIXES = {"simple": None, "hard": None, "mix": (0.5, 0.2, 0.3)}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(device: torch.device) -> dict:
    """Where a timing was taken. ``cpu_isa`` is the vector instruction set torch's CPU kernels use (AVX2, AVX512…):
    two CPUs of the same model name ran the demo's jobs 1.6–2.5× apart (1.9× summed), AVX2 against AVX-512
    (docs/demo.md)."""
    return {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "cpu": cpu_model(), "cpu_isa": torch.backends.cpu.get_cpu_capability(),
            "threads": torch.get_num_threads(), "torch_version": torch.__version__, "cores": os.cpu_count()}


def forced_route(n: int, num_classes: int, mix: str, seed: int = 0) -> torch.Tensor:
    """Class per patch for a forced mix: all simple, all hard, or the given fractions in a seeded order."""
    if mix == "simple":
        return torch.zeros(n, dtype=torch.long)
    if mix == "hard":
        return torch.full((n,), num_classes - 1, dtype=torch.long)
    fractions = MIXES[mix]
    if len(fractions) != num_classes:
        raise ValueError(f"mix {mix!r} has {len(fractions)} fractions for {num_classes} classes")
    counts = np.floor(np.array(fractions) * n).astype(int)
    counts[-1] = n - counts[:-1].sum()
    classes = np.repeat(np.arange(num_classes), counts)
    return torch.from_numpy(np.random.default_rng(seed).permutation(classes)).long()


@torch.inference_mode()
def per_patch(model: nn.Module, lr: torch.Tensor, route: torch.Tensor | None = None) -> torch.Tensor:
    """The authors' loop: batch of one patch, argmax branch, 8-bit rounding, stitching."""
    grid = make_grid(lr.shape[1], lr.shape[2])
    device = next(model.parameters()).device
    stitcher = Stitcher(grid, model.scale)
    for i in range(len(grid)):
        patch = extract(lr, grid, i, i + 1).to(device)
        if getattr(model, "routed", False):
            k = int(route[i]) if route is not None else int(model.route(patch)[1])
            sr = model.branches[k](patch)
        else:
            sr = model(patch)
        stitcher.add(torch.round(sr.clamp(0, 1).float().cpu() * 255) / 255, i)
    return stitcher.result()


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    else:
        # Linux only; elsewhere the RSS peak stays process-wide
        with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
            f.write("5")


def peak_memory_mb(device: torch.device) -> float:
    """Peak since the last reset: CUDA allocator peak on GPU; peak RSS of the process (VmHWM) on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    with contextlib.suppress(OSError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_interleaved(fns: list, *, repeats: int, warmup: int, device: torch.device) -> tuple[list, list]:
    """(seconds per run for each fn, peak memory in MB for each fn); fns interleaved within every repeat."""
    times, peaks = [[] for _ in fns], [0.0] * len(fns)
    for i, fn in enumerate(fns):
        reset_peak_memory(device)
        for _ in range(warmup):
            fn()
        peaks[i] = peak_memory_mb(device)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            reset_peak_memory(device)
            sync(device)
            start = time.perf_counter()
            fn()
            sync(device)
            times[i].append(time.perf_counter() - start)
            peaks[i] = max(peaks[i], peak_memory_mb(device))
    return times, peaks


def mean_costs(costs: dict, classes: torch.Tensor | None, n: int) -> dict[str, float]:
    """Per-patch FLOPs (paper) and MACs (true, classifier included) for the routing actually used, from
    ``evaluate.model_costs`` output."""
    counts = np.bincount(classes.numpy(), minlength=len(costs["paper"][0])).tolist() if classes is not None else [n]
    return routed_costs(costs, counts)


def _compile(model: nn.Module) -> nn.Module:
    """torch.compile (inductor, weights frozen for oneDNN prepacking) of every network the engine calls."""
    import torch._inductor.config as inductor

    inductor.freezing = True
    if getattr(model, "routed", False):  # the method compiles its own networks in place
        return model.compile_networks(torch.compile)
    return torch.compile(model)


def benchmark(original: nn.Module, classsr: nn.Module, lr: torch.Tensor, *, modes=("per_patch", "batched", "whole"),
              mixes=("real", "simple", "hard", "mix"), repeats: int = 5, warmup: int = 1,
              batch_size: int | str | None = None, layout: str = "channels_last", autocast: str = "",
              compile: bool = False, others=()) -> list[dict]:
    """Rows of one backbone: the original network and ClassSR in every requested mode and mix (mutates the
    models' layout, and with ``compile`` their modules); ``others``: (name, routed model, cases) of further
    methods timed in batched mode, each case (``mix`` label, ``upscale`` keyword arguments) — ARM's knobs (its
    edge scoring and lookup timed), a registered method's own routing."""
    device = next(original.parameters()).device
    n = len(make_grid(lr.shape[1], lr.shape[2]))
    costs = {"original": model_costs(original), "classsr": model_costs(classsr)}
    routes = {mix: None if mix == "real" else forced_route(n, classsr.num_classes, mix) for mix in mixes}
    real = upscale(classsr, lr, batch_size=batch_size)[1]
    sizes = {which: "/".join(str(tune_batch_size(net, layout=layout) if batch_size == "auto" else
                                 batch_size or DEFAULT_BATCH) for net in nets)
             for which, nets in (("original", [original]), ("classsr", classsr.branches))}
    dtype = {"": None, "bf16": torch.bfloat16, "fp16": torch.float16}[autocast]
    amp = (lambda: torch.autocast(device.type, dtype=dtype)) if dtype else contextlib.nullcontext

    def engine(model, route=None):
        def fn():
            with amp():
                return upscale(model, lr, batch_size=batch_size, route=route, classify=True, layout=layout)
        return fn

    groups = []
    if "per_patch" in modes:  # the authors' layout: NCHW weights and inputs
        groups.append(("per_patch", "contiguous", [
            ("original", "", lambda: per_patch(original, lr), None),
            ("classsr", "real", lambda: per_patch(classsr, lr), real)]))
    fast = [("original", "", engine(original), None)] if "batched" in modes else []
    fast += [("classsr", mix, engine(classsr, routes[mix]), real if mix == "real" else routes[mix])
             for mix in mixes if "batched" in modes]
    for name, model, cases in (others if "batched" in modes else ()):
        costs.update({(name, label): model_costs(model) for label, _ in cases})  # one method, several models
        sizes[name] = "image" if getattr(model, "whole_image", False) else "/".join(
            str(tune_batch_size(net, layout=layout) if batch_size == "auto" else batch_size or DEFAULT_BATCH)
            for net in model.branches if _has_weights(net))
        fast += [(name, label, *routed_case(model, lr, kwargs, batch_size, layout, amp)) for label, kwargs in cases]
    if "whole" in modes:
        image = lr[None].to(device).contiguous(memory_format=memory_format(layout))  # prepared once, not timed
        whole = torch.inference_mode()(lambda: original(image))
        fast.append(("original", "whole", whole, None))
    if fast:
        groups.append(("batched", layout, fast))
    rows = []
    for mode, group_layout, cases in groups:
        for model in (original, classsr, *(other for _, other, _ in others)):
            prepare(model, layout=group_layout, subpixel=mode != "per_patch")
        if compile and mode == "batched":
            original, classsr = _compile(original), _compile(classsr)
            others = [(name, _compile(other), cases) for name, other, cases in others]
        times, peaks = timed_interleaved([c[2] for c in cases], repeats=repeats, warmup=warmup, device=device)
        for (which, mix, _, classes), t, peak in zip(cases, times, peaks):
            row_mode, mix = ("whole", "") if mix == "whole" else (mode, mix)
            rows.append(_row(which, row_mode, mix, costs.get((which, mix)) or costs[which], lr, t, classes, n,
                             scale=original.scale,
                             peak_mb=peak, layout=group_layout, autocast=autocast or "fp32", compiled=compile,
                             batch_sizes={"per_patch": "1", "whole": "image"}.get(row_mode, sizes.get(which, ""))))
    return rows


def routed_case(model, lr, kwargs, batch_size, layout, amp) -> tuple:
    """(timed function, its routing) of a routed model's batched inference with ``upscale`` keyword arguments
    (e.g. ARM's ``eta``)."""
    def fn():
        with amp():
            return upscale(model, lr, batch_size=batch_size, layout=layout, **kwargs)
    return fn, upscale(model, lr, batch_size=batch_size, layout=layout, **kwargs)[1]


def _has_weights(net: nn.Module) -> bool:
    """A path that is a network (not a parameter-free bicubic path): its batch size is tuned and reported."""
    return any(True for _ in net.parameters())


def _row(which, mode, mix, costs, lr, times, classes, n, *, scale, peak_mb, **settings) -> dict:
    per = mean_costs(costs, classes, n)
    median = statistics.median(times)
    return {"model": which, "mode": mode, "mix": mix, "patches": n, "time_ms": 1000 * median,
            "time_ms_min": 1000 * min(times), "time_ms_max": 1000 * max(times), "repeats": len(times),
            "mpix_per_s": scale ** 2 * lr.shape[1] * lr.shape[2] / 1e6 / median, **per,
            "gflops_per_s": 2 * per["macs"] * n / median / 1e9, "peak_mem_mb": peak_mb, **settings}


def add_ratios(df):
    """Speed-up of each row over the batched original, the true-MAC ratio, and their quotient."""
    base = df[(df["model"] == "original") & (df["mode"] == "batched")].set_index("backbone")
    t0, m0 = df["backbone"].map(base["time_ms"]), df["backbone"].map(base["macs"])
    return df.assign(speedup_vs_original=t0 / df["time_ms"], mac_ratio=m0 / df["macs"],
                     speedup_over_mac_ratio=(t0 / df["time_ms"]) / (m0 / df["macs"]))

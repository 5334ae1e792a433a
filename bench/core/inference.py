"""Tiled super-resolution of one large image with any registry model (ClassSR test protocol, spec §5).

``upscale`` makes one streaming pass over the 32×32 / step-28 grid: each chunk of patches is extracted once,
classified (ClassSR), and queued for its branch; a branch runs whenever its queue holds a full batch, and its SR
patches are slice-added into one canvas. Memory therefore grows with the output image, not with the number of
patches (at most one chunk plus one batch per branch of LR patches is pending). With ``quantize=True`` each SR patch
is clamped and rounded to 8 bits before stitching, as the authors' test loop does (spec §5, §8.18).

Patches are fed in ``channels_last`` layout by default: on a 2-core AVX-512 CPU (torch 2.13, oneDNN) this made the
narrow branches 1.3–2.7× faster per patch (CARN-36 17.7 → 6.5 ms, RCAN-36 12.9 → 7.5 ms at batch 8) and the
64-wide ones 1.1–1.5×, which moves wall time much closer to the FLOPs (docs/latency.md).
"""
from __future__ import annotations

import functools
import time

import torch
from torch import nn

from ..models.subpixel import use_subpixel
from .tiling import Stitcher, extract, make_grid

DEFAULT_BATCH = 64
#: Batch sizes tried by ``tune_batch_size``. On a 2-core CPU the fastest per patch were 4–16 (CARN-64: 20.6 ms at 4
#: vs 30.6 ms at 64; FSRCNN-56: 1.25 ms at 32 vs 2.26 ms at 1), so one fixed size is wrong for some network.
CANDIDATES = (1, 2, 4, 8, 16, 32, 64)
MEMORY_FORMATS = {"channels_last": torch.channels_last, "contiguous": torch.contiguous_format}
_TUNED: dict[tuple, int] = {}


def memory_format(name: str) -> torch.memory_format:
    if name not in MEMORY_FORMATS:
        raise ValueError(f"unknown memory format {name!r}; expected one of {sorted(MEMORY_FORMATS)}")
    return MEMORY_FORMATS[name]


def prepare(model: nn.Module, *, layout: str = "channels_last", subpixel: bool = True) -> nn.Module:
    """Ready ``model`` for the engine, in place: eval mode, weights in ``layout`` (feeding channels_last patches
    alone gives most of the gain; converting the weights too saves a reorder per call, CARN-36: 7.5 → 6.1 ms per
    patch), and transposed convs run as conv + pixel shuffle (``SubPixelDeconv``) when ``subpixel``."""
    return use_subpixel(model, subpixel).eval().to(memory_format=memory_format(layout))


@torch.inference_mode()
def tune_batch_size(net: nn.Module, *, patch: int = 32, candidates=CANDIDATES, rounds: int = 2, min_patches: int = 16,
                    layout: str = "channels_last") -> int:
    """Batch size with the lowest measured time per patch for ``net`` on its device (cached per network shape,
    device, layout and thread count).

    Candidates are timed round-robin for ``rounds`` rounds (each timing covers at least ``min_patches`` patches)
    and each keeps its best round: one-shot timings on shared cores picked different sizes from run to run, and
    the choice moved a CARN-64 image by 20 %.
    """
    device = next(net.parameters()).device
    key = (type(net).__name__, getattr(net, "width", None), getattr(net, "blocks", None),
           getattr(net, "groups", None), str(device), torch.get_num_threads(), patch, layout)
    if key not in _TUNED:
        inputs = {bs: torch.rand(bs, 3, patch, patch, device=device).contiguous(memory_format=memory_format(layout))
                  for bs in candidates}
        best = dict.fromkeys(candidates, float("inf"))
        for x in inputs.values():
            net(x)  # warm-up (allocations, oneDNN primitive creation)
        for _ in range(rounds):
            for bs, x in inputs.items():
                calls = max(1, -(-min_patches // bs))
                sync(device)
                start = time.perf_counter()
                for _ in range(calls):
                    net(x)
                sync(device)
                best[bs] = min(best[bs], (time.perf_counter() - start) / (calls * bs))
        _TUNED[key] = min(best, key=best.get)
    return _TUNED[key]


#: The two inference protocols of the matrix (issue 25): the authors' 32/28 ``grid`` of patches (ClassSR, ARM) or
#: the ``whole`` covered LR image in one pass (PCSR's ``--per_image``; a plain network without seams).
INFERENCES = ("grid", "whole")


def inference_modes(model: nn.Module) -> tuple[str, ...]:
    """The inferences ``model`` can run: its own ``inference_modes`` (method interface), else grid and whole for a
    plain network and the grid only for a routed one (ClassSR and ARM route per patch)."""
    own = getattr(model, "inference_modes", None)
    return tuple(own) if own else (("grid",) if getattr(model, "routed", False) else INFERENCES)


def default_inference(model: nn.Module) -> str:
    """The inference ``upscale`` runs without ``inference=``: the whole image for a pixel-level method in its
    image mode, the grid otherwise."""
    return "whole" if getattr(model, "whole_image", False) and not getattr(model, "tiled", False) else "grid"


def _whole(net: nn.Module, lr: torch.Tensor, *, coverage: str, quantize: bool, fmt) -> torch.Tensor:
    """A plain network on the covered LR image at once (no seams, no overlap), the same covered area as the grid's
    so the two inferences score the same pixels."""
    hh, ww = (n // net.scale for n in make_grid(lr.shape[1], lr.shape[2], coverage=coverage).covered_hr(net.scale))
    x = lr[:, :hh, :ww].unsqueeze(0).to(next(net.parameters()).device).contiguous(memory_format=fmt)
    sr = net(x)[0].float().cpu().contiguous()
    return sr.clamp_(0, 1).mul_(255).round_().div_(255) if quantize else sr


def sync(device: torch.device) -> None:
    """Wait for queued CUDA work (timings); a no-op on CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _check_lr(lr: torch.Tensor) -> None:
    if not isinstance(lr, torch.Tensor) or lr.dim() != 3 or lr.shape[0] != 3 or not lr.is_floating_point():
        shape = tuple(lr.shape) if isinstance(lr, torch.Tensor) else type(lr).__name__
        raise ValueError(f"expected one float RGB LR image (3, H, W) in [0, 1], got {shape}; convert images "
                         "with bench.core.images.to_tensor (it turns gray, RGBA and 16-bit images into RGB in [0, 1])")


class _Queue:
    """LR patches waiting for one network; runs it on full batches and stitches the results."""

    def __init__(self, net: nn.Module, size: int, stitcher: Stitcher, quantize: bool):
        self.net, self.size, self.stitcher, self.quantize = net, size, stitcher, quantize
        self.patches: list[torch.Tensor] = []
        self.indices: list[torch.Tensor] = []
        self.count = 0

    def push(self, patches: torch.Tensor, indices: torch.Tensor) -> None:
        if len(indices):
            self.patches.append(patches)
            self.indices.append(indices)
            self.count += len(indices)
        if self.count >= self.size:
            self._drain(self.count - self.count % self.size)

    def flush(self) -> None:
        if self.count:
            self._drain(self.count)

    def _drain(self, n: int) -> None:
        """Run the first ``n`` pending patches in batches of ``size``; one concatenation for all of them."""
        patches, indices = torch.cat(self.patches), torch.cat(self.indices)
        self.patches, self.indices = [patches[n:]], [indices[n:]]
        self.count -= n
        for start in range(0, n, self.size):
            stop = min(start + self.size, n)
            # Plain NCHW for the stitching adds (a channels_last 3-channel patch makes them strided), then 8-bit
            # rounding in place (3× cheaper than the allocating form on 64 patches of 128×128).
            sr = self.net(patches[start:stop]).float().cpu().contiguous()
            if self.quantize:
                sr = sr.clamp_(0, 1).mul_(255).round_().div_(255)
            self.stitcher.add_indexed(sr, indices[start:stop].tolist())


@torch.inference_mode()
def upscale(model: nn.Module, lr: torch.Tensor, *, coverage: str = "paper", batch_size: int | str | None = None,
            route: torch.Tensor | None = None, classify: bool | None = None, quantize: bool = True,
            layout: str = "channels_last", patch: int = 32, step: int = 28, with_probs: bool = False,
            eta: str | int | float = "best", inference: str | None = None):
    """(SR image (3, s·h_cov, s·w_cov) in [0, 1], class per patch (n,) or None for single networks).

    ARM supernets (``load_arm``) are routed by ARM's rule (arm.md §2): class 0 = the bicubic path, k = the k-th
    width; ``eta`` is ``"best"``, a forced path (int < 100) or η in FLOPs (``bench.arm.routing.eta(k, costs)``).

    ``with_probs``: also return the classifier's softmax probabilities per patch (n, M), from the same pass that
    routes (None when the classifier did not run).

    ``route`` forces the class of every patch (routed models only), e.g. for benchmarks or oracle routing; the
    router is then skipped unless ``classify=True`` (benchmarks: a forced mix then costs what the deployed model
    costs); without ``route`` a routed model always routes.
    ``batch_size``: an int for every network, or ``"auto"`` for each network's measured best size
    (``tune_batch_size``); None = 64. ``layout``: memory layout of the patches fed to the networks.
    ``inference``: ``grid`` or ``whole`` (one of ``inference_modes(model)``; None = ``default_inference(model)``).
    """
    _check_lr(lr)
    model.eval()
    inference = inference or default_inference(model)
    if inference not in inference_modes(model):
        raise ValueError(f"{type(model).__name__} runs the {' or '.join(inference_modes(model))} inference, "
                         f"not {inference!r}")
    if getattr(model, "whole_image", False):  # pixel-level methods (PCSR): their own image or patch pass
        return model.upscale_image(lr, coverage=coverage, quantize=quantize, with_probs=with_probs,
                                   inference=inference)
    fmt = memory_format(layout)
    if inference == "whole":  # a plain network
        sr = _whole(model, lr, coverage=coverage, quantize=quantize, fmt=fmt)
        return (sr, None, None) if with_probs else (sr, None)
    grid = make_grid(lr.shape[1], lr.shape[2], patch=patch, step=step, coverage=coverage)
    device = next(model.parameters()).device
    # a routed model is read through the method interface only (bench/models/interface.py)
    routed = getattr(model, "routed", False)
    if not routed and route is not None:
        raise ValueError("route applies to routed models only (ClassSR, ARM supernets)")
    if eta != "best" and not getattr(model, "any_time", False):
        raise ValueError("eta applies to any-time models (ARM supernets, bench.models.load_arm) only")
    route_patches = functools.partial(model.route, mode=eta) if eta != "best" else getattr(model, "route", None)
    if route is not None:
        route = model.check_classes(route, len(grid)).cpu()
    classify = routed and (route is None or bool(classify))

    def size(net):
        if batch_size == "auto":  # ARM's bicubic path has no parameters to time
            return tune_batch_size(net, patch=patch, layout=layout) if list(net.parameters()) else DEFAULT_BATCH
        return DEFAULT_BATCH if batch_size is None else int(batch_size)

    stitcher = Stitcher(grid, model.scale)
    nets = model.branches if routed else [model]
    if getattr(model, "lazy_paths", False):  # built outside evaluate's prepare(model)
        nets = [prepare(net, layout=layout) for net in nets]
    queues = [_Queue(net, size(net), stitcher, quantize) for net in nets]
    router = getattr(model, "router", None) if classify else None
    chunk = size(router) if router is not None else queues[-1].size
    classes = torch.zeros(len(grid), dtype=torch.long)
    probs = torch.zeros(len(grid), model.num_classes) if router is not None and with_probs else None
    for start in range(0, len(grid), chunk):
        stop = min(start + chunk, len(grid))
        patches = extract(lr, grid, start, stop).to(device).contiguous(memory_format=fmt)
        if classify:
            p, decided = route_patches(patches)
            decided = decided.cpu()
            if probs is not None:
                probs[start:stop] = p.float().cpu()
        if routed:
            classes[start:stop] = route[start:stop] if route is not None else decided
        ids, k_of = torch.arange(start, stop), classes[start:stop]
        for k, queue in enumerate(queues):
            mine = k_of == k
            queue.push(patches[mine.to(device)], ids[mine])
    for queue in queues:
        queue.flush()
    result = stitcher.result(), (classes if routed else None)
    return (*result, probs) if with_probs else result


"""The inference engine's fast path (issue 5): same output in every layout, streaming, bounded memory, sub-pixel
deconvolution equal to the transposed conv, and clear errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import SR_MODELS, assert_same_8bit, tiny_kwargs
from test_evaluate import per_patch_reference

from bench.core import flops
from bench.core.inference import prepare, upscale
from bench.models import ClassSR, build
from bench.models.subpixel import SubPixelDeconv
from bench.analysis.perf import forced_route
from bench.core.tiling import make_grid

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", SR_MODELS)
def test_prepared_engine_equals_the_authors_loop(name):
    """channels_last weights and patches, sub-pixel deconvs, batches of 7: still the authors' output."""
    model = build(name, **tiny_kwargs(name)).eval()
    lr = torch.rand(3, 70, 99)
    ref, ref_classes = per_patch_reference(model, lr)
    prepare(model)
    for layout in ("channels_last", "contiguous"):
        sr, classes = upscale(model, lr, batch_size=7, layout=layout)
        assert_same_8bit(sr, ref)
        if classes is not None:
            assert classes.tolist() == ref_classes


@pytest.mark.parametrize("kernel, stride, padding, output_padding",
                         [(9, 4, 3, 1), (9, 2, 4, 1), (9, 3, 3, 0), (4, 2, 1, 0), (3, 2, 1, 1), (5, 3, 1, 0)])
def test_subpixel_deconv_equals_transposed_conv(kernel, stride, padding, output_padding):
    deconv = SubPixelDeconv(7, 3, kernel, stride, padding, output_padding=output_padding).eval()
    x = torch.rand(2, 7, 10, 13)
    ref = deconv(x)
    deconv.subpixel = True
    assert deconv._applies()
    torch.testing.assert_close(deconv(x), ref, atol=1e-6, rtol=0)
    out = deconv(x.contiguous(memory_format=torch.channels_last))
    assert out.is_contiguous()  # NCHW for the stitching adds
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=0)
    deconv.train()
    assert not deconv._applies()  # training keeps the authors' op


def test_subpixel_skips_shapes_it_cannot_express_and_keeps_flops():
    odd = SubPixelDeconv(4, 3, 9, 4, 3, output_padding=0).eval()  # output 4h − 1, not 4h
    odd.subpixel = True
    assert not odd._applies()
    model = build("fsrcnn", width=56)
    before = {c: flops.count(model, 32, c) for c in flops.CONVENTIONS}
    prepare(model)
    assert model.tail_conv.subpixel and {c: flops.count(model, 32, c) for c in flops.CONVENTIONS} == before
    assert before["paper"] == 467_877_888  # the transposed conv, counted on its HR grid as the paper does


def test_streaming_runs_full_batches_of_one_class():
    """Every forward sees at most batch_size patches, of one class only; each patch is run exactly once."""
    model = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    lr = torch.rand(3, 200, 284)
    n = 7 * 10
    route = forced_route(n, 3, "mix")
    seen = {k: [] for k in range(3)}
    for k, branch in enumerate(model.branches):
        branch.register_forward_hook(lambda m, inp, out, k=k: seen[k].append(len(inp[0])))
    _, classes = upscale(model, lr, route=route, batch_size=8)
    assert torch.equal(classes, route)
    assert {k: sum(v) for k, v in seen.items()} == {k: int((route == k).sum()) for k in range(3)}
    assert max(max(v) for v in seen.values()) <= 8
    assert all(v[:-1] == [8] * (len(v) - 1) for v in seen.values())  # only the last batch of a class is short
    calls = []
    model.classifier.register_forward_hook(lambda m, inp, out: calls.append(len(inp[0])))
    sr, _ = upscale(model, lr, route=route, batch_size=8)
    assert calls == []  # forced routing skips the classifier...
    sr_classified, classes = upscale(model, lr, route=route, batch_size=8, classify=True)
    assert sum(calls) == n and torch.equal(classes, route)  # ...unless asked to run it (benchmarks)
    torch.testing.assert_close(sr_classified, sr, atol=0, rtol=0)


_MEMORY_PROBE = """
import json, sys, torch
from bench.core.inference import prepare, upscale
from bench.models import build
from bench.analysis.perf import peak_memory_mb, reset_peak_memory
torch.manual_seed(0)
model = prepare(build("classsr_carn", widths=[4, 8, 12]))
upscale(model, torch.rand(3, 64, 64), batch_size=16)  # warm-up: allocator, oneDNN primitives
lr = torch.rand(3, int(sys.argv[1]), int(sys.argv[2]))
reset_peak_memory(torch.device("cpu"))
base = peak_memory_mb(torch.device("cpu"))
upscale(model, lr, batch_size=16)
print(json.dumps({"base": base, "peak": peak_memory_mb(torch.device("cpu"))}))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux peak-RSS reset")
def test_memory_grows_with_the_output_not_with_the_patches():
    """A 600×800 LR image (588 patches, 2,368×3,152 output): the peak RSS above the idle process stays within
    1.3 canvases (85 MiB in float32, divided in place; holding every SR patch would add 110 MiB, a second canvas
    85 MiB)."""
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, "600", "800"], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    mem = json.loads(out.stdout.strip().splitlines()[-1])
    grid = make_grid(600, 800)
    canvas_mb = 3 * 4 * grid.covered_hr(4)[0] * grid.covered_hr(4)[1] / 2**20
    assert len(grid) == 588 and round(canvas_mb) == 85
    assert mem["peak"] - mem["base"] < 1.3 * canvas_mb + 30, mem


def test_bad_input_names_the_problem():
    model = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    lr = torch.rand(3, 60, 60)
    with pytest.raises(ValueError, match="memory format 'nhwc'"):
        upscale(model, lr, layout="nhwc")
    with pytest.raises(ValueError, match="routed models only"):
        upscale(build("fsrcnn", width=8), lr, route=torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="integer tensor"):
        upscale(model, lr, route=torch.zeros(4))
    with pytest.raises(ValueError, match="expected one float RGB"):
        upscale(model, (lr * 255).to(torch.uint8))
    with pytest.raises(ValueError, match="60×20"):
        upscale(model, torch.rand(3, 20, 60))
    assert isinstance(model, ClassSR)


def test_missing_device_is_a_clear_error():
    from bench.device import pick_device

    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            pick_device("cuda")
    with pytest.raises(RuntimeError, match="cuda:99"):
        pick_device("cuda:99")

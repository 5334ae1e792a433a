"""Every registered model: shapes, range handling, gradients, architecture facts of spec §1, bad input."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import SR_MODELS, TINY, tiny_kwargs

from bench.models import BACKBONES, PAPER_WIDTHS, REGISTRY, build
from bench.models.common import DIV2K_MEAN


def test_tiny_configs_cover_the_registry():
    assert set(TINY) == set(REGISTRY)
    assert BACKBONES == list(PAPER_WIDTHS) == ["fsrcnn", "carn", "srresnet", "rcan"]  # Table 1 order


def test_specs_read_from_source_equal_the_imported_ones():
    """Planning reads each SPEC from its file without torch; the imported module must say the same."""
    import importlib

    from bench import backbones

    for module in backbones.modules():
        assert importlib.import_module(module).SPEC == backbones.read_spec(module), module


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("name", SR_MODELS)
def test_shape_finite_and_backward(name, scale):
    model = build(name, scale=scale, **tiny_kwargs(name)).train()
    x = torch.rand(2, 3, 16, 16, requires_grad=True)
    y = model(x)
    assert y.shape == (2, 3, 16 * scale, 16 * scale)
    assert torch.isfinite(y).all()
    y.abs().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", SR_MODELS)
def test_eval_output_in_unit_range_scale(name):
    """Outputs live on the [0, 1] scale for every model (RCAN's internal 0–255 never leaks out)."""
    model = build(name, **tiny_kwargs(name)).eval()
    with torch.no_grad():
        y = model(torch.full((1, 3, 16, 16), 0.5))
    # Untrained nets are near their skip/mean paths: mean output around mid-grey, not around 127.
    assert -1.0 < y.mean().item() < 2.0


def test_classifier_logits_shape_and_classes():
    for m in (2, 3, 5):
        logits = build("classifier", num_classes=m)(torch.rand(4, 3, 32, 32))
        assert logits.shape == (4, m)


@pytest.mark.parametrize("name,params", [
    ("classifier", 60_035),
    ("classsr_fsrcnn", 112_940), ("classsr_carn", 645_476),
    ("classsr_srresnet", 3_062_060), ("classsr_rcan", 30_114_948),
])
def test_paper_parameter_counts(name, params):
    """Totals of spec §1.2 (branch params + classifier 60,035) pin every layer of the four architectures."""
    assert sum(p.numel() for p in build(name).parameters()) == params


@pytest.mark.parametrize("backbone,expected", [
    ("fsrcnn", (10_755, 17_635, 24_515)), ("carn", (94_851, 195_651, 294_939)),
    ("srresnet", (481_683, 1_002_771, 1_517_571)),
])
def test_branch_parameter_counts(backbone, expected):
    got = tuple(sum(p.numel() for p in build(backbone, width=w).parameters()) for w in PAPER_WIDTHS[backbone])
    assert got == expected


def test_rcan_branch_parameter_counts():
    assert sum(p.numel() for p in build("rcan", width=36).parameters()) == 4_940_707


def test_carn_batchnorm_buffers():
    """Spec §1.2: BN buffers 876 / 1,260 / 1,548 elements (running mean/var + num_batches_tracked)."""
    for width, n in zip(PAPER_WIDTHS["carn"], (876, 1_260, 1_548)):
        assert sum(b.numel() for b in build("carn", width=width).buffers()) == n


def test_fsrcnn_init_matches_authors():
    """Conv2d: Kaiming×0.1 with zero bias; the deconv keeps PyTorch's default (std ≈ 0.037 at d = 56)."""
    model = build("fsrcnn", width=56)
    assert torch.all(model.head_conv[0].bias == 0)
    assert model.head_conv[0].weight.std().item() == pytest.approx(0.1 * (2 / 75) ** 0.5, rel=0.1)
    assert model.tail_conv.weight.std().item() == pytest.approx(0.037, abs=0.004)
    assert model.head_conv[1].weight.item() == 0.25  # PReLU default


def test_meanshift_values():
    carn, rcan = build("carn", width=8), build("rcan", **tiny_kwargs("rcan"))
    mean = torch.tensor(DIV2K_MEAN)
    torch.testing.assert_close(carn.sub_mean.bias, -mean)
    torch.testing.assert_close(rcan.add_mean.bias, 255 * mean)
    torch.testing.assert_close(rcan.sub_mean.weight.flatten(1), torch.eye(3))


def test_srresnet_global_skip_is_bilinear():
    model = build("srresnet", **tiny_kwargs("srresnet")).eval()
    torch.nn.init.zeros_(model.conv_last.weight)
    torch.nn.init.zeros_(model.conv_last.bias)
    x = torch.rand(1, 3, 10, 12)
    expected = F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)
    torch.testing.assert_close(model(x), expected)


def test_rcan_is_identity_free_of_range_leak():
    """With a zero tail conv, RCAN outputs its add_mean bias / 255 = the DIV2K mean on the [0, 1] scale."""
    model = build("rcan", **tiny_kwargs("rcan")).eval()
    torch.nn.init.zeros_(model.tail[-1].weight)
    torch.nn.init.zeros_(model.tail[-1].bias)
    y = model(torch.rand(1, 3, 8, 8))
    torch.testing.assert_close(y[0, :, 0, 0], torch.tensor(DIV2K_MEAN))


def test_carn_no_global_skip_and_meanshift():
    """A zero exit conv leaves only add_mean: output = DIV2K mean everywhere."""
    model = build("carn", width=8).eval()
    torch.nn.init.zeros_(model.exit.weight)
    torch.nn.init.zeros_(model.exit.bias)
    y = model(torch.rand(1, 3, 8, 8))
    torch.testing.assert_close(y[0, :, 3, 5], torch.tensor(DIV2K_MEAN))


@pytest.mark.parametrize("bad,err", [
    ({"width": 16.0}, TypeError), ({"width": "16"}, TypeError), ({"width": 0}, ValueError),
    ({"scale": 5}, ValueError), ({"scale": 4.0}, ValueError),
])
def test_bad_constructor_arguments(bad, err):
    with pytest.raises(err, match="width|scale"):
        build("fsrcnn", **bad)


def test_carn_width_must_fit_groups():
    with pytest.raises(ValueError, match="divisible by 4"):
        build("carn", width=30)


def test_unknown_model_and_kwarg():
    with pytest.raises(KeyError, match="unknown model 'edsr'.*fsrcnn"):
        build("edsr")
    with pytest.raises(TypeError, match="widht"):
        build("fsrcnn", widht=16)


@pytest.mark.parametrize("x", [torch.rand(1, 1, 16, 16), torch.rand(1, 4, 16, 16), torch.rand(3, 16, 16)])
def test_non_rgb_input_is_refused(x):
    with pytest.raises(ValueError, match=r"\(N, 3, h, w\)"):
        build("fsrcnn", width=8)(x)


def test_integer_input_is_refused():
    with pytest.raises(TypeError, match="float"):
        build("fsrcnn", width=8)(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))


def test_classifier_needs_square_patches():
    with pytest.raises(ValueError, match="square"):
        build("classifier")(torch.rand(1, 3, 32, 28))

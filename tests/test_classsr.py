"""Routing semantics of the generic ClassSR container (spec §1.4), for every backbone and M ∈ {2, 3, 4}."""
from __future__ import annotations

import pytest
import torch
from conftest import CLASSSR_MODELS, branch_kwargs, tiny_kwargs

from bench.models import ClassSR, build


def _forced_mix(model: ClassSR, n: int) -> torch.Tensor:
    return torch.arange(n) % model.num_classes


@pytest.mark.parametrize("name", CLASSSR_MODELS)
def test_eval_routes_each_sample_to_its_argmax_branch(name):
    model = build(name, **tiny_kwargs(name)).eval()
    x = torch.rand(7, 3, 32, 32)
    with torch.no_grad():
        out = model.run(x)
        probs, classes = model.route(x)
        for i in range(len(x)):
            alone = model.branches[int(classes[i])](x[i:i + 1])
            torch.testing.assert_close(out.sr[i:i + 1], alone, rtol=0, atol=1e-6)
    torch.testing.assert_close(out.probs, probs)
    assert torch.equal(out.classes, probs.argmax(1))
    torch.testing.assert_close(out.probs.sum(1), torch.ones(7))


@pytest.mark.parametrize("name", CLASSSR_MODELS)
def test_forced_routing_is_honoured(name):
    model = build(name, **tiny_kwargs(name)).eval()
    x = torch.rand(6, 3, 32, 32)
    classes = _forced_mix(model, 6)
    with torch.no_grad():
        out = model.run(x, classes=classes)
        for i, k in enumerate(classes.tolist()):
            torch.testing.assert_close(out.sr[i:i + 1], model.branches[k](x[i:i + 1]), rtol=0, atol=1e-6)
    assert out.probs is None and torch.equal(out.classes, classes)


@pytest.mark.parametrize("name", CLASSSR_MODELS)
def test_train_mode_is_probability_weighted_sum(name):
    model = build(name, **tiny_kwargs(name)).train()
    for branch in model.branches:  # frozen branches in eval mode, so CARN's BN is the same in both computations
        branch.eval()
    x = torch.rand(5, 3, 32, 32)
    out = model.run(x)
    probs = torch.softmax(model.classifier(x), 1)
    expected = sum(probs[:, k, None, None, None] * b(x) for k, b in enumerate(model.branches))
    torch.testing.assert_close(out.sr, expected)
    out.sr.mean().backward()
    assert model.classifier.lastOut.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("backbone", ["fsrcnn", "carn", "srresnet", "rcan"])
@pytest.mark.parametrize("widths", [(16, 32), (16, 20, 24, 32)])
def test_any_number_of_classes(backbone, widths):
    model = ClassSR(backbone=backbone, widths=widths, **branch_kwargs(backbone)).eval()
    assert model.num_classes == len(widths) and model.classifier.lastOut.out_features == len(widths)
    x = torch.rand(len(widths) * 2, 3, 32, 32)
    with torch.no_grad():
        out = model.run(x, classes=_forced_mix(model, len(x)))
        assert out.sr.shape == (len(x), 3, 128, 128)
        torch.testing.assert_close(out.sr[-1:], model.branches[-1](x[-1:]), rtol=0, atol=1e-6)


def test_classifier_runs_once_per_forward():
    model = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    calls = []
    model.classifier.register_forward_hook(lambda *_: calls.append(1))
    out = model.run(torch.rand(4, 3, 32, 32))
    assert len(calls) == 1 and out.probs is not None and out.classes.shape == (4,)


def test_each_branch_runs_once_per_batch():
    model = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    batch_sizes = {k: [] for k in range(3)}
    for k, branch in enumerate(model.branches):
        branch.register_forward_hook(lambda m, inp, out, k=k: batch_sizes[k].append(len(inp[0])))
    model.run(torch.rand(9, 3, 32, 32), classes=torch.tensor([0, 2, 2, 0, 2, 2, 0, 2, 2]))
    assert batch_sizes == {0: [3], 1: [], 2: [6]}


def test_ties_go_to_the_first_class():
    model = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    torch.nn.init.zeros_(model.classifier.lastOut.weight)
    torch.nn.init.zeros_(model.classifier.lastOut.bias)
    out = model.run(torch.rand(3, 3, 32, 32))
    assert out.classes.tolist() == [0, 0, 0]
    torch.testing.assert_close(out.probs, torch.full((3, 3), 1 / 3))


@pytest.mark.parametrize("classes,match", [
    (torch.tensor([0, 1]), "shape"), (torch.tensor([0, 1, 3]), r"\[0, 2\]"),
    (torch.tensor([0.0, 1.0, 2.0]), "integer"), (torch.tensor([-1, 0, 0]), r"\[0, 2\]"),
])
def test_bad_forced_classes(classes, match):
    model = build("classsr_fsrcnn", **tiny_kwargs("classsr_fsrcnn")).eval()
    with pytest.raises(ValueError, match=match):
        model.run(torch.rand(3, 3, 32, 32), classes=classes)


@pytest.mark.parametrize("widths", [(16,), 16, "16,56", ()])
def test_bad_widths(widths):
    with pytest.raises(ValueError, match="at least 2"):
        build("classsr_fsrcnn", widths=widths)


def test_unknown_backbone():
    with pytest.raises(KeyError, match="edsr"):
        ClassSR(backbone="edsr", widths=(8, 16))

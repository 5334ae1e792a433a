"""FLOPs conventions (spec §6): published per-branch costs, true MACs, scale-following counts, averages."""
from __future__ import annotations

import pytest
import torch

from bench.core import flops
from bench.backbones import spec
from bench.models import PAPER_WIDTHS, build

BRANCHES = [(b, w) for b, ws in PAPER_WIDTHS.items() for w in ws]


@pytest.mark.parametrize("backbone,width", BRANCHES)
def test_paper_convention_reproduces_published_costs(backbone, width):
    got = flops.count(build(backbone, width=width), 32, "paper")
    published = spec(backbone).published_flops[width]
    assert abs(got - published) / published < 1e-3
    if backbone in ("carn", "srresnet"):
        assert got == published  # ARM's full-precision cost list, to the FLOP
    if backbone == "fsrcnn":
        assert published - got == 4  # the published list carries 4 extra FLOPs (spec notes)


def test_true_macs_and_classifier():
    assert flops.count(build("fsrcnn", width=56), convention="macs") == 24_920_064
    assert flops.count(build("classifier"), convention="paper") == 7_602_368
    assert flops.count(build("classifier"), convention="macs") == 3_801_184
    # CARN's MACs include its two MeanShift 1×1 convs (9 MACs per LR and per HR pixel); the paper's do not.
    carn = build("carn", width=36)
    assert flops.count(carn, convention="macs") * 2 - flops.count(carn) == 2 * 9 * (32 ** 2 + 128 ** 2)


def fsrcnn_paper_flops(d: int, scale: int, n: int = 32) -> int:
    lr = n * n * (d * 3 * 25 + 12 * d + 4 * 12 * 12 * 9 + 12 * d)
    return 2 * (lr + (scale * n) ** 2 * 3 * d * 81)


def srresnet_macs(nf: int, scale: int, blocks: int, n: int = 32) -> int:
    lr = n * n * (3 * nf * 9 + blocks * 2 * nf * nf * 9)
    if scale == 4:
        up = n * n * nf * 4 * nf * 9 + (2 * n) ** 2 * nf * 4 * nf * 9
    else:
        up = n * n * nf * scale * scale * nf * 9
    hr = (scale * n) ** 2 * (nf * nf * 9 + nf * 3 * 9)
    return lr + up + hr


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_counts_follow_the_scale(scale):
    for d in (16, 56):
        assert flops.count(build("fsrcnn", width=d, scale=scale)) == fsrcnn_paper_flops(d, scale)
    net = build("srresnet", width=8, blocks=2, scale=scale)
    assert flops.count(net, convention="macs") == srresnet_macs(8, scale, 2)
    assert flops.count(net, lr_size=16, convention="macs") == srresnet_macs(8, scale, 2, n=16)


def test_classsr_costs_and_averages():
    model = build("classsr_fsrcnn")
    costs = flops.classsr_costs(model)
    assert costs.classifier == 7_602_368
    assert costs.branches == (141_262_848, 304_570_368, 467_877_888)
    with pytest.raises(TypeError, match="classsr_costs"):
        flops.count(model)
    # Fig. 1 of the paper (DIV2K 0896: 56 % / 20 % / 24 %): the authors' bookkeeping gives 259.48 M.
    assert flops.authors_average("fsrcnn", [56, 20, 24]) == pytest.approx(259.48e6)
    assert flops.authors_average("carn", [1, 0, 0]) == 380e6  # no classifier term except for FSRCNN
    exact = flops.average(costs.branches, [56, 20, 24], classifier_cost=costs.classifier)
    assert exact == pytest.approx((0.56 * 141_262_848 + 0.20 * 304_570_368 + 0.24 * 467_877_888) + 7_602_368)
    assert flops.average([1, 3], [1, 1]) == 2


@pytest.mark.parametrize("costs,counts", [([1, 2], [1]), ([1, 2], [0, 0]), ([1, 2], [-1, 2])])
def test_bad_counts(costs, counts):
    with pytest.raises(ValueError):
        flops.average(costs, counts)


def test_count_keeps_mode_and_rejects_unknown_convention():
    net = build("fsrcnn", width=8).train()
    flops.count(net)
    assert net.training
    with pytest.raises(ValueError, match="convention"):
        flops.count(net, convention="gflops")


def test_counting_does_not_change_outputs():
    net = build("carn", width=8).eval()
    x = torch.rand(1, 3, 16, 16)
    before = net(x)
    flops.count(net)
    torch.testing.assert_close(net(x), before)


def test_counting_moves_no_batchnorm_statistics_and_keeps_the_mode():
    """The trainer counts its live (training-mode) branches once: the counting pass must not touch them."""
    import torch

    from bench.models import build

    model = build("carn", width=8).train()
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    before = [(m.running_mean.clone(), m.running_var.clone(), int(m.num_batches_tracked)) for m in norms]
    flops.count(model, 32, "paper")
    assert norms and model.training
    assert all(torch.equal(a, m.running_mean) and torch.equal(v, m.running_var) and n == int(m.num_batches_tracked)
               for (a, v, n), m in zip(before, norms))

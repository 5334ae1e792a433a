"""Class-Loss / Average-Loss known values and equality with the authors' M = 3 code; the cosine schedule."""
from __future__ import annotations

import math

import pytest
import torch

from bench.train.losses import average_loss, class_loss
from bench.train.recipes import paper_recipe
from bench.train.schedule import CosineRestart


def authors_class_loss(p):  # spec §3.1, M = 3 hard-coded
    return (2 - ((p[:, 0] - p[:, 1]).abs() + (p[:, 0] - p[:, 2]).abs() + (p[:, 1] - p[:, 2]).abs())).mean()


def authors_average_loss(p):
    b = p.shape[0]
    return sum((p[:, j].sum() - b / 3).abs() for j in range(3)) / ((b / 3) * 4)


def test_known_values():
    assert class_loss(torch.full((8, 3), 1 / 3)).item() == pytest.approx(2.0)
    assert class_loss(torch.eye(3)[[0, 1, 2, 2]]).item() == pytest.approx(0.0)
    assert class_loss(torch.full((5, 4), 0.25)).item() == pytest.approx(3.0)  # M − 1 for uniform p
    assert average_loss(torch.eye(3).repeat(32, 1)).item() == pytest.approx(0.0)  # [32, 32, 32] for B = 96
    for m in (2, 3, 5):
        assert average_loss(torch.eye(m)[[0] * 12]).item() == pytest.approx(1.0)  # all mass on one class


def test_equal_to_the_authors_for_three_classes():
    p = torch.softmax(torch.randn(96, 3), 1)
    torch.testing.assert_close(class_loss(p), authors_class_loss(p))
    torch.testing.assert_close(average_loss(p), authors_average_loss(p))


def test_gradients_flow():
    logits = torch.randn(6, 4, requires_grad=True)
    p = torch.softmax(logits, 1)
    (class_loss(p) + average_loss(p)).backward()
    assert logits.grad.abs().sum() > 0


def authors_recursive(lr0, eta, periods, restarts, weights, steps):
    """The authors' CosineAnnealingLR_Restart as a recurrence (BasicSR), for comparison."""
    rs = [r + 1 for r in restarts]
    lr, t_max, last_restart, out = lr0, periods[0], 0, []
    for t in range(1, steps + 1):
        if t in rs:
            last_restart, t_max = t, periods[rs.index(t) + 1]
            lr = lr0 * weights[rs.index(t)]
        elif (t - last_restart - 1 - t_max) % (2 * t_max) == 0:
            lr = lr + (lr0 - eta) * (1 - math.cos(math.pi / t_max)) / 2
        else:
            lr = ((1 + math.cos(math.pi * (t - last_restart) / t_max))
                  / (1 + math.cos(math.pi * (t - last_restart - 1) / t_max)) * (lr - eta) + eta)
        out.append(lr)
    return out


def test_schedule_matches_the_recurrence():
    sched = CosineRestart(2e-4, 1e-7, (50, 30), (50,), (0.5,))
    ref = authors_recursive(2e-4, 1e-7, (50, 30), (50,), (0.5,), 80)
    for t in range(1, 81):
        assert sched(t) == pytest.approx(ref[t - 1], rel=1e-9, abs=1e-15)
    assert sched(0) == 2e-4 and sched(25) == pytest.approx((2e-4 + 1e-7) / 2) and sched(50) == pytest.approx(1e-7)
    assert sched(51) == pytest.approx(1e-4)


def test_paper_recipes():
    assert paper_recipe("classsr", "fsrcnn")["l1_weight"] == 1000 and paper_recipe("classsr", "rcan")["l1_weight"] == 4
    fsrcnn = paper_recipe("classsr", "fsrcnn")
    lr_end = CosineRestart(fsrcnn["lr"], fsrcnn["eta_min"], fsrcnn["periods"], fsrcnn["restarts"],
                           fsrcnn["restart_weights"])(200_000)
    assert lr_end == pytest.approx(1.31e-4, rel=0.01)  # spec §3.2 note (ii): lr only decays to ≈ 1.31e-4
    rcan = paper_recipe("branch", "rcan")
    CosineRestart(rcan["lr"], rcan["eta_min"], rcan["periods"], rcan["restarts"], rcan["restart_weights"])(750_000)
    with pytest.raises(ValueError, match="1 restart"):  # the authors' RCAN yml as shipped (spec §8.10)
        CosineRestart(2e-4, 1e-7, (500_000,), (500_000,), (1.0,))

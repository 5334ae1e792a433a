"""Patch grid of the authors' test protocol (32/28), full coverage, and exact stitching (spec §5, §8.2)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from bench.core.tiling import Stitcher, extract, make_grid, split, stitch


def authors_combine(patches: torch.Tensor, rows: int, cols: int, scale=4, patch=32, step=28) -> torch.Tensor:
    """The authors' ``combine``: sum all patches, then halve every overlap strip (spec §5)."""
    sp, ss, ov = scale * patch, scale * step, scale * (patch - step)
    out = torch.zeros(3, ss * (rows - 1) + sp, ss * (cols - 1) + sp, dtype=patches.dtype)
    for i in range(rows):
        for j in range(cols):
            out[:, ss * i:ss * i + sp, ss * j:ss * j + sp] += patches[i * cols + j]
    for j in range(1, cols):
        out[:, :, ss * j:ss * j + ov] /= 2
    for i in range(1, rows):
        out[:, ss * i:ss * i + ov, :] /= 2
    return out


def test_paper_grid_counts_and_div2k_0801():
    grid = make_grid(339, 510)  # DIV2K 0801 at ×4 (HR 2040×1356)
    assert (len(grid.ys), len(grid.xs), len(grid)) == (11, 18, 198)
    assert grid.covered_hr(4) == (1248, 2032)  # the SR size of authors' issue #4
    for h, w in [(32, 32), (59, 60), (60, 61), (100, 333)]:
        assert len(make_grid(h, w)) == ((h - 32) // 28 + 1) * ((w - 32) // 28 + 1)


def test_full_coverage_adds_edge_flush_patches():
    grid = make_grid(70, 61, coverage="full")
    assert grid.ys == (0, 28, 38) and grid.xs == (0, 28, 29)
    assert grid.covered == (70, 61)
    assert make_grid(60, 60, coverage="full").xs == (0, 28)  # already flush: nothing added


@pytest.mark.parametrize("coverage", ["paper", "full"])
def test_identity_roundtrip_is_exact(coverage):
    lr = torch.rand(3, 75, 90)
    patches, grid = split(lr, coverage=coverage)
    sr = stitch(F.interpolate(patches, scale_factor=4, mode="nearest"), grid, 4)
    h, w = grid.covered
    expected = F.interpolate(lr[None, :, :h, :w], scale_factor=4, mode="nearest")[0]
    if coverage == "paper":  # at most 2 patches per axis overlap: sums of 2 or 4 equal values divide exactly
        assert torch.equal(sr, expected)
    else:  # an edge-flush patch can make 3 overlaps per axis, and (a + a + a) / 3 is a float rounding away
        assert (h, w) == (75, 90)
        torch.testing.assert_close(sr, expected, rtol=0, atol=1e-6)


def test_overlap_average_equals_authors_combine():
    grid = make_grid(88, 116)
    patches = torch.rand(len(grid), 3, 128, 128, dtype=torch.float64)
    torch.testing.assert_close(stitch(patches, grid, 4), authors_combine(patches, len(grid.ys), len(grid.xs)))


def test_streamed_batches_equal_one_shot():
    lr = torch.rand(3, 64, 100)
    grid = make_grid(64, 100, coverage="full")
    sr = F.interpolate(extract(lr, grid), scale_factor=2, mode="bilinear")
    stitcher = Stitcher(grid, 2)
    for start in range(0, len(grid), 4):
        stitcher.add(sr[start:start + 4], start)
    assert torch.equal(stitcher.result(), stitch(sr, grid, 2))
    assert torch.equal(extract(lr, grid, 3, 5), extract(lr, grid)[3:5])


def test_bad_inputs():
    with pytest.raises(ValueError, match="smaller than one 32×32 patch"):
        make_grid(20, 100)
    with pytest.raises(ValueError, match="coverage"):
        make_grid(40, 40, coverage="edge")
    with pytest.raises(ValueError, match="step"):
        make_grid(40, 40, step=40)
    grid = make_grid(40, 40)
    with pytest.raises(ValueError, match=r"shape \(n, 3, 128, 128\)"):
        Stitcher(grid, 4).add(torch.zeros(1, 3, 64, 64), 0)
    stitcher = Stitcher(make_grid(40, 70), 4)
    with pytest.raises(RuntimeError, match="0 patches added"):
        stitcher.result()
    with pytest.raises(ValueError, match="outside"):
        stitcher.add(torch.zeros(3, 3, 128, 128), 1)
    with pytest.raises(ValueError, match="does not match"):
        extract(torch.zeros(3, 41, 40), grid)

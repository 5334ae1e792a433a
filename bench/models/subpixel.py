"""A stride-s transposed convolution computed as an ordinary convolution plus pixel shuffle.

A ConvTranspose2d with stride s equals, phase by phase of the output grid, an ordinary convolution on the input grid
followed by a periodic shuffle (Shi et al., "Is the deconvolution layer the same as a convolutional layer?",
arXiv:1609.07009, 2016). FSRCNN's 9×9 stride-4 deconv with 3 output channels runs through a slow oneDNN/ATen path
on CPU (about 22 GMAC/s on a 2-core AVX-512 CPU, half of FSRCNN's time); as a 3×3 convolution to 3·s² channels it
runs 2–3× faster although it performs about 1.8× the multiply-adds (the zero taps). Outputs equal the transposed
conv up to float rounding; the weights and the state-dict keys are untouched.
"""
from __future__ import annotations

from functools import cache

import torch
import torch.nn.functional as F
from torch import nn


@cache
def _taps(kernel: int, stride: int, padding: int) -> tuple[torch.Tensor, int, int]:
    """(one-hot map (stride, T, kernel) from output phase and conv tap to deconv tap, left pad, right pad).

    Output o = s·q + r receives input i = q + d through deconv tap k = o + p − s·i; with r + p = s·a + b the taps
    are k = s·j + b at offset d = a − j, j = 0…(K − 1 − b) // s.
    """
    entries = []
    for r in range(stride):
        a, b = divmod(r + padding, stride)
        entries += [(r, a - j, stride * j + b) for j in range((kernel - 1 - b) // stride + 1)]
    lo, hi = min(d for _, d, _ in entries), max(d for _, d, _ in entries)
    onehot = torch.zeros(stride, hi - lo + 1, kernel)
    for r, d, k in entries:
        onehot[r, d - lo, k] = 1
    return onehot, -lo, hi


class SubPixelDeconv(nn.ConvTranspose2d):
    """nn.ConvTranspose2d that, when ``subpixel`` is set and not training, runs as conv + pixel shuffle.

    Applies when the output is exactly s× the input (K − 2p + output_padding = s), square stride, no groups or
    dilation; otherwise, and while training (the authors' op for gradients), it is the plain transposed conv.
    """

    subpixel = False

    def _applies(self) -> bool:
        (k, k2), (s, s2), (p, p2) = self.kernel_size, self.stride, self.padding
        return (self.subpixel and not self.training and k == k2 and s == s2 and p == p2 and self.groups == 1
                and self.dilation == (1, 1) and self.output_padding[0] == self.output_padding[1]
                and k - 2 * p + self.output_padding[0] == s)

    def subpixel_weight(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(conv weight (C_out·s², C_in, T, T), bias (C_out·s²,)) of the equivalent ordinary convolution."""
        onehot, _, _ = _taps(self.kernel_size[0], self.stride[0], self.padding[0])
        onehot = onehot.to(self.weight)
        w = torch.einsum("ytk,xvl,ickl->cyxitv", onehot, onehot, self.weight)
        c_out, s, _, c_in, t, _ = w.shape
        bias = None if self.bias is None else self.bias.repeat_interleave(s * s)
        return w.reshape(c_out * s * s, c_in, t, t), bias

    def forward(self, x: torch.Tensor, output_size=None) -> torch.Tensor:
        if output_size is not None or not self._applies():
            return super().forward(x, output_size)
        _, left, right = _taps(self.kernel_size[0], self.stride[0], self.padding[0])
        weight, bias = self.subpixel_weight()
        if x.is_contiguous(memory_format=torch.channels_last):
            y = F.conv2d(F.pad(x, (left, right, left, right)), weight.to(memory_format=torch.channels_last), bias)
            return _shuffle_nhwc(y, self.stride[0])
        return F.pixel_shuffle(F.conv2d(F.pad(x, (left, right, left, right)), weight, bias), self.stride[0])


def use_subpixel(model: nn.Module, on: bool = True) -> nn.Module:
    """Set every ``SubPixelDeconv`` of ``model`` to run (or not) as conv + pixel shuffle where it applies."""
    for module in model.modules():
        if isinstance(module, SubPixelDeconv):
            module.subpixel = on
    return model


def _shuffle_nhwc(y: torch.Tensor, s: int) -> torch.Tensor:
    """pixel_shuffle of a channels_last tensor, returned in plain NCHW: one copy instead of ATen's channels_last
    shuffle, whose channels_last 3-channel output then makes every stitching add strided (3.8 vs 3.3 ms here,
    and the adds 2× slower)."""
    b, cs, h, w = y.shape
    c = cs // (s * s)
    return y.permute(0, 2, 3, 1).reshape(b, h, w, c, s, s).permute(0, 3, 1, 4, 2, 5).reshape(b, c, h * s, w * s)

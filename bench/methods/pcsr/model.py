"""PCSR (Jeong, Kim, Jo, Kim, "Accelerating Image Super-Resolution Networks with Pixel-Level Classification",
ECCV 2024; pcsr.md §1–2): a conv encoder once over the whole LR image, then per HR pixel a tiny MLP classifier
choosing a light or a heavy MLP upsampler (LIIF-style input: the nearest LR feature, the relative coordinate and
cell), plus a bilinear ×s residual; the run-time knob k (or ADM's 2-means) decides; an optional 3×3 refinement
blurs light pixels next to heavy ones.

Its routing is per pixel and its encoder sees the whole image, so it implements the method interface as a
``whole_image`` model: the engine hands it the LR image (cropped to the area the 32/28 grid covers, as PCSR's
``--crop``) and receives the SR image and the class of every HR pixel. Class 0 = light, 1 = heavy.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...core.tiling import Stitcher, extract, make_grid
from ...models import build
from ...models.common import check_classes
from .configs import CONFIGS, MEANS
from .cost import PixelCosts, pixel_costs

#: HR pixels per MLP chunk: memory stays bounded on 8K images (PCSR's pixel_batch_size is 300,000).
CHUNK = 262_144
#: LR patches per batch in patch mode (PCSR's test_pcsr.py without --per_image).
PATCH_BATCH = 96


class MLP(nn.Module):
    """Linear → ReLU → … → Linear (no output activation); keys ``imnet.layers.{0,2,4,…}`` as PCSR's samplers."""

    def __init__(self, n_in: int, hidden: tuple[int, ...], n_out: int):
        super().__init__()
        sizes, layers = (n_in, *hidden, n_out), []
        for a, b in zip(sizes, sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU(inplace=True)]  # in place: a fresh tensor per ReLU cost 20 %
        self.imnet = nn.Module()
        self.imnet.layers = nn.Sequential(*layers[:-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.imnet.layers(x)


def encoder(backbone: str, width: int, **depth) -> nn.Module:
    """``backbone`` at ``width`` without its upsampler (and without CARN's MeanShifts): its ``features`` is PCSR's
    encoder, its keys PCSR's ``encoder.*``."""
    net = build(backbone, width=width, **depth)
    keep = getattr(type(net), "FEATURE_MODULES", None)
    if keep is None:
        raise ValueError(f"backbone {backbone!r} defines no FEATURE_MODULES: it cannot be PCSR's encoder")
    for name, child in list(net.named_children()):
        if name not in keep and any(True for _ in child.parameters()):
            delattr(net, name)
    return net


class PCSR(nn.Module):
    """PCSR's phase-1 network over ``backbone``'s encoder; ``k`` (float) or ``"adm"`` decides, ``refine``
    toggles the refinement, ``mode`` is image (whole LR) or patch (PCSR's 32/28 patches). Input and output in [0, 1]
    (the output is not clamped, as PCSR's)."""

    routed, whole_image, method = True, True, "pcsr"

    def __init__(self, *, backbone: str, scale: int = 4, k: float | str = 0.0, refine: bool = True,
                 mode: str = "image", width: int | None = None, heavy=None, light=None, classifier=None, **depth):
        super().__init__()
        cfg = CONFIGS.get(backbone)
        if cfg is None and None in (width, heavy, light, classifier):
            raise ValueError(f"PCSR has no configuration for {backbone!r} (known: {', '.join(CONFIGS)}); give width, "
                             "heavy, light and classifier")
        cfg = {**(cfg or {}), **{k_: v for k_, v in dict(width=width, heavy=heavy, light=light,
                                                           classifier=classifier).items() if v is not None}}
        self.backbone, self.scale, self.refine = backbone, scale, bool(refine)
        self.k = check_knob(k)
        if mode not in ("image", "patch"):
            raise ValueError(f"PCSR's mode is image (the whole LR at once) or patch (32×32 at step 28), got {mode!r}")
        self.mode = mode
        self.encoder = encoder(backbone, cfg["width"], **depth)
        n_in = cfg["width"] + 4
        self.heavy_sampler = MLP(n_in, tuple(cfg["heavy"]), 3)
        self.light_sampler = MLP(n_in, tuple(cfg["light"]), 3)
        self.classifier = MLP(n_in, tuple(cfg["classifier"]), 2)
        self.register_buffer("mean", torch.tensor(MEANS.get(backbone, (0.0, 0.0, 0.0))).view(1, 3, 1, 1),
                             persistent=False)
        self._costs: PixelCosts | None = None

    # ---- the method interface
    @property
    def branches(self) -> list[nn.Module]:
        return [self.light_sampler, self.heavy_sampler]

    router = None  # no per-patch router: the routing analysis of bench.analysis.routing does not apply
    num_classes = 2

    def check_classes(self, classes, n: int, device=None) -> torch.Tensor:
        return check_classes(classes, n, self.num_classes, device)

    @property
    def costs(self) -> PixelCosts:
        """Per-pixel FLOPs constants (E, C, L, Hv; pcsr.md §3), counted once from the modules."""
        if self._costs is None:
            self._costs = pixel_costs(self)
        return self._costs

    def path_costs(self, convention: str = "paper") -> tuple[tuple[float, ...], float]:
        """Per 32×32 LR patch, as ClassSR's and ARM's (F·1024/(h·w)): each HR pixel's classifier + MLP times the
        s²·1024 HR pixels of a patch per path, and the encoder's 1024 LR pixels as the router's cost."""
        c, hr = self.costs.of(convention), self.scale ** 2 * 1024
        return (hr * (c.classifier + c.light), hr * (c.classifier + c.heavy)), 1024 * c.encoder

    def compile_networks(self, compile_fn) -> "PCSR":
        self.encoder = compile_fn(self.encoder)
        return self

    # ---- inference
    def decision_costs(self) -> torch.Tensor:
        """PCSR's cost table [E+L, E+H] / (2E+L+H) (its 16×16 probe; the classifier left out, pcsr.md §2.1)."""
        c = self.costs.of("paper")
        e, q = 256 * c.encoder, 256 * self.scale ** 2
        light, heavy = e + q * c.light, e + q * c.heavy
        return torch.tensor([light, heavy], dtype=torch.float64).div(light + heavy).float()

    @property
    def tiled(self) -> bool:
        """True in PCSR's patch mode: the SR is made of the grid's 32×32 patches (FLOPs per image: patches run)."""
        return self.mode == "patch"

    #: The inferences of the protocol matrix: ``whole`` (image mode) and ``grid`` (patch mode), whatever ``mode`` is.
    inference_modes = ("whole", "grid")

    @torch.no_grad()
    def upscale_image(self, lr: torch.Tensor, *, coverage: str = "paper", quantize: bool = True,
                      with_probs: bool = False, inference: str | None = None, **_):
        """(SR (3, s·h_cov, s·w_cov) in [0, 1], class per HR pixel, [probabilities (n, 2)]) of one LR image
        (3, h, w) on the area the 32/28 grid covers (PCSR's ``--crop``): the whole image at once (``mode``
        image, PCSR's ``--per_image``), or its grid's patches in batches of 96 (``mode`` patch, PCSR's default;
        decisions, ADM and refinement per batch; overlaps averaged, each patch rounded to 8 bits as the suite's
        engine does). Classes and probabilities are per HR pixel of the image or of every patch. ``inference``
        (``whole`` or ``grid``) overrides ``mode`` for this call."""
        grid = make_grid(lr.shape[1], lr.shape[2], coverage=coverage)
        device = next(self.parameters()).device
        mode = {"whole": "image", "grid": "patch", None: self.mode}[inference]
        if mode == "image":
            hh, ww = (n // self.scale for n in grid.covered_hr(self.scale))
            sr, heavy, probs = self.forward_batch(lr[:, :hh, :ww].unsqueeze(0).to(device).float())
            sr = sr[0].cpu()
            if quantize:
                sr = torch.round(sr.clamp(0, 1) * 255) / 255
        else:
            stitcher, flags, all_probs = Stitcher(grid, self.scale), [], []
            for start in range(0, len(grid), PATCH_BATCH):
                stop = min(start + PATCH_BATCH, len(grid))
                out, heavy, probs = self.forward_batch(extract(lr, grid, start, stop).to(device).float())
                out = out.cpu()
                stitcher.add(torch.round(out.clamp(0, 1) * 255) / 255 if quantize else out, start)
                flags.append(heavy.cpu())
                all_probs.append(probs.cpu())
            sr, heavy, probs = stitcher.result(), torch.cat(flags), torch.cat(all_probs)
        out = (sr, heavy.long().cpu())
        return (*out, probs.cpu()) if with_probs else out

    def forward_image(self, x: torch.Tensor):
        """(SR (b, 3, H, W) with the mean added back, heavy flag per HR pixel (b·q,), probabilities (b·q, 2)) of
        LR images (b, 3, h, w) in [0, 1] (PCSR's ``forward_test``)."""
        return self.forward_batch(x)

    def forward_batch(self, x: torch.Tensor):
        """Encoder once, classifier on every HR pixel, one decision over the whole batch (ADM clusters all its
        pixels, as PCSR), each MLP on its pixels, bilinear residual, refinement per image. Under the k rule each
        block of rows is classified and upsampled in one pass; ADM needs every probability first (two passes)."""
        s, (b, _, h, w) = self.scale, x.shape
        x = x - self.mean
        feats = self.encoder.features(x)  # (b, C, h, w)
        H, W = s * h, s * w
        residual = F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
        if self.k == "adm":
            probs = torch.cat([F.softmax(self.classifier(self._queries(f, r0, r1)), dim=1)
                               for f in feats for r0, r1 in self._row_blocks(H, W)])
            heavy = self.decide(probs)
        else:
            probs, heavy = None, None
        images, all_probs, all_heavy = [], [], []
        for n, f in enumerate(feats):
            pred, image_heavy = torch.empty(H * W, 3, device=x.device), []
            for r0, r1 in self._row_blocks(H, W):
                q = self._queries(f, r0, r1)
                lo, hi = n * H * W + r0 * W, n * H * W + r1 * W
                if heavy is None:
                    p = F.softmax(self.classifier(q), dim=1)
                    flag = self.decide(p)
                    all_probs.append(p)
                    image_heavy.append(flag)
                else:
                    flag = heavy[lo:hi]
                out = torch.empty(len(q), 3, device=x.device)
                for mlp, mask in ((self.light_sampler, ~flag), (self.heavy_sampler, flag)):
                    if mask.any():
                        out[mask] = mlp(q[mask])
                pred[r0 * W:r1 * W] = out
            flags = heavy[n * H * W:(n + 1) * H * W] if heavy is not None else torch.cat(image_heavy)
            all_heavy += image_heavy
            pred = pred.t().reshape(1, 3, H, W) + residual[n:n + 1]
            images.append(refine(pred, flags.view(1, 1, H, W)) if self.refine else pred)
        if heavy is None:
            probs, heavy = torch.cat(all_probs), torch.cat(all_heavy)
        return torch.cat(images) + self.mean, heavy, probs

    def decide(self, probs: torch.Tensor) -> torch.Tensor:
        """Heavy flag per pixel: argmax_j p_j / cost_j^k (ties to light), or ADM's two-means (pcsr.md §2.4)."""
        if self.k == "adm":
            from .adm import adm_heavy

            return adm_heavy(probs[:, 1])
        weighted = probs / self.decision_costs().to(probs.device).pow(self.k)
        return weighted.argmax(dim=1) == 1

    def _row_blocks(self, H: int, W: int):
        """[r0, r1) HR row ranges of about CHUNK pixels, whole LR rows each (s HR rows)."""
        step = self.scale * max(1, CHUNK // (self.scale * W))
        return ((r0, min(r0 + step, H)) for r0 in range(0, H, step))

    def _queries(self, feat: torch.Tensor, r0: int, r1: int) -> torch.Tensor:
        """MLP inputs of HR rows [r0, r1) (whole LR rows), row-major: nearest LR feature, relative coordinate
        (row, col) × LR size, relative cell — [C, 2, 2] values (pcsr.md §1.1). The nearest feature of HR pixel
        (i, j) at an integer scale s is LR pixel (i // s, j // s): an expand, not a gather."""
        s, (c, _, w) = self.scale, feat.shape
        rows = r1 - r0
        f = feat[:, r0 // s:r1 // s, None, :, None].expand(c, rows // s, s, w, s).reshape(c, rows * w * s)
        offset = (2 * torch.arange(s, device=feat.device) + 1 - s).float() / s  # -0.75 … 0.75 at ×4
        rel_row = offset.repeat(rows // s).repeat_interleave(w * s)
        rel_col = offset.repeat(w).repeat(rows)
        cell = torch.full((rows * w * s,), 2.0 / s, device=feat.device)
        return torch.cat([f.t(), torch.stack([rel_row, rel_col, cell, cell], 1)], 1)  # contiguous (n, C + 4)


def refine(pred: torch.Tensor, heavy: torch.Tensor) -> torch.Tensor:
    """PCSR's refinement (pcsr.md §2.6): a light pixel with a heavy 3×3 neighbour, off the outer rows and columns,
    becomes its 3×3 box mean (replicate padding; all from pre-refinement values)."""
    mean = F.avg_pool2d(F.pad(pred, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    near = F.avg_pool2d(F.pad(heavy.float(), (1, 1, 1, 1), mode="replicate"), 3, stride=1) > 0
    mask = near & ~heavy
    mask[..., 0, :] = mask[..., -1, :] = False
    mask[..., :, 0] = mask[..., :, -1] = False
    return torch.where(mask, mean, pred)


def check_knob(k) -> float | str:
    """PCSR's knob: a number k (0 = argmax, > 0 towards light, < 0 towards heavy) or "adm"."""
    if isinstance(k, str) and k.lower() == "adm":
        return "adm"
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        raise ValueError(f"PCSR's knob k must be a number or 'adm', got {k!r}")
    return float(k)

"""ARM's universally-slimmable supernets (Chen et al., "ARM: Any-Time Super-Resolution Method", ECCV 2022; spec
arm.md §1) as standalone networks of this registry.

The width-w sub-net of an ARM supernet equals the standalone width-w network whose every tensor is the *leading
corner* ``T[:s0, :s1, …]`` of the same-named full tensor (verified by ARM's spec on the released weights for all
nine backbone × width pairs, CARN's concatenated fusion inputs and grouped convs included). So ``subnet(w)`` builds
the registry backbone at width w and loads the corners strictly — no slimmable layers are needed to run ARM.

ARM's FSRCNN and SRResNet checkpoints use exactly the keys of this registry's ``fsrcnn`` / ``srresnet``. ARM's CARN
has biased fusion convs without BatchNorm (54 keys against ClassSR-CARN's 102): the registry's ``carn`` with
``bn=False``, read off the checkpoint's keys. The corner rule covers CARN's subtleties by itself: a concatenated
1×1 fusion weight (64, 192) becomes (w, 3w), a grouped conv's (64, 16) becomes (w, w/4), the MeanShift (3, 3) stays.
"""
from __future__ import annotations

import os

import numpy as np
import torch
from torch import nn

from ..arm import routing
from ..arm.tables import ARM_FLAVOUR, ARM_WIDTHS, CENTRES, RELEASED

from .bicubic import BicubicBranch as BicubicPath  # ARM's path 0
from .common import CheckpointError, check_classes
from .official import _check_keys, read_state_dict
from .registry import INFER_KWARGS, build


class ArmSupernet(nn.Module):
    """One ARM supernet: the full-width network, ``subnet(width)`` for any width of its list, and ARM's routing
    over the paths [bicubic, w1, w2, w3] (``branches``, ``route``) from its lookup table ``lut`` (paths × bins, dB;
    the released table of the backbone by default, where ARM released one)."""

    #: The method interface (bench.core.inference): routed (``branches`` decided by ``route``), any-time (``route``
    #: takes a knob, ``mode``), no router module (the edge score), paths built at first use
    routed, any_time, lazy_paths, router, method = True, True, True, None, "arm"

    def __init__(self, *, backbone: str, state: dict, scale: int = 4, lut=None, centres=None):
        super().__init__()
        self.backbone, self.widths, self.scale = backbone, ARM_WIDTHS[backbone], scale
        self.full = build(backbone, width=self.widths[-1], scale=scale, **_depth(backbone, state))
        _check_keys(self.full.state_dict(), state, f"ARM {backbone}")
        self.full.load_state_dict(state)
        self.lut = None if lut is None and backbone not in RELEASED else \
            np.asarray(RELEASED[backbone] if lut is None else lut, np.float64)
        self.centres = np.asarray(CENTRES if centres is None else centres, np.float64)
        if self.lut is not None and self.lut.shape != (len(self.widths) + 1, len(self.centres)):
            raise ValueError(f"ARM {self.backbone}: a lookup table needs {len(self.widths) + 1} paths × "
                             f"{len(self.centres)} bins, got {self.lut.shape}")
        self._paths: list[nn.Module] | None = None
        self._templates: dict[int, nn.Module] = {}
        self._costs: dict[str, list[float]] = {}

    @property
    def num_classes(self) -> int:
        return len(self.widths) + 1

    @property
    def branches(self) -> list[nn.Module]:
        """[bicubic, subnet(w1), subnet(w2), subnet(w3)] on the supernet's device (built once: for inference)."""
        if self._paths is None:
            device = next(self.full.parameters()).device
            self._paths = [BicubicPath(self.scale)] + [self.subnet(w).to(device) for w in self.widths]
        return self._paths

    def compile_networks(self, compile_fn) -> "ArmSupernet":
        """The sub-nets of its paths replaced by ``compile_fn(net)``, in place (the paths are built once and kept)."""
        self._paths = self.branches[:1] + [compile_fn(net) for net in self.branches[1:]]
        return self

    def path_costs(self, convention: str = "paper") -> tuple[tuple[float, ...], float]:
        """(each path's cost, 0 for the edge score) — ARM's accounting, as ``costs``."""
        return tuple(self.costs(convention)), 0.0

    def costs(self, convention: str = "paper") -> list[float]:
        """FLOPs per 32×32 patch of each path (bicubic 0); η in FLOPs is weighed against these (arm.md §3). "paper":
        ARM's cost list exactly (the paper convention plus ARM's +1 per PReLU weight); "macs": true MACs."""
        if convention not in self._costs:
            from ..core import flops  # at call time: counting needs the backbones registered (this package)
            # from fresh sub-nets, not the cached inference paths: the costs do not depend on the weights
            self._costs[convention] = [0.0] + [float(flops.count(net, 32, convention)) + _arm_extra(net, convention)
                                               for net in map(self.subnet, self.widths)]
        return self._costs[convention]

    def width_probabilities(self) -> np.ndarray:
        """ARM's training distribution over its widths (arm.md §5): p_j ∝ C_j², FLOPs of the paper convention —
        FSRCNN .0602/.2797/.6601; the bicubic path is never trained."""
        c = np.asarray(self.costs()[1:], np.float64) ** 2  # costs() is cached: this is cheap per step
        return c / c.sum()

    def forward_width(self, x: torch.Tensor, width: int) -> torch.Tensor:
        """The width-``width`` sub-net run on the leading corners of the full tensors themselves, so gradients
        reach the shared weights (ARM's universally-slimmable training, arm.md §5)."""
        if width not in self.widths:
            raise ValueError(f"ARM {self.backbone} has widths {list(self.widths)}, not {width}")
        if width not in self._templates:  # a plain dict: the templates' own tensors are never used or saved
            self._templates[width] = build(self.backbone, width=width, scale=self.scale,
                                           **_depth(self.backbone, self.full.state_dict()))
        template = self._templates[width].train(self.training)
        tensors = dict(self.full.named_parameters()) | dict(self.full.named_buffers())
        corners = {k: tensors[k][tuple(slice(0, n) for n in v.shape)]
                   for k, v in template.state_dict().items()}
        return torch.func.functional_call(template, corners, (x,))

    def route(self, patches: torch.Tensor, mode: str | int | float = "best") -> tuple[None, torch.Tensor]:
        """(no probabilities, path per patch) by ARM's edge score, table lookup and ``mode`` (arm.md §2.3:
        "best", a forced path or η in FLOPs)."""
        if self.lut is None:
            raise ValueError(f"ARM {self.backbone} has no lookup table (ARM released none for it): give one — "
                             "load_arm(lut=…), evaluate --lut, or the profile's arm.table")
        b = routing.bins(routing.edge_scores(patches), self.centres)
        return None, torch.from_numpy(routing.decide(self.lut, self.costs(), b, mode)).long()

    @torch.inference_mode()
    def calibrate(self, lr: torch.Tensor, hr: torch.Tensor, *, batch_size: int = 256) -> None:
        """Build this supernet's lookup table from validation patch pairs (LR (N, 3, 32, 32), HR (N, 3, 128, 128),
        [0, 1]) as ARM does after training (arm.md §2.2). The bicubic row uses ARM's PyTorch-bicubic path (ARM's
        own row came from an unshipped script, spec §7.4)."""
        self.calibrate_batches([(lr[i:i + batch_size], hr[i:i + batch_size]) for i in range(0, len(lr), batch_size)])

    @torch.inference_mode()
    def calibrate_batches(self, batches) -> None:
        """``calibrate`` over an iterable of (LR, HR) batches, so a large validation set need not fit in memory."""
        device = next(self.full.parameters()).device
        rows, scores = [[] for _ in self.branches], []
        for x, y in batches:
            x = x.to(device)
            scores.append(routing.edge_scores(x))
            for j, net in enumerate(self.branches):
                rows[j].append(routing.patch_psnr(net(x), y))
        table, centres = routing.build_table(np.concatenate(scores), np.stack([np.concatenate(r) for r in rows]))
        self.lut, self.centres = table, centres

    def check_classes(self, classes, n: int, device=None) -> torch.Tensor:
        return check_classes(classes, n, self.num_classes, device)

    def subnet(self, width: int) -> nn.Module:
        """The standalone width-``width`` network: every tensor the leading corner of the full one."""
        if width not in self.widths:
            raise ValueError(f"ARM {self.backbone} has widths {list(self.widths)}, not {width}")
        net = build(self.backbone, width=width, scale=self.scale, **_depth(self.backbone, self.full.state_dict()))
        full = self.full.state_dict()
        net.load_state_dict({k: full[k][tuple(slice(0, n) for n in v.shape)] for k, v in net.state_dict().items()})
        return net.eval()

    def forward(self, x):
        return self.full(x)


def _arm_extra(net: nn.Module, convention: str) -> int:
    """What ARM's counter adds to the paper convention (arm.md §3): the weight count of every other module with a
    trainable weight — FSRCNN's four one-parameter PReLUs, +4 FLOPs per patch — so the costs are ARM's cost list."""
    if convention != "paper":
        return 0
    counted = (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)
    return sum(m.weight.numel() for m in net.modules() if isinstance(getattr(m, "weight", None), nn.Parameter)
               and not isinstance(m, counted))


def fresh_arm(name: str, *, scale: int = 4, seed: int | None = None, **depth) -> ArmSupernet:
    """A randomly initialised ARM supernet of ``name`` (ARM's full width and flavour, ``depth`` e.g. SRResNet's
    blocks): the start of ARM's training, or a timing stand-in. Its table is ARM's released one where there is one
    (the routing depends on the table and the input only), else none until ``calibrate``."""
    if name not in ARM_WIDTHS:
        raise KeyError(f"no ARM supernet {name!r} here; known: {', '.join(ARM_WIDTHS)}")
    if seed is not None:
        torch.manual_seed(seed)
    net = build(name, width=ARM_WIDTHS[name][-1], scale=scale, **depth, **ARM_FLAVOUR.get(name, {}))
    return ArmSupernet(backbone=name, state=net.state_dict(), scale=scale)


def _depth(backbone: str, state: dict) -> dict:
    """Depth and flavour kwargs read off the checkpoint (SRResNet's blocks, CARN's ``bn``), without width and
    scale."""
    return {k: v for k, v in INFER_KWARGS[backbone](state).items() if k not in ("width", "scale")}


def load_arm(name: str, source, *, scale: int = 4, lut=None) -> ArmSupernet:
    """An ARM supernet from ARM's released checkpoint (``ckpt/arm-<name>.pth``, a plain state dict) or a state
    dict; read with ``weights_only=True`` and loaded strictly. ClassSR checkpoints are refused by name. ``lut``:
    its edge-to-PSNR table (paths × 30 bins, dB) or the path of ARM's ``.state`` holding it (refused when its cost
    list is another backbone's); default ARM's released table for FSRCNN and CARN."""
    if name not in ARM_WIDTHS:
        raise KeyError(f"no ARM supernet {name!r} here; known: {', '.join(ARM_WIDTHS)}")
    state = read_state_dict(source)
    if any(k.startswith(("net1.", "classifier.")) for k in state):
        raise CheckpointError(f"{source if isinstance(source, str) else 'state dict'}: a ClassSR checkpoint "
                              "(classifier/net1… keys), not an ARM supernet; use bench.models.load_official")
    width = INFER_KWARGS[name](state)["width"]
    if width != ARM_WIDTHS[name][-1]:
        raise CheckpointError(f"ARM {name} supernets are {ARM_WIDTHS[name][-1]} wide; this checkpoint is {width}")
    centres, costs, origin = None, None, None
    if isinstance(lut, (str, os.PathLike)):
        origin = os.fspath(lut)
        lut, centres, costs = routing.read_table(origin)
    try:
        arm = ArmSupernet(backbone=name, state=state, scale=scale, lut=lut, centres=centres).eval()
    except ValueError as e:
        if origin is None or isinstance(e, CheckpointError):
            raise
        raise ValueError(f"{origin}: {e}") from None  # a table of the wrong shape: name its file
    if costs is not None and not np.allclose(costs, arm.costs(), rtol=0, atol=0.5):
        raise CheckpointError(f"{origin}: a lookup table for paths costing {costs.tolist()} FLOPs, not ARM {name}'s "
                              f"{[round(c) for c in arm.costs()]} (another backbone's table?)")
    return arm

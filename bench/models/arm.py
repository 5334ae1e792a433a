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

from torch import nn

from .common import CheckpointError
from .official import _check_keys, read_state_dict
from .registry import INFER_KWARGS, build

#: ARM's width lists (paths 1, 2, 3; path 0 is bicubic), arm.md §1.2–1.4.
ARM_WIDTHS = {"fsrcnn": (16, 36, 56), "carn": (36, 52, 64), "srresnet": (36, 52, 64)}


class ArmSupernet(nn.Module):
    """One ARM supernet: the full-width network, and ``subnet(width)`` for any width of its list."""

    def __init__(self, *, backbone: str, state: dict, scale: int = 4):
        super().__init__()
        self.backbone, self.widths, self.scale = backbone, ARM_WIDTHS[backbone], scale
        self.full = build(backbone, width=self.widths[-1], scale=scale, **_depth(backbone, state))
        _check_keys(self.full.state_dict(), state, f"ARM {backbone}")
        self.full.load_state_dict(state)

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


def _depth(backbone: str, state: dict) -> dict:
    """Depth and flavour kwargs read off the checkpoint (SRResNet's blocks, CARN's ``bn``), without width and
    scale."""
    return {k: v for k, v in INFER_KWARGS[backbone](state).items() if k not in ("width", "scale")}


def load_arm(name: str, source, *, scale: int = 4) -> ArmSupernet:
    """An ARM supernet from ARM's released checkpoint (``ckpt/arm-<name>.pth``, a plain state dict) or a state
    dict; read with ``weights_only=True`` and loaded strictly. ClassSR checkpoints are refused by name."""
    if name not in ARM_WIDTHS:
        raise KeyError(f"no ARM supernet {name!r} here; known: {', '.join(ARM_WIDTHS)}")
    state = read_state_dict(source)
    if any(k.startswith(("net1.", "classifier.")) for k in state):
        raise CheckpointError(f"{source if isinstance(source, str) else 'state dict'}: a ClassSR checkpoint "
                              "(classifier/net1… keys), not an ARM supernet; use bench.models.load_official")
    width = INFER_KWARGS[name](state)["width"]
    if width != ARM_WIDTHS[name][-1]:
        raise CheckpointError(f"ARM {name} supernets are {ARM_WIDTHS[name][-1]} wide; this checkpoint is {width}")
    return ArmSupernet(backbone=name, state=state, scale=scale).eval()

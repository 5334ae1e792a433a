"""The one model registry: name -> constructor. Filled by the explicit imports in ``bench/models/__init__.py``."""
from __future__ import annotations

from typing import Callable

from torch import nn

REGISTRY: dict[str, Callable[..., nn.Module]] = {}
#: Names of the single-network SR backbones (a subset of REGISTRY), in the paper's Table 1 order.
BACKBONES: list[str] = []
#: backbone name -> function reading its constructor kwargs (width, depth, scale) off an authors' state dict.
INFER_KWARGS: dict[str, Callable[[dict], dict]] = {}


def register(fn: Callable[..., nn.Module] | None = None, *, infer_kwargs: Callable[[dict], dict] | None = None):
    """Register a constructor under its function name (timm's ``@register_model`` pattern).

    A backbone registers with ``infer_kwargs`` (how to read its hyper-parameters off an official checkpoint);
    that both marks it as a backbone usable inside ClassSR and lets ``load_official`` import its weights.
    """

    def wrap(f):
        if f.__name__ in REGISTRY:
            raise KeyError(f"model {f.__name__!r} registered twice")
        REGISTRY[f.__name__] = f
        if infer_kwargs is not None:
            name = f.__name__
            BACKBONES.append(name)
            INFER_KWARGS[name] = infer_kwargs
            # the authors' name of its ClassSR model, an alias of the generic container
            REGISTRY[f"classsr_{name}"] = lambda **kwargs: REGISTRY["classsr"](backbone=name, **kwargs)
        return f

    return wrap(fn) if fn is not None else wrap


def build(name: str, **kwargs) -> nn.Module:
    """Build a registered model, e.g. ``build("carn", width=52)``, ``build("classsr", backbone="fsrcnn",
    widths=[16, 56])`` or its alias ``build("classsr_fsrcnn", widths=[16, 56])``."""
    try:
        ctor = REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
    return ctor(**kwargs)

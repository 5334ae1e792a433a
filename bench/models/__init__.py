"""Model zoo of classsr-bench: the four ClassSR backbones, the Class-Module and the generic ClassSR container.

Public API: ``build(name, **kwargs)``, ``load_official(name, source)``, ``export_official(model)``, ``REGISTRY``.
Adding a backbone = one new module with a ``@register(infer_kwargs=…)`` function + one import line below.
"""
from . import carn, classifier, classsr, fsrcnn, rcan, srresnet  # noqa: F401  (fills REGISTRY)
from .classsr import PAPER_WIDTHS, ClassSR, Routed
from .official import CheckpointError, export_official, load_official
from .registry import BACKBONES, REGISTRY, build

__all__ = ["BACKBONES", "REGISTRY", "PAPER_WIDTHS", "ClassSR", "Routed", "CheckpointError", "build",
           "export_official", "load_official"]

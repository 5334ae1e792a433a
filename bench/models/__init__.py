"""Model zoo of classsr-bench: the ClassSR backbones, the Class-Module and the generic ClassSR container.

Public API: ``build(name, **kwargs)``, ``load_official(name, source)``, ``export_official(model)``, ``REGISTRY``.
Adding a backbone = one new module (its network, ``SPEC`` and ``@register(infer_kwargs=…)`` constructor) + its
name in ``bench.backbones.BACKBONE_MODULES``; ``classsr_<name>`` then exists as an alias of ``classsr``.
"""
import importlib

from .. import backbones
from . import classifier, classsr  # noqa: F401  (fill REGISTRY)
from .classsr import ClassSR, Routed
from .arm import ArmSupernet, fresh_arm, load_arm
from .official import CheckpointError, export_official, load_official
from .registry import BACKBONES, REGISTRY, build


def import_plugins() -> None:
    """Import the backbone modules and the ``CLASSSR_BENCH_PLUGINS`` modules (an explicit list, no folder
    scanning); modules already imported are not imported again."""
    for module in backbones.modules():
        importlib.import_module(module)


import_plugins()

#: Branch widths of the paper per backbone (simple → hard; the last is the "-O" network), from the specs.
PAPER_WIDTHS = backbones.paper_widths()

__all__ = ["BACKBONES", "REGISTRY", "PAPER_WIDTHS", "ClassSR", "Routed", "CheckpointError", "build",
           "export_official", "fresh_arm", "load_arm", "load_official"]

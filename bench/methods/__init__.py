"""The method registry: content-adaptive SR methods that join the workflow through one registered ``Method``.

A method is one package (nerfstudio's method configs over one trainer; timm's ``@register_model``): its routed
model (``bench.models.interface``), the dataclass of its profile section ``methods.<name>`` and a ``Method`` that
says which models to evaluate from which files of the job plan, how to load one, and how to build one at paper
widths for the latency benchmark. The job plan, the ``evaluate``/``routing``/``perf`` verbs and the report ask
this registry only — no rule, engine, evaluation or report code names a method.

Adding a method: one package calling :func:`register_method` at import, plus its module name in
:data:`METHOD_MODULES` (outside ``bench``: in ``CLASSSR_BENCH_PLUGINS``). Keep torch out of the package's
``__init__`` (import the model inside ``load``/``perf_model``), so that planning (``snakemake -n``) stays
torch-free. ClassSR and ARM predate this registry: their training stages and rules are the paper's DAG
(``train.smk``, ``arm.smk``); they implement the same model interface.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
from typing import Any, Callable

from ..backbones import plugin_modules

#: Method packages of this library (one line per method); a profile enables one with ``methods.<name>``.
METHOD_MODULES: tuple[str, ...] = ("bench.methods.pcsr",)
#: Model ids a method may not use: the -O network, the bicubic reference and ARM's sweep rows.
RESERVED_IDS = ("original", "bicubic", "arm")


@dataclasses.dataclass(frozen=True)
class MethodModel:
    """One evaluated model of a method: the ``model`` column ``id`` of ``backbone``, loaded from ``inputs`` (files
    of the job plan, e.g. trained branches) with ``options`` (JSON-able keyword arguments of ``Method.load``)."""

    method: str
    backbone: str
    id: str
    inputs: tuple[str, ...]
    options: dict = dataclasses.field(default_factory=dict)

    def options_json(self) -> str:
        return json.dumps(self.options, sort_keys=True)


@dataclasses.dataclass(frozen=True)
class MethodRun:
    """One training job of a method: its ``stage`` for ``backbone``, the resolved ``run``
    (``bench.train.run.RunConfig``, from ``plan.method_run_config``), written to ``plan.method_model(...)``; its
    ``run.init`` files are the job's inputs."""

    method: str
    backbone: str
    stage: str
    run: Any


@dataclasses.dataclass(frozen=True)
class ProtocolCell:
    """One cell of the protocol matrix: colour (rgb or y), border crop (``scale`` px or 0), inference (grid or
    whole), LR bits (8: uint8 files; 16: PCSR's float LR within 1/65535) and where the cell is stated."""

    color: str
    crop: str
    inference: str
    lr_bits: int
    source: str

    def label(self) -> str:
        return f"{self.color.upper()}, crop {self.crop}, {self.inference}, {self.lr_bits}-bit LR ({self.source})"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Method:
    """What the workflow asks of an adaptive method.

    ``models(plan, config)``: its evaluated models (``MethodModel``) given the job plan (``bench.plan.dag.Plan``:
    its branch and -O checkpoints) and its validated ``config``. ``load(inputs, *, backbone, scale, **options)``:
    the routed model of one ``MethodModel``. ``perf_model(*, backbone, scale, depth, **options)``: the same model
    at paper widths with seeded random weights (latency depends on widths and routing, not on training).
    ``routing_cache``: its model has a ``router`` module whose per-patch logits the routing analysis sweeps.
    ``runs(plan, config)``: its training jobs (``MethodRun``; stages of the one trainer), none if absent.
    ``published_cell``: the protocol cell of the method's published numbers (the protocol table says whether each
    of its rows is measured in it).
    """

    name: str
    config: type
    models: Callable[[Any, Any], list[MethodModel]]
    load: Callable[..., Any]
    perf_model: Callable[..., Any] | None = None
    routing_cache: bool = True
    runs: Callable[[Any, Any], list[MethodRun]] | None = None
    published_cell: ProtocolCell | None = None
    description: str = ""


METHODS: dict[str, Method] = {}


def register_method(method: Method) -> Method:
    """Register ``method`` under its name (once)."""
    if method.name in METHODS:
        raise KeyError(f"method {method.name!r} registered twice")
    if not dataclasses.is_dataclass(method.config):
        raise TypeError(f"method {method.name!r}: config must be a dataclass (its profile section), "
                        f"got {method.config!r}")
    METHODS[method.name] = method
    return method


def get_method(name: str) -> Method:
    """The registered method ``name``; the library's method packages are imported first, then (on a miss) the
    ``CLASSSR_BENCH_PLUGINS`` modules, so a profile without plugin methods never imports them."""
    for module in METHOD_MODULES:
        importlib.import_module(module)
    if name not in METHODS:
        for module in plugin_modules():
            importlib.import_module(module)
    try:
        return METHODS[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r}; registered: {', '.join(sorted(METHODS)) or 'none'} (a method "
                       "outside bench is listed in CLASSSR_BENCH_PLUGINS)") from None


def method_config(name: str, raw: dict | None):
    """The typed config of ``methods.<name>`` (unknown keys rejected by name, like every profile section)."""
    from ..config import from_dict

    return from_dict(get_method(name).config, raw or {}, f"methods.{name}")

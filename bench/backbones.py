"""Every backbone's facts in one place — its own model file — readable without importing torch.

Each backbone module (``bench/models/fsrcnn.py`` …) declares ``SPEC = BackboneSpec(...)`` beside its network:
official name, the paper's widths and depth, published FLOPs and the authors' constants, its training-recipe
entries and its tiny test sizes. Planning code (profile validation, the DAG, captions, perf flags, FLOPs tables,
recipes) reads these specs *from the source* (``ast.literal_eval`` of the ``SPEC`` call's keyword literals), so
``snakemake -n`` never imports torch; ``bench.models`` imports the same modules to register the networks, and a
test keeps the two readings equal.

Adding a backbone: one model file with its ``SPEC`` and ``@register(infer_kwargs=…)`` constructor, plus its name
in :data:`BACKBONE_MODULES`. Models outside this package (a backbone, a classifier): list their importable module
names in the environment variable ``CLASSSR_BENCH_PLUGINS`` (comma-separated); ``bench.models`` imports them, and
those defining ``SPEC`` are backbones.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import importlib.util
import os
from pathlib import Path

#: The backbones of this package, in the paper's Table 1 order (one line per backbone).
BACKBONE_MODULES = ("fsrcnn", "carn", "srresnet", "rcan")
PLUGINS_ENV = "CLASSSR_BENCH_PLUGINS"


@dataclasses.dataclass(frozen=True)
class BackboneSpec:
    """Facts of one ClassSR backbone (Kong et al., CVPR 2021; spec §1, §3.2, §6). FLOPs: per 32×32 LR patch, ×4."""

    name: str                                   # registry name, e.g. "fsrcnn"
    official_name: str                          # how the authors spell it in file names ("FSRCNN")
    paper_widths: tuple[int, ...]               # branch widths simple → hard; the last is the "-O" network
    paper_depth: dict = dataclasses.field(default_factory=dict)  # depth kwargs at paper scale, e.g. {"blocks": 16}
    published_flops: dict = dataclasses.field(default_factory=dict)  # width -> FLOPs as printed (ARM cost_list)
    authors_flops: tuple[float, ...] = ()       # the authors' cal_FLOPs constants, simple → hard
    authors_classifier_flops: float = 0.0       # classifier cost the authors add (FSRCNN only: 7.4 M)
    recipe: dict = dataclasses.field(default_factory=dict)  # stage -> overrides of the common recipe
    tiny: dict = dataclasses.field(default_factory=dict)    # test sizes: width, widths, depth kwargs

    @property
    def depth_keys(self) -> tuple[str, ...]:
        """The depth kwargs a profile may set for this backbone (demo reductions, perf depth)."""
        return tuple(self.paper_depth)

    def describe_depth(self, depth: dict | None = None) -> str:
        """'10 groups × 20 blocks', '16 blocks' or 'fixed' (FSRCNN, CARN-M)."""
        depth = self.paper_depth if depth is None else depth
        return " × ".join(f"{v} {k}" for k, v in depth.items()) or "fixed"


def builtin_modules() -> tuple[str, ...]:
    return tuple(f"bench.models.{m}" for m in BACKBONE_MODULES)


def plugin_modules() -> tuple[str, ...]:
    return tuple(m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip())


def modules() -> tuple[str, ...]:
    return builtin_modules() + plugin_modules()


def _source(module: str) -> Path:
    if module.startswith("bench.models."):  # located directly: find_spec would import the torch-using package
        return Path(__file__).parent / "models" / (module.rsplit(".", 1)[1] + ".py")
    found = importlib.util.find_spec(module)
    if found is None or not found.origin:
        raise ModuleNotFoundError(f"model module {module!r} (from {PLUGINS_ENV}) not found on the Python path")
    return Path(found.origin)


def read_spec(module: str, *, required: bool = True) -> BackboneSpec | None:
    """The ``SPEC = BackboneSpec(...)`` of a module, read from its source without importing it (None if the
    module has none and ``required`` is false: a plugin that is not a backbone, e.g. a classifier)."""
    path = _source(module)
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "SPEC" for t in node.targets):
            if not (isinstance(node.value, ast.Call) and not node.value.args):
                raise ValueError(f"{path}: SPEC must be BackboneSpec(...) with keyword arguments only")
            try:
                return BackboneSpec(**{kw.arg: ast.literal_eval(kw.value) for kw in node.value.keywords})
            except ValueError as e:
                raise ValueError(f"{path}: SPEC arguments must be literals (numbers, strings, tuples, dicts): {e}"
                                 ) from None
    if required:
        raise ValueError(f"{path}: a backbone module must define SPEC = BackboneSpec(...)")
    return None


@functools.cache
def _specs(mods: tuple[str, ...]) -> dict[str, BackboneSpec]:
    specs = {}
    for module in mods:
        spec = read_spec(module, required=module in builtin_modules())
        if spec is None:
            continue
        if spec.name in specs:
            raise KeyError(f"backbone {spec.name!r} declared twice ({module})")
        specs[spec.name] = spec
    return specs


def specs() -> dict[str, BackboneSpec]:
    """name -> spec of every backbone, in Table 1 order (extra modules last)."""
    return _specs(modules())


def spec(name: str) -> BackboneSpec:
    try:
        return specs()[name]
    except KeyError:
        raise KeyError(f"unknown backbone {name!r}; known: {', '.join(specs())}") from None


def names() -> tuple[str, ...]:
    return tuple(specs())


def paper_widths() -> dict[str, tuple[int, ...]]:
    return {name: s.paper_widths for name, s in specs().items()}


def check_branch_widths(widths, where: str) -> tuple[int, ...]:
    """ClassSR's branch widths, simple → hard: positive, except a first 0 (the bicubic class); a clear error naming
    ``where`` otherwise."""
    widths = tuple(widths)
    if any(w < 0 for w in widths) or 0 in widths[1:] or widths[-1] == 0:
        raise ValueError(f"{where}: widths {list(widths)}: each must be positive, except a first 0 (the zero-cost "
                         "bicubic class)")
    return widths

"""The library's import graph has no cycle — counting deferred imports inside functions too, since a deferred import
that dodges a cycle is the cycle still (issue 23)."""
from __future__ import annotations

import ast
import re
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "bench"


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The bench modules ``name`` imports anywhere in its body (``from .x import y`` names module x.y when that is
    a module, else x)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names}
    return {m for m in found if m in modules and m != name}


def test_the_library_has_no_import_cycle():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as e:
        pytest.fail(f"import cycle: {' → '.join(e.args[1])}")


def test_the_graph_sees_relative_and_deferred_imports():
    modules = _modules()
    assert "bench.core.flops" in _imports("bench.models.arm", modules["bench.models.arm"], modules)  # deferred
    assert "bench.models.common" in _imports("bench.core.flops", modules["bench.core.flops"], modules)


def test_the_library_is_a_handful_of_packages_each_saying_what_it_holds():
    modules = sorted(p.name for p in ROOT.glob("*.py"))
    assert len(modules) <= 10, f"bench/ has {len(modules)} top-level modules: {modules}"
    for init in ROOT.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and doc.strip(), f"{init.parent.name}: no docstring saying what the package holds"


def test_workflow_planning_never_imports_torch():
    import subprocess
    import sys

    code = "import sys, bench.plan.dag, bench.plan.layout, bench.plan.captions; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_generic_code_never_asks_which_method_it_holds():
    """The engine, evaluation, perf, routing and the trainer use the method interface (``routed``, ``route``,
    ``router``, ``path_costs``, ``compile_networks``; the stage for training); only the models package itself may
    test for its classes."""
    asked = []
    for path in ROOT.rglob("*.py"):
        if path.parent.name == "models":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"isinstance\([^)]*\b(ClassSR|ArmSupernet)\b", line):
                asked.append(f"{path.relative_to(ROOT.parent)}:{n}")
    assert not asked, f"isinstance on a method type outside bench/models: {asked}"


def test_both_methods_implement_the_interface():
    import torch

    from bench.arm.tables import ARM_WIDTHS
    from bench.models import ArmSupernet, build
    from bench.models.interface import MEMBERS

    classsr = build("classsr_fsrcnn", widths=[4, 8])
    arm = ArmSupernet(backbone="fsrcnn", state=build("fsrcnn", width=ARM_WIDTHS["fsrcnn"][-1]).state_dict())
    for model in (classsr, arm):
        missing = [m for m in MEMBERS if not hasattr(model, m)]
        assert not missing, f"{type(model).__name__} lacks {missing}"
        assert model.routed and len(model.path_costs("paper")[0]) == model.num_classes == len(model.branches)
        x = torch.rand(3, 3, 32, 32)
        assert model.route(x)[1].shape == (3,)

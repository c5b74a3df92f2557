"""Layers import one way: types, stats, cache <- geometry, nets <- protocols <- verdicts <- run <- report, build,
the pytest plugin. Read from the source (ast): every import of a landscape_lib module, at any depth (a function's
lazy import counts too), must point at the same or an earlier layer; geometry and nets do not import each other."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "landscape_lib"
LAYERS = {"types": 0, "stats": 0, "cache": 0, "numerics": 0, "__init__": 0, "geometry": 1, "nets": 1, "protocols": 2,
          "verdicts": 3, "run": 4, "report": 5, "build": 5, "pytest_plugin": 5, "claims_tests": 6, "cli": 6}
SIBLINGS = {("geometry", "nets"), ("nets", "geometry")}


def _part(module: str) -> str:
    """The layer name of a dotted module path inside the package ('landscape_lib.protocols.lab' -> 'protocols')."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path, pkg: Path = PKG):
    """(line, imported landscape_lib module) for every import in ``path`` (a file of the package ``pkg``)."""
    rel = path.relative_to(pkg.parent).with_suffix("")
    here = list(rel.parts)
    if here[-1] == "__init__":
        here = here[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("landscape_lib"):
                    yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + (1 if path.name == "__init__.py" else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
                names = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
                for m in names:
                    yield node.lineno, m
            elif node.module and node.module.startswith("landscape_lib"):
                yield node.lineno, node.module


def test_every_module_has_a_layer():
    for path in PKG.rglob("*.py"):
        part = path.relative_to(PKG).parts[0].removesuffix(".py")
        assert part in LAYERS, f"{path}: no layer declared for {part!r} (tests/test_layers.py LAYERS)"


def violations(pkg: Path = PKG) -> list[str]:
    """Every import against the layer order in the package ``pkg``, one line each."""
    bad = []
    for path in sorted(pkg.rglob("*.py")):
        mine = path.relative_to(pkg).parts[0].removesuffix(".py")
        for line, module in _imports(path, pkg):
            theirs = _part(module)
            if theirs not in LAYERS:
                continue
            if LAYERS[theirs] > LAYERS[mine] or (mine, theirs) in SIBLINGS:
                bad.append(f"{path.relative_to(pkg.parent)}:{line}: {mine} (layer {LAYERS[mine]}) imports {module} "
                           f"(layer {LAYERS[theirs]})")
    return bad


def test_imports_point_only_at_earlier_layers():
    bad = violations()
    assert not bad, "imports against the layer order types <- geometry, nets <- protocols <- verdicts <- run <- " \
                    "report, pytest_plugin:\n" + "\n".join(bad)


def test_the_checker_sees_a_violation(tmp_path):
    """The rule can fail: a geometry module that imports verdicts (lazily, inside a function), or nets, is caught
    (in a copy of the package, so the real one is never touched)."""
    import shutil

    pkg = tmp_path / "landscape_lib"
    shutil.copytree(PKG, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    assert violations(pkg) == []
    (pkg / "geometry" / "zz_probe.py").write_text("def f():\n    from ..verdicts import decide\n    return decide\n")
    (pkg / "geometry" / "zz_probe2.py").write_text("import landscape_lib.nets.models\n")
    assert violations(pkg) == [
        "landscape_lib/geometry/zz_probe.py:2: geometry (layer 1) imports landscape_lib.verdicts (layer 3)",
        "landscape_lib/geometry/zz_probe2.py:1: geometry (layer 1) imports landscape_lib.nets.models (layer 1)"]

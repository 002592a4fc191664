"""Imports run one way, read from the source with ``ast``: no import loop anywhere in the package,
the .NET library never imports the language, and each of its modules imports only from its own
layer or the layers below (``aiohttp_apim.dotnet.library.LAYERS``).

Every ``import`` counts, at module level or inside a function, except those under
``if TYPE_CHECKING:`` (they never run)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import aiohttp_apim
from aiohttp_apim.dotnet import library

PACKAGE = Path(aiohttp_apim.__file__).parent
ROOT = PACKAGE.parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The package module ``name`` is (or lives in: ``pkg.mod.attr`` -> ``pkg.mod``)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _type_checking_only(tree: ast.Module) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return skipped


def _imports(module: str) -> Iterator[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target)
            if resolved is not None and resolved != module:
                yield resolved


GRAPH = {module: set(_imports(module)) for module in MODULES}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_the_import_graph_sees_the_package() -> None:
    assert "aiohttp_apim.dotnet.strings" in GRAPH["aiohttp_apim.dotnet.json"]
    assert "aiohttp_apim.dotnet.library" in GRAPH["aiohttp_apim.expressions.runtime"]
    # an import inside a function counts
    assert "aiohttp_apim.cache.redis" in GRAPH["aiohttp_apim"]
    # the exchange reaches the expression context through Runtime.contexts, not by an import
    assert "aiohttp_apim.pipeline.exprcontext" not in GRAPH["aiohttp_apim.pipeline.exchange"]


def test_there_is_no_import_loop_in_the_package() -> None:
    assert _cycles() == []


def test_the_dotnet_library_never_imports_the_language() -> None:
    offending = {
        module: sorted(t for t in targets if t.startswith("aiohttp_apim.expressions"))
        for module, targets in GRAPH.items()
        if module.startswith("aiohttp_apim.dotnet")
    }
    assert {m: t for m, t in offending.items() if t} == {}


def test_each_library_module_imports_only_its_own_layer_or_lower_ones() -> None:
    layer_of = {
        module.__name__: depth for depth, layer in enumerate(library.LAYERS) for module in layer
    }
    top = len(library.LAYERS)
    dotnet = {m for m in GRAPH if m.startswith("aiohttp_apim.dotnet.")}
    unplaced = (
        dotnet - set(layer_of) - {"aiohttp_apim.dotnet.library", "aiohttp_apim.dotnet.reference"}
    )
    assert unplaced == set(), "every library module has a layer"
    layer_of["aiohttp_apim.dotnet.library"] = top
    layer_of["aiohttp_apim.dotnet.reference"] = top + 1
    upward = [
        (module, target)
        for module in sorted(dotnet)
        for target in sorted(GRAPH[module])
        if target in layer_of and layer_of[target] > layer_of[module]
    ]
    assert upward == []

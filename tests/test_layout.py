"""The code's layout: packages in the order data flows, imports pointing one way only.

Layers, lowest first: the core modules (``config``, ``errors``, ``records``,
``unicode_scripts``, ``repair``), ``stages``, ``reading`` (which splits records with the markers stage's
matcher), ``output``, ``engine``, ``cli`` (and ``__main__``). A module imports only from its own
layer or lower ones, functions' deferred imports included, and no two modules import each
other, directly or round a longer cycle."""

from __future__ import annotations

import ast

from support.paths import ROOT

PACKAGE = ROOT / "corpus_clean"
LAYERS = {"core": 0, "stages": 1, "reading": 2, "output": 3, "engine": 4, "cli": 5,
          "__main__": 5}
CORE = {"corpus_clean", "corpus_clean.config", "corpus_clean.errors", "corpus_clean.records",
        "corpus_clean.unicode_scripts", "corpus_clean.repair"}


def _module(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    if module in CORE:
        return LAYERS["core"]
    return LAYERS[module.split(".")[1]]


def _imports() -> dict[str, set[str]]:
    """Every corpus_clean module and the corpus_clean modules it imports (anywhere in it)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        base = name.split(".") if is_package else name.split(".")[:-1]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    prefix = base[:len(base) - node.level + 1]
                    target = ".".join(prefix + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                candidates = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            for c in candidates:
                if c in modules and c != name:
                    found.add(c)
        graph[name] = found
    return graph


def test_every_module_belongs_to_a_layer():
    for module in _imports():
        assert _layer(module) >= 0, module


def test_imports_never_point_up_a_layer():
    wrong = [(m, t) for m, targets in _imports().items() for t in targets
             if _layer(t) > _layer(m)]
    assert wrong == []


def test_the_import_graph_has_no_cycle():
    graph = _imports()
    state: dict[str, int] = {}
    cycles = []

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_local_path_never_imports_dask():
    graph = _imports()
    seen, todo = set(), ["corpus_clean.engine.pipeline", "corpus_clean.cli.command"]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph[m])
    # reached only through deferred imports taken when --executor dask is asked for
    assert "corpus_clean.engine.dask_dedup" not in {
        t for m in seen for t in _top_level_imports(m)}


def _top_level_imports(module: str) -> set[str]:
    """The corpus_clean modules ``module`` imports at module level (not inside functions)."""
    path = PACKAGE.joinpath(*module.split(".")[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    out = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level:
            prefix = base[:len(base) - node.level + 1]
            target = ".".join(prefix + ([node.module] if node.module else []))
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)
    return out

"""The layers of the code base: what may import what, read from the source with `ast` (nothing is imported)."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, Set

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reissue", "clients", "bot", "actions", "backend", "lookup", "web", "scripts")
# Lower layers first: a package may import only itself and the modules under these prefixes (the action
# server's entry point installs the framework patches; nothing imports `actions` — Rasa loads it by name).
ALLOWED = {
    "reissue": (),
    "clients": ("reissue",),
    "bot": ("reissue", "clients"),
    "actions": ("reissue", "clients", "bot.patches"),
    "backend": ("reissue",),
    "lookup": ("reissue", "clients"),
    "web": ("reissue",),
    "scripts": ("reissue", "clients", "bot", "backend", "lookup"),
}
FRAMEWORKS = ("rasa", "rasa_sdk", "sanic", "fastapi", "starlette", "sqlalchemy", "alembic", "requests", "httpx",
              "redis", "tensorflow", "aiohttp")


def _modules(package: str) -> Iterator[Path]:
    """Every Python file of a top-level package."""
    yield from (path for path in (ROOT / package).rglob("*.py") if "node_modules" not in path.parts)


def _module_name(path: Path) -> str:
    """`reissue/parsing/text.py` → `reissue.parsing.text`."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str = "") -> Set[str]:
    """The absolute module names a file imports (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = module or _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph() -> Dict[str, Set[str]]:
    """Project module → the project modules it imports."""
    files = {_module_name(path): path for package in PACKAGES for path in _modules(package)}
    return {name: {imported for imported in _imports(path) if imported in files and imported != name}
            for name, path in files.items()}


def _allowed(module: str, prefixes: tuple) -> bool:
    """True when `module` is one of `prefixes` or inside one of them."""
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = sorted(f"{name} → {imported}" for name, targets in _graph().items() if name.split(".")[0] == package
                   for imported in targets
                   if not _allowed(imported, (package,) + ALLOWED[package]))
    assert not wrong


def test_the_domain_imports_no_framework() -> None:
    wrong = sorted(f"{_module_name(path)} → {name}" for path in _modules("reissue") for name in _imports(path)
                   if name.split(".")[0] in FRAMEWORKS)
    assert not wrong


def test_there_is_no_import_cycle() -> None:
    graph = _graph()
    state: Dict[str, int] = {}
    cycles = []

    def visit(name: str, path: list) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append(" → ".join(path[path.index(target):] + [target]) if target in path else target)
            elif target not in state:
                visit(target, path + [target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles


def test_the_checker_resolves_absolute_and_relative_imports(tmp_path) -> None:
    source = tmp_path / "probe.py"
    source.write_text("from rasa.core.agent import Agent\nfrom .sibling import thing\nimport bot.patches\n",
                      encoding="utf-8")
    found = _imports(source, "reissue.parsing.probe")
    assert {"rasa.core.agent", "reissue.parsing.sibling", "bot.patches"} <= found
    assert _allowed("bot.patches.sanic", ("bot.patches",)) and not _allowed("bot.patchesx", ("bot.patches",))

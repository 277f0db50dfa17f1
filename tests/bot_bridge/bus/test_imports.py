"""The bus package imports without a circle, and picks its backend lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import bot_bridge.bus

PACKAGE = "bot_bridge.bus"
FOLDER = Path(bot_bridge.bus.__file__).parent
MODULES = sorted(
    PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}" for path in FOLDER.glob("*.py")
)


def imported(module: str) -> set[str]:
    """The package's modules that `module` imports anywhere (lazy imports in functions too)."""
    path = FOLDER / ("__init__.py" if module == PACKAGE else f"{module.rsplit('.', 1)[1]}.py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return {name for name in found if name in MODULES and name != module}


def test_no_import_circle_between_the_modules() -> None:
    graph = {module: imported(module) for module in MODULES}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError(" -> ".join([*path[path.index(module) :], module]))
        if module not in done:
            for following in sorted(graph[module]):
                visit(following, [*path, module])
            done.add(module)

    for module in MODULES:
        visit(module, [])


def test_each_module_imports_alone_in_a_fresh_interpreter() -> None:
    backends = [f"{PACKAGE}.memory", f"{PACKAGE}.redis"]
    for module in MODULES:
        script = (
            f"import sys, importlib; importlib.import_module({module!r}); "
            f"print(sorted(set({backends!r}) & set(sys.modules)))"
        )
        run = subprocess.run(
            [sys.executable, "-c", script],
            cwd=FOLDER.parents[1],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, f"{module}: {run.stderr}"
        # a backend is imported only by the factory, once a URL asks for it
        loaded = set(ast.literal_eval(run.stdout))
        assert loaded <= {module}, f"importing {module} imported {loaded}"

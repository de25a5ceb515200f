"""The package graph of `app` has no cycle (DESIGN.md, "The seams"): `make lint` checks the layers with
import-linter, and this runs the same rule in the suite, so a cycle fails wherever tests run."""

import ast
import graphlib
from collections import defaultdict
from pathlib import Path

import grimp


def package_of(module: str) -> str:
    """`app.files.service` -> `app.files`; top-level modules (`app.config`) are their own package."""
    return ".".join(module.split(".")[:2])


def package_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("app", cache_dir=None)
    imports: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        importer = package_of(module)
        if importer == "app":
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            if package_of(imported) not in (importer, "app"):
                imports[importer].add(package_of(imported))
    return imports


def test_no_cycle_between_app_packages() -> None:
    try:
        order = list(graphlib.TopologicalSorter(package_graph()).static_order())
    except graphlib.CycleError as error:
        raise AssertionError(f"import cycle between packages: {' -> '.join(error.args[1])}") from None
    assert "app.files" in order
    assert "app.config" in order


def test_the_core_imports_no_domain() -> None:
    """The bottom of the house (config, db, models, errors, storage, access) knows no domain above it."""
    graph = package_graph()
    domains = {f"app.{name}" for name in ("files", "folders", "images", "albums", "portfolio", "search")}
    for core in ("app.config", "app.db", "app.models", "app.errors", "app.storage", "app.access"):
        assert not graph.get(core, set()) & domains, core


def test_no_test_module_imports_another() -> None:
    """Shared test helpers live in fixtures or helper modules, so a test module can move or go alone."""
    root = Path(__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith("test_"):
                offenders.append(f"{path.relative_to(root)} imports {module}")
    assert offenders == []

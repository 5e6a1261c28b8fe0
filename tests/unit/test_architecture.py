"""Import boundaries from DESIGN.md, checked on the source text of every module."""

import ast
from pathlib import Path

import pytest

from tests import REPO

PACKAGE = REPO / "src" / "rubricrl"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules_under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def roots(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def test_only_training_imports_trl() -> None:
    offenders = [
        p.relative_to(PACKAGE)
        for p in PACKAGE.rglob("*.py")
        if "trl" in roots(imported_modules(p)) and p.parent.name != "training"
    ]
    assert offenders == []


@pytest.mark.parametrize("folder", ["grading", "evaluation"])
def test_grading_and_evaluation_never_import_torch(folder: str) -> None:
    offenders = [
        p.name for p in modules_under(folder) if {"torch", "trl"} & roots(imported_modules(p))
    ]
    assert offenders == []


def test_records_import_nothing_of_ours() -> None:
    assert "rubricrl" not in roots(imported_modules(PACKAGE / "records.py"))


def test_cli_modules_stay_thin() -> None:
    """A CLI module parses arguments and calls the library: no classes, and short functions."""
    for path in modules_under("cli"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not [n for n in tree.body if isinstance(n, ast.ClassDef)], path.name
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno < 80, f"{path.name}:{node.name}"  # type: ignore[operator]


def package_graph() -> dict[str, set[str]]:
    """Which top-level parts of rubricrl (packages and modules) import which others."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        source = parts[0] if len(parts) > 1 else path.stem
        targets = {
            name.split(".")[1]
            for name in imported_modules(path)
            if name.startswith("rubricrl.") and name.split(".")[1] != source
        }
        graph.setdefault(source, set()).update(targets)
    return graph


def test_no_import_cycles_between_packages() -> None:
    graph = package_graph()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph.get(start, set()) - seen:
            if step == goal or reaches(step, goal, seen | {step}):
                return True
        return False

    assert [part for part in sorted(graph) if reaches(part, part, set())] == []


def module_name(path: Path) -> str:
    parts = ("rubricrl", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_graph() -> dict[str, set[str]]:
    """Which rubricrl modules import which, at module level or inside a function (a lazy import
    is still a dependency). `from package import name` counts the submodule when `name` is one,
    else the package's __init__; the parent __init__ that Python runs before any submodule does
    not count, or every package re-exporting its parts would be a cycle."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    names.add(submodule if submodule in paths else node.module)
        graph[module] = (names & paths.keys()) - {module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of `graph` as a path that ends where it starts, or [] when there is none."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for step in sorted(graph.get(node, set())):
            if cycle := visit(step, [*path, node]):
                return cycle
        done.add(node)
        return []

    for start in sorted(graph):
        if cycle := visit(start, []):
            return cycle
    return []


def test_find_cycle_reports_the_loop() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_no_import_cycles_between_modules() -> None:
    cycle = find_cycle(module_graph())
    assert cycle == [], "import cycle: " + " -> ".join(cycle)


def test_model_specs_parse_at_the_bottom() -> None:
    assert module_graph()["rubricrl.model_spec"] <= {"rubricrl.errors"}


@pytest.mark.parametrize("module", ["errors", "layout", "stats"])
def test_bottom_modules_import_nothing_of_ours(module: str) -> None:
    assert package_graph()[module] == set()


def test_the_policy_task_sits_below_training_and_evaluation() -> None:
    graph = package_graph()
    assert graph["task"] <= {"backends", "prompts"}
    assert "evaluation" not in graph["training"] | graph["grading"]
    assert "training" not in graph["evaluation"] | graph["grading"]

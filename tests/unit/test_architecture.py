"""Import boundaries from DESIGN.md, checked on the source text of every module."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "src" / "rubricrl"


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

"""The tests mirror the package: each module's tests sit where its path says, and none is missing.

The rule: `src/rubricrl/<path>/<module>.py` is tested by `tests/unit/<path>/test_<module>.py`,
or, for a module only a real model, server or browser can exercise, by
`tests/integration/<path>/test_<module>.py`. A package's `__init__.py` counts as a module
named after the package when it defines a function or a class (`cli/__init__.py` ->
`cli/test_cli.py`); one that only re-exports needs no tests, nor does `__main__.py`.
Conversely, every test file is named for a module of its folder's package, `test_<module>.py`
or `test_<module>_<aspect>.py`, except the few below that check the suite or cut across it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests import REPO

PACKAGE = REPO / "src" / "rubricrl"
TREES = (REPO / "tests" / "unit", REPO / "tests" / "integration")
CROSS_CUTTING = {
    "test_architecture.py",  # import boundaries between packages
    "test_mirror.py",  # this file
    "test_fakes.py",  # tests/fakes.py, the scripted backend other tests stand on
    "backends/test_contract.py",  # tests/contract.py on each backend
}


def defines_code(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(isinstance(node, kinds) for node in tree.body)


def modules_needing_tests() -> dict[Path, Path]:
    """Each module that needs tests -> its test file's path relative to a tree."""
    wanted: dict[Path, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if path.name == "__main__.py":
            continue
        if path.name == "__init__.py":
            if relative.parent == Path() or not defines_code(path):
                continue
            wanted[relative] = relative.parent / f"test_{relative.parent.name}.py"
        else:
            wanted[relative] = relative.with_name(f"test_{path.stem}.py")
    return wanted


def module_names(folder: Path) -> set[str]:
    """The names tests in the mirror of `folder` (relative to the package) may be named for."""
    names = {p.stem for p in (PACKAGE / folder).glob("*.py") if p.name != "__init__.py"}
    init = PACKAGE / folder / "__init__.py"
    if folder != Path() and init.is_file() and defines_code(init):
        names.add(folder.name)
    return names


def test_every_module_has_a_test_file() -> None:
    missing = [
        f"src/rubricrl/{module}: add tests/unit/{test} (or tests/integration/{test})"
        for module, test in modules_needing_tests().items()
        if not any((tree / test).is_file() for tree in TREES)
    ]
    assert not missing, "\n".join(missing)


def test_every_test_file_is_named_for_a_module_of_its_package() -> None:
    strays = []
    for tree in TREES:
        for path in sorted(tree.rglob("test_*.py")):
            relative = path.relative_to(tree)
            if relative.as_posix() in CROSS_CUTTING:
                continue
            name = relative.stem.removeprefix("test_")
            if not (PACKAGE / relative.parent).is_dir():
                strays.append(
                    f"{path.relative_to(REPO)}: no package src/rubricrl/{relative.parent}"
                )
            elif not any(
                name == module or name.startswith(f"{module}_")
                for module in module_names(relative.parent)
            ):
                strays.append(f"{path.relative_to(REPO)}: no module {name} in its package")
    assert not strays, "\n".join(strays)


def test_tests_live_only_in_the_two_trees() -> None:
    tests = REPO / "tests"
    outside = [
        f"{path.relative_to(REPO)}: move it under tests/unit or tests/integration"
        for path in sorted(tests.rglob("test_*.py"))
        if not any(path.is_relative_to(tree) for tree in TREES)
    ]
    assert not outside, "\n".join(outside)


def test_the_rule_reads_packages_right() -> None:
    wanted = modules_needing_tests()
    assert wanted[Path("grading/grader.py")] == Path("grading/test_grader.py")
    assert wanted[Path("cli/__init__.py")] == Path("cli/test_cli.py")
    assert Path("grading/__init__.py") not in wanted  # re-exports only
    assert Path("__init__.py") not in wanted
    assert "run" in module_names(Path("training")) and "cli" in module_names(Path("cli"))

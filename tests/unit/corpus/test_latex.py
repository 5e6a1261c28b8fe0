"""LaTeX reader: main files with includes and macros, the bibliography dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.corpus.latex import read_tex
from rubricrl.errors import InputError
from tests import FIXTURES

# A main file that \inputs parts/method.tex, with macros, a figure and a bibliography.
MAIN = (FIXTURES / "latex" / "paper.tex").read_text(encoding="utf-8")
METHOD = (FIXTURES / "latex" / "parts" / "method.tex").read_text(encoding="utf-8")


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_main_file_with_input_macros_and_bibliography(tmp_path: Path) -> None:
    write_tree(tmp_path, {"paper.tex": MAIN, "parts/method.tex": METHOD})
    path = tmp_path / "paper.tex"
    paper = read_tex(path, path.read_bytes())
    assert paper.title == "The Widget Method"
    assert paper.abstract == "We present Widget, a method."
    assert paper.domain == "machine learning"
    assert [s.heading for s in paper.sections] == ["Introduction", "Method"]
    intro, method = (s.text for s in paper.sections)
    assert "Widget is fast and costs 5% less." in intro
    assert "Detail" in method and "$x^2$" in method
    assert "A useful caption." in method  # the figure follows the included method section
    assert "includegraphics" not in method
    assert "Never seen" not in paper.model_dump_json()
    assert "comment" not in paper.abstract


def test_missing_input_target_names_file_and_target(tmp_path: Path) -> None:
    write_tree(tmp_path, {"paper.tex": MAIN})
    path = tmp_path / "paper.tex"
    with pytest.raises(InputError) as caught:
        read_tex(path, path.read_bytes())
    message = str(caught.value)
    assert str(path) in message and "parts/method" in message and "not found" in message
    assert "\n" not in message


def test_include_loop_is_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"paper.tex": MAIN, "parts/method.tex": r"\input{parts/method}"})
    path = tmp_path / "paper.tex"
    with pytest.raises(InputError, match="loop"):
        read_tex(path, path.read_bytes())


def test_fragment_without_document_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "part.tex"
    path.write_text(METHOD)
    with pytest.raises(InputError, match=r"no \\begin\{document\}"):
        read_tex(path, path.read_bytes())

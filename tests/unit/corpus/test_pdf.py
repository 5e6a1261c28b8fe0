"""PDF reader: text via pypdfium2 on PDFs drawn with matplotlib, and broken files."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

from rubricrl.corpus.pdf import read_pdf
from rubricrl.errors import InputError

matplotlib.use("agg")

LINES = [
    "Counting Things Carefully",
    "Abstract",
    "We count things and find more than expected.",
    "1 Introduction",
    "Things are everywhere.",
    "2 Methods",
    "We counted twice.",
    "References",
    "[1] Someone Cited. A paper. 2020.",
]


def make_pdf(path: Path, lines: list[str], metadata: dict[str, str]) -> bytes:
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    # TrueType (42) embeds real glyph names, so the text can be extracted again
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path, metadata=metadata) as pdf:
        figure = plt.figure(figsize=(8.5, 11))
        for row, line in enumerate(lines):
            figure.text(0.1, 0.95 - row * 0.04, line, fontsize=10)
        pdf.savefig(figure)
        plt.close(figure)
    return path.read_bytes()


def test_pdf_structure_metadata_and_references_dropped(tmp_path: Path) -> None:
    path = tmp_path / "count.pdf"
    data = make_pdf(path, LINES, {"Title": "Counting Things Carefully", "Subject": "medicine"})
    paper = read_pdf(path, data)
    assert paper.title == "Counting Things Carefully"
    assert paper.abstract == "We count things and find more than expected."
    assert [s.heading for s in paper.sections] == ["1 Introduction", "2 Methods"]
    assert paper.domain == "medicine"
    assert "Someone" not in paper.model_dump_json()


def test_pdf_title_from_first_lines_without_metadata(tmp_path: Path) -> None:
    path = tmp_path / "count.pdf"
    paper = read_pdf(path, make_pdf(path, LINES, {}))
    assert paper.title == "Counting Things Carefully"
    assert paper.domain is None


def test_pdf_without_abstract_fails(tmp_path: Path) -> None:
    path = tmp_path / "noabs.pdf"
    data = make_pdf(path, ["A Title Here", "1 Introduction", "Text."], {})
    with pytest.raises(InputError, match="no abstract"):
        read_pdf(path, data)


def test_empty_pdf(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"empty\.pdf: empty file \(0 bytes\)"):
        read_pdf(tmp_path / "empty.pdf", b"")


def test_truncated_pdf(tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    data = make_pdf(path, LINES, {})
    with pytest.raises(InputError, match="truncated PDF") as caught:
        read_pdf(path, data[: len(data) // 3])
    assert "\n" not in str(caught.value)


def test_not_a_pdf(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no %PDF- header"):
        read_pdf(tmp_path / "x.pdf", b"<html>hello</html>")

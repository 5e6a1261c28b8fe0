"""What every paper reader shares: stable ids, whitespace clean-up and the Paper rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.corpus.common import build_paper, is_reference_heading, paper_id, source_stem, tidy
from rubricrl.errors import InputError


def test_source_stem_drops_archive_suffixes() -> None:
    assert source_stem(Path("2004.14974.tar.gz")) == "2004.14974"
    assert source_stem(Path("2004.14974.tgz")) == "2004.14974"
    assert source_stem(Path("paper.tex")) == "paper"


def test_paper_id_is_readable_and_follows_the_content() -> None:
    first = paper_id(Path("My Paper (v2).pdf"), b"one")
    assert first.startswith("my-paper-v2-") and len(first) == len("my-paper-v2-") + 10
    assert paper_id(Path("elsewhere/My Paper (v2).pdf"), b"one") == first
    assert paper_id(Path("My Paper (v2).pdf"), b"two") != first
    assert paper_id(Path("___.md"), b"x").startswith("paper-")


def test_tidy_collapses_spaces_and_keeps_single_blank_lines() -> None:
    assert tidy("  a \t b\u00a0c \r\n\n\n  d  ") == "a b c\n\nd"


@pytest.mark.parametrize(
    ("heading", "expected"),
    [("References", True), ("7. Bibliography:", True), ("Works cited", True),
     ("Referenced work", False), ("Methods", False)],
)  # fmt: skip
def test_reference_headings(heading: str, expected: bool) -> None:
    assert is_reference_heading(heading) is expected


def test_build_paper_drops_empty_and_reference_sections() -> None:
    paper = build_paper(
        path=Path("p.md"),
        data=b"x",
        paper_format="text",
        title=" A\n Title ",
        abstract="Short.",
        sections=[("Methods", " We did it. "), ("Empty", "  "), ("References", "[1] Someone")],
        domain="  ",
    )
    assert paper.title == "A Title"
    assert [(s.heading, s.text) for s in paper.sections] == [("Methods", "We did it.")]
    assert paper.domain is None and paper.source == "p.md"


def test_build_paper_names_every_missing_part() -> None:
    with pytest.raises(InputError, match=r"p\.md: no title or abstract or body sections found"):
        build_paper(
            path=Path("p.md"), data=b"", paper_format="text", title=" ", abstract="",
            sections=[("References", "[1] Someone")], domain=None,
        )  # fmt: skip

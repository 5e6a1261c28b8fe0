"""Markdown and plain-text readers, and the line-based outline that PDFs share."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.corpus.text import outline_lines, read_markdown, read_plain
from rubricrl.errors import InputError

MARKDOWN = """---
title: Tiny Trial
domain: medicine
---
# Ignored Heading Title

## Abstract
We tried a thing.

## Methods
We did it twice.

### Detail
With care.

## Results
It worked.

## References
1. Someone. A paper. 2020.
"""


def test_markdown_front_matter_sections_and_references_dropped(tmp_path: Path) -> None:
    path = tmp_path / "trial.md"
    paper = read_markdown(path, MARKDOWN.encode())
    assert paper.title == "Tiny Trial"
    assert paper.domain == "medicine"
    assert paper.abstract == "We tried a thing."
    assert [s.heading for s in paper.sections] == ["Methods", "Results"]
    assert "With care." in paper.sections[0].text
    assert "Someone" not in paper.model_dump_json()
    assert paper.format == "text"


def test_markdown_domain_argument_overrides_front_matter(tmp_path: Path) -> None:
    paper = read_markdown(tmp_path / "t.md", MARKDOWN.encode(), "cardiology")
    assert paper.domain == "cardiology"


def test_markdown_title_from_heading_without_front_matter(tmp_path: Path) -> None:
    text = "# My Title\n\n## Abstract\nShort.\n\n## Idea\nBody.\n"
    paper = read_markdown(tmp_path / "t.md", text.encode())
    assert (paper.title, paper.domain, len(paper.sections)) == ("My Title", None, 1)


def test_markdown_without_abstract_fails_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    with pytest.raises(InputError, match=r"t\.md: no abstract found"):
        read_markdown(path, b"# Title\n\n## Idea\nBody.\n")


def test_bad_front_matter_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="bad front matter") as caught:
        read_markdown(tmp_path / "t.md", b"---\ntitle: [unclosed\n---\n# T\n")
    assert "\n" not in str(caught.value)


def test_id_is_stable_for_same_content_and_changes_with_it(tmp_path: Path) -> None:
    one = read_markdown(tmp_path / "a.md", MARKDOWN.encode())
    again = read_markdown(tmp_path / "a.md", MARKDOWN.encode())
    changed = read_markdown(tmp_path / "a.md", MARKDOWN.replace("twice", "thrice").encode())
    assert one.id == again.id != changed.id
    assert one.id.startswith("a-")


def test_outline_numbered_headings_in_sequence_and_references_cut() -> None:
    lines = [
        "Some Title",
        "Abstract",
        "We show a thing.",
        "1 Introduction",
        "Text about",
        "2 things.",  # not a heading: lower case after the number
        "2.1 Detail",
        "More.",
        "2 Method",
        "Body.",
        "7 Unexpected Number",  # not a heading: out of sequence
        "References",
        "1 Someone Else",
    ]
    outline = outline_lines(lines)
    assert outline.abstract == "We show a thing."
    assert [h for h, _ in outline.sections] == ["1 Introduction", "2 Method"]
    assert "2.1 Detail" in outline.sections[0][1]
    assert "Unexpected" in outline.sections[1][1]
    assert "Someone" not in outline.sections[1][1]


def test_outline_upper_case_headings_and_inline_abstract() -> None:
    lines = ["Abstract: We did X.", "INTRODUCTION", "Why X.", "RESULTS", "X works."]
    outline = outline_lines(lines)
    assert outline.abstract == "We did X."
    assert outline.sections == [("INTRODUCTION", "Why X."), ("RESULTS", "X works.")]


def test_plain_text_paper(tmp_path: Path) -> None:
    text = "A Plain Paper\n\nAbstract\nIt is plain.\n\n1 Introduction\nHello.\n\n2 Results\nGood.\n"
    paper = read_plain(tmp_path / "p.txt", text.encode())
    assert paper.title == "A Plain Paper"
    assert [s.heading for s in paper.sections] == ["1 Introduction", "2 Results"]


def test_non_utf8_text_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not UTF-8"):
        read_plain(tmp_path / "p.txt", b"\xff\xfe\x00bad")


def test_abstract_without_any_heading_fails_cleanly() -> None:
    outline = outline_lines(["Title", "Abstract", "Only an abstract, no sections."])
    assert outline.abstract == "Only an abstract, no sections."
    assert outline.sections == []

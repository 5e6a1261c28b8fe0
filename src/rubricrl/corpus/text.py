"""Markdown and plain-text papers, and the heading finder that PDF text shares with plain text.

Plain text has no markup, so structure comes from lines: an "Abstract" line opens the abstract,
numbered ("2 Methods", "3.1 Data") or upper-case ("METHODS") lines are headings, and a
"References" line ends the paper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import yaml

from rubricrl.corpus.common import build_paper, is_reference_heading
from rubricrl.errors import InputError
from rubricrl.records import Paper

_ABSTRACT = re.compile(r"^\s*abstract\b\s*[.:\u2014\u2013-]?\s*(.*)$", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*(\d{1,2})((?:\.\d{1,2})*)\.?\s+([A-Z][^.!?;]{1,80})$")
_CAPS = re.compile(r"^\s*[A-Z][A-Z0-9 ,:&'/()-]{2,60}$")
_HEADING_WORDS = 10
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass
class Outline:
    """What the line scanner found: an abstract and `(heading, text)` sections, in order."""

    abstract: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)


def _reflow(lines: list[str]) -> str:
    """Join wrapped lines into paragraphs; blank lines stay paragraph breaks."""
    paragraphs = "\n".join(lines).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _numbered(line: str) -> tuple[int, bool, str] | None:
    """`(number, is_subsection, title)` of a numbered heading line, else None."""
    match = _NUMBERED.match(line)
    if not match or len(match.group(3).split()) > _HEADING_WORDS:
        return None
    return int(match.group(1)), bool(match.group(2)), line.strip()


def _is_caps_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return (
        bool(_CAPS.match(line))
        and len(letters) >= 4
        and len(line.split()) <= _HEADING_WORDS
        and not is_reference_heading(line)
    )


def outline_lines(lines: list[str]) -> Outline:
    """Find abstract and sections in plain lines; text after a references heading is dropped.

    Numbered headings win when there are at least two in sequence; a top-level number must be
    one more than the previous one, which keeps list items and years out. Otherwise upper-case
    lines are headings. Subsection headings stay inside their section's text.
    """
    start = next((i for i, line in enumerate(lines) if _ABSTRACT.match(line)), None)
    if start is None:
        return Outline()
    end = next(
        (i for i in range(start + 1, len(lines)) if is_reference_heading(lines[i])), len(lines)
    )
    first = _ABSTRACT.match(lines[start])
    body = ([first.group(1)] if first and first.group(1) else []) + lines[start + 1 : end]

    numbered: list[int] = []
    expected = 1
    for index, line in enumerate(body):
        found = _numbered(line)
        if found and not found[1] and found[0] == expected:
            numbered.append(index)
            expected += 1
    starts = (
        numbered if len(numbered) >= 2 else [i for i, x in enumerate(body) if _is_caps_heading(x)]
    )

    outline = Outline(abstract=_reflow(body[: starts[0]] if starts else body))
    for here, after in pairwise([*starts, len(body)]):
        outline.sections.append((body[here].strip(), _reflow(body[here + 1 : after])))
    return outline


def read_plain(path: Path, data: bytes, domain: str | None = None) -> Paper:
    """A `.txt` paper: the title is its first non-empty line."""
    lines = decode(path, data).splitlines()
    title = next((line for line in lines if line.strip()), "")
    outline = outline_lines(lines)
    return build_paper(
        path=path,
        data=data,
        paper_format="text",
        title=title,
        abstract=outline.abstract,
        sections=outline.sections,
        domain=domain,
    )


def decode(path: Path, data: bytes) -> str:
    """UTF-8 text (with or without BOM); anything else is an error naming the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start})") from None


def _front_matter(path: Path, text: str) -> tuple[dict[str, object], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise InputError(f"{path}: bad front matter ({str(error).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise InputError(f"{path}: front matter is not a mapping")
    return meta, text[match.end() :]


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """`(line index, level, text)` of ATX headings outside fenced code blocks."""
    found, fenced = [], False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _ATX.match(line)
        if match:
            found.append((index, len(match.group(1)), match.group(2)))
    return found


def read_markdown(path: Path, data: bytes, domain: str | None = None) -> Paper:
    """A Markdown paper: front matter (title, abstract, domain) and `#` headings.

    The title is the front-matter `title` or a leading level-1 heading; sections are the
    headings of the highest level below it, deeper ones stay in their section's text; a
    section headed "Abstract" is the abstract.
    """
    meta, text = _front_matter(path, decode(path, data))
    lines = text.splitlines()
    headings = _headings(lines)
    title = str(meta.get("title", ""))
    if headings and headings[0][1] == 1:  # a leading level-1 heading is the title line
        title, headings = title or headings[0][2], headings[1:]
    level = min((lvl for _, lvl, _ in headings), default=0)
    tops = {i: h for i, lvl, h in headings if lvl == level}

    abstract = str(meta.get("abstract", ""))
    sections = []
    for here, after in pairwise([*tops, len(lines)]):
        heading, body = tops[here], "\n".join(lines[here + 1 : after])
        if heading.strip().lower() == "abstract":
            abstract = abstract or body
        else:
            sections.append((heading, body))
    return build_paper(
        path=path,
        data=data,
        paper_format="text",
        title=title,
        abstract=abstract,
        sections=sections,
        domain=domain or (str(meta["domain"]) if meta.get("domain") else None),
    )

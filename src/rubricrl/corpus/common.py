"""Helpers every format reader shares: stable paper ids, whitespace clean-up and the Paper rule."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal

from rubricrl.errors import InputError
from rubricrl.records import Paper, Section

PaperFormat = Literal["pdf", "latex", "jats", "text"]

_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_REFERENCE_HEADINGS = re.compile(
    r"^\s*(\d+\.?\s*)?(references|bibliography|literature cited|works cited|references and notes)"
    r"\s*:?\s*$",
    re.IGNORECASE,
)


def source_stem(path: Path) -> str:
    """File name without its format suffix: `2004.14974.tar.gz` -> `2004.14974`."""
    bundle = re.sub(r"(\.tar)?\.t?gz$", "", path.name, flags=re.IGNORECASE)
    return bundle if bundle != path.name else path.stem


def paper_id(path: Path, data: bytes) -> str:
    """`<file stem>-<10 hex of sha256(bytes)>`: readable, and stable for the same file content."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", source_stem(path)).strip("-").lower() or "paper"
    return f"{slug}-{hashlib.sha256(data).hexdigest()[:10]}"


def tidy(text: str) -> str:
    """Collapse runs of spaces, keep single blank lines between paragraphs, trim the ends."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def is_reference_heading(heading: str) -> bool:
    """True for a heading that opens the bibliography (everything from there on is dropped)."""
    return bool(_REFERENCE_HEADINGS.match(heading))


def build_paper(
    *,
    path: Path,
    data: bytes,
    paper_format: PaperFormat,
    title: str,
    abstract: str,
    sections: list[tuple[str, str]],
    domain: str | None,
) -> Paper:
    """Make the Paper, enforcing the rule: non-empty title and abstract, at least one section.

    Sections whose text is empty after clean-up are dropped first; a reference-list section
    that a reader let through is dropped too.
    """
    kept = [
        Section(heading=tidy(heading), text=tidy(text))
        for heading, text in sections
        if tidy(text) and not is_reference_heading(heading)
    ]
    missing = [
        name for name, value in (("title", tidy(title)), ("abstract", tidy(abstract))) if not value
    ]
    if not kept:
        missing.append("body sections")
    if missing:
        raise InputError(f"{path}: no {' or '.join(missing)} found")
    return Paper(
        id=paper_id(path, data),
        title=" ".join(tidy(title).split()),
        abstract=tidy(abstract),
        sections=kept,
        domain=domain.strip() if domain and domain.strip() else None,
        source=str(path),
        format=paper_format,
    )

"""PDF papers: text through pypdfium2, then structure from lines as for plain text.

Why pypdfium2: it wraps Chrome's PDFium (Apache-2.0/BSD, like this project), reads a page in
milliseconds and keeps reading order and hyphenation marks in two-column papers. pdfminer.six
(MIT) gives similar text 10-50x slower; PyMuPDF is AGPL, which an Apache project cannot ship.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium

from rubricrl.corpus.common import build_paper
from rubricrl.corpus.text import outline_lines
from rubricrl.errors import InputError
from rubricrl.records import Paper

# PDFium marks where it joined a word broken across lines with U+FFFE (or a soft hyphen).
_BROKEN_WORD = re.compile(r"[\ufffe\u00ad](?:\r?\n)?")
_BOILERPLATE = re.compile(r"proceedings|arxiv|copyright|\u00a9|@|https?:|doi|journal", re.I)
_SUBJECT = re.compile(r"[A-Za-z][A-Za-z ,&/-]{2,60}")


def _page_texts(path: Path, data: bytes) -> tuple[list[str], dict[str, str]]:
    if not data:
        raise InputError(f"{path}: empty file (0 bytes)")
    if not data.lstrip()[:5] == b"%PDF-":
        raise InputError(f"{path}: not a PDF (no %PDF- header)")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        # a file cut short loses its cross-reference table and %%EOF marker at the end
        damage = "truncated" if b"%%EOF" not in data[-2048:] else "damaged"
        raise InputError(
            f"{path}: {damage} PDF, cannot be read ({str(error).rstrip('.')})"
        ) from None
    try:
        pages = [page.get_textpage().get_text_range() for page in document]
        return pages, document.get_metadata_dict(skip_empty=True)
    finally:
        document.close()


def _title_from_lines(lines: list[str]) -> str:
    """Fallback when metadata has no title: the first plausible line before the abstract."""
    for line in lines:
        if line.strip().lower().startswith("abstract"):
            break
        if 3 <= len(line.split()) <= 25 and not _BOILERPLATE.search(line):
            return line
    return ""


def read_pdf(path: Path, data: bytes, domain: str | None = None) -> Paper:
    """A PDF paper; the title comes from metadata or the first lines, domain from `Subject`."""
    pages, metadata = _page_texts(path, data)
    text = _BROKEN_WORD.sub("", "\n".join(pages)).replace("\r\n", "\n")
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        raise InputError(f"{path}: no extractable text (a scanned PDF needs OCR first)")
    outline = outline_lines(lines)
    subject = metadata.get("Subject", "")
    return build_paper(
        path=path,
        data=data,
        paper_format="pdf",
        title=metadata.get("Title", "").strip() or _title_from_lines(lines),
        abstract=outline.abstract,
        sections=outline.sections,
        domain=domain or (subject if _SUBJECT.fullmatch(subject) else None),
    )

"""JATS / PMC article XML (.nxml, .xml) read with lxml: front matter, abstract, body sections.

Top-level `<sec>`s of `<body>` are the sections (subsection titles stay as lines of text);
figures, tables and formulas are dropped, and so is `<back>` with the reference list.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from rubricrl.corpus.common import build_paper
from rubricrl.errors import InputError
from rubricrl.records import Paper

_DROPPED = {"fig", "table-wrap", "disp-formula", "supplementary-material", "graphic", "fn-group"}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _inline(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _block_text(element: etree._Element) -> str:
    """Paragraphs and sub-section titles of an element, one per paragraph, dropped parts left out."""
    parts: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name in _DROPPED or name == "label":
            continue
        if name in {"p", "title"}:
            parts.append(_inline(child))
        elif name == "sec" or len(child):
            parts.append(_block_text(child))
        elif child.text and child.text.strip():
            parts.append(" ".join(child.text.split()))
    return "\n\n".join(part for part in parts if part)


def _sections(element: etree._Element, loose_heading: str) -> list[tuple[str, str]]:
    """`(title, text)` per `<sec>` child, after `(loose_heading, text)` of paragraphs outside any."""
    loose = [_inline(child) for child in element if _local(child.tag) == "p"]
    sections = [(loose_heading, "\n\n".join(loose))] if any(loose) else []
    for sec in element.findall("sec"):
        title = sec.find("title")
        heading = _inline(title) if title is not None else ""
        body = [child for child in sec if child is not title]
        holder = etree.Element("sec")
        holder.extend(body)
        sections.append((heading or "Untitled section", _block_text(holder)))
    return sections


def _abstract(meta: etree._Element) -> str:
    """The main abstract (not a teaser or author summary); structured parts become `Title: text`."""
    abstracts = meta.findall("abstract")
    main = next((a for a in abstracts if not a.get("abstract-type")), None)
    chosen = main if main is not None else (abstracts[0] if abstracts else None)
    if chosen is None:
        return ""
    parts = _sections(chosen, loose_heading="")
    return "\n\n".join(
        f"{h.rstrip(':')}: {t}" if h.lower() not in {"", "abstract"} else t for h, t in parts
    )


def _domain(meta: etree._Element) -> str | None:
    """First subject of a top-level "Discipline" subject group (the "heading" group is article type)."""
    for group in meta.findall("article-categories/subj-group"):
        subject = group.find("subject")
        if (
            group.get("subj-group-type", "").lower().startswith("discipline")
            and subject is not None
        ):
            return _inline(subject) or None
    return None


def read_jats(path: Path, data: bytes, domain: str | None = None) -> Paper:
    """A JATS article; the domain comes from its discipline subject unless one is given."""
    if not data.strip():
        raise InputError(f"{path}: empty file (0 bytes)")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise InputError(
            f"{path}: not well-formed XML ({error.msg}, line {error.lineno})"
        ) from None
    if _local(root.tag) != "article":
        raise InputError(f"{path}: not a JATS article (root element <{_local(root.tag)}>)")
    meta = root.find("front/article-meta")
    if meta is None:
        raise InputError(f"{path}: JATS article without <front>/<article-meta>")
    title = meta.find("title-group/article-title")
    body = root.find("body")
    return build_paper(
        path=path,
        data=data,
        paper_format="jats",
        title=_inline(title) if title is not None else "",
        abstract=_abstract(meta),
        # many journals print the introduction without a heading: that is what loose text is
        sections=_sections(body, loose_heading="Introduction") if body is not None else [],
        domain=domain or _domain(meta),
    )

"""JATS XML reader: front matter, structured abstract, body sections, back matter dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.corpus.jats import read_jats
from rubricrl.errors import InputError

ARTICLE = """<?xml version="1.0"?>
<article><front><article-meta>
<article-categories>
<subj-group subj-group-type="heading"><subject>Research Article</subject></subj-group>
<subj-group subj-group-type="Discipline-v2"><subject>Medicine</subject></subj-group>
</article-categories>
<title-group><article-title>A <italic>Real</italic> Title</article-title></title-group>
<abstract abstract-type="teaser"><p>Teaser text.</p></abstract>
<abstract><sec><title>Background</title><p>Why.</p></sec><sec><title>Results</title><p>What.</p></sec></abstract>
</article-meta></front>
<body>
<p>Unheaded opening paragraph.</p>
<sec><title>Methods</title><p>We did <bold>this</bold>.</p>
<sec><title>Sub part</title><p>Nested text.</p></sec>
<fig><caption><p>Figure noise.</p></caption></fig></sec>
<sec><title>Discussion</title><p>It matters.</p></sec>
</body>
<back><ref-list><ref><mixed-citation>Cited Person 2001.</mixed-citation></ref></ref-list></back>
</article>
"""


def test_jats_article(tmp_path: Path) -> None:
    paper = read_jats(tmp_path / "a.nxml", ARTICLE.encode())
    assert paper.title == "A Real Title"
    assert paper.abstract == "Background: Why.\n\nResults: What."
    assert paper.domain == "Medicine"
    assert [s.heading for s in paper.sections] == ["Introduction", "Methods", "Discussion"]
    assert paper.sections[1].text == "We did this.\n\nSub part\n\nNested text."
    text = paper.model_dump_json()
    assert "Cited Person" not in text and "Figure noise" not in text and "Teaser" not in text


def test_jats_without_discipline_has_no_domain(tmp_path: Path) -> None:
    xml = ARTICLE.replace('subj-group-type="Discipline-v2"', "")
    assert read_jats(tmp_path / "a.nxml", xml.encode()).domain is None


def test_malformed_xml_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not well-formed XML") as caught:
        read_jats(tmp_path / "a.nxml", ARTICLE[:300].encode())
    assert "\n" not in str(caught.value)


def test_other_xml_is_not_jats(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a JATS article"):
        read_jats(tmp_path / "a.xml", b"<html><body/></html>")


def test_article_without_body_fails(tmp_path: Path) -> None:
    xml = ARTICLE.split("<body>")[0] + "</article>"
    with pytest.raises(InputError, match="no body sections"):
        read_jats(tmp_path / "a.nxml", xml.encode())

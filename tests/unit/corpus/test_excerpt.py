"""The paper excerpt a creator reads: whole when it fits, else cut at a sentence, and it says so."""

from rubricrl.corpus.excerpt import CUT_MARK, paper_excerpt
from rubricrl.records import Paper
from tests import builders


def paper(sections: int, words: int) -> Paper:
    """A paper of `sections` sections S0, S1, ... of about `words` words each."""
    body = " ".join(["Sentence of words here."] * (words // 4))
    return builders.paper(sections={f"S{i}": body for i in range(sections)})


def test_excerpt_keeps_everything_that_fits() -> None:
    excerpt = paper_excerpt(paper(3, 40), max_chars=10_000)
    assert not excerpt.cut
    assert excerpt.sections_kept == 3


def test_excerpt_cuts_at_a_sentence_and_records_it() -> None:
    whole = paper(4, 200)
    excerpt = paper_excerpt(whole, max_chars=1500)
    assert excerpt.cut
    assert len(excerpt.text) <= 1500
    assert excerpt.text.endswith("here." + CUT_MARK)
    assert excerpt.sections_kept < 4

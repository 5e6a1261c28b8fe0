"""Word overlap for the quality filters, against values worked out by hand."""

from __future__ import annotations

import pytest

from rubricrl.corpus.text_overlap import containment, content_words, jaccard, ngrams


def test_content_words_are_lower_case_without_stopwords() -> None:
    assert content_words("The Model's fine-tuned weights, and THE data.") == [
        "model's", "fine-tuned", "weights", "data",
    ]  # fmt: skip


def test_ngrams() -> None:
    assert ngrams(["a", "b", "c"], 2) == {("a", "b"), ("b", "c")}
    assert ngrams(["a"], 2) == set()


def test_jaccard_of_content_word_sets() -> None:
    # {cats, chase, mice} and {cats, eat, mice}: 2 shared of 4
    assert jaccard("Cats chase mice.", "The cats eat the mice.") == pytest.approx(0.5)
    assert jaccard("", "the of") == 1.0  # no content words on either side


def test_containment_of_trigrams() -> None:
    whole = "we weight partially observed patients by follow-up time"
    assert containment("weight partially observed patients", whole) == 1.0
    # trigrams (weight, partially, observed) in whole, (partially, observed, children) not
    assert containment("weight partially observed children", whole) == pytest.approx(0.5)
    assert containment("too short", whole) == 0.0

"""Word-level overlap measures used by the sample quality filters (pure functions)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOPWORDS = frozenset(
    "a an and are as at be by can could do does for from has have how in into is it its may "
    "might more most must not of on or our should such than that the their then there these this "
    "those to under use used uses using was we were what when whether which while who will with "
    "would".split()
)


def content_words(text: str) -> list[str]:
    """Lower-cased words of `text` without stopwords."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(first: str, second: str) -> float:
    """Jaccard similarity of the content-word sets of two texts (1.0 for two empty texts)."""
    a, b = set(content_words(first)), set(content_words(second))
    return len(a & b) / len(a | b) if a | b else 1.0


def containment(part: str, whole: str, n: int = 3) -> float:
    """Share of `part`'s content-word n-grams that also occur in `whole` (0.0 if it has none)."""
    grams = ngrams(content_words(part), n)
    return len(grams & ngrams(content_words(whole), n)) / len(grams) if grams else 0.0

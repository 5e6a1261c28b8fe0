"""Fit a paper into a creator's context by a stated rule, and say when and where it was cut.

Rule: the title and abstract always stay; sections follow in order while they fit in `max_chars`;
the first section that does not fit is cut at its last sentence end inside the budget (never
mid-word) and marked "[cut]"; the sections after it are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rubricrl.records import Paper

CUT_MARK = " [cut]"
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


@dataclass(frozen=True)
class Excerpt:
    text: str
    total_chars: int
    kept_chars: int
    sections_kept: int
    sections_total: int

    @property
    def cut(self) -> bool:
        return self.kept_chars < self.total_chars


def _cut_at_sentence(text: str, budget: int) -> str:
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, max(budget, 0))]
    if ends:
        return text[: ends[-1]]
    space = text.rfind(" ", 0, max(budget, 0))
    return text[:space] if space > 0 else ""


def paper_excerpt(paper: Paper, max_chars: int) -> Excerpt:
    """The paper's text within `max_chars`, following the module's cutting rule."""
    head = f"Title: {paper.title}\n\nAbstract: {paper.abstract}"
    blocks = [f"## {s.heading}\n{s.text}" for s in paper.sections]
    total = len(head) + sum(len(block) + 2 for block in blocks)
    parts, used, kept_sections = [head], len(head), 0
    for block in blocks:
        if used + 2 + len(block) <= max_chars:
            parts.append(block)
            used += 2 + len(block)
            kept_sections += 1
            continue
        partial = _cut_at_sentence(block, max_chars - used - 2 - len(CUT_MARK))
        heading = block.split("\n", 1)[0]
        if len(partial) > len(heading) + 1:  # keep a cut section only if some body text remains
            parts.append(partial + CUT_MARK)
            used += 2 + len(partial)
        break
    return Excerpt("\n\n".join(parts), total, min(used, total), kept_sections, len(blocks))

"""The coverage grader: an item counts as met when some plan sentence says it, by embedding cosine.

It checks coverage only, not the seven guidelines: a plan that names every item vaguely, wrongly
or unethically still scores 1. It is fast, deterministic and needs no chat model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rubricrl.backends.encoder import MINILM_NAME, TextEncoder, load_encoder
from rubricrl.backends.mpnet import MPNET_NAME
from rubricrl.errors import InputError
from rubricrl.grading.grader import (
    NO_RUBRIC,
    GradingConfig,
    GradingTarget,
    empty_plan_verdicts,
    plan_grade,
)
from rubricrl.grading.parse import extract_plan
from rubricrl.grading.score import rubric_score
from rubricrl.model_spec import ModelSpec
from rubricrl.records import Grade, Plan, Verdict

MIN_WORDS = 3  # shorter pieces ("Step 2:", "Evaluation") match too much by topic alone
SCALE = 0.09
"""Width of the logistic that turns a best cosine into P(covered); centred on the threshold, so
`probability >= 0.5` exactly when `satisfied`, and monotone in the cosine.

Fitted for all-MiniLM-L6-v2 by logistic regression of "covered" on the best cosine over the
hand-paraphrased probe plans and near misses (benchmarks/coverage_threshold.py): scale 0.089.
At the default threshold 0.45, a cosine of 0.30 gives 0.16 and 0.70 gives 0.94. The same fit
gave all-mpnet-base-v2 0.064; it shares this width, so its probabilities are a little flatter.
"""
THRESHOLDS = {MINILM_NAME: 0.45, MPNET_NAME: 0.42}
"""The cosine at which an item counts as covered when the config sets none, per encoder; an
encoder not listed gets MiniLM's. From benchmarks/coverage_threshold.py: for MiniLM, 0.45 is
where the template probe reaches 1.00 and the paraphrase probe peaks (0.80); mpnet has no such
point (the template probe needs 0.50, where the paraphrase probe falls to 0.74), so 0.42, its
paraphrase peak (0.88) and the logistic centre over paraphrases and near misses (0.423).
"""

_BULLET = re.compile(r"^\s*(?:[-*+•‣◦]|\d{1,3}[.)]|\(?[a-zA-Z]{1,3}\))\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_EMPHASIS = re.compile(r"\*\*|__")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|et al|vs|cf|Fig|Eq|Dr|approx|resp)\.)$", re.I)


def _units(text: str) -> list[str]:
    """Bullets and headings start a unit; other lines continue the one before (wrapped prose)."""
    units: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        starts = bool(_BULLET.match(line) or _HEADING.match(line))
        if not line.strip() or starts:
            if current:
                units.append(" ".join(current))
            current = []
        stripped = _HEADING.sub("", _BULLET.sub("", line)).strip()
        if stripped:
            current.append(stripped)
    if current:
        units.append(" ".join(current))
    return units


def split_sentences(text: str, min_words: int = MIN_WORDS) -> list[str]:
    """The plan's sentences and bullet lines, markup stripped, pieces under `min_words` dropped
    (all of the text as one piece when every piece is that short)."""
    pieces: list[str] = []
    for unit in _units(_EMPHASIS.sub("", text)):
        for part in _SENTENCE_END.split(unit):
            part = part.strip()
            if pieces and _ABBREVIATION.search(pieces[-1]):  # "e.g. Smith" is one sentence
                pieces[-1] = f"{pieces[-1]} {part}"
            elif part:
                pieces.append(part)
    kept = [piece for piece in pieces if len(piece.split()) >= min_words]
    whole = " ".join(text.split())
    return kept or ([whole] if whole else [])


def covered_probability(cosine: float, threshold: float, scale: float = SCALE) -> float:
    """P(item covered) for a best-match cosine: a logistic centred on the threshold."""
    return 1.0 / (1.0 + math.exp(-(cosine - threshold) / scale))


@dataclass(frozen=True)
class CoverageGrading:
    """The embed grader's settings (defaults: the flags'; threshold None: the encoder's own)."""

    threshold: float | None = GradingConfig.threshold
    rationale_chars: int = GradingConfig.rationale_chars


class CoverageGrader:
    """Grades each rubric item by its best cosine against the plan's sentences.

    Every item and sentence of a `grade_many` call is encoded in one encoder call (duplicates
    once), so a GRPO step's group of plans costs one pass of a small model.
    """

    def __init__(self, encoder: TextEncoder, settings: CoverageGrading = CoverageGrading()) -> None:
        self.encoder = encoder
        self.settings = settings
        self.threshold = (
            THRESHOLDS.get(encoder.name, THRESHOLDS[MINILM_NAME])
            if settings.threshold is None
            else settings.threshold
        )
        self.name = f"embed:{encoder.name}|cos>={self.threshold:g}"

    @classmethod
    def from_spec(
        cls, spec: ModelSpec, settings: CoverageGrading = CoverageGrading()
    ) -> CoverageGrader:
        """`embed` (all-MiniLM-L6-v2), `embed:mpnet` (all-mpnet-base-v2), both shipped offline,
        or `embed:PATH_OR_ID` (a local model)."""
        if spec.provider != "embed":
            raise InputError(
                f"grader spec {str(spec)!r}: not a coverage grader (embed[:PATH_OR_ID])"
            )
        return cls(load_encoder(spec.target), settings)

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, Plan]]) -> list[Grade]:
        texts = [extract_plan(plan.text) for _, plan in pairs]
        sentences = [split_sentences(text) for text in texts]
        wanted = [
            piece
            for (target, _), pieces in zip(pairs, sentences, strict=True)
            if target.rubric and pieces
            for piece in [*(item.text for item in target.rubric), *pieces]
        ]
        unique = list(dict.fromkeys(wanted))
        vectors = self.encoder.encode(unique) if unique else np.zeros((0, 1), dtype=np.float32)
        row = {text: index for index, text in enumerate(unique)}
        return [
            self._grade(target, plan, pieces, vectors, row)
            for (target, plan), pieces in zip(pairs, sentences, strict=True)
        ]

    def _grade(
        self,
        target: GradingTarget,
        plan: Plan,
        pieces: list[str],
        vectors: np.ndarray,
        row: dict[str, int],
    ) -> Grade:
        if not target.rubric:
            return plan_grade(self.name, target, plan, [], None, NO_RUBRIC)
        if not pieces:
            empty = empty_plan_verdicts(target.rubric, probability=0.0)
            return plan_grade(self.name, target, plan, empty, 0.0)
        items = vectors[[row[item.text] for item in target.rubric]]
        similarity = items @ vectors[[row[piece] for piece in pieces]].T
        verdicts = [
            self._verdict(item.id, pieces, similarity[k]) for k, item in enumerate(target.rubric)
        ]
        return plan_grade(self.name, target, plan, verdicts, rubric_score(target.rubric, verdicts))

    def _verdict(self, item_id: str, pieces: list[str], cosines: np.ndarray) -> Verdict:
        best = int(np.argmax(cosines))
        cosine = float(cosines[best])
        covered = cosine >= self.threshold
        tail = f" (cos {cosine:.2f})"
        room = max(self.settings.rationale_chars - len("best match: ") - len(tail), 0)
        piece = pieces[best]
        snippet = piece if len(piece) <= room else piece[: max(room - 3, 0)] + "..."
        return Verdict(
            item_id=item_id,
            satisfied=covered,
            violated=[] if covered else [1],  # guideline 1: the plan handles what the item asks
            rationale=f"best match: {snippet}{tail}",
            probability=covered_probability(cosine, self.threshold),
        )

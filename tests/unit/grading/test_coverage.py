"""The coverage grader over a scripted encoder: splitting, threshold, probability, batching."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rubricrl.backends.encoder import load_encoder
from rubricrl.errors import InputError
from rubricrl.grading.coverage import (
    SCALE,
    CoverageGrader,
    CoverageGrading,
    covered_probability,
    split_sentences,
)
from rubricrl.model_spec import EMBEDDED, ModelSpec
from rubricrl.records import Plan, Provenance, RubricItem, Sample


class TableEncoder:
    """Each text's vector is looked up (unit length); unknown texts point along the last axis."""

    def __init__(self, vectors: dict[str, Sequence[float]], name: str = "table") -> None:
        self.name = name
        self.vectors = vectors
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        dim = len(next(iter(self.vectors.values())))
        rows = [self.vectors.get(t, [0.0] * (dim - 1) + [1.0]) for t in texts]
        array = np.asarray(rows, dtype=float)
        return array / np.linalg.norm(array, axis=1, keepdims=True)


def unit(cosine: float) -> list[float]:
    """A vector with the given cosine to (1, 0, 0)."""
    return [cosine, float(np.sqrt(1 - cosine**2)), 0.0]


def sample(sample_id: str, items: list[str]) -> Sample:
    return Sample(
        id=sample_id,
        goal="a goal",
        rubric=[RubricItem(id=f"i{k}", text=text) for k, text in enumerate(items, 1)],
        reference_solution="",
        provenance=Provenance(paper_id="p", creator="test"),
    )


def plan(text: str, plan_id: str = "p1", sample_id: str = "s") -> Plan:
    return Plan(id=plan_id, sample_id=sample_id, model="m", text=text)


# --- sentence splitting -------------------------------------------------------------------


def test_prose_splits_at_sentence_ends_but_not_abbreviations() -> None:
    text = "We fit the model first. Then, e.g. Smith et al. report more. Is it robust? It is."
    assert split_sentences(text, min_words=1) == [
        "We fit the model first.",
        "Then, e.g. Smith et al. report more.",
        "Is it robust?",
        "It is.",
    ]


def test_bullets_numbers_and_headings_are_their_own_pieces() -> None:
    text = (
        "## Evaluation plan for sites\n"
        "- measure accuracy at held-out sites\n"
        "* report calibration as well as discrimination\n"
        "1. recalibrate with the labelled records\n"
        "2) map codes to a shared ontology\n"
        "(a) validate with a small human study\n"
        "   of the outputs, wrapped onto a second line\n"
        "\n"
        "**Bold lead in** stays in its sentence here."
    )
    assert split_sentences(text) == [
        "Evaluation plan for sites",
        "measure accuracy at held-out sites",
        "report calibration as well as discrimination",
        "recalibrate with the labelled records",
        "map codes to a shared ontology",
        "validate with a small human study of the outputs, wrapped onto a second line",
        "Bold lead in stays in its sentence here.",
    ]


def test_wrapped_lines_join_into_one_sentence() -> None:
    text = "We compare full fine-tuning\nwith adapters at matched\ncompute.\n\nA new paragraph starts here."
    assert split_sentences(text) == [
        "We compare full fine-tuning with adapters at matched compute.",
        "A new paragraph starts here.",
    ]


def test_short_pieces_are_dropped_unless_nothing_else_is_left() -> None:
    assert split_sentences("Step 2:\n- Evaluation\n- We evaluate on four sites.") == [
        "We evaluate on four sites."
    ]
    assert split_sentences("Evaluation only") == ["Evaluation only"]
    assert split_sentences("  \n ") == []


# --- probability --------------------------------------------------------------------------


def test_probability_is_a_half_at_the_threshold_and_monotone() -> None:
    assert covered_probability(0.45, 0.45) == pytest.approx(0.5)
    grid = [covered_probability(c, 0.45) for c in np.linspace(-1, 1, 41)]
    assert all(a < b for a, b in itertools.pairwise(grid))
    assert 0.0 < grid[0] < 0.01 and 0.99 < grid[-1] < 1.0
    # one SCALE above the threshold is the logistic at 1
    assert covered_probability(0.45 + SCALE, 0.45) == pytest.approx(1 / (1 + np.exp(-1)))


# --- the grader ---------------------------------------------------------------------------


def test_items_pass_at_or_above_the_threshold_and_carry_probability_and_rationale() -> None:
    encoder = TableEncoder(
        {
            "item one": unit(1.0),
            "item two": [0.0, 0.0, 1.0],
            "We do the first thing well.": unit(0.7),
            "We do something else entirely.": unit(0.2),
        }
    )
    grader = CoverageGrader(encoder, CoverageGrading(threshold=0.6))
    [grade] = grader.grade_many(
        [
            (
                sample("s", ["item one", "item two"]),
                plan("We do the first thing well. We do something else entirely."),
            )
        ]
    )
    one, two = grade.verdicts
    assert (one.item_id, one.satisfied, one.violated) == ("i1", True, [])
    assert one.probability == pytest.approx(covered_probability(0.7, 0.6))
    assert one.rationale == "best match: We do the first thing well. (cos 0.70)"
    assert (two.satisfied, two.violated) == (False, [1])
    assert two.probability is not None and two.probability < 0.5
    assert grade.score == 0.5
    assert grade.grader == "embed:table|cos>=0.6"


def test_exactly_at_the_threshold_counts_as_covered() -> None:
    encoder = TableEncoder({"item": unit(1.0), "The plan says it here.": unit(0.5)})
    grader = CoverageGrader(encoder, CoverageGrading(threshold=0.5))
    [grade] = grader.grade_many([(sample("s", ["item"]), plan("The plan says it here."))])
    assert grade.verdicts[0].satisfied and grade.score == 1.0


def test_every_pair_is_encoded_in_one_call_with_duplicates_once() -> None:
    encoder = TableEncoder({"item": unit(1.0), "Shared sentence of both plans.": unit(0.9)})
    grader = CoverageGrader(encoder)
    goal = sample("s", ["item"])
    pairs = [(goal, plan("Shared sentence of both plans.", f"p{k}")) for k in range(3)]
    grades = grader.grade_many(pairs)
    assert [g.score for g in grades] == [1.0, 1.0, 1.0]
    assert encoder.calls == [["item", "Shared sentence of both plans."]]


def test_the_plan_is_read_like_the_grader_reads_it() -> None:
    encoder = TableEncoder({"item": unit(1.0), "The real plan sentence.": unit(0.9)})
    text = "<think>item item item</think><solution>The real plan sentence.</solution>"
    [grade] = CoverageGrader(encoder).grade_many([(sample("s", ["item"]), plan(text))])
    assert grade.score == 1.0
    assert "think" not in " ".join(encoder.calls[0])


def test_empty_plan_fails_every_item_without_encoding() -> None:
    encoder = TableEncoder({"item": unit(1.0)})
    [grade] = CoverageGrader(encoder).grade_many(
        [(sample("s", ["item", "other"]), plan("<solution> </solution>"))]
    )
    assert grade.score == 0.0
    assert [(v.satisfied, v.probability, v.rationale) for v in grade.verdicts] == [
        (False, 0.0, "empty plan")
    ] * 2
    assert encoder.calls == []


def test_a_goal_without_rubric_is_unscored_with_a_reason() -> None:
    [grade] = CoverageGrader(TableEncoder({"x": unit(1.0)})).grade_many(
        [(sample("s", []), plan("Some plan text here."))]
    )
    assert (grade.score, grade.verdicts, grade.reason) == (None, [], "the goal has no rubric items")


def test_long_best_matches_are_cut_to_the_rationale_length() -> None:
    sentence = "We will " + "do a great deal of work " * 30 + "today."
    encoder = TableEncoder({"item": unit(1.0), sentence: unit(0.8)})
    grader = CoverageGrader(encoder, CoverageGrading(rationale_chars=60))
    [grade] = grader.grade_many([(sample("s", ["item"]), plan(sentence))])
    rationale = grade.verdicts[0].rationale
    assert len(rationale) == 60 and rationale.endswith("... (cos 0.80)")


# --- loading ------------------------------------------------------------------------------


def test_an_unknown_encoder_path_is_one_line_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-model-here"
    with pytest.raises(InputError, match="no-model-here") as error:
        CoverageGrader.from_spec(ModelSpec("embed", str(missing)))
    assert "\n" not in str(error.value)
    with pytest.raises(InputError, match=r"no config\.json"):
        load_encoder(str(tmp_path))


def test_a_hub_id_is_only_read_from_the_local_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InputError, match="not in the local Hugging Face cache") as error:
        load_encoder("nobody/no-such-encoder")
    assert "\n" not in str(error.value) and "nobody/no-such-encoder" in str(error.value)


def test_a_chat_spec_is_not_a_coverage_grader() -> None:
    with pytest.raises(InputError, match="not a coverage grader"):
        CoverageGrader.from_spec(EMBEDDED)

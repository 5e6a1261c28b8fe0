"""Grader specs: `embed` builds the coverage grader, chat specs the rubric Grader."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
import pytest

from rubricrl.errors import InputError
from rubricrl.grading import coverage, load
from rubricrl.grading.coverage import CoverageGrader, CoverageGrading
from rubricrl.grading.grader import Grader, GradingConfig, JudgeGrading
from rubricrl.grading.load import grader_settings, load_grader
from rubricrl.model_spec import ModelSpec
from tests.fakes import ScriptedBackend


class StubEncoder:
    name = "stub"

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 2)) / np.sqrt(2)


def test_embed_specs_build_the_coverage_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    targets: list[str] = []

    def fake_load(target: str = "") -> StubEncoder:
        targets.append(target)
        return StubEncoder()

    monkeypatch.setattr(coverage, "load_encoder", fake_load)
    config = GradingConfig(threshold=0.3)
    default = load_grader(ModelSpec.parse("embed"), config)
    other = load_grader(ModelSpec.parse("embed:/models/bge-small"))
    assert isinstance(default, CoverageGrader)
    assert default.settings == CoverageGrading(threshold=0.3)
    assert isinstance(other, CoverageGrader)
    assert targets == ["", "/models/bge-small"]
    assert default.name == "embed:stub|cos>=0.3"


def test_chat_specs_build_the_rubric_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_backend(spec: ModelSpec, cache: bool = True) -> ScriptedBackend:
        seen.update(spec=spec, cache=cache)
        return ScriptedBackend([], spec=str(spec))

    monkeypatch.setattr(load, "load_backend", fake_backend)
    grader = load_grader(ModelSpec.parse("hf:/models/qwen"), cache=False)
    assert isinstance(grader, Grader)
    assert seen == {"spec": ModelSpec("hf", "/models/qwen"), "cache": False}
    assert grader.name.startswith("hf:/models/qwen|")


@pytest.mark.parametrize("spec", ["embed:", "nonsense", "embedx"])
def test_bad_grader_specs_are_one_line_errors(spec: str) -> None:
    with pytest.raises(InputError) as error:
        load_grader(ModelSpec.parse(spec))
    assert "\n" not in str(error.value)


def test_every_grading_option_belongs_to_a_grader_kind() -> None:
    kinds = {f.name for f in fields(JudgeGrading)} | {f.name for f in fields(CoverageGrading)}
    assert kinds == {f.name for f in fields(GradingConfig)}


@pytest.mark.parametrize(
    ("spec", "config", "message"),
    [
        (
            "embedded",
            GradingConfig(threshold=0.5),
            "--grading.threshold applies to the embed grader only, not 'embedded'",
        ),
        (
            "embed",
            GradingConfig(dense=True),
            "--grading.dense applies to chat-model graders only, not 'embed'",
        ),
        (
            "embed:mpnet",
            GradingConfig(verdicts="prob"),
            "--grading.verdicts applies to chat-model graders only, not 'embed:mpnet'",
        ),
        (
            "embed",
            GradingConfig(retry_temperature=0.1),
            "--grading.retry-temperature applies to chat-model graders only, not 'embed'",
        ),
    ],
)
def test_options_of_the_other_grader_kind_are_refused(
    spec: str, config: GradingConfig, message: str
) -> None:
    with pytest.raises(InputError) as error:
        load_grader(ModelSpec.parse(spec), config)
    assert str(error.value) == message


def test_each_kind_keeps_its_own_options() -> None:
    judge = GradingConfig(mode="per-item", dense=True, rationale_chars=50, seed=3)
    assert grader_settings(ModelSpec.parse("hf:/m"), judge) == JudgeGrading(
        mode="per-item", dense=True, rationale_chars=50, seed=3
    )
    coverage = GradingConfig(threshold=0.4, rationale_chars=50)
    assert grader_settings(ModelSpec.parse("embed"), coverage) == CoverageGrading(
        threshold=0.4, rationale_chars=50
    )
    assert grader_settings(ModelSpec.parse("embed"), GradingConfig()) == CoverageGrading()
    assert (
        grader_settings(ModelSpec.parse("openai:http://h/v1#m"), GradingConfig()) == JudgeGrading()
    )


def test_the_message_names_the_section_it_came_from() -> None:
    with pytest.raises(InputError, match=r"^--eval-grading\.threshold applies"):
        grader_settings(ModelSpec.parse("embedded"), GradingConfig(threshold=0.5), "eval-grading")


def test_dense_probability_verdicts_cannot_be_built() -> None:
    with pytest.raises(InputError, match="do not mix"):
        grader_settings(ModelSpec.parse("embedded"), GradingConfig(verdicts="prob", dense=True))

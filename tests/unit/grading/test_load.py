"""Grader specs: `embed` builds the coverage grader, chat specs the rubric Grader."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rubricrl.errors import InputError
from rubricrl.grading import coverage, load
from rubricrl.grading.coverage import CoverageGrader
from rubricrl.grading.grader import Grader, GradingConfig
from rubricrl.grading.load import load_grader
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
    default = load_grader("embed", config)
    other = load_grader("embed:/models/bge-small")
    assert isinstance(default, CoverageGrader) and default.config is config
    assert isinstance(other, CoverageGrader)
    assert targets == ["", "/models/bge-small"]
    assert default.name == "embed:stub|cos>=0.3"


def test_chat_specs_build_the_rubric_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_backend(spec: str, cache: bool = True) -> ScriptedBackend:
        seen.update(spec=spec, cache=cache)
        return ScriptedBackend([], spec=spec)

    monkeypatch.setattr(load, "load_backend", fake_backend)
    grader = load_grader("hf:/models/qwen", cache=False)
    assert isinstance(grader, Grader)
    assert seen == {"spec": "hf:/models/qwen", "cache": False}
    assert grader.name.startswith("hf:/models/qwen|")


@pytest.mark.parametrize("spec", ["embed:", "nonsense", "embedx"])
def test_bad_grader_specs_are_one_line_errors(spec: str) -> None:
    with pytest.raises(InputError) as error:
        load_grader(spec)
    assert "\n" not in str(error.value)

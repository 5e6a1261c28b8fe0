"""Model spec strings: parsed once, printed back as the same text, bad ones refused in one line."""

import pytest

from rubricrl.errors import InputError
from rubricrl.model_spec import ModelSpec


def test_specs_parse() -> None:
    assert ModelSpec.parse("embedded").provider == "embedded"
    assert ModelSpec.parse("hf:/models/qwen") == ModelSpec("hf", "/models/qwen")
    assert ModelSpec.parse("openai:http://127.0.0.1:8000/v1/#Qwen/Qwen3-8B") == ModelSpec(
        "openai", "http://127.0.0.1:8000/v1", "Qwen/Qwen3-8B"
    )


@pytest.mark.parametrize("spec", ["gpt4", "hf:", "openai:localhost#m", "openai:http://x/v1"])
def test_bad_specs_are_one_line_errors(spec: str) -> None:
    with pytest.raises(InputError) as error:
        ModelSpec.parse(spec)
    assert "\n" not in str(error.value)


def test_embed_specs_parse_as_coverage_encoders() -> None:
    assert ModelSpec.parse("embed") == ModelSpec("embed")
    assert ModelSpec.parse("embed:/models/bge") == ModelSpec("embed", "/models/bge")


@pytest.mark.parametrize(
    "spec", ["embedded", "embed", "embed:/models/bge", "hf:org/model", "openai:http://h:8/v1#q/m"]
)
def test_a_spec_prints_as_text_that_parses_back(spec: str) -> None:
    parsed = ModelSpec.parse(spec)
    assert str(parsed) == spec and ModelSpec.parse(str(parsed)) == parsed


def test_a_spec_prints_canonically() -> None:
    assert str(ModelSpec.parse("openai:http://h/v1/#m")) == "openai:http://h/v1#m"

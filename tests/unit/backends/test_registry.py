"""Model spec strings."""

import pytest

from rubricrl.backends.registry import ModelSpec
from rubricrl.errors import InputError


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

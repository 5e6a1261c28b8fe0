"""Specs to backends: an encoder spec is not a chat backend."""

import pytest

from rubricrl.backends.registry import load_provider
from rubricrl.errors import InputError
from rubricrl.model_spec import ModelSpec


@pytest.mark.parametrize("spec", ["embed", "embed:/models/bge"])
def test_embed_is_refused_as_a_chat_backend(spec: str) -> None:
    with pytest.raises(InputError, match="embed is a coverage grader, not a chat model") as error:
        load_provider(ModelSpec.parse(spec))
    assert "\n" not in str(error.value)

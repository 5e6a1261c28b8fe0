"""Choice probabilities from a real llama.cpp server agree with the local backend's."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import pytest

from rubricrl.backends.base import user
from rubricrl.backends.llama_server import LlamaServer
from rubricrl.backends.local import LocalBackend
from rubricrl.backends.openai_compat import OpenAIBackend

pytest_plugins = ["tests.integration.llama_fixtures"]
pytestmark = [
    pytest.mark.server,
    pytest.mark.model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed: run `make setup-server`",
    ),
]

QUESTIONS = [
    "Is the sky blue? Answer Yes or No.",
    "Is fire cold? Answer Yes or No.",
    "Is Paris the capital of France? Answer Yes or No.",
]
# The same Q4_1 weights: llama.cpp runs them quantized, transformers de-quantized to fp32, so
# probabilities differ by a few hundredths (0.028 at most when this was written).
TOLERANCE = 0.06


def test_server_probabilities_agree_with_the_local_model(
    llama_server: LlamaServer, embedded_in: Callable[[str], LocalBackend]
) -> None:
    conversations = [user(q) for q in QUESTIONS]
    server = OpenAIBackend(llama_server.base_url, llama_server.alias)
    remote = server.choice_probs(conversations, ("Yes", "No"))
    local = embedded_in("float32").choice_probs(conversations, ("Yes", "No"))
    assert server.prompt_tokens > 0
    for far, near in zip(remote, local, strict=True):
        assert 0 < far.mass <= 1
        assert max(far.probs, key=far.probs.__getitem__) == max(
            near.probs, key=near.probs.__getitem__
        )
        assert far.probs == pytest.approx(near.probs, abs=TOLERANCE)


def test_digit_choices_come_back_too(llama_server: LlamaServer) -> None:
    conversation = user("Pick 1 or 2. Reply with the digit only.")
    server = OpenAIBackend(llama_server.base_url, llama_server.alias)
    (result,) = server.choice_probs([conversation], ("1", "2"))
    assert set(result.probs) == {"1", "2"} and result.mass > 0

"""What every ChatBackend promises, as tests any backend can run.

A test module subclasses `BackendContract` once per backend (pytest collects the subclass as
`Test...`) and gives it two fixtures: `backend`, a working one, and `broken_backend`, one of
the same kind that fails when asked (a dead server, a device that errors). The scripted backend
runs the contract in tests/unit/backends/test_contract.py; the embedded model and a llama.cpp
server run it in tests/integration/backends/test_contract.py under their markers. The asks are
few and the budgets tiny, so a real model gets through them in seconds.
"""

from __future__ import annotations

from typing import Any

import pytest

from rubricrl.backends.base import ChatBackend, ChoiceProbs, Completion, Sampling, user
from rubricrl.errors import BatchError, InputError

# Three prompts of different lengths, longest first: the prompt tokens of each completion say
# which conversation it answers, whatever the backend replied.
LONG, SHORT, MIDDLE = (
    user("Name a colour, a fruit, a planet, a river and a mountain, in one word each."),
    user("Hi."),
    user("Name a planet and a river."),
)
STORIES = [user("Write a long story about a dragon."), user("Write a long poem about the sea.")]
NAMES = [user("Invent a name for a cat."), user("Invent a name for a ship.")]
QUESTIONS = [user("Is the sky blue? Answer yes or no."), user("Is fire cold? Answer yes or no.")]
FINISH_REASONS = {"stop", "length"}


def needs_choice_probs(backend: Any) -> None:
    """Skip unless the backend's class implements choice_probs."""
    if not hasattr(type(backend), "choice_probs"):
        pytest.skip(f"{type(backend).__name__} has no choice_probs yet")


class BackendContract:
    """The promises of the backend protocol (rubricrl.backends.base.ChatBackend)."""

    def test_one_completion_per_conversation_in_their_order(self, backend: ChatBackend) -> None:
        completions = backend.batch([LONG, SHORT, MIDDLE], Sampling(temperature=0, max_tokens=4))
        assert len(completions) == 3
        assert all(isinstance(c, Completion) and len(c.texts) == 1 for c in completions)
        long, short, middle = (c.prompt_tokens for c in completions)
        assert 0 < short < middle < long

    def test_an_empty_batch_is_an_empty_list(self, backend: ChatBackend) -> None:
        assert backend.batch([], Sampling(max_tokens=4)) == []

    def test_max_tokens_bounds_every_sample(self, backend: ChatBackend) -> None:
        sampling = Sampling(temperature=1.0, max_tokens=3, n=2, seed=1)
        completions = backend.batch(STORIES, sampling)
        assert len(completions) == len(STORIES)
        for completion in completions:
            assert len(completion.texts) == len(completion.finish_reasons) == 2
            assert set(completion.finish_reasons) <= FINISH_REASONS
            assert completion.completion_tokens <= sampling.max_tokens * sampling.n
        assert "length" in {r for c in completions for r in c.finish_reasons}  # it was cut

    def test_the_same_seed_gives_the_same_samples(self, backend: ChatBackend) -> None:
        sampling = Sampling(temperature=1.0, max_tokens=6, n=2, seed=11)
        first = [c.texts for c in backend.batch(NAMES, sampling)]
        assert [c.texts for c in backend.batch(NAMES, sampling)] == first

    def test_failures_are_typed_one_line_and_keep_what_finished(
        self, broken_backend: ChatBackend
    ) -> None:
        asks = [user("first"), user("second"), user("third")]
        with pytest.raises(BatchError) as caught:
            broken_backend.batch(asks, Sampling(temperature=0, max_tokens=4))
        message = str(caught.value)
        assert message and "\n" not in message
        assert set(caught.value.partial) <= set(range(len(asks)))
        assert all(isinstance(done, Completion) for done in caught.value.partial.values())
        if hasattr(type(broken_backend), "choice_probs"):
            with pytest.raises(BatchError):
                broken_backend.choice_probs(asks, ("yes", "no"))

    def test_choice_probs_one_per_conversation_within_one(self, backend: ChatBackend) -> None:
        needs_choice_probs(backend)
        found = backend.choice_probs(QUESTIONS, ("yes", "no"))
        assert len(found) == len(QUESTIONS)
        for probs in found:
            assert isinstance(probs, ChoiceProbs)
            assert set(probs.probs) == {"yes", "no"}
            assert all(0.0 <= p <= 1.0 for p in probs.probs.values())
            assert probs.mass <= 1.0 + 1e-6

    def test_choices_that_share_a_first_token_are_an_input_error(
        self, backend: ChatBackend
    ) -> None:
        needs_choice_probs(backend)
        with pytest.raises(InputError):
            backend.choice_probs(QUESTIONS[:1], ("yes", "yes"))

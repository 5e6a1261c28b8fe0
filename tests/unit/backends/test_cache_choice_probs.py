"""Choice probabilities in the response cache: replay, keys apart from completions, partials."""

from pathlib import Path

import pytest

from rubricrl.backends.base import ChoiceProbs, Conversation, Sampling, user
from rubricrl.backends.cache import CachedBackend, ResponseCache, cache_key, choice_key
from rubricrl.errors import BackendError
from tests.fakes import ScriptedBackend


def scripted(conversation: Conversation, choices: tuple[str, ...]) -> dict[str, float]:
    """P(first choice) is the prompt's length in tenths."""
    share = len(conversation[-1]["content"]) / 10
    return {choices[0]: share, choices[1]: 1 - share}


def test_second_call_is_served_from_cache(tmp_path: Path) -> None:
    inner = ScriptedBackend(probs=scripted)
    backend = CachedBackend(inner, ResponseCache(tmp_path / "c.sqlite"))
    first = backend.choice_probs([user("a"), user("bb")], ("Yes", "No"))
    second = backend.choice_probs([user("bb"), user("a"), user("ccc")], ("Yes", "No"))
    assert [p.probs["Yes"] for p in first] == pytest.approx([0.1, 0.2])
    assert [p.probs["Yes"] for p in second] == pytest.approx([0.2, 0.1, 0.3])
    assert second[1] == first[0]
    assert len([c for call in inner.calls for c in call.conversations]) == 3  # a, bb, ccc


def test_key_depends_on_choices_and_differs_from_completions(tmp_path: Path) -> None:
    inner = ScriptedBackend(probs=scripted)
    cache = ResponseCache(tmp_path / "c.sqlite")
    backend = CachedBackend(inner, cache)
    backend.choice_probs([user("a")], ("Yes", "No"))
    backend.choice_probs([user("a")], ("No", "Yes"))
    backend.choice_probs([user("a")], ("1", "2"))
    assert len(inner.calls) == 3  # one call each, none served from another's entry
    conversation = user("a")
    assert choice_key("fake", conversation, ("Yes", "No")) != cache_key(
        "fake", conversation, Sampling(), None
    )
    assert len(cache) == 0  # completions are counted apart


class HalfFailing:
    spec = "half"

    def choice_probs(self, conversations, choices):  # type: ignore[no-untyped-def]
        finished = {
            i: ChoiceProbs({c: 0.5 for c in choices}) for i in range(0, len(conversations), 2)
        }
        raise BackendError("server went away", partial=finished)


def test_finished_probabilities_survive_a_failed_batch(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    conversations = [user(str(i)) for i in range(4)]
    with pytest.raises(BackendError):
        CachedBackend(HalfFailing(), cache).choice_probs(conversations, ("Yes", "No"))  # type: ignore[arg-type]
    replay = ScriptedBackend(spec="half", probs={"No": 1.0})
    results = CachedBackend(replay, cache).choice_probs(conversations, ("Yes", "No"))
    assert [r.probs["Yes"] for r in results] == [0.5, 0.0, 0.5, 0.0]
    assert len(replay.calls[0].conversations) == 2

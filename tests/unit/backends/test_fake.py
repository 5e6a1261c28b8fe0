"""rubricrl.backends.fake, the older scripted backend (tests now use tests/fakes.py)."""

from __future__ import annotations

import pytest

from rubricrl.backends.base import Sampling, user
from rubricrl.backends.fake import FakeBackend


def test_a_responder_answers_every_sample_and_calls_are_kept() -> None:
    backend = FakeBackend(lambda c: c[-1]["content"].upper(), spec="upper")
    completions = backend.batch([user("a"), user("b")], Sampling(n=2, seed=1))
    assert [c.texts for c in completions] == [["A", "A"], ["B", "B"]]
    assert backend.calls == [user("a"), user("b")]  # one entry per conversation
    assert [s.seed for s in backend.samplings] == [1]  # one per batch call
    assert backend.spec == "upper"


def test_a_list_of_replies_is_handed_out_in_turn() -> None:
    backend = FakeBackend(["one", "two"])
    assert [c.text for c in backend.batch([user("x"), user("y")], Sampling())] == ["one", "two"]
    with pytest.raises(StopIteration):
        backend.batch([user("z")], Sampling())

"""The protocol's value types: conversations, sampling settings, completions, choice odds."""

from __future__ import annotations

import dataclasses

import pytest

from rubricrl.backends.base import ChoiceProbs, Completion, Sampling, user


def test_user_is_one_turn_with_an_optional_system_message() -> None:
    assert user("hi") == [{"role": "user", "content": "hi"}]
    assert user("hi", system="be brief") == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert user("hi", system="") == [{"role": "user", "content": "hi"}]


def test_sampling_is_frozen_and_lists_every_setting() -> None:
    sampling = Sampling(temperature=0.0, seed=3, stop=("END",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        sampling.seed = 4  # type: ignore[misc]
    assert sampling.as_dict() == {
        "temperature": 0.0, "top_p": 1.0, "max_tokens": 512, "n": 1, "seed": 3,
        "stop": ("END",), "frequency_penalty": 0.0,
    }  # fmt: skip
    assert Sampling(**sampling.as_dict()) == sampling


def test_a_completion_reads_as_its_first_text() -> None:
    completion = Completion(texts=["first", "second"], prompt_tokens=4, completion_tokens=2)
    assert completion.text == "first"
    assert completion.finish_reasons == []


def test_choice_mass_is_what_the_choices_cover_together() -> None:
    probs = ChoiceProbs({"yes": 0.5, "no": 0.25})
    assert probs.mass == pytest.approx(0.75)
    assert ChoiceProbs({}).mass == 0

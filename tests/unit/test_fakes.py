"""The scripted backend other tests stand on: its scripts, its records, its failure cues, and the
schema-valid JSON it can answer with."""

from __future__ import annotations

import json
import random

import jsonschema
import pytest

from rubricrl.backends.base import ChoiceProbs, Conversation, JsonSchema, Sampling, user
from rubricrl.errors import BackendError, InputError
from rubricrl.evaluation.judge import PREFERENCE_SCHEMA
from rubricrl.grading.schema import verdict_schema
from tests.fakes import (
    Call,
    ScriptedBackend,
    ScriptExhausted,
    cut,
    prefers,
    random_text,
    schema_instance,
)

GREEDY = Sampling(temperature=0)


def test_a_function_of_the_conversation_answers_every_sample() -> None:
    backend = ScriptedBackend(lambda c: c[-1]["content"][::-1])
    [completion] = backend.batch([user("abc")], Sampling(n=3))
    assert completion.texts == ["cba"] * 3
    assert completion.finish_reasons == ["stop"] * 3


def test_a_function_of_two_arguments_also_gets_the_sampling() -> None:
    backend = ScriptedBackend(lambda c, sampling: f"seed {sampling.seed}")
    assert backend.batch([user("x")], Sampling(seed=4))[0].text == "seed 4"


def test_a_sequence_is_handed_out_in_turn_and_running_out_says_so() -> None:
    backend = ScriptedBackend(["one", "two", "three"])
    assert [c.text for c in backend.batch([user("a"), user("b")], GREEDY)] == ["one", "two"]
    assert backend.batch([user("c")], GREEDY)[0].text == "three"
    with pytest.raises(ScriptExhausted, match="ran out after 3 replies"):
        backend.batch([user("d")], GREEDY)


def test_a_text_is_the_reply_to_everything() -> None:
    backend = ScriptedBackend("same")
    assert [c.text for c in backend.batch([user("a"), user("b")], GREEDY)] == ["same", "same"]


def test_the_default_echo_is_greedy_at_zero_and_seeded_above() -> None:
    backend = ScriptedBackend()
    conversation = [user("one two three four five six seven eight")]
    assert backend.batch(conversation, GREEDY)[0].text == conversation[0][-1]["content"]
    hot = Sampling(temperature=1.0, n=3, seed=5)
    first = backend.batch(conversation, hot)[0].texts
    assert backend.batch(conversation, hot)[0].texts == first
    assert len(set(first)) > 1  # the n samples of one call differ
    assert backend.batch(conversation, Sampling(temperature=1.0, n=3, seed=6))[0].texts != first


def test_every_call_is_recorded_with_its_arguments() -> None:
    backend = ScriptedBackend("ok")
    schema = {"type": "object"}
    backend.batch([user("a"), user("b")], GREEDY, schema)
    backend.choice_probs([user("c")], ("yes", "no"))
    backend.batch([user("d")], Sampling(seed=2))
    assert [call.kind for call in backend.calls] == ["batch", "choice_probs", "batch"]
    assert backend.calls[1] == Call("choice_probs", [user("c")], choices=("yes", "no"))
    assert backend.batch_sizes == [2, 1]
    assert backend.prompts == ["a", "b", "d"]
    assert backend.schemas == [schema, None]
    assert [s.seed for s in backend.samplings if s] == [None, 2]


def test_usage_counts_words_and_max_tokens_cuts_the_reply() -> None:
    backend = ScriptedBackend("a b c d e")
    [completion] = backend.batch(
        [user("two words", system="three more words")], Sampling(max_tokens=3, n=2)
    )
    assert completion.texts == ["a b c"] * 2
    assert completion.finish_reasons == ["length"] * 2
    assert (completion.prompt_tokens, completion.completion_tokens) == (5, 6)


def test_a_stop_string_cuts_before_itself() -> None:
    assert cut("alpha beta END gamma", Sampling(stop=("END",))) == ("alpha beta ", "stop")
    assert cut("a b c", Sampling(max_tokens=0)) == ("", "length")


def test_the_kth_call_fails_and_the_others_answer() -> None:
    backend = ScriptedBackend("ok", fail_on=2)
    backend.batch([user("a")], GREEDY)
    with pytest.raises(BackendError, match="failure scripted for call 2") as caught:
        backend.batch([user("b")], GREEDY)
    assert caught.value.partial == {}
    assert backend.batch([user("c")], GREEDY)[0].text == "ok"
    assert len(backend.calls) == 3  # the failed call is recorded too


def test_calls_past_a_number_fail_with_the_given_error() -> None:
    backend = ScriptedBackend("ok", fail_on=lambda number: number > 1, error=ValueError("a bug"))
    backend.batch([user("a")], GREEDY)
    for _ in range(2):
        with pytest.raises(ValueError, match="a bug"):
            backend.batch([user("b")], GREEDY)


def test_matching_conversations_fail_and_the_rest_come_back_as_partial() -> None:
    def poisoned(conversation: Conversation) -> bool:
        return "poison" in conversation[-1]["content"]

    backend = ScriptedBackend(fail_when=poisoned)
    conversations = [user("a"), user("poison"), user("c")]
    with pytest.raises(BackendError, match="1 of 3 requests failed") as caught:
        backend.batch(conversations, GREEDY)
    assert sorted(caught.value.partial) == [0, 2]
    assert caught.value.partial[2].text == "c"
    with pytest.raises(BackendError) as probed:
        backend.choice_probs(conversations, ("yes", "no"))
    assert probed.value.partial[0] == ChoiceProbs({"yes": 0.5, "no": 0.5})


def test_choice_probabilities_come_from_their_script() -> None:
    backend = ScriptedBackend(
        probs=lambda c, choices: {"yes": 0.7} if "sky" in c[-1]["content"] else {}
    )
    sky, other = backend.choice_probs([user("Is the sky blue?"), user("?")], ("yes", "no"))
    assert sky.probs == {"yes": 0.7, "no": 0.0} and sky.mass == pytest.approx(0.7)
    assert other.mass == 0.0
    fixed = ScriptedBackend(probs={"A": 0.25, "B": 0.5})
    assert fixed.choice_probs([user("q")], ("A", "B"))[0].probs == {"A": 0.25, "B": 0.5}
    with pytest.raises(AssertionError, match="'C'"):
        ScriptedBackend(probs={"C": 1.0}).choice_probs([user("q")], ("A", "B"))


def test_choices_must_differ_at_their_first_token() -> None:
    with pytest.raises(InputError, match="'yes' and 'yes please'"):
        ScriptedBackend().choice_probs([user("q")], ("yes", "yes please"))


def test_prefers_finds_its_word_in_either_position() -> None:
    backend = prefers("BETA")
    shown = [user("1: ALPHA plan, 2: BETA plan"), user("1: BETA plan, 2: ALPHA plan")]
    texts = [c.text for c in backend.batch(shown, GREEDY)]
    assert ['"preferred": "2"' in texts[0], '"preferred": "1"' in texts[1]] == [True, True]
    assert backend.spec == "prefers-BETA"


def test_a_function_of_three_arguments_also_gets_the_schema() -> None:
    backend = ScriptedBackend(lambda c, sampling, schema: json.dumps(schema))
    schema = {"type": "object"}
    assert backend.batch([user("x")], GREEDY, schema)[0].text == '{"type": "object"}'
    assert backend.batch([user("x")], GREEDY)[0].text == "null"


def test_random_text_is_made_up_words_within_the_bounds() -> None:
    rng = random.Random(3)
    for low, high in [(0, 0), (1, 1), (20, 25), (150, 700), (40, None)]:
        for _ in range(50):
            text = random_text(rng, low, high)
            assert low <= len(text) <= (low + 80 if high is None else high)
            assert text == text.strip() and "  " not in text


@pytest.mark.parametrize(
    "schema",
    [
        verdict_schema(["1", "2", "3"], guidelines=7),
        verdict_schema(["1", "2"], guidelines=7, dense=True, rationale_chars=40),
        PREFERENCE_SCHEMA,
        {
            "type": "object",
            "properties": {
                "goal": {"type": "string", "minLength": 200, "maxLength": 600},
                "keep": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 5},
                    "minItems": 5,
                    "maxItems": 5,
                },
                "weight": {"type": "number", "minimum": 0.5, "maximum": 2.0},
                "flag": {"type": "boolean"},
            },
            "required": ["goal", "keep", "weight", "flag"],
        },
    ],
)
def test_schema_instances_are_valid_and_the_same_for_the_same_seed(schema: JsonSchema) -> None:
    drawn = [schema_instance(schema, random.Random(seed)) for seed in range(20)]
    for value in drawn:
        jsonschema.validate(value, schema)
    assert drawn == [schema_instance(schema, random.Random(seed)) for seed in range(20)]
    assert len({json.dumps(value) for value in drawn}) > 1


def test_a_schema_it_cannot_honour_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="unsupported keywords \\['pattern'\\]"):
        schema_instance({"type": "string", "pattern": "^a+$"})
    with pytest.raises(AssertionError, match="type 'null'"):
        schema_instance({"type": "null"})


def test_refused_conversations_fail_row_level_with_a_reason_each() -> None:
    backend = ScriptedBackend(refuse_when=lambda c: "poison" in c[-1]["content"])
    conversations = [user("a"), user("poison"), user("c")]
    for call in (
        lambda: backend.batch(conversations, GREEDY),
        lambda: backend.choice_probs(conversations, ("yes", "no")),
    ):
        with pytest.raises(BackendError, match="1 of 3 requests refused") as caught:
            call()
        assert caught.value.row_level and sorted(caught.value.partial) == [0, 2]
        assert list(caught.value.failed) == [1] and "HTTP 400" in caught.value.failed[1]


def test_a_systemic_failure_among_refusals_is_not_row_level() -> None:
    backend = ScriptedBackend(
        fail_when=lambda c: c[-1]["content"] == "down",
        refuse_when=lambda c: c[-1]["content"] == "poison",
    )
    with pytest.raises(BackendError, match="2 of 3 requests failed") as caught:
        backend.batch([user("a"), user("poison"), user("down")], GREEDY)
    assert not caught.value.row_level and sorted(caught.value.partial) == [0]

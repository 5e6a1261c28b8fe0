"""A scripted ChatBackend for tests: replies come from a script, every call is recorded, and it
fails on cue, the way a provider fails (a typed BackendError keeping the finished replies).

    backend = ScriptedBackend(lambda conversation: '{"x": 1}')       # one reply per sample
    backend = ScriptedBackend(lambda c, s, schema: json.dumps(schema_instance(schema)))  # valid
    backend = ScriptedBackend(["first", "second"])                     # replies in turn
    backend = ScriptedBackend(fail_on=2)                               # the 2nd call raises
    backend = ScriptedBackend(fail_when=lambda c: "poison" in c[-1]["content"])
    backend = ScriptedBackend(refuse_when=lambda c: "poison" in c[-1]["content"])  # HTTP 400

A token, for this backend, is a whitespace-separated word: replies are cut to `max_tokens`
words (finish reason "length") and at the first stop string, and usage counts words.
"""

from __future__ import annotations

import inspect
import json
import random
import re
import string
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rubricrl.backends.base import ChoiceProbs, Completion, Conversation, JsonSchema, Sampling
from rubricrl.errors import BackendError, InputError

Reply = (
    Callable[[Conversation], str]
    | Callable[[Conversation, Sampling], str]
    | Callable[[Conversation, Sampling, JsonSchema | None], str]
)
Script = str | Reply | Iterable[str]
ProbScript = Callable[[Conversation, tuple[str, ...]], Mapping[str, float]] | Mapping[str, float]
CallCue = int | Collection[int] | Callable[[int], bool]

Answer = Callable[[Conversation, Sampling, int, JsonSchema | None], str]

_WORD = re.compile(r"\S+")


class ScriptExhausted(AssertionError):
    """The test asked for more replies than its script holds."""


@dataclass(frozen=True)
class Call:
    """One call the backend received, recorded before it answered (or failed)."""

    kind: Literal["batch", "choice_probs"]
    conversations: list[Conversation]
    sampling: Sampling | None = None
    schema: JsonSchema | None = None
    choices: tuple[str, ...] = ()


def words(text: str) -> list[str]:
    """The tokens of `text`, as this backend counts them."""
    return _WORD.findall(text)


def cut(text: str, sampling: Sampling) -> tuple[str, str]:
    """`text` as a backend honouring `sampling` returns it, and its finish reason."""
    stops = [text.index(stop) for stop in sampling.stop if stop and stop in text]
    if stops:
        text = text[: min(stops)]
    ends = [match.end() for match in _WORD.finditer(text)]
    if len(ends) > sampling.max_tokens:
        return (text[: ends[sampling.max_tokens - 1]] if sampling.max_tokens > 0 else ""), "length"
    return text, "stop"


def echo(conversation: Conversation, sampling: Sampling, sample: int) -> str:
    """The default script: the last message, back verbatim at temperature 0; at a temperature
    above 0, its words drawn at random, reproducibly for a seed (and freshly without one)."""
    text = conversation[-1]["content"] if conversation else ""
    if sampling.temperature <= 0 or not words(text):
        return text
    rng = random.Random(f"{sampling.seed}/{sample}/{text}") if sampling.seed is not None else None
    draw = (rng or random.Random()).choice
    return " ".join(draw(words(text)) for _ in words(text))


SCHEMA_KEYWORDS = frozenset(
    {"type", "const", "enum", "properties", "required", "additionalProperties"}
    | {"items", "prefixItems", "minItems", "maxItems", "minLength", "maxLength"}
    | {"minimum", "maximum", "description", "title"}
)


def random_text(rng: random.Random, min_length: int = 0, max_length: int | None = None) -> str:
    """Made-up lowercase words, `min_length` to `max_length` characters long (at most 80 past
    the minimum when no maximum is given), drawn with `rng`."""
    high = min_length + 80 if max_length is None else max_length
    target = rng.randint(min_length, high)
    text = ""
    while len(text) < target:
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9)))
        text = f"{text} {word}" if text else word
    text = text[:target]
    return text[:-1] + rng.choice(string.ascii_lowercase) if text.endswith(" ") else text


def schema_instance(schema: JsonSchema, rng: random.Random | None = None) -> Any:
    """A JSON value valid against `schema`, drawn with `rng` (seeded 0 by default).

    Covers the keywords the package's reply schemas use (SCHEMA_KEYWORDS): const and enum,
    objects (every property given), arrays within minItems/maxItems (prefixItems first),
    strings of `random_text`, integers and numbers within their bounds, booleans. Any other
    keyword fails the test, so a schema it cannot satisfy is never answered invalidly."""
    rng = rng or random.Random(0)
    unknown = set(schema) - SCHEMA_KEYWORDS
    if unknown:
        raise AssertionError(f"schema_instance: unsupported keywords {sorted(unknown)}")
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: schema_instance(part, rng) for name, part in properties.items()}
    if kind == "array":
        prefix = schema.get("prefixItems", [])
        low = schema.get("minItems", 0)
        count = rng.randint(low, schema.get("maxItems", low + 3))
        parts = [prefix[k] if k < len(prefix) else schema.get("items", {}) for k in range(count)]
        return [schema_instance(part, rng) for part in parts]
    if kind == "string":
        return random_text(rng, schema.get("minLength", 0), schema.get("maxLength"))
    if kind == "integer":
        low = schema.get("minimum", 0)
        return rng.randint(low, schema.get("maximum", low + 100))
    if kind == "number":
        low = schema.get("minimum", 0.0)
        return rng.uniform(low, schema.get("maximum", low + 1.0))
    if kind == "boolean":
        return rng.random() < 0.5
    raise AssertionError(f"schema_instance: no value for a schema of type {kind!r}")


def _arguments(reply: Callable[..., str]) -> int:
    """How many of (conversation, sampling, schema) a reply function takes: 1, 2 or 3."""
    try:
        parameters = inspect.signature(reply).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = [parameter.kind for parameter in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return 2
    positional = [
        k
        for k in kinds
        if k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    return max(1, min(len(positional), 3))


class ScriptedBackend:
    """A ChatBackend whose replies come from `replies`, with every call kept in `calls`.

    `replies` is a constant text, a function of the conversation (and of the sampling when it
    takes two arguments, and of the reply's JSON schema, None for free text, when it takes
    three), or a sequence of texts handed out in turn, one per sample; by default the backend
    echoes (see `echo`). `probs` scripts `choice_probs`: a function of the conversation and the
    choices, or one mapping for every conversation; missing choices get 0, and by default every
    choice gets an equal share.

    Failing on cue: `fail_on` names calls (counted from 1 over both methods) that raise, as a
    number, several numbers or a predicate of the number; `fail_when` picks conversations whose
    requests fail while the others finish. Either raises `error` when given, else a BackendError
    whose `partial` holds the finished results by index. `refuse_when` picks conversations the
    server refuses for their own content (an HTTP 400): the BackendError is row-level, its
    `failed` giving each refused index a reason.
    """

    def __init__(
        self,
        replies: Script | None = None,
        *,
        spec: str = "fake",
        probs: ProbScript | None = None,
        fail_on: CallCue = (),
        fail_when: Callable[[Conversation], bool] | None = None,
        refuse_when: Callable[[Conversation], bool] | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.spec = spec
        self.calls: list[Call] = []
        self._reply = self._script(replies)
        self._probs = probs
        self._fail_on = fail_on
        self._fail_when = fail_when
        self._refuse_when = refuse_when
        self._error = error
        self._lock = threading.Lock()

    def _script(self, replies: Script | None) -> Answer:
        if replies is None:
            return lambda conversation, sampling, sample, _schema: echo(
                conversation, sampling, sample
            )
        if isinstance(replies, str):
            constant = replies
            return lambda _conversation, _sampling, _sample, _schema: constant
        if callable(replies):
            function: Callable[..., str] = replies
            count = _arguments(function)
            return lambda conversation, sampling, _sample, schema: function(
                *(conversation, sampling, schema)[:count]
            )
        queue: Iterator[str] = iter(replies)
        handed: list[int] = [0]

        def next_reply(
            _conversation: Conversation,
            _sampling: Sampling,
            _sample: int,
            _schema: JsonSchema | None,
        ) -> str:
            try:
                reply = next(queue)
            except StopIteration:
                raise ScriptExhausted(
                    f"{self.spec}: the script ran out after {handed[0]} replies"
                ) from None
            handed[0] += 1
            return reply

        return next_reply

    # the protocol

    def batch(
        self,
        conversations: list[Conversation],
        sampling: Sampling,
        schema: JsonSchema | None = None,
    ) -> list[Completion]:
        number = self._record(Call("batch", list(conversations), sampling, schema))
        return self._answer(number, conversations, lambda c: self._complete(c, sampling, schema))

    def choice_probs(
        self, conversations: list[Conversation], choices: tuple[str, ...]
    ) -> list[ChoiceProbs]:
        number = self._record(Call("choice_probs", list(conversations), choices=tuple(choices)))
        firsts: dict[str, str] = {}
        for choice in choices:
            first = (words(choice) or [""])[0]
            if first in firsts:
                raise InputError(
                    f"{self.spec}: choices {firsts[first]!r} and {choice!r} start with the same "
                    f"token {first!r}"
                )
            firsts[first] = choice
        return self._answer(number, conversations, lambda c: self._choose(c, tuple(choices)))

    # what was asked

    @property
    def batches(self) -> list[Call]:
        return [call for call in self.calls if call.kind == "batch"]

    @property
    def conversations(self) -> list[Conversation]:
        """Every conversation sent to `batch`, in order, across calls."""
        return [c for call in self.batches for c in call.conversations]

    @property
    def prompts(self) -> list[str]:
        """The last message of every conversation sent to `batch`."""
        return [c[-1]["content"] for c in self.conversations]

    @property
    def samplings(self) -> list[Sampling | None]:
        return [call.sampling for call in self.batches]

    @property
    def schemas(self) -> list[JsonSchema | None]:
        return [call.schema for call in self.batches]

    @property
    def batch_sizes(self) -> list[int]:
        return [len(call.conversations) for call in self.batches]

    # answering

    def _record(self, call: Call) -> int:
        with self._lock:
            self.calls.append(call)
            return len(self.calls)

    def _cued(self, number: int) -> bool:
        cue = self._fail_on
        if callable(cue):
            return bool(cue(number))
        if isinstance(cue, int):
            return number == cue
        return number in cue

    def _answer(
        self, number: int, conversations: list[Conversation], answer: Callable[[Conversation], Any]
    ) -> list[Any]:
        if self._cued(number):
            raise self._error or BackendError(f"{self.spec}: failure scripted for call {number}")
        failing = {
            index
            for index, conversation in enumerate(conversations)
            if self._fail_when is not None and self._fail_when(conversation)
        }
        refused = {
            index: f"{self.spec}: HTTP 400: request refused (scripted)"
            for index, conversation in enumerate(conversations)
            if self._refuse_when is not None and self._refuse_when(conversation)
        }
        failing -= refused.keys()
        results = {
            i: answer(c) for i, c in enumerate(conversations) if i not in failing | refused.keys()
        }
        if refused and not failing:
            raise BackendError(
                f"{self.spec}: {len(refused)} of {len(conversations)} requests refused "
                f"(scripted), {len(results)} finished",
                partial=results,
                failed=refused,
            )
        if failing:  # with a systemic failure among them, refused rows are not told apart
            raise self._error or BackendError(
                f"{self.spec}: {len(failing) + len(refused)} of {len(conversations)} requests failed "
                f"(scripted), {len(results)} finished",
                partial=results,
            )
        return [results[i] for i in range(len(conversations))]

    def _complete(
        self, conversation: Conversation, sampling: Sampling, schema: JsonSchema | None
    ) -> Completion:
        texts, reasons = [], []
        for sample in range(sampling.n):
            text, reason = cut(self._reply(conversation, sampling, sample, schema), sampling)
            texts.append(text)
            reasons.append(reason)
        return Completion(
            texts=texts,
            prompt_tokens=sum(len(words(message["content"])) for message in conversation),
            completion_tokens=sum(len(words(text)) for text in texts),
            finish_reasons=reasons,
        )

    def _choose(self, conversation: Conversation, choices: tuple[str, ...]) -> ChoiceProbs:
        if self._probs is None:
            return ChoiceProbs({choice: 1 / len(choices) for choice in choices})  # mass 1
        scripted = self._probs(conversation, choices) if callable(self._probs) else self._probs
        unknown = set(scripted) - set(choices)
        if unknown:
            raise AssertionError(f"{self.spec}: scripted probabilities for {sorted(unknown)}")
        return ChoiceProbs({choice: float(scripted.get(choice, 0.0)) for choice in choices})


def judge_reply(position: str, rationale: str = "because") -> str:
    """A judge's JSON verdict preferring the plan shown at `position` ("1", "2" or "tie")."""
    return json.dumps({"rationale": rationale, "preferred": position})


def preferring(word: str) -> Callable[[Conversation], str]:
    """A judge's script: prefer the plan containing `word` (ALPHA or BETA) wherever it is shown."""
    other = "BETA" if word == "ALPHA" else "ALPHA"

    def respond(conversation: Conversation) -> str:
        text = conversation[-1]["content"]
        return judge_reply("1" if text.index(word) < text.index(other) else "2")

    return respond


def prefers(word: str, spec: str | None = None) -> ScriptedBackend:
    """A judge backend running `preferring(word)`, named prefers-<word> unless `spec` is given."""
    return ScriptedBackend(preferring(word), spec=spec or f"prefers-{word}")

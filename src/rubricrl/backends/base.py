"""The backend protocol: a batch of chat conversations in, one completion per conversation out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TypedDict


class Message(TypedDict):
    role: str
    content: str


Conversation = list[Message]
JsonSchema = dict[str, Any]


@dataclass(frozen=True)
class Sampling:
    """Sampling parameters shared by every backend."""

    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 512
    n: int = 1
    seed: int | None = None
    stop: tuple[str, ...] = ()
    frequency_penalty: float = 0.0  # OpenAI's: logit -= penalty x times the token was generated

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Completion:
    """The `n` sampled replies to one conversation, with token usage."""

    texts: list[str]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reasons: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.texts[0]


@dataclass(frozen=True)
class ChoiceProbs:
    """How likely a reply is to start with each of a few answer strings, read at its first token.

    `probs` maps each choice to the probability of the token it starts with; `mass` is what they
    cover together, low when the model meant to say something else.
    """

    probs: dict[str, float]

    @property
    def mass(self) -> float:
        return sum(self.probs.values())


class ChatBackend(Protocol):
    """What every provider implements; caching and retries wrap providers, never live inside."""

    spec: str

    def batch(
        self,
        conversations: list[Conversation],
        sampling: Sampling,
        schema: JsonSchema | None = None,
    ) -> list[Completion]:
        """Complete every conversation; with `schema`, each text is JSON valid against it."""
        ...

    def choice_probs(
        self, conversations: list[Conversation], choices: tuple[str, ...]
    ) -> list[ChoiceProbs]:
        """Per conversation, the probability that the reply starts with each of `choices`.

        Read at the reply's first position (a prefill, nothing generated). The choices must
        differ at their first token: InputError says which do not.
        """
        ...


def user(content: str, system: str | None = None) -> Conversation:
    """A one-turn conversation, with an optional system message."""
    turns: Conversation = [Message(role="system", content=system)] if system else []
    return [*turns, Message(role="user", content=content)]

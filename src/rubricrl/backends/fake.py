"""A scripted backend for unit tests: replies come from a function of the conversation."""

from __future__ import annotations

from collections.abc import Callable

from rubricrl.backends.base import ChoiceProbs, Completion, Conversation, JsonSchema, Sampling

Responder = Callable[[Conversation], str]
ProbsResponder = Callable[[Conversation, tuple[str, ...]], dict[str, float]]


class FakeBackend:
    """Answers each conversation with `respond(conversation)`, or from a fixed list in turn.

    Choice probabilities come from `probs(conversation, choices)` when given, else all on the
    choice the scripted reply starts with.
    """

    def __init__(
        self,
        respond: Responder | list[str],
        spec: str = "fake",
        probs: ProbsResponder | None = None,
    ) -> None:
        self.spec = spec
        self.probs = probs
        self.calls: list[Conversation] = []
        self.samplings: list[Sampling] = []  # one per batch call
        if isinstance(respond, list):
            replies = iter(respond)
            self._respond: Responder = lambda _conversation: next(replies)
        else:
            self._respond = respond

    def batch(
        self,
        conversations: list[Conversation],
        sampling: Sampling,
        schema: JsonSchema | None = None,
    ) -> list[Completion]:
        self.calls.extend(conversations)
        self.samplings.append(sampling)
        return [
            Completion(texts=[self._respond(conversation) for _ in range(sampling.n)])
            for conversation in conversations
        ]

    def choice_probs(
        self, conversations: list[Conversation], choices: tuple[str, ...]
    ) -> list[ChoiceProbs]:
        self.calls.extend(conversations)
        if self.probs is not None:
            return [ChoiceProbs(self.probs(c, choices)) for c in conversations]
        replies = [self._respond(c).lstrip() for c in conversations]
        return [ChoiceProbs({c: float(r.startswith(c)) for c in choices}) for r in replies]

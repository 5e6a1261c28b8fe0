"""A scripted backend for unit tests: replies come from a function of the conversation."""

from __future__ import annotations

from collections.abc import Callable

from rubricrl.backends.base import Completion, Conversation, JsonSchema, Sampling

Responder = Callable[[Conversation], str]


class FakeBackend:
    """Answers each conversation with `respond(conversation)`, or from a fixed list in turn."""

    def __init__(self, respond: Responder | list[str], spec: str = "fake") -> None:
        self.spec = spec
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

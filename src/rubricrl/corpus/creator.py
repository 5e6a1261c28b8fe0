"""The sample creator's three kinds of reply, each a schema-constrained call: a paper's insights,
an insight's draft (goal, rubric items, reference solution), and the best of a draft's items.
"""

from __future__ import annotations

from typing import Any

from rubricrl.backends.base import ChatBackend, Sampling, user
from rubricrl.backends.structured import Unreadable, ask_structured
from rubricrl.corpus.creator_defaults import CreatorSettings
from rubricrl.corpus.excerpt import Excerpt
from rubricrl.prompts import load_prompt


def _string(max_length: int, min_length: int = 1) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length}


def _as_is(value: Any) -> Any:
    return value


class Extractor:
    """Runs the creator model over papers, batch by batch."""

    def __init__(
        self, creator: ChatBackend, settings: CreatorSettings, seed: int, attempts: int
    ) -> None:
        self.creator = creator
        self.settings = settings
        self.attempts = attempts
        self.sampling = Sampling(
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            seed=seed,
            frequency_penalty=settings.frequency_penalty,
        )

    def _ask(self, prompts: list[str], schema: dict[str, Any]) -> list[Any | Unreadable]:
        conversations = [user(prompt) for prompt in prompts]
        return ask_structured(
            self.creator, conversations, self.sampling, schema, _as_is, self.attempts
        )

    def find_insights(self, excerpts: list[Excerpt]) -> list[list[str] | Unreadable]:
        schema = {
            "type": "object",
            "properties": {
                "insights": {
                    "type": "array",
                    "items": _string(300, min_length=40),
                    "minItems": 1,
                    "maxItems": self.settings.insights,
                }
            },
            "required": ["insights"],
        }
        template = load_prompt("extract_insights")
        prompts = [
            template.render(paper_text=e.text, count=self.settings.insights) for e in excerpts
        ]
        replies = self._ask(prompts, schema)
        return [r if isinstance(r, Unreadable) else r["insights"] for r in replies]

    def draft_samples(self, jobs: list[tuple[Excerpt, str]]) -> list[dict[str, Any] | Unreadable]:
        config = self.settings
        schema = {
            "type": "object",
            "properties": {
                "goal": _string(config.max_goal_chars, min_length=200),
                "rubric": {
                    "type": "array",
                    "items": _string(config.max_item_chars, min_length=20),
                    "minItems": config.draft_items,
                    "maxItems": config.draft_items,
                },
                "reference_solution": _string(config.max_reference_chars, min_length=150),
            },
            "required": ["goal", "rubric", "reference_solution"],
        }
        template = load_prompt("extract_sample")
        prompts = [
            template.render(paper_text=e.text, insight=insight, items=config.draft_items)
            for e, insight in jobs
        ]
        return self._ask(prompts, schema)

    def rank_items(self, drafts: list[tuple[str, list[str]]]) -> list[list[int] | None]:
        keep = self.settings.rules.keep_items
        template = load_prompt("select_items")
        prompts = [template.render(goal=goal, items=items, keep=keep) for goal, items in drafts]
        schemas = {
            len(items): {
                "type": "object",
                "properties": {
                    "keep": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 0, "maximum": len(items) - 1},
                        "minItems": keep,
                        "maxItems": keep,
                    }
                },
                "required": ["keep"],
            }
            for _, items in drafts
        }
        ranked: list[list[int] | None] = [None] * len(drafts)
        for size, schema in schemas.items():  # one batch per candidate count (the schema differs)
            chosen = [i for i, (_, items) in enumerate(drafts) if len(items) == size]
            replies = self._ask([prompts[i] for i in chosen], schema)
            for index, reply in zip(chosen, replies, strict=True):
                ranked[index] = None if isinstance(reply, Unreadable) else reply["keep"]
        return ranked

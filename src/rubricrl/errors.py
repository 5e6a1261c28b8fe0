"""One error hierarchy whose messages are single lines a user can act on."""

from __future__ import annotations

from typing import Any


class RubricRLError(Exception):
    """Base of every error rubricrl reports to a user (the CLI prints it without a traceback)."""


class InputError(RubricRLError):
    """A file, flag or record given by the user is unusable."""


class BatchError(RubricRLError):
    """A batch call failed part-way; `partial` holds the completions that did finish, by index.

    `failed` is set only when every other request was refused for its own content (HTTP 400,
    say): then it holds each one's reason, by index, and the caller records those rows as
    failed and keeps the rest. Otherwise the failure is systemic and the stage stops.
    """

    def __init__(
        self,
        message: str,
        partial: dict[int, Any] | None = None,
        failed: dict[int, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.partial: dict[int, Any] = dict(partial or {})  # index -> Completion
        self.failed: dict[int, str] = dict(failed or {})  # index -> why that row failed

    @property
    def row_level(self) -> bool:
        """Whether only some rows failed, each for its own reason, so the others stand."""
        return bool(self.failed)

    def reindexed(self, indices: list[int], known: dict[int, Any]) -> BatchError:
        """This error for a batch of which it covered the rows `indices` (its index k is row
        `indices[k]`), with the rows in `known` finished besides."""
        partial = {**known, **{indices[k]: value for k, value in self.partial.items()}}
        failed = {indices[k]: reason for k, reason in self.failed.items()}
        return type(self)(str(self), partial=partial, failed=failed)


class BackendError(BatchError):
    """A model backend failed (server down, timeouts, exhausted retries)."""


class ParseError(RubricRLError):
    """A model reply could not be read as the structure we asked for."""

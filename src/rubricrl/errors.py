"""One error hierarchy whose messages are single lines a user can act on."""

from __future__ import annotations

from typing import Any


class RubricRLError(Exception):
    """Base of every error rubricrl reports to a user (the CLI prints it without a traceback)."""


class InputError(RubricRLError):
    """A file, flag or record given by the user is unusable."""


class BatchError(RubricRLError):
    """A batch call failed part-way; `partial` holds the completions that did finish, by index."""

    def __init__(self, message: str, partial: dict[int, Any] | None = None) -> None:
        super().__init__(message)
        self.partial: dict[int, Any] = dict(partial or {})  # index -> Completion


class BackendError(BatchError):
    """A model backend failed (server down, timeouts, exhausted retries)."""


class ParseError(RubricRLError):
    """A model reply could not be read as the structure we asked for."""

"""The error hierarchy the CLI turns into one line, and what a failed batch keeps."""

from __future__ import annotations

from rubricrl.backends.base import Completion
from rubricrl.errors import BackendError, BatchError, InputError, ParseError, RubricRLError


def test_every_error_is_a_rubricrl_error_and_backend_errors_are_batch_errors() -> None:
    for kind in (InputError, BatchError, BackendError, ParseError):
        assert issubclass(kind, RubricRLError)
    assert issubclass(BackendError, BatchError)
    assert not issubclass(ParseError, BatchError)


def test_partial_results_are_a_copy_and_default_to_none() -> None:
    finished = {0: Completion(texts=["done"])}
    error = BackendError("server went away", partial=finished)
    finished[1] = Completion(texts=["later"])
    assert list(error.partial) == [0]
    assert str(error) == "server went away"
    assert BatchError("failed").partial == {}

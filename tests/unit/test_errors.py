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


def test_only_an_error_with_per_row_reasons_is_row_level() -> None:
    assert not BackendError("down", partial={0: "x"}).row_level
    refused = BackendError("refused", partial={0: "x"}, failed={1: "HTTP 400"})
    assert refused.row_level and refused.failed == {1: "HTTP 400"}


def test_reindexing_maps_a_sub_batch_onto_the_callers_batch() -> None:
    inner = BackendError("refused", partial={0: "b"}, failed={1: "HTTP 400"})
    outer = inner.reindexed([1, 3], known={0: "a", 2: "c"})
    assert type(outer) is BackendError and str(outer) == "refused"
    assert outer.partial == {0: "a", 1: "b", 2: "c"} and outer.failed == {3: "HTTP 400"}

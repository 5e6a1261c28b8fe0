"""The SQLite response cache: replay, partial results, several processes."""

import multiprocessing
from pathlib import Path

import pytest

from rubricrl.backends.base import Completion, Conversation, Sampling, user
from rubricrl.backends.cache import CachedBackend, ResponseCache
from rubricrl.errors import BackendError, InputError
from tests.fakes import ScriptedBackend


def echo(conversation: Conversation) -> str:
    return conversation[-1]["content"].upper()


def test_second_call_is_served_from_cache(tmp_path: Path) -> None:
    inner = ScriptedBackend(echo)
    backend = CachedBackend(inner, ResponseCache(tmp_path / "c.sqlite"))
    first = backend.batch([user("a"), user("b")], Sampling())
    second = backend.batch([user("b"), user("a"), user("c")], Sampling())
    assert [c.text for c in first] == ["A", "B"]
    assert [c.text for c in second] == ["B", "A", "C"]
    assert len(inner.conversations) == 3  # a, b, then only c


def test_key_depends_on_sampling_and_schema(tmp_path: Path) -> None:
    inner = ScriptedBackend(echo)
    backend = CachedBackend(inner, ResponseCache(tmp_path / "c.sqlite"))
    backend.batch([user("a")], Sampling(seed=1))
    backend.batch([user("a")], Sampling(seed=2))
    backend.batch([user("a")], Sampling(seed=2), schema={"type": "object"})
    assert len(inner.conversations) == 3


def half_failing() -> ScriptedBackend:
    """Answers "ok" to the even-numbered prompts; the odd ones fail, the way a server that
    went away mid-batch fails."""
    return ScriptedBackend("ok", spec="half", fail_when=lambda c: int(c[-1]["content"]) % 2 == 1)


def test_finished_results_survive_a_failed_batch(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    with pytest.raises(BackendError):
        CachedBackend(half_failing(), cache).batch([user(str(i)) for i in range(4)], Sampling())
    assert len(cache) == 2
    replay = CachedBackend(ScriptedBackend(echo, spec="half"), cache)
    assert [c.text for c in replay.batch([user("0"), user("2")], Sampling())] == ["ok", "ok"]


def test_a_failure_indexes_the_callers_batch_with_cached_rows_finished(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    CachedBackend(ScriptedBackend("ok", spec="s"), cache).batch([user("a")], Sampling())
    refusing = ScriptedBackend("new", spec="s", refuse_when=lambda c: c[-1]["content"] == "bad")
    with pytest.raises(BackendError) as caught:
        CachedBackend(refusing, cache).batch([user("b"), user("a"), user("bad")], Sampling())
    assert caught.value.row_level and list(caught.value.failed) == [2]
    assert {i: c.text for i, c in caught.value.partial.items()} == {0: "new", 1: "ok"}


def _write_many(path: str, worker: int) -> None:
    cache = ResponseCache(path)
    for i in range(50):
        cache.put_many({f"{worker}-{i}": Completion(texts=[str(i)])})


def test_several_processes_share_one_cache(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite")
    ResponseCache(path)
    workers = [multiprocessing.Process(target=_write_many, args=(path, w)) for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0
    assert len(ResponseCache(path)) == 150


def test_cache_works_from_another_thread(tmp_path: Path) -> None:
    import threading

    backend = CachedBackend(ScriptedBackend(echo), ResponseCache(tmp_path / "c.sqlite"))
    results: list[str] = []
    worker = threading.Thread(
        target=lambda: results.extend(c.text for c in backend.batch([user("x")], Sampling()))
    )
    worker.start()
    worker.join()
    assert results == ["X"]


def test_a_corrupt_cache_file_is_one_line_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "responses.sqlite"
    path.write_bytes(b"this is no database " * 100)
    with pytest.raises(InputError, match=r"responses\.sqlite: the response cache .*--no-cache"):
        ResponseCache(path)

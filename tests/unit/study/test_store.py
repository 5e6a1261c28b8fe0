"""The study file: WAL and version checks, seeded assignments, one vote per task, the queue."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.study.store import SCHEMA_VERSION, AlreadyAnswered, ItemVote, NotAssigned, Study
from rubricrl.study.tokens import hash_token
from tests.builders import study_file


def test_the_file_is_wal_and_versioned(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ())
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3


def test_a_file_of_another_version_or_kind_is_one_clear_line(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ())
    sqlite3.connect(path).execute("PRAGMA user_version = 7")
    with pytest.raises(InputError, match=r"schema version 7; this rubricrl reads version 3"):
        Study(path)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    with pytest.raises(InputError, match="not a rubricrl study file"):
        Study(other)
    (tmp_path / "text.sqlite").write_text("hello " * 200)
    with pytest.raises(InputError, match="not a study file"):
        Study(tmp_path / "text.sqlite")
    with pytest.raises(InputError, match="no such study file"):
        Study(tmp_path / "absent.sqlite")


def test_each_task_goes_to_per_task_annotators_in_a_seeded_order(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann", "bob", "cat"))
    study = Study(path)
    rows = study.rows("SELECT task_id, COUNT(*) AS n FROM assignments GROUP BY task_id")
    assert len(rows) == 6 and {r["n"] for r in rows} == {2}  # 3 pairwise + 3 approval, k=2
    assert study.rows("SELECT COUNT(*) AS n FROM assignments WHERE annotator_id = 3")[0]["n"] == 0
    again, _, _ = study_file(tmp_path / "again", ("ann", "bob", "cat"))
    order = "SELECT task_id, position, a_first FROM assignments ORDER BY id"
    assert [tuple(r) for r in study.rows(order)] == [tuple(r) for r in Study(again).rows(order)]


def test_a_second_invite_of_a_name_is_refused(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann",))
    with pytest.raises(InputError, match="'ann' is already invited"):
        Study(path).add_annotator("ann", "0" * 64, None)


def test_one_vote_per_task_and_only_on_own_tasks(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann", "bob"))
    study = Study(path)
    mine = study.assignments(1)
    pair = next(a for a in mine if a.kind == "pairwise")
    study.mark_shown(1, pair.id)
    study.vote(1, pair.id, preference=2, shown=1, reason="clearer")
    with pytest.raises(AlreadyAnswered, match="already answered"):
        study.vote(1, pair.id, preference=-2, shown=5)
    theirs = study.assignments(2)[0]
    with pytest.raises(NotAssigned):
        study.vote(1, theirs.id, preference=0, shown=3)
    row = study.rows("SELECT * FROM votes")
    assert len(row) == 1 and row[0]["preference"] == 2 and row[0]["seconds"] >= 0


def test_an_approval_vote_stores_every_item_in_one_transaction(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann",))
    study = Study(path)
    task = next(a for a in study.assignments(1) if a.kind == "approval")
    items = [ItemVote("r0", True, None), ItemVote("r1", False, "wrong"), ItemVote("r1", True, None)]
    with pytest.raises(sqlite3.IntegrityError):  # a repeated item rolls the whole vote back
        study.vote(1, task.id, items=items)
    assert study.rows("SELECT COUNT(*) AS n FROM votes")[0]["n"] == 0
    study.vote(1, task.id, items=items[:2])
    assert study.rows("SELECT COUNT(*) AS n FROM item_votes")[0]["n"] == 2


def test_the_queue_resumes_at_the_first_open_task_and_puts_skips_last(tmp_path: Path) -> None:
    path, _, _ = study_file(tmp_path, ("ann",))
    study = Study(path)
    first, second, *_ = study.assignments(1)
    study.skip(1, first.id)
    queue = study.assignments(1)
    assert queue[0].id == second.id and queue[-1].id == first.id and queue[-1].skipped
    study.vote(1, second.id, preference=0, shown=3, items=())
    assert study.assignments(1)[-1].id == second.id  # answered tasks sink to the end
    progress = study.progress()[0]
    assert (progress["assigned"], progress["answered"], progress["skipped"]) == (6, 1, 1)


def as_version(path: Path, version: int) -> None:
    """Turn a study file back into what version 1 or 2 wrote."""
    db = sqlite3.connect(path)
    for table, column in [
        *([("annotators", "revoked")] if version == 1 else []),
        ("annotators", "seen"),
        ("tasks", "gold"),
        ("assignments", "dealt"),
        ("assignments", "reclaimed"),
        ("assignments", "reclaims"),
    ]:
        db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.execute("DROP TABLE seats")
    db.execute("DROP TABLE checks")
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()


def test_a_version_1_file_is_upgraded_in_place_keeping_its_rows(tmp_path: Path) -> None:
    path, links, _ = study_file(tmp_path, ("ann",))
    as_version(path, 1)
    study = Study(path)
    token = links["ann"].strip("/").removeprefix("a/")
    assert study.annotator(token) == (1, "ann") and len(study.assignments(1)) == 6
    assert study.rows("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    assert study.rows("SELECT COUNT(*) FROM seats")[0][0] == 0  # the panel tables are there
    study.revoke("ann")
    assert study.annotator(token) is None


def test_a_version_2_file_with_votes_takes_gold_and_panel_seats_after_the_upgrade(
    tmp_path: Path,
) -> None:
    path, _, _ = study_file(tmp_path, ("ann",))
    Study(path).vote(1, Study(path).assignments(1)[0].id, preference=2, shown=1)
    as_version(path, 2)
    study = Study(path)
    assert study.rows("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    assert study.rows("SELECT COUNT(*) FROM votes")[0][0] == 1  # the vote survives
    assert study.rows("SELECT COUNT(*) FROM tasks WHERE gold IS NULL")[0][0] == 6
    assert study.add_annotator("bob", hash_token("bob-token"), 2) == 2  # deals as before
    assert study.overview() == {"tasks": 6, "gold": 0, "complete": 0, "reclaimed": 0}


def test_a_revoked_link_stops_and_its_open_tasks_go_back_to_the_pool(tmp_path: Path) -> None:
    path, links, _ = study_file(tmp_path, ("ann", "bob"))
    study = Study(path)
    token = links["ann"].strip("/").removeprefix("a/")
    first, second, *_ = study.assignments(1)
    study.vote(1, first.id, preference=1, shown=1)
    study.skip(1, second.id)  # skipped but unanswered: released too
    assert study.revoke("ann") == 5
    assert study.annotator(token) is None
    assert [a.id for a in study.assignments(1)] == [first.id]  # the vote stays
    # the next invite takes the five released tasks, not the one ann answered
    assert study.add_annotator("cat", hash_token("cat-token"), None) == 5
    assert first.task_id not in {a.task_id for a in study.assignments(3)}
    with pytest.raises(InputError, match="'ann''s link is already revoked"):
        study.revoke("ann")
    with pytest.raises(InputError, match="no annotator named 'dan'"):
        study.revoke("dan")

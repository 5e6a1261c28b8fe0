"""The study file: SQLite in WAL mode holding tasks, annotators, assignments and votes.

Every vote is one `BEGIN IMMEDIATE` transaction with `synchronous=FULL`, so a vote the server
acknowledged survives a killed server; the schema version sits in `PRAGMA user_version`, and
a file of an older version is upgraded in place when opened (MIGRATIONS).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from rubricrl.errors import InputError
from rubricrl.study.tokens import match_token

SCHEMA_VERSION = 3
APPLICATION_ID = 0x52524C53  # "RRLS": tells a study file from any other SQLite file
Kind = Literal["pairwise", "approval"]
REJECT_REASONS = {
    "not-checkable": "not checkable",
    "not-needed": "not needed for the goal",
    "duplicate": "duplicate",
    "gives-away": "gives away the solution",
    "wrong": "wrong",
}
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tasks (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('pairwise', 'approval')),
    sample_id TEXT NOT NULL, domain TEXT, payload TEXT NOT NULL, gold INTEGER);
CREATE TABLE annotators (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL, invited REAL,
    revoked REAL, seen REAL);
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY, task_id TEXT NOT NULL REFERENCES tasks (id),
    annotator_id INTEGER NOT NULL REFERENCES annotators (id), position INTEGER NOT NULL,
    a_first INTEGER NOT NULL, first_shown REAL, skipped REAL, dealt REAL, reclaimed REAL,
    reclaims INTEGER NOT NULL DEFAULT 0, UNIQUE (task_id, annotator_id));
CREATE TABLE votes (
    assignment_id INTEGER PRIMARY KEY REFERENCES assignments (id), preference INTEGER,
    shown INTEGER, reason TEXT NOT NULL DEFAULT '', seconds REAL, submitted REAL NOT NULL);
CREATE TABLE item_votes (
    assignment_id INTEGER NOT NULL REFERENCES votes (assignment_id), item_id TEXT NOT NULL,
    approved INTEGER NOT NULL, reason TEXT, PRIMARY KEY (assignment_id, item_id));
"""
PANEL_TABLES = (
    # a panel participant's seat: who they are on the panel, and how far they got
    "CREATE TABLE seats (annotator_id INTEGER PRIMARY KEY REFERENCES annotators (id), "
    "panel TEXT NOT NULL, pid TEXT NOT NULL UNIQUE, study_id TEXT, session_id TEXT UNIQUE, "
    "arrived REAL NOT NULL, passed REAL, screened_out REAL, finished REAL)",
    # every try at the comprehension check, answers as given
    "CREATE TABLE checks (annotator_id INTEGER NOT NULL REFERENCES annotators (id), "
    "attempt INTEGER NOT NULL, answers TEXT NOT NULL, passed INTEGER NOT NULL, "
    "submitted REAL NOT NULL, PRIMARY KEY (annotator_id, attempt))",
)
# version N -> N + 1, statements that keep every row of a study already under way
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE annotators ADD COLUMN revoked REAL",),
    2: (
        "ALTER TABLE tasks ADD COLUMN gold INTEGER",
        "ALTER TABLE annotators ADD COLUMN seen REAL",
        "ALTER TABLE assignments ADD COLUMN dealt REAL",
        "ALTER TABLE assignments ADD COLUMN reclaimed REAL",
        "ALTER TABLE assignments ADD COLUMN reclaims INTEGER NOT NULL DEFAULT 0",
        *PANEL_TABLES,
    ),
}


class NewTask(NamedTuple):
    """A task as `study create` writes it; `gold` is +1 (A better) or -1 where the answer is
    known by construction, None for a real task."""

    id: str
    kind: Kind
    sample_id: str
    domain: str | None
    payload: dict[str, Any]
    gold: int | None = None


class NotAssigned(InputError):
    """The task is not one of this annotator's."""


class AlreadyAnswered(InputError):
    """The annotator already voted on this task; the first vote stands."""


class Reclaimed(InputError):
    """The task went back to the pool while its annotator was away."""


@dataclass(frozen=True)
class Assignment:
    """One task as one annotator sees it: where it sits in their queue and which plan goes first."""

    id: int
    task_id: str
    kind: Kind
    sample_id: str
    payload: dict[str, Any]
    position: int
    a_first: bool
    voted: bool
    skipped: bool


@dataclass(frozen=True)
class ItemVote:
    item_id: str
    approved: bool
    reason: str | None  # a key of REJECT_REASONS when rejected


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, durable commits."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def create_file(
    path: Path,
    meta: dict[str, str],
    tasks: Sequence[NewTask],
) -> None:
    """Write a new study file atomically (built beside it, then renamed into place)."""
    building = path.with_name(path.name + ".building")
    building.unlink(missing_ok=True)
    db = connect(building)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.executescript(SCHEMA + ";".join(PANEL_TABLES))
        db.execute("BEGIN")
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        db.executemany(
            "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?)",
            [(*task[:4], json.dumps(task.payload), task.gold) for task in tasks],
        )
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    building.replace(path)


class Study:
    """An open, checked study file; each method runs on a connection of its own (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such study file")
        try:
            with self.connection() as db:
                app_id = db.execute("PRAGMA application_id").fetchone()[0]
                version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError:
            raise InputError(f"{self.path}: not a study file (not SQLite)") from None
        if app_id != APPLICATION_ID:
            raise InputError(f"{self.path}: not a rubricrl study file")
        if version in MIGRATIONS:
            version = self._upgrade()
        if version != SCHEMA_VERSION:
            raise InputError(
                f"{self.path}: study file of schema version {version}; this rubricrl reads "
                f"version {SCHEMA_VERSION} (use the rubricrl that created it)"
            )

    def _upgrade(self) -> int:
        """Run the migrations from the file's version on, in one transaction; the new version.
        The version is read again inside it, so two processes opening the file upgrade once."""
        with self.transaction() as db:
            version: int = db.execute("PRAGMA user_version").fetchone()[0]
            while version in MIGRATIONS:
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                version += 1
            db.execute(f"PRAGMA user_version = {version}")
        return version

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        db = connect(self.path)
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so concurrent voters queue instead of failing."""
        with self.connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def meta(self) -> dict[str, str]:
        with self.connection() as db:
            return {row["key"]: row["value"] for row in db.execute("SELECT * FROM meta")}

    def set_meta(self, values: Mapping[str, str]) -> None:
        """Set settings, all in one transaction."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    def add_annotator(self, name: str, token_hash: str, limit: int | None) -> int:
        """Invite `name` and deal them their tasks (see `deal`); how many real tasks they got."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM annotators WHERE name = ?", (name,)).fetchone():
                raise InputError(f"{self.path}: annotator {name!r} is already invited")
            cursor = db.execute(
                "INSERT INTO annotators (name, token_hash, invited) VALUES (?, ?, ?)",
                (name, token_hash, time.time()),
            )
            assert cursor.lastrowid is not None
            return deal(db, cursor.lastrowid, name, limit)

    def annotator(self, token: str) -> tuple[int, str] | None:
        """(id, name) of the annotator holding `token`, or None (a revoked link is no link)."""
        with self.connection() as db:
            rows = db.execute(
                "SELECT id, name, token_hash FROM annotators WHERE revoked IS NULL"
            ).fetchall()
        return match_token(token, [((r["id"], r["name"]), r["token_hash"]) for r in rows])

    def revoke(self, name: str) -> int:
        """Stop `name`'s link; their unanswered tasks go back to the pool for the next invites
        (their votes stay). Returns how many tasks went back."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT id, revoked FROM annotators WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                raise InputError(f"{self.path}: no annotator named {name!r}")
            if row["revoked"] is not None:
                raise InputError(f"{self.path}: {name!r}'s link is already revoked")
            db.execute("UPDATE annotators SET revoked = ? WHERE id = ?", (time.time(), row["id"]))
            return db.execute(
                "DELETE FROM assignments WHERE annotator_id = ? "
                "AND id NOT IN (SELECT assignment_id FROM votes)",
                (row["id"],),
            ).rowcount

    def assignments(self, annotator_id: int, only: int | None = None) -> list[Assignment]:
        """The annotator's tasks in queue order: unanswered first, skipped ones after (oldest
        skip first), answered last; with `only`, just that assignment when it is theirs.
        Reclaimed tasks are no longer theirs."""
        with self.connection() as db:
            rows = db.execute(
                "SELECT a.*, t.kind, t.sample_id, t.payload, v.assignment_id IS NOT NULL AS voted "
                "FROM assignments a JOIN tasks t ON t.id = a.task_id "
                "LEFT JOIN votes v ON v.assignment_id = a.id WHERE a.annotator_id = ? "
                "AND a.reclaimed IS NULL AND (? IS NULL OR a.id = ?) "
                "ORDER BY voted, a.skipped IS NOT NULL, a.skipped, a.position",
                (annotator_id, only, only),
            ).fetchall()
        return [
            Assignment(
                id=r["id"],
                task_id=r["task_id"],
                kind=r["kind"],
                sample_id=r["sample_id"],
                payload=json.loads(r["payload"]),
                position=r["position"],
                a_first=bool(r["a_first"]),
                voted=bool(r["voted"]),
                skipped=r["skipped"] is not None,
            )
            for r in rows
        ]

    def was_reclaimed(self, annotator_id: int, assignment_id: int) -> bool:
        """Whether the task was the annotator's until it went back to the pool."""
        with self.connection() as db:
            return bool(
                db.execute(
                    "SELECT 1 FROM assignments WHERE id = ? AND annotator_id = ? "
                    "AND reclaimed IS NOT NULL",
                    (assignment_id, annotator_id),
                ).fetchone()
            )

    def mark_shown(self, annotator_id: int, assignment_id: int) -> None:
        """Start the task's clock on its first view (a reload keeps the first time)."""
        with self.transaction() as db:
            now = seen(db, annotator_id)
            db.execute(
                "UPDATE assignments SET first_shown = ? WHERE id = ? AND first_shown IS NULL",
                (now, assignment_id),
            )

    def skip(self, annotator_id: int, assignment_id: int) -> None:
        """Send an unanswered task to the back of the annotator's queue."""
        with self.transaction() as db:
            self._open_assignment(db, annotator_id, assignment_id)
            db.execute(
                "UPDATE assignments SET skipped = ? WHERE id = ?",
                (seen(db, annotator_id), assignment_id),
            )

    def vote(
        self,
        annotator_id: int,
        assignment_id: int,
        preference: int | None = None,
        shown: int | None = None,
        reason: str = "",
        items: Sequence[ItemVote] = (),
    ) -> None:
        """Store one vote (a preference, or one approval per item) in one transaction."""
        with self.transaction() as db:
            first_shown = self._open_assignment(db, annotator_id, assignment_id)
            now = seen(db, annotator_id)
            seconds = None if first_shown is None else max(now - first_shown, 0.0)
            db.execute(
                "INSERT INTO votes VALUES (?, ?, ?, ?, ?, ?)",
                (assignment_id, preference, shown, reason, seconds, now),
            )
            db.executemany(
                "INSERT INTO item_votes VALUES (?, ?, ?, ?)",
                [(assignment_id, i.item_id, int(i.approved), i.reason) for i in items],
            )

    def _open_assignment(
        self, db: sqlite3.Connection, annotator_id: int, assignment_id: int
    ) -> float | None:
        """The assignment's first-view time; refuses a task not the annotator's, answered, or
        reclaimed."""
        row = db.execute(
            "SELECT a.first_shown, a.reclaimed, v.assignment_id IS NOT NULL AS voted "
            "FROM assignments a "
            "LEFT JOIN votes v ON v.assignment_id = a.id WHERE a.id = ? AND a.annotator_id = ?",
            (assignment_id, annotator_id),
        ).fetchone()
        if row is None:
            raise NotAssigned(f"task {assignment_id} is not assigned to this link")
        if row["voted"]:
            raise AlreadyAnswered(
                f"task {assignment_id} is already answered; the first vote stands"
            )
        if row["reclaimed"] is not None:
            raise Reclaimed(
                f"task {assignment_id} went to another annotator while you were away; "
                "your queue has been dealt again"
            )
        return row["first_shown"]

    def progress(self) -> list[dict[str, Any]]:
        """Per annotator: name, tasks assigned (reclaimed ones not), answered, skipped, and the
        last vote's time."""
        with self.connection() as db:
            rows = db.execute(
                "SELECT n.name, COUNT(a.id) AS assigned, COUNT(v.assignment_id) AS answered, "
                "SUM(a.skipped IS NOT NULL AND v.assignment_id IS NULL) AS skipped, "
                "MAX(v.submitted) AS last FROM annotators n "
                "LEFT JOIN assignments a ON a.annotator_id = n.id AND a.reclaimed IS NULL "
                "LEFT JOIN votes v ON v.assignment_id = a.id GROUP BY n.id ORDER BY n.id"
            ).fetchall()
        return [dict(row) for row in rows]

    def overview(self) -> dict[str, int]:
        """Real tasks, those with all their votes, gold tasks, and how many times a task was
        taken back so far."""
        with self.connection() as db:
            per_task = int(
                db.execute("SELECT value FROM meta WHERE key = 'per_task'").fetchone()[0]
            )
            row = db.execute(
                "SELECT SUM(t.gold IS NULL) AS tasks, SUM(t.gold IS NOT NULL) AS gold, "
                "SUM(t.gold IS NULL AND (SELECT COUNT(*) FROM votes v JOIN assignments a "
                "ON a.id = v.assignment_id WHERE a.task_id = t.id) >= ?) AS complete, "
                "(SELECT SUM(reclaims) FROM assignments) AS reclaimed "
                "FROM tasks t",
                (per_task,),
            ).fetchone()
        return {key: row[key] or 0 for key in ("tasks", "gold", "complete", "reclaimed")}

    def rows(self, query: str, *args: Any) -> list[sqlite3.Row]:
        """Rows of a read-only query (for export and the dashboard)."""
        with self.connection() as db:
            return db.execute(query, args).fetchall()


def seen(db: sqlite3.Connection, annotator_id: int) -> float:
    """Note that the annotator is active now (reclaim looks at this); returns now."""
    now = time.time()
    db.execute("UPDATE annotators SET seen = ? WHERE id = ?", (now, annotator_id))
    return now


def deal(db: sqlite3.Connection, annotator_id: int, name: str, limit: int | None) -> int:
    """Give the annotator the real tasks that still lack `per_task` annotators, fewest first (at
    most `limit`), plus gold tasks at the study's rate, after whatever they already hold, in a
    seeded order of their own with a seeded side per plan. A task taken back from them earlier
    can come back. Returns how many real tasks were dealt."""
    meta = {row["key"]: row["value"] for row in db.execute("SELECT * FROM meta")}
    real = db.execute(
        "SELECT t.id FROM tasks t LEFT JOIN assignments a ON a.task_id = t.id "
        "AND a.reclaimed IS NULL WHERE t.gold IS NULL AND t.id NOT IN "
        "(SELECT task_id FROM assignments WHERE annotator_id = ? AND reclaimed IS NULL) "
        "GROUP BY t.id HAVING COUNT(a.id) < ? ORDER BY COUNT(a.id), t.rowid",
        (annotator_id, int(meta["per_task"])),
    ).fetchall()
    chosen = [row["id"] for row in real][:limit]
    given = len(chosen)
    start = db.execute(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM assignments WHERE annotator_id = ?",
        (annotator_id,),
    ).fetchone()[0]
    # the first deal (start 0) keeps the order older studies were dealt in
    rng = random.Random(f"{meta['seed']}:{name}" + (f":{start}" if start else ""))
    rate = float(meta.get("gold_rate", "0"))
    if chosen and rate > 0:
        golds = [
            row["id"]
            for row in db.execute(
                "SELECT id FROM tasks WHERE gold IS NOT NULL AND id NOT IN "
                "(SELECT task_id FROM assignments WHERE annotator_id = ?) ORDER BY rowid",
                (annotator_id,),
            )
        ]
        chosen += rng.sample(golds, min(len(golds), max(1, round(len(chosen) * rate))))
    positions = list(range(start, start + len(chosen)))
    rng.shuffle(positions)
    now = time.time()
    db.executemany(
        "INSERT INTO assignments (task_id, annotator_id, position, a_first, dealt) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (task_id, annotator_id) DO UPDATE SET "
        "position = excluded.position, a_first = excluded.a_first, dealt = excluded.dealt, "
        "reclaimed = NULL, first_shown = NULL, skipped = NULL",
        [
            (task, annotator_id, position, int(rng.random() < 0.5), now)
            for task, position in zip(chosen, positions, strict=True)
        ],
    )
    return given

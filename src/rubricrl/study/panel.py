"""Panel recruitment: one enrolment link for a whole panel (Prolific), a seat per participant,
a comprehension check with two tries, queues topped up as they empty, tasks taken back from
participants who went quiet, and the completion or screened-out code at the end.

A seat's link token is an HMAC of the study's panel secret and the participant's id, so the
enrolment link always leads a participant back to the same seat (a second tab resumes); the
enrolment token is one too, so `study open` can be re-run to change settings and print the same
link. The secret sits in the study file, whose reader could write votes anyway; links are
checked against hashes, as for personal invites.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.study.create import DEFAULT_URL
from rubricrl.study.store import Study, deal, seen
from rubricrl.study.tokens import hash_token


@dataclass(frozen=True)
class Panel:
    """A recruitment panel: the URL parameters it appends and where a finished participant goes."""

    participant: str
    study: str
    session: str
    completion_url: str  # with {code}

    def placeholders(self) -> str:
        """The query string the panel fills in for each participant."""
        return "&".join(f"{key}={{{{%{key}%}}}}" for key in self.parameters())

    def parameters(self) -> tuple[str, str, str]:
        return self.participant, self.study, self.session


PANELS = {
    "prolific": Panel(
        "PROLIFIC_PID",
        "STUDY_ID",
        "SESSION_ID",
        "https://app.prolific.com/submissions/complete?cc={code}",
    )
}
PANEL_ORIGINS = " ".join(
    sorted(
        {f"{(url := urlsplit(p.completion_url)).scheme}://{url.netloc}" for p in PANELS.values()}
    )
)
"""Where a participant is sent at the end, for the pages' Content-Security-Policy."""
PANEL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What a panel id may look like (Prolific's are 24 hex digits); anything else is refused."""
TRIES = 2

CHECK: tuple[tuple[str, tuple[str, ...], int], ...] = (
    (
        "What will you compare in each task?",
        (
            "Two research papers on the same topic",
            "Two research plans written for the same research goal",
            "The same research plan in two languages",
        ),
        1,
    ),
    (
        "Two plans seem about equally good. What do you answer?",
        ("Plan 1 much better", "Skip the task", "About the same"),
        2,
    ),
    (
        "What makes a plan better here?",
        (
            "It better achieves the research goal it was written for",
            "It is longer",
            "It uses more technical words",
        ),
        0,
    ),
)
"""The comprehension check: (question, options, the right option's index)."""


class Refused(InputError):
    """The enrolment link was used in a way that cannot give a seat: 400 for a bad link, 409
    for a session already used."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, kw_only=True)
class OpenConfig:
    """Open the study to a panel: prints one enrolment link for every participant; run again to
    change the settings or replace the link (seats already taken keep working)."""

    study: Path = option(help="Study file.", positional=True, input="file")
    panel: Literal["prolific"] = option("prolific", "The panel participants come from.")
    completion_code: str = option(help="The panel's completion code, given at the end.")
    screened_code: str | None = option(
        None, "The panel's code for participants screened out by the comprehension check."
    )
    tasks: int = option(10, "Tasks per participant (gold tasks come on top).", min=1)
    reclaim_after: float = option(
        30.0,
        "Minutes without a request after which a participant's unanswered tasks go back to "
        "the pool; if they come back, their queue is dealt again.",
        min=0.0,
    )
    check: bool = option(True, "Ask the comprehension check first (two tries).")
    new_link: bool = option(False, "Replace the enrolment link (the old one stops working).")
    url: str = option(DEFAULT_URL, "Address the link points to.")


def _derived(meta: Mapping[str, str], what: str) -> str:
    """A link token: the HMAC of the study's panel secret and `what`."""
    digest = hmac.new(bytes.fromhex(meta["panel_secret"]), what.encode(), "sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def seat_token(meta: Mapping[str, str], pid: str) -> str:
    return _derived(meta, f"seat:{pid}")


def open_panel(config: OpenConfig) -> str:
    """Store the panel's settings; returns the enrolment link (the same one each time, unless
    `new_link`)."""
    if config.check and config.screened_code is None:
        raise InputError("--screened-code is needed for the comprehension check (or --no-check)")
    for name, code in (("completion", config.completion_code), ("screened", config.screened_code)):
        if code is not None and not PANEL_ID.fullmatch(code):
            raise InputError(f"--{name}-code {code!r}: letters, digits, _ and - only")
    study = Study(config.study)
    meta = study.meta()
    secret = {"panel_secret": meta.get("panel_secret") or secrets.token_hex(32)}
    generation = int(meta.get("panel_link", "0")) + config.new_link
    token = _derived(secret, f"enrol:{generation}")
    settings = secret | {
        "panel": config.panel,
        "panel_link": str(generation),
        "panel_hash": hash_token(token),
        "seat_tasks": str(config.tasks),
        "reclaim_after": str(config.reclaim_after * 60),
        "check": str(int(config.check)),
        "completion_code": config.completion_code,
        "screened_code": config.screened_code or "",
    }
    study.set_meta(settings)
    panel = PANELS[config.panel]
    return f"{config.url.rstrip('/')}/join/{token}?{panel.placeholders()}"


@dataclass(frozen=True)
class Seat:
    """A panel participant's place in the study and how far they got."""

    annotator_id: int
    passed: bool
    screened_out: bool
    tries: int


def _sweep(db: sqlite3.Connection, meta: Mapping[str, str], now: float) -> None:
    """Take back every unanswered task of a participant quiet for longer than reclaim_after."""
    db.execute(
        "UPDATE assignments SET reclaimed = ?, reclaims = reclaims + 1 WHERE reclaimed IS NULL "
        "AND id NOT IN (SELECT assignment_id FROM votes) AND annotator_id IN "
        "(SELECT s.annotator_id FROM seats s JOIN annotators n ON n.id = s.annotator_id "
        "WHERE COALESCE(n.seen, s.arrived) < ?)",
        (now, now - float(meta["reclaim_after"])),
    )


def _identity(panel: Panel, params: Mapping[str, str]) -> tuple[str, str | None, str | None]:
    """(participant, study, session) ids from the link's query, each checked."""
    pid = params.get(panel.participant)
    if pid is None:
        raise Refused(
            f"This link lacks your participant id ({panel.participant}); "
            "please open the study again from the panel's page."
        )
    for key in panel.parameters():
        value = params.get(key)
        if value is not None and not PANEL_ID.fullmatch(value):
            raise Refused(
                f"The {key} in this link is not a valid id; "
                "please open the study again from the panel's page."
            )
    return pid, params.get(panel.study), params.get(panel.session)


def enrol(study: Study, meta: Mapping[str, str], params: Mapping[str, str]) -> str:
    """The seat token of the participant the query names: their existing seat, or a new one
    (its tasks are dealt at its first queue visit, once the check is passed or when there is
    none). A session id already used by another participant is refused."""
    panel = PANELS[meta["panel"]]
    pid, study_id, session_id = _identity(panel, params)
    token = seat_token(meta, pid)
    with study.transaction() as db:
        now = time.time()
        _sweep(db, meta, now)
        owner = db.execute("SELECT pid FROM seats WHERE session_id = ?", (session_id,)).fetchone()
        if owner is not None and owner["pid"] != pid:
            raise Refused("This session was already used by another participant.", 409)
        if db.execute("SELECT 1 FROM seats WHERE pid = ?", (pid,)).fetchone():
            return token  # a second tab, or a participant coming back
        name = f"{meta['panel']}:{pid}"
        annotator_id = db.execute(
            "INSERT INTO annotators (name, token_hash, invited, seen) VALUES (?, ?, ?, ?)",
            (name, hash_token(token), now, now),
        ).lastrowid
        passed = None if meta["check"] == "1" else now
        db.execute(
            "INSERT INTO seats (annotator_id, panel, pid, study_id, session_id, arrived, passed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (annotator_id, meta["panel"], pid, study_id, session_id, now, passed),
        )
    return token


def _seat(db: sqlite3.Connection, annotator_id: int) -> Seat | None:
    row = db.execute(
        "SELECT passed, screened_out, (SELECT COUNT(*) FROM checks WHERE annotator_id = ?) "
        "AS tries FROM seats WHERE annotator_id = ?",
        (annotator_id, annotator_id),
    ).fetchone()
    if row is None:
        return None
    return Seat(
        annotator_id, row["passed"] is not None, row["screened_out"] is not None, row["tries"]
    )


def seat(study: Study, annotator_id: int) -> Seat | None:
    """The annotator's panel seat, or None for an annotator invited by name."""
    with study.connection() as db:
        return _seat(db, annotator_id)


def answer_check(study: Study, annotator_id: int, answers: Sequence[int | None]) -> None:
    """Record one try at the check; passing it opens the queue, a second miss screens out.
    A seat already passed or screened out records nothing more."""
    right = all(a == correct for a, (_, _, correct) in zip(answers, CHECK, strict=True))
    with study.transaction() as db:
        now = seen(db, annotator_id)
        state = _seat(db, annotator_id)
        if state is None or state.passed or state.screened_out:
            return
        tries = state.tries + 1
        db.execute(
            "INSERT INTO checks VALUES (?, ?, ?, ?, ?)",
            (annotator_id, tries, json.dumps(list(answers)), int(right), now),
        )
        column = "passed" if right else "screened_out" if tries >= TRIES else None
        if column is not None:
            db.execute(f"UPDATE seats SET {column} = ? WHERE annotator_id = ?", (now, annotator_id))


def top_up(study: Study, meta: Mapping[str, str], annotator_id: int, name: str) -> bool:
    """Take back the tasks of quiet participants, then deal this one what their quota still
    lacks; True when nothing is left for them (recorded as finished)."""
    with study.transaction() as db:
        now = seen(db, annotator_id)
        _sweep(db, meta, now)
        held = db.execute(
            "SELECT COUNT(*) FROM assignments a JOIN tasks t ON t.id = a.task_id "
            "WHERE a.annotator_id = ? AND a.reclaimed IS NULL AND t.gold IS NULL",
            (annotator_id,),
        ).fetchone()[0]
        if held < int(meta["seat_tasks"]):
            deal(db, annotator_id, name, int(meta["seat_tasks"]) - held)
        open_tasks = db.execute(
            "SELECT COUNT(*) FROM assignments WHERE annotator_id = ? AND reclaimed IS NULL "
            "AND id NOT IN (SELECT assignment_id FROM votes)",
            (annotator_id,),
        ).fetchone()[0]
        if open_tasks == 0:
            db.execute(
                "UPDATE seats SET finished = COALESCE(finished, ?) WHERE annotator_id = ?",
                (now, annotator_id),
            )
    return open_tasks == 0


def completion_url(meta: Mapping[str, str], screened: bool = False) -> str:
    code = meta["screened_code" if screened else "completion_code"]
    return PANELS[meta["panel"]].completion_url.format(code=code)


@dataclass(frozen=True)
class Opened:
    """What `study open` prints: the enrolment link to paste into the panel."""

    link: str
    gold: int
    failed = False

    def render(self) -> str:
        lines = [f"enrolment link for the panel (paste it as the study URL): {self.link}"]
        if self.gold == 0:
            lines.append(
                "no gold tasks: careless annotators cannot be caught "
                "(create the study with --gold-rate)"
            )
        return "\n".join(lines)


def study_open(config: OpenConfig) -> Opened:
    """`rubricrl study open`: the study opened to a panel, its enrolment link shown."""
    link = open_panel(config)
    return Opened(link, Study(config.study).overview()["gold"])

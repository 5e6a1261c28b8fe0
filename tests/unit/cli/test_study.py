"""`rubricrl study`: a group whose help lists its commands, each with its own flags, bad input
reported in one line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rubricrl.jsonl import write_records
from tests.builders import plan, study_inputs
from tests.unit.cli.helpers import assert_one_line_error, invoke, run_cli


def test_help_lists_the_subcommands_and_each_has_its_flags() -> None:
    listed = invoke("study", "--help").output
    names = ("create", "invite", "open", "revoke", "rotate-admin", "serve", "export")
    assert all(f" {name} " in listed for name in names)
    create = invoke("study", "create", "--help").output
    assert "--plans-a" in create and "--per-task" in create and "--rubrics" in create
    assert "127.0.0.1" in invoke("study", "serve", "--help").output


def test_create_invite_export_round_trip(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    study = tmp_path / "study.sqlite"
    created = invoke(
        "study", "create", "--goals", str(paths["goals"]), "--plans-a", str(paths["a"]),
        "--plans-b", str(paths["b"]), "--rubrics", str(paths["goals"]), "-o", str(study),
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    wrote, admin, hint = created.output.splitlines()
    assert wrote == f"wrote {study}: 3 pairwise, 3 approval and 0 gold tasks"
    assert admin.startswith("admin dashboard (keep it private): http://127.0.0.1:8765/admin/")
    assert hint == (
        f"next: rubricrl study invite {study} NAME, or rubricrl study open {study} for a panel"
    )
    invited = invoke("study", "invite", str(study), "ann", "--url", "http://localhost:9000")
    assert "ann: 6 tasks; personal link (shown once): http://localhost:9000/a/" in invited.output
    human = tmp_path / "human.jsonl"
    exported = invoke("study", "export", str(study), "-o", str(human))
    assert exported.exit_code == 0 and "model-a vs model-b by 1 annotators" in exported.output
    assert exported.output.splitlines()[-1] == (
        f"wrote {human} and the votes, approvals and summary beside it"
    )
    assert (tmp_path / "human.summary.json").exists()


def test_plans_without_a_goal_and_a_foreign_version_are_one_line_each(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    write_records(paths["a"], [plan("a9", "nowhere", model="model-a")])
    args = ["--goals", str(paths["goals"]), "--plans-a", str(paths["a"]), "--plans-b"]
    result = run_cli("study", "create", *args, str(paths["b"]), "-o", str(tmp_path / "s.sqlite"))
    assert_one_line_error(result, "a.jsonl", "missing from", "'nowhere'")
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.execute(f"PRAGMA application_id = {0x52524C53}")
    db.execute("PRAGMA user_version = 0")
    db.close()
    assert_one_line_error(run_cli("study", "invite", str(old), "ann"), "schema version 0")


def test_invite_refuses_a_task_count_below_one(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    study = tmp_path / "study.sqlite"
    args = ["--goals", str(paths["goals"]), "--plans-a", str(paths["a"]), "--plans-b"]
    assert invoke("study", "create", *args, str(paths["b"]), "-o", str(study)).exit_code == 0
    for count in ("-3", "0"):
        result = run_cli("study", "invite", str(study), "ann", "--tasks", count)
        assert_one_line_error(result, f"--tasks {count}: must be at least 1")
    assert not sqlite3.connect(study).execute("SELECT * FROM annotators").fetchall()


def test_create_refuses_one_plans_file_on_both_sides(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    args = ["--goals", str(paths["goals"]), "--plans-a", str(paths["a"]), "--plans-b"]
    result = run_cli("study", "create", *args, str(paths["a"]), "-o", str(tmp_path / "s.sqlite"))
    assert_one_line_error(result, "a.jsonl: given as both --plans-a and --plans-b")


def test_revoke_and_rotate_admin_through_the_cli(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    study = tmp_path / "study.sqlite"
    args = ["--goals", str(paths["goals"]), "--plans-a", str(paths["a"]), "--plans-b"]
    assert invoke("study", "create", *args, str(paths["b"]), "-o", str(study)).exit_code == 0
    assert invoke("study", "invite", str(study), "ann").exit_code == 0
    revoked = invoke("study", "revoke", str(study), "ann")
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output.startswith("ann: link revoked; 3 unanswered tasks back in the pool")
    assert_one_line_error(run_cli("study", "revoke", str(study), "bob"), "no annotator named 'bob'")
    rotated = invoke("study", "rotate-admin", str(study), "--url", "http://h:1")
    assert rotated.exit_code == 0, rotated.output
    assert rotated.output.startswith("new admin dashboard (keep it private): http://h:1/admin/")
    assert "the old admin link no longer works" in rotated.output


def enrolment_link(output: str) -> str:
    return output.split("study URL): ")[1].split()[0]


def test_open_prints_one_enrolment_link_and_refuses_bad_settings(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    study = tmp_path / "study.sqlite"
    created = invoke(
        "study", "create", "--goals", str(paths["goals"]), "--plans-a", str(paths["a"]),
        "--plans-b", str(paths["b"]), "-o", str(study), "--gold-rate", "0.2",
    )  # fmt: skip
    assert "3 pairwise, 0 approval and 3 gold tasks" in created.output
    opened = invoke(
        "study", "open", str(study), "--completion-code", "C1", "--screened-code", "S1",
        "--url", "https://study.example.org",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    link = enrolment_link(opened.output)
    assert link.startswith("https://study.example.org/join/")
    assert link.endswith(
        "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
    )
    again = invoke("study", "open", str(study), "--completion-code", "C2", "--no-check")
    assert enrolment_link(again.output).split("/join/")[1] == link.split("/join/")[1]
    fresh = invoke("study", "open", str(study), "--completion-code", "C2", "--no-check",
                   "--new-link")  # fmt: skip
    assert enrolment_link(fresh.output).split("/join/")[1] != link.split("/join/")[1]
    assert_one_line_error(
        run_cli("study", "open", str(study), "--completion-code", "C1"),
        "--screened-code is needed for the comprehension check",
    )

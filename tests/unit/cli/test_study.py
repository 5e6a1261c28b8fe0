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
    assert all(f" {name} " in listed for name in ("create", "invite", "serve", "export"))
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
    assert wrote == f"wrote {study}: 3 pairwise and 3 approval tasks"
    assert admin.startswith("admin dashboard (keep it private): http://127.0.0.1:8765/admin/")
    assert hint == f"next: rubricrl study invite {study} NAME"
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

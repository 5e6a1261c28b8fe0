"""Creating a study: tasks from goals and plans, bad inputs refused in one line, invites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.jsonl import load_records, write_records
from rubricrl.records import Sample
from rubricrl.study.create import (
    InviteConfig,
    RevokeConfig,
    RotateAdminConfig,
    StudyCreateConfig,
    create_study,
    invite,
    study_revoke,
    study_rotate_admin,
)
from rubricrl.study.store import Study
from rubricrl.study.tokens import hash_token
from tests.builders import plan, study_inputs


def config(paths: dict[str, Path], output: Path, **extra: object) -> StudyCreateConfig:
    return StudyCreateConfig(
        goals=paths["goals"], plans_a=paths["a"], plans_b=paths["b"], output=output, **extra
    )  # type: ignore[arg-type]


def test_one_pairwise_task_per_goal_and_one_approval_task_per_rubric(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path, goals=4)
    pairwise, approval, _, admin = create_study(
        config(paths, tmp_path / "s.sqlite", rubrics=paths["goals"])
    )
    assert (pairwise, approval) == (4, 4)
    study = Study(tmp_path / "s.sqlite")
    meta = study.meta()
    assert (meta["model_a"], meta["model_b"], meta["per_task"]) == ("model-a", "model-b", "2")
    assert meta["admin_hash"] == hash_token(admin) and admin not in str(meta)
    kinds = [r["kind"] for r in study.rows("SELECT kind FROM tasks ORDER BY rowid")]
    assert kinds == ["pairwise"] * 4 + ["approval"] * 4


def test_without_rubrics_there_are_only_pairwise_tasks(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    assert create_study(config(paths, tmp_path / "s.sqlite"))[:2] == (3, 0)


def test_plans_without_a_matching_goal_are_refused(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    write_records(paths["b"], [plan("b9", "g9", model="model-b")])
    with pytest.raises(
        InputError, match=r"b.jsonl: 1 goal\(s\) missing from .*goals.jsonl \(e.g. 'g9'\)"
    ):
        create_study(config(paths, tmp_path / "s.sqlite"))
    assert not (tmp_path / "s.sqlite").exists()


def test_plan_files_covering_different_goals_are_refused(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    write_records(paths["b"], [plan("b0", "g0", model="model-b")])
    with pytest.raises(InputError, match="cover different goals: 1 shared, 2 only in A"):
        create_study(config(paths, tmp_path / "s.sqlite"))


def test_the_same_plans_on_both_sides_are_refused(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    with pytest.raises(InputError, match=r"a\.jsonl: given as both --plans-a and --plans-b"):
        create_study(config(paths | {"b": paths["a"]}, tmp_path / "s.sqlite"))
    write_records(paths["b"], [plan(f"b{i}", f"g{i}", model="model-a") for i in range(3)])
    with pytest.raises(InputError, match="both are plans of 'model-a'"):
        create_study(config(paths, tmp_path / "s.sqlite"))
    assert not (tmp_path / "s.sqlite").exists()


def test_an_existing_study_file_is_never_overwritten(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    output = tmp_path / "s.sqlite"
    create_study(config(paths, output))
    before = output.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        create_study(config(paths, output))
    assert output.read_bytes() == before


def test_invite_prints_a_link_whose_token_is_stored_only_hashed(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    output = tmp_path / "s.sqlite"
    create_study(config(paths, output, per_task=1))
    link, given = invite(InviteConfig(study=output, name="ann", tasks=2, url="http://h:1/"))
    token = link.removeprefix("http://h:1/a/").rstrip("/")
    assert given == 2 and link.startswith("http://h:1/a/")
    assert token.encode() not in output.read_bytes()
    assert Study(output).annotator(token) == (1, "ann")
    # per_task 1: the next annotator gets only the one task still unassigned
    assert invite(InviteConfig(study=output, name="bob"))[1] == 1
    assert invite(InviteConfig(study=output, name="cat"))[1] == 0
    with pytest.raises(InputError, match="needs a name"):
        invite(InviteConfig(study=output, name=" "))


def test_rotating_the_admin_link_stores_only_the_new_hash(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    output = tmp_path / "s.sqlite"
    old = create_study(config(paths, output))[2]
    rotated = study_rotate_admin(RotateAdminConfig(study=output, url="http://h:1/"))
    new = rotated.dashboard.removeprefix("http://h:1/admin/")
    assert new != old and rotated.dashboard.startswith("http://h:1/admin/")
    assert Study(output).meta()["admin_hash"] == hash_token(new)
    assert new.encode() not in output.read_bytes() and not rotated.failed


def test_revoking_names_the_tasks_released(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path)
    output = tmp_path / "s.sqlite"
    create_study(config(paths, output))
    link, given = invite(InviteConfig(study=output, name="ann", url=""))
    revoked = study_revoke(RevokeConfig(study=output, name="ann"))
    assert revoked.returned == given == 3
    assert revoked.render().startswith("ann: link revoked; 3 unanswered tasks back in the pool")
    assert Study(output).annotator(link.removeprefix("/a/").rstrip("/")) is None


def test_gold_tasks_pit_a_goals_plan_against_another_papers_from_the_same_model(
    tmp_path: Path,
) -> None:
    paths = study_inputs(tmp_path, goals=5)
    assert create_study(config(paths, tmp_path / "s.sqlite", gold_rate=0.2))[2] == 5
    study = Study(tmp_path / "s.sqlite")
    real = {r["sample_id"]: json.loads(r["payload"]) for r in study.rows(
        "SELECT sample_id, payload FROM tasks WHERE gold IS NULL")}  # fmt: skip
    for row in study.rows("SELECT sample_id, payload, gold FROM tasks WHERE gold IS NOT NULL"):
        gold = json.loads(row["payload"])
        own, other = gold["plan_a"], gold["plan_b"]
        assert row["gold"] == 1 and own["sample_id"] == row["sample_id"]
        assert own in (real[row["sample_id"]]["plan_a"], real[row["sample_id"]]["plan_b"])
        assert other["sample_id"] != row["sample_id"] and other["model"] == own["model"]
    models = [json.loads(r["payload"])["plan_a"]["model"] for r in study.rows(
        "SELECT payload FROM tasks WHERE gold IS NOT NULL ORDER BY rowid")]  # fmt: skip
    assert models == ["model-a", "model-b"] * 2 + ["model-a"]  # the model alternates
    one_paper = tmp_path / "one"
    same = study_inputs(one_paper, goals=3)
    write_records(same["goals"], [
        s.model_copy(update={"provenance": s.provenance.model_copy(update={"paper_id": "p"})})
        for s in load_records(same["goals"], Sample)
    ])  # fmt: skip
    with pytest.raises(InputError, match="--gold-rate needs goals from at least two papers"):
        create_study(config(same, one_paper / "s.sqlite", gold_rate=0.1))

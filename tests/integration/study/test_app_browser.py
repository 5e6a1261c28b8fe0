"""An annotator in real headless Chromium: opens their link, skips, answers pairwise and approval
tasks with keys and mouse, reloads and resumes; the export holds exactly those votes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rubricrl.jsonl import load_records
from rubricrl.records import HumanVote, ItemApproval
from rubricrl.study.export import StudyExportConfig, export_paths, export_study
from rubricrl.study.store import Study
from tests.browser import chromium
from tests.builders import HOSTILE, study_file
from tests.integration.study.running import running


def current(page: Any) -> int:
    found = re.search(r"/task/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


def answer(page: Any, by_keys: bool, shots: dict[str, Path]) -> tuple[str, object]:
    """Answer the open task; returns (its kind, what was chosen)."""
    kind = page.get_attribute("form.vote", "data-kind")
    if kind not in shots:
        page.screenshot(
            path=str(shots.setdefault(kind, shots["dir"] / f"study-{kind}.png")), full_page=True
        )
    with page.expect_navigation():
        if kind == "pairwise" and by_keys:
            page.keyboard.press("1")
            page.keyboard.press("Enter")
            chosen: object = (1, "")
        elif kind == "pairwise":
            page.click("text=Plan 2 better")
            page.click("textarea[name=reason]")
            page.keyboard.type("clearer risks")
            page.click("#submit")
            chosen = (4, "clearer risks")
        elif by_keys:
            for key in ("a", "2", "a", "Enter"):  # approve, reject as not needed, approve
                page.keyboard.press(key)
            chosen = {"r0": None, "r1": "not needed for the goal", "r2": None}
        else:
            page.check("#item-0 input[value=reject]")
            page.select_option("select[name=why-0]", "duplicate")
            page.check("#item-1 input[value=approve]")
            page.check("#item-2 input[value=approve]")
            page.click("#submit")
            chosen = {"r0": "duplicate", "r1": None, "r2": None}
    return str(kind), chosen


@pytest.mark.browser
@pytest.mark.timeout(60)
def test_an_annotator_finishes_resumes_and_the_export_matches(tmp_path: Path) -> None:
    path, links, _ = study_file(tmp_path / "study", ("ann", "bob"), goals=2)
    shots: dict[str, Path] = {"dir": tmp_path}
    chosen: dict[int, tuple[str, object]] = {}
    with running(path) as (_, base), chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(base + links["ann"])
        skipped = current(page)
        with page.expect_navigation():
            page.keyboard.press("s")
        assert current(page) != skipped, page.content()
        while len(chosen) < 4:
            task = current(page)
            assert HOSTILE in page.inner_text("#goal") and page.title().endswith("rubricrl study")
            chosen[task] = answer(page, by_keys=len(chosen) % 2 == 0, shots=shots)
            if len(chosen) == 2:  # reload, then open the link afresh: it resumes
                page.reload()
                page.goto(base + links["ann"])
                assert page.inner_text("#progress-label") == "2 of 4 done"
                assert current(page) not in chosen
        assert "All 4 tasks are done" in page.inner_text("#message")
        assert skipped in chosen and list(chosen)[-1] == skipped  # the skipped task came last
        assert dialogs == []
    study = Study(path)
    tasks = {a.id: a for a in study.assignments(1)}
    output = tmp_path / "human.jsonl"
    export_study(StudyExportConfig(study=path, output=output))
    votes_path, approvals_path, _ = export_paths(output)
    votes = {v.task_id: v for v in load_records(votes_path, HumanVote)}
    approvals = load_records(approvals_path, ItemApproval)
    expected_votes, expected_items = {}, {}
    for assignment_id, (kind, what) in chosen.items():
        task = tasks[assignment_id]
        if kind == "pairwise":
            choice, reason = what  # type: ignore[misc]
            sign = 1 if task.a_first else -1
            expected_votes[task.task_id] = ((3 - choice) * sign, reason, task.a_first)
        else:
            for item, why in what.items():  # type: ignore[attr-defined]
                expected_items[(task.sample_id, item)] = (why is None, why)
    assert {t: (v.preference, v.reason, v.a_first) for t, v in votes.items()} == expected_votes
    assert all(v.annotator == "ann" and v.seconds is not None for v in votes.values())
    assert {(a.sample_id, a.item_id): (a.approved, a.reason) for a in approvals} == expected_items
    for kind in ("pairwise", "approval"):
        assert shots[kind].stat().st_size > 10_000
        print(f"{kind} screenshot: {shots[kind]}")

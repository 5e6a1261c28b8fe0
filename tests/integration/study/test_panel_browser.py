"""Two panel participants in real headless Chromium: both arrive by the one enrolment link; one
misses the comprehension check twice and leaves with the screened-out code, the other passes,
answers a gold task wrong on purpose and is sent to the panel with the completion code; the
export flags and leaves out the careless one as the study's gold rule says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rubricrl.jsonl import load_records
from rubricrl.records import HumanVote
from rubricrl.study.create import StudyCreateConfig, create_study
from rubricrl.study.export import StudyExportConfig, export_paths, export_study
from rubricrl.study.panel import CHECK, OpenConfig, open_panel
from rubricrl.study.store import Study
from tests.browser import chromium
from tests.builders import study_inputs
from tests.integration.study.running import running

PANEL = "https://app.prolific.com/"


def check_answers(page: Any, right: bool) -> None:
    """Tick one answer per question of the check, the right ones or wrong ones, and submit."""
    for k, (_, options, correct) in enumerate(CHECK):
        pick = correct if right else (correct + 1) % len(options)
        page.check(f"#question-{k} input[value='{pick}']")
    with page.expect_navigation():
        page.click("#submit")


def next_page(request: Any) -> bool:
    """A browser's GET of the next task or of the panel's page, as a redirect chain ends."""
    return (
        request.is_navigation_request()
        and request.method == "GET"
        and ("/task/" in request.url or request.url.startswith(PANEL))
    )


def answer_task(page: Any, study: Study, careless: bool) -> tuple[bool, str]:
    """Answer the open task: a gold task wrongly when `careless`, others "about the same".
    Returns whether it was a gold task, and where the browser went next (the panel's page is
    unreachable here, so only the request to it is waited for)."""
    number = int(re.search(r"/task/(\d+)$", page.url).group(1))  # type: ignore[union-attr]
    task = study.rows(
        "SELECT t.gold, a.a_first FROM assignments a JOIN tasks t ON t.id = a.task_id "
        "WHERE a.id = ?",
        number,
    )[0]
    gold = task["gold"] is not None
    # the plan that should win (A) is on the left when A is shown first
    wrong = "Plan 2 much better" if task["a_first"] else "Plan 1 much better"
    page.click(f"text={wrong}" if gold and careless else "text=About the same")
    with page.expect_request(next_page) as sent:
        page.click("#submit")
    if "/task/" in sent.value.url:
        page.wait_for_url(sent.value.url)
    return gold, sent.value.url


@pytest.mark.browser
@pytest.mark.timeout(90)
def test_a_panel_screens_one_out_and_sends_the_other_home_flagged(tmp_path: Path) -> None:
    paths = study_inputs(tmp_path, 4)
    path = tmp_path / "study.sqlite"
    create_study(
        StudyCreateConfig(
            goals=paths["goals"], plans_a=paths["a"], plans_b=paths["b"], output=path,
            gold_rate=0.5,
        )
    )  # fmt: skip
    link = open_panel(
        OpenConfig(study=path, completion_code="DONE42", screened_code="OUT7", tasks=2, url="")
    )
    join = link.split("?")[0]
    study = Study(path)
    with running(path) as (_, base), chromium() as browser:

        def participant(pid: str) -> Any:
            page = browser.new_page()
            page.goto(f"{base}{join}?PROLIFIC_PID={pid}&STUDY_ID=st1&SESSION_ID=se-{pid}")
            assert page.url.endswith("/check") and page.inner_text("h2") == "Before you start"
            page.screenshot(path=str(tmp_path / "study-check.png"), full_page=True)
            return page

        screened = participant("p-screened")
        check_answers(screened, right=False)
        assert "one try left" in screened.inner_text("#check-note")
        check_answers(screened, right=False)
        assert "the study ends here for you" in screened.inner_text("#message")
        with screened.expect_request(next_page) as sent:
            screened.click("#next")
        assert sent.value.url == f"{PANEL}submissions/complete?cc=OUT7"

        finisher = participant("p-finisher")
        check_answers(finisher, right=True)
        golds, where = 0, finisher.url
        while "/task/" in where:
            gold, where = answer_task(finisher, study, careless=True)
            golds += gold
        assert golds == 1 and where == f"{PANEL}submissions/complete?cc=DONE42"
    output = tmp_path / "human.jsonl"
    summary = export_study(StudyExportConfig(study=path, output=output, bootstrap=50))
    rows = {row.name: row for row in summary.annotator_rows}
    assert rows["prolific:p-screened"].status == "screened out"
    assert rows["prolific:p-screened"].answered == 0
    finished = rows["prolific:p-finisher"]
    assert (finished.status, finished.answered, finished.gold_answered) == ("finished", 2, 1)
    assert finished.gold_accuracy == 0 and finished.excluded
    assert summary.excluded == ["prolific:p-finisher"] and summary.by_vote.n == 0
    votes = load_records(export_paths(output)[0], HumanVote)
    assert len(votes) == 3 and all(v.excluded for v in votes)  # kept in the file, flagged
    assert sum(v.gold is not None for v in votes) == 1
    tries = study.rows("SELECT passed FROM checks ORDER BY annotator_id, attempt")
    assert [r["passed"] for r in tries] == [0, 0, 1]
    assert (tmp_path / "study-check.png").stat().st_size > 10_000
    print(f"check page screenshot: {tmp_path / 'study-check.png'}")

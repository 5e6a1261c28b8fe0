"""`rubricrl score`: mean rubric score with an interval under an evaluation grader."""

import json
from pathlib import Path

from rubricrl.backends.base import Conversation
from rubricrl.evaluation.score import ScoreConfig, score_plans
from rubricrl.grading.grader import Grader, JudgeGrading
from rubricrl.jsonl import write_records
from rubricrl.model_spec import EMBEDDED
from rubricrl.records import ScoreSummary
from tests.builders import plan, sample
from tests.fakes import ScriptedBackend


def half_met(conversation: Conversation) -> str:
    """Item 1 met, item 2 violating guideline 2; plans mentioning 'garbled' get no JSON."""
    if "garbled" in conversation[-1]["content"]:
        return "I refuse"
    verdicts = [
        {"item_id": "1", "rationale": "covered", "violated": []},
        {"item_id": "2", "rationale": "vague", "violated": [2]},
    ]
    return json.dumps({"verdicts": verdicts})


def test_score_reports_mean_interval_and_unscored(tmp_path: Path) -> None:
    goal = sample("g", "goal", {"a": "first", "b": "second"})
    plans = [
        plan(f"p{k}", "g", text)
        for k, text in enumerate(["<solution>one</solution>", "<solution>garbled</solution>"])
    ]
    write_records(tmp_path / "samples.jsonl", [goal])
    write_records(tmp_path / "plans.jsonl", plans)
    grader = Grader(ScriptedBackend(half_met, spec="judge"), JudgeGrading(retries=0))
    config = ScoreConfig(
        samples=tmp_path / "samples.jsonl",
        plans=tmp_path / "plans.jsonl",
        output=tmp_path / "grades.jsonl",
        grader=EMBEDDED,
    )
    report = score_plans(config, grader)
    assert (report.mean, report.ci_low, report.ci_high, report.scored) == (0.5, 0.5, 0.5, 1)
    assert report.unscored == 1 and report.item_satisfaction == {"g/a": 1.0, "g/b": 0.0}
    written = (tmp_path / "grades.summary.json").read_text(encoding="utf-8")
    assert ScoreSummary.model_validate_json(written) == report
    assert not report.failed and report.render().startswith(
        "mean rubric score 0.500 [95% CI 0.500, 0.500] over 1 plans"
    )

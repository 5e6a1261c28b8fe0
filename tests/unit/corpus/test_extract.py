"""The sample creator with a scripted creator: selection, drop reasons, defaults, resumption."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import BaseModel

from rubricrl.backends.base import Conversation
from rubricrl.config import parse
from rubricrl.corpus.creator_defaults import SMALL_LOCAL, RulesGiven
from rubricrl.corpus.extract import ExtractConfig, extract
from rubricrl.corpus.extract_report import report_path
from rubricrl.errors import BackendError
from rubricrl.jsonl import JsonlWriter, load_records, write_records
from rubricrl.records import Paper, Sample
from tests import builders
from tests.fakes import ScriptedBackend

GOAL = (
    "Clinical prediction models lose accuracy when moved between hospitals that code diagnoses "
    "differently. Design a study that makes such a model transferable with only a few hundred "
    "labelled records at each new site, and tell how success would be judged."
)
ITEMS = [
    "The plan evaluates the model at hospitals not used for training.",
    "The plan evaluates the model at the hospitals not used for training.",  # near duplicate
    "Calibration is reported.",  # too short
    "The plan maps codes from each hospital to a shared vocabulary first.",
    "The plan recalibrates the model with the labelled records of each site.",
    "The plan reports discrimination and calibration separately per site.",
    "The plan estimates how many labelled records a new site needs.",
]
REFERENCE = (
    "Codes from every hospital were mapped to a shared ontology before training, and the model "
    "was recalibrated at each new site with three hundred labelled records, which preserved "
    "discrimination and improved calibration at four external hospitals."
)


MAP_INSIGHT = "Map the codes of every hospital to one shared ontology."


def creator(conversation: Conversation) -> str:
    prompt = conversation[-1]["content"]
    if "Write at most" in prompt and "Twin paper" in prompt:
        return json.dumps({"insights": [MAP_INSIGHT, MAP_INSIGHT.replace("one", "a")]})
    if "Write at most" in prompt:
        return json.dumps({"insights": [MAP_INSIGHT, "Recalibrate the model at every new site."]})
    if "Write three things" in prompt:
        if "Broken paper" in prompt:
            return "I cannot do that"
        goal = REFERENCE if "Recalibrate" in prompt and "Leaky" in prompt else GOAL
        return json.dumps({"goal": goal, "rubric": ITEMS, "reference_solution": REFERENCE})
    if "Choose the" in prompt:
        return json.dumps({"keep": [4, 2, 0]})
    raise AssertionError(prompt)


def make_paper(title: str) -> Paper:
    return builders.paper(
        title.split()[0].lower(),
        title,
        "An abstract.",
        {"Methods": "We did things."},
        source=f"{title}.md",
    )


def config(papers: Path, output: Path) -> ExtractConfig:
    return ExtractConfig(
        papers=papers,
        output=output,
        insights=2,
        draft_items=7,
        rules=RulesGiven(keep_items=3, min_items=3, min_item_words=4),
    )


def test_selection_and_drop_reasons(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    write_records(papers, [make_paper("Good paper"), make_paper("Broken paper")])
    out = tmp_path / "samples.jsonl"
    report = extract(config(papers, out), ScriptedBackend(creator, spec="fake-creator"))
    samples = load_records(out, Sample)
    assert [s.id for s in samples] == ["good:1", "good:2"]
    first = samples[0]
    # filters drop the duplicate (i2) and the short item (i3); ranking picks 4, 2, 0 of the rest
    assert [item.id for item in first.rubric] == ["i7", "i5", "i1"]
    assert first.provenance.creator == "fake-creator"
    assert report.dropped_items["near duplicate"] == 2
    assert report.dropped_items["too short to check"] == 2
    assert report.dropped_items["not among the best"] == 4
    assert report.dropped_samples == {"creator gave no valid JSON in 3 attempts": 2}
    assert json.loads(out.with_suffix(".report.json").read_text())["samples_kept"] == 2


def test_leaky_goal_is_dropped(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    write_records(papers, [make_paper("Leaky paper")])
    report = extract(config(papers, tmp_path / "s.jsonl"), ScriptedBackend(creator))
    assert report.dropped_samples == {"goal reveals the reference solution": 1}
    assert report.samples_kept == 1


def test_rerun_skips_finished_papers(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    write_records(papers, [make_paper("Good paper")])
    out = tmp_path / "samples.jsonl"
    extract(config(papers, out), ScriptedBackend(creator))
    backend = ScriptedBackend(creator)
    report = extract(config(papers, out), backend)
    assert report.papers_done == ["good"]
    assert backend.calls == []
    assert len(load_records(out, Sample)) == 2


class Killed(Exception):
    """Stands for kill -9 between two sample writes."""


def test_a_kill_between_two_sample_writes_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = tmp_path / "papers.jsonl"
    write_records(papers, [make_paper("Good paper"), make_paper("Other paper")])
    whole = tmp_path / "whole.jsonl"
    extract(config(papers, whole), ScriptedBackend(creator))
    out = tmp_path / "samples.jsonl"
    write = JsonlWriter.write

    def die_after_first(writer: JsonlWriter, record: BaseModel) -> bool:
        if writer.ids:  # good:1 is written; good:2 would be next
            raise Killed
        return write(writer, record)

    monkeypatch.setattr(JsonlWriter, "write", die_after_first)
    with pytest.raises(Killed):
        extract(config(papers, out), ScriptedBackend(creator))
    assert [s.id for s in load_records(out, Sample)] == ["good:1"]
    monkeypatch.setattr(JsonlWriter, "write", write)
    report = extract(config(papers, out), ScriptedBackend(creator))
    assert out.read_text() == whole.read_text()
    assert len(load_records(out, Sample)) == 4
    assert report_path(out).read_text() == report_path(whole).read_text()
    assert report.samples_kept == 4


def test_deleting_the_samples_starts_over(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    out = tmp_path / "samples.jsonl"
    write_records(papers, [make_paper("Good paper")])
    extract(config(papers, out), ScriptedBackend(creator))
    out.unlink()
    report = extract(config(papers, out), ScriptedBackend(creator))
    assert report.samples_kept == 2 and len(load_records(out, Sample)) == 2


def test_the_report_accumulates_over_resumed_runs(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    out = tmp_path / "samples.jsonl"
    write_records(papers, [make_paper("Good paper")])
    extract(config(papers, out), ScriptedBackend(creator))
    write_records(papers, [make_paper("Good paper"), make_paper("Leaky paper")])
    report = extract(config(papers, out), ScriptedBackend(creator))
    assert report.papers == 2 and report.papers_done == ["good", "leaky"]
    assert report.samples_kept == 3  # 2 from the first run, 1 from the resumed one
    assert report.dropped_samples == {"goal reveals the reference solution": 1}
    assert report.dropped_drafts == {"leaky:2": "goal reveals the reference solution"}
    assert report.dropped_items["near duplicate"] == 3
    saved = report_path(out).read_text()
    assert json.loads(saved)["samples_kept"] == 3
    extract(config(papers, out), ScriptedBackend(creator))  # nothing left to do
    assert report_path(out).read_text() == saved


def test_unset_settings_are_the_creators_defaults(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    write_records(papers, [make_paper("Good paper")])
    backend = ScriptedBackend(creator)
    extract(ExtractConfig(papers=papers, output=tmp_path / "s.jsonl", draft_items=7), backend)
    first = backend.calls[0]
    assert first.sampling is not None and first.schema is not None
    assert first.sampling.max_tokens == SMALL_LOCAL.max_tokens  # embedded: the small budgets
    assert first.sampling.frequency_penalty == SMALL_LOCAL.frequency_penalty
    assert first.schema["properties"]["insights"]["maxItems"] == SMALL_LOCAL.insights
    drafting = backend.calls[1].schema
    assert drafting is not None and drafting["properties"]["rubric"]["minItems"] == 7  # the flag


def test_repeated_insights_yield_one_sample(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    write_records(papers, [make_paper("Twin paper")])
    report = extract(config(papers, tmp_path / "s.jsonl"), ScriptedBackend(creator))
    assert report.dropped_samples == {"insight repeats another": 1}
    assert report.samples_kept == 1


def test_a_papers_prompts_start_with_the_same_paper_text(tmp_path: Path) -> None:
    """Byte-identical openings, so the local backend and servers prefill the paper once."""
    papers = tmp_path / "papers.jsonl"
    write_records(papers, [make_paper("Good paper")])
    backend = ScriptedBackend(creator)
    extract(config(papers, tmp_path / "s.jsonl"), backend)
    prompts = [c.conversations[0][-1]["content"] for c in backend.calls[:2]]
    assert len(backend.calls[1].conversations) == 2  # the two insights' drafts
    opening = prompts[0][: prompts[0].index("</paper>") + len("</paper>")]
    assert opening.startswith("<paper>\nTitle: Good paper")
    assert all(
        c[-1]["content"].startswith(opening)
        for call in backend.calls[:2]
        for c in call.conversations
    )


def test_flags_win_one_by_one_over_the_creators_defaults(tmp_path: Path) -> None:
    papers = tmp_path / "p.jsonl"
    papers.touch()  # inputs are checked when parsed
    argv = [str(papers), "-o", "s.jsonl", "--max-tokens", "300", "--rules.keep-items", "4"]
    settings = parse(ExtractConfig, argv, "rubricrl extract").settings()
    assert settings.max_tokens == 300 and settings.rules.keep_items == 4
    assert settings.insights == SMALL_LOCAL.insights
    assert settings.rules.min_items == SMALL_LOCAL.rules.min_items


def test_a_refused_paper_is_named_as_refused_and_the_others_kept(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    write_records(papers, [make_paper("Good paper"), make_paper("Refused paper")])
    backend = ScriptedBackend(creator, refuse_when=lambda c: "Refused paper" in c[-1]["content"])
    report = extract(config(papers, tmp_path / "s.jsonl"), backend)
    assert report.samples_kept == 2
    assert report.dropped_samples == {"no insights: the server refused the request": 1}
    (detail,) = [d for key, d in report.dropped_drafts.items() if key.startswith("refused")]
    assert detail.startswith("no insights: the server refused the request (request refused: ")


def test_a_server_that_goes_down_keeps_the_finished_batches(tmp_path: Path) -> None:
    papers, out = tmp_path / "papers.jsonl", tmp_path / "samples.jsonl"
    write_records(papers, [make_paper("Good paper"), make_paper("Other paper")])
    one_at_a_time = replace(config(papers, out), papers_per_batch=1)
    down = ScriptedBackend(creator, fail_on=lambda n: n > 3, error=BackendError("server down"))
    with pytest.raises(BackendError, match=r"^server down; 1 of 2 papers done and kept in "):
        extract(one_at_a_time, down)
    assert {s.provenance.paper_id for s in load_records(out, Sample)} == {"good"}
    backend = ScriptedBackend(creator)
    report = extract(one_at_a_time, backend)
    assert report.papers_done == ["good", "other"] and report.samples_kept == 4
    assert "Other paper" in backend.calls[0].conversations[0][-1]["content"]

"""The sample creator: papers in, goal/rubric/reference samples out, then selection to the best items.

Per paper the creator names up to `insights` insights; per insight it writes a goal, `draft_items`
rubric items and a reference solution. Selection drops unusable items and samples by the rules in
`corpus.select`, then asks the creator to keep the best `keep_items`. Settings left unset are the
creator's (`corpus.creator_defaults`); the report beside the output says which papers are done,
what was dropped and why, and where papers were cut (`corpus.extract_report`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rubricrl.backends.base import ChatBackend
from rubricrl.backends.registry import load_backend
from rubricrl.backends.structured import Unreadable
from rubricrl.config import option
from rubricrl.corpus.creator import Extractor
from rubricrl.corpus.creator_defaults import (
    CreatorSettings,
    RulesGiven,
    per_model_help,
    resolve_settings,
)
from rubricrl.corpus.excerpt import Excerpt, paper_excerpt
from rubricrl.corpus.extract_report import ExtractReport, load_report
from rubricrl.corpus.select import SelectionRules, drop_near_duplicates, item_problem, leakage
from rubricrl.jsonl import load_records
from rubricrl.model_spec import EMBEDDED, SPEC_HELP, ModelSpec
from rubricrl.progress import ProgressBar
from rubricrl.records import Paper, Provenance, RubricItem, Sample
from rubricrl.stage import Resumable


def _per_model(name: str, help_text: str, minimum: float, maximum: float | None = None) -> Any:
    """A setting left unset by default: the creator's own value then (corpus.creator_defaults)."""
    return option(None, per_model_help(name, help_text), min=minimum, max=maximum)


@dataclass(frozen=True, kw_only=True)
class ExtractConfig:
    """Mine research goals, rubrics and reference solutions from papers (resumable)."""

    papers: Path = option(
        help="Papers JSONL written by `rubricrl ingest`.", positional=True, input="file"
    )
    output: Path = option(help="Samples JSONL to append to.", flags=("-o",), output="file")
    creator: ModelSpec = option(EMBEDDED, f"Model spec of the sample creator: {SPEC_HELP}.")
    insights: int | None = _per_model("insights", "Insights to ask for per paper", 1)
    draft_items: int | None = _per_model("draft_items", "Rubric items drafted per goal", 1)
    max_paper_chars: int | None = _per_model(
        "max_paper_chars", "Paper text budget (cut rule in the docs)", 1
    )
    max_goal_chars: int | None = _per_model("max_goal_chars", "Longest goal accepted", 1)
    max_item_chars: int | None = _per_model("max_item_chars", "Longest rubric item accepted", 1)
    max_reference_chars: int | None = _per_model(
        "max_reference_chars", "Longest reference solution accepted", 1
    )
    max_tokens: int | None = _per_model("max_tokens", "Token budget of each creator reply", 1)
    temperature: float | None = _per_model("temperature", "Creator sampling temperature", 0.0)
    frequency_penalty: float | None = _per_model(
        "frequency_penalty", "Creator frequency penalty (OpenAI's meaning)", -2.0, 2.0
    )
    seed: int = option(0, "Sampling seed of the creator.")
    attempts: int = option(3, "Attempts per creator reply before it is dropped.", min=1)
    papers_per_batch: int | None = _per_model(
        "papers_per_batch", "Papers per creator batch (saved per batch)", 1
    )
    rules: RulesGiven = option(factory=RulesGiven)

    def settings(self) -> CreatorSettings:
        """The per-model settings this run uses: the flags given, the creator's defaults else."""
        return resolve_settings(self.creator, vars(self))


def _filter_items(texts: list[str], rules: SelectionRules, report: ExtractReport) -> list[int]:
    """Indices of checkable, distinct items; counts each dropped item's reason."""
    checkable = []
    for index, text in enumerate(texts):
        problem = item_problem(text, rules)
        if problem:
            report.dropped_items[problem] += 1
        else:
            checkable.append(index)
    distinct = drop_near_duplicates([texts[i] for i in checkable], rules.duplicate_threshold)
    report.dropped_items["near duplicate"] += len(checkable) - len(distinct)
    return [checkable[i] for i in distinct]


def _best_first(kept: list[int], ranking: list[int] | None, keep: int) -> list[int]:
    """The creator's picks among `kept` positions (in its order), topped up in original order."""
    picks = [kept[i] for i in dict.fromkeys(ranking or []) if i < len(kept)]
    return (picks + [i for i in kept if i not in picks])[:keep]


def _build_sample(
    paper: Paper, number: int, draft: dict[str, Any], item_ids: list[int], creator: str
) -> Sample:
    return Sample(
        id=f"{paper.id}:{number}",
        goal=draft["goal"].strip(),
        rubric=[RubricItem(id=f"i{i + 1}", text=draft["rubric"][i].strip()) for i in item_ids],
        reference_solution=draft["reference_solution"].strip(),
        provenance=Provenance(paper_id=paper.id, domain=paper.domain, creator=creator),
    )


def _select(
    extractor: Extractor,
    jobs: list[tuple[Paper, int, dict[str, Any] | Unreadable]],
    report: ExtractReport,
) -> list[Sample]:
    rules = extractor.settings.rules
    survivors: list[tuple[Paper, int, dict[str, Any], list[int]]] = []
    for paper, number, draft in jobs:
        detail = ""
        if isinstance(draft, Unreadable):
            reason, detail = _no_reply(draft, extractor.attempts), f" ({draft.reason})"
        elif len(draft["goal"].split()) < rules.min_goal_words:
            reason = "goal too short"
        elif leakage(draft["goal"], draft["reference_solution"]) >= rules.leakage_threshold:
            reason = "goal reveals the reference solution"
        else:
            kept = _filter_items(draft["rubric"], rules, report)
            if len(kept) < rules.min_items:
                reason = f"fewer than {rules.min_items} usable rubric items"
            else:
                survivors.append((paper, number, draft, kept))
                continue
        report.dropped_samples[reason] += 1
        report.dropped_drafts[f"{paper.id}:{number}"] = reason + detail
    needs_ranking = [s for s in survivors if len(s[3]) > rules.keep_items]
    rankings = extractor.rank_items(
        [(d["goal"], [d["rubric"][i] for i in kept]) for _, _, d, kept in needs_ranking]
    )
    ranking_of = {(p.id, n): r for (p, n, _, _), r in zip(needs_ranking, rankings, strict=True)}
    samples = []
    for paper, number, draft, kept in survivors:
        chosen = _best_first(kept, ranking_of.get((paper.id, number)), rules.keep_items)
        report.dropped_items["not among the best"] += len(kept) - len(chosen)
        samples.append(_build_sample(paper, number, draft, chosen, extractor.creator.spec))
    return samples


def _no_reply(unreadable: Unreadable, attempts: int) -> str:
    """The report's category for a creator reply that never came: refused, or never valid."""
    if unreadable.refused:
        return "the server refused the request"
    return f"creator gave no valid JSON in {attempts} attempts"


def _insight_jobs(
    chunk: list[Paper],
    excerpts: list[Excerpt],
    insights: list[list[str] | Unreadable],
    extractor: Extractor,
    report: ExtractReport,
) -> list[tuple[Paper, int, Excerpt, str]]:
    """One drafting job per distinct insight, numbered per paper (the sample ids' suffix)."""
    jobs: list[tuple[Paper, int, Excerpt, str]] = []
    for paper, excerpt, found in zip(chunk, excerpts, insights, strict=True):
        if isinstance(found, Unreadable):
            reason = f"no insights: {_no_reply(found, extractor.attempts)}"
            report.dropped_samples[reason] += 1
            report.dropped_drafts[paper.id] = f"{reason} ({found.reason})"
            continue
        distinct = drop_near_duplicates(found, extractor.settings.rules.duplicate_threshold)
        for index in sorted(set(range(len(found))) - set(distinct)):
            report.dropped_samples["insight repeats another"] += 1
            report.dropped_drafts[f"{paper.id} insight {index + 1}"] = "insight repeats another"
        for number, index in enumerate(distinct, start=1):
            jobs.append((paper, number, excerpt, found[index]))
    return jobs


def _run_batch(
    extractor: Extractor, chunk: list[Paper], report: ExtractReport, bar: ProgressBar
) -> list[Sample]:
    """One batch of papers through insights, drafts and selection; counts go to `report`."""
    settings = extractor.settings
    excerpts = [paper_excerpt(p, settings.max_paper_chars) for p in chunk]
    for paper, excerpt in zip(chunk, excerpts, strict=True):
        report.record_cut(paper.id, excerpt)
    bar.note(f"asking for the insights of {len(chunk)} papers")
    insights = extractor.find_insights(excerpts)
    jobs = _insight_jobs(chunk, excerpts, insights, extractor, report)
    report.insights += len(jobs)
    bar.note(f"drafting {len(jobs)} samples")
    drafts = extractor.draft_samples([(e, insight) for _, _, e, insight in jobs])
    bar.note("selecting the best items")
    return _select(
        extractor, [(p, n, d) for (p, n, _, _), d in zip(jobs, drafts, strict=True)], report
    )


def extract(config: ExtractConfig, creator: ChatBackend | None = None) -> ExtractReport:
    """`rubricrl extract`: samples for every paper not yet finished in `config.output`, a batch
    of papers at a time; returns (and saves after every batch) the report accumulated over all
    runs on that output. The creator is `config.creator` unless given."""
    papers = load_records(config.papers, Paper)
    creator = creator or load_backend(config.creator)
    extractor = Extractor(creator, config.settings(), config.seed, config.attempts)
    report = load_report(config.output)
    report.papers = len(papers)
    finished = set(report.papers_done)
    with Resumable(
        "extract",
        config.output,
        papers,
        noun="papers",
        done=lambda paper, _: paper.id in finished,
    ) as work:
        work.bar.log(
            f"{len(work.todo)} of {len(papers)} papers to do, creator {creator.spec}, "
            f"{extractor.settings}"
        )
        for chunk in work.chunks(extractor.settings.papers_per_batch):
            selected = _run_batch(extractor, chunk, report, work.bar)
            # a rerun after a kill skips the ids written before it
            work.write(selected, status=f"{len(selected)} samples from {len(chunk)} papers")
            report.samples_kept += len(selected)
            report.papers_done.extend(paper.id for paper in chunk)
            report.save()
    report.save()
    return report

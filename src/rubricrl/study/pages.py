"""The study's server-rendered pages: jinja2 with autoescape, plans as Markdown with raw HTML
escaped (markdown-it, html off), so text from goals and plans is shown, never run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from rubricrl.records import HumanStudySummary, shown
from rubricrl.study.panel import CHECK, TRIES
from rubricrl.study.store import REJECT_REASONS, Assignment

SCALE = (
    ("1", "Plan 1 much better"),
    ("2", "Plan 1 better"),
    ("3", "About the same"),
    ("4", "Plan 2 better"),
    ("5", "Plan 2 much better"),
)
REFRESH_SECONDS = 15
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("rubricrl.study", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def markdown(text: str) -> Markup:
    """Markdown as HTML; any HTML in the text comes out escaped, and unsafe links are dropped."""
    return Markup(_MARKDOWN.render(text))  # raw HTML was escaped (html off)


def progress_of(assignments: Sequence[Assignment]) -> dict[str, int]:
    return {"done": sum(a.voted for a in assignments), "total": len(assignments)}


def task_page(
    assignment: Assignment, action: str, csrf: str, assignments: Sequence[Assignment]
) -> str:
    """The pairwise or approval page of one assignment (plans on the sides it recorded)."""
    context: dict[str, Any] = {
        "action": action,
        "csrf": csrf,
        "progress": progress_of(assignments),
    }
    payload = assignment.payload
    if assignment.kind == "pairwise":
        first, second = payload["plan_a"], payload["plan_b"]
        if not assignment.a_first:
            first, second = second, first
        return _TEMPLATES.get_template("pairwise.html.j2").render(
            **context,
            goal=payload["goal"],
            left=markdown(first["text"]),
            right=markdown(second["text"]),
            scale=SCALE,
        )
    sample = payload["sample"]
    return _TEMPLATES.get_template("approval.html.j2").render(
        **context,
        goal=sample["goal"],
        reference=markdown(sample["reference_solution"]),
        items=sample["rubric"],
        reasons=list(REJECT_REASONS.items()),
    )


def message_page(
    message: str, next_url: str | None = None, assignments: Sequence[Assignment] = ()
) -> str:
    progress = progress_of(assignments) if assignments else None
    return _TEMPLATES.get_template("message.html.j2").render(
        message=message, next=next_url, progress=progress
    )


def check_page(action: str, csrf: str, tries: int) -> str:
    """The instructions and the comprehension check; after a miss, a note that one try is left."""
    left = TRIES - tries
    note = None
    if tries:
        note = "Some answers were not right. Please read the instructions again: " + (
            "one try left." if left == 1 else f"{left} tries left."
        )
    return _TEMPLATES.get_template("check.html.j2").render(
        action=action,
        csrf=csrf,
        note=note,
        progress=None,
        questions=[(question, options) for question, options, _ in CHECK],
    )


def admin_page(
    progress: list[dict[str, Any]],
    summary: HumanStudySummary,
    overview: dict[str, int],
    exported: bool,
) -> str:
    """Progress, gold accuracy, time, agreement and skill per annotator, and agreement so far;
    model names only once exported. The page refreshes itself."""
    annotators = {row.name: row for row in summary.annotator_rows}
    rows = []
    for done in progress:
        row = annotators[done["name"]]
        gold = f"{row.gold_correct} of {row.gold_answered}" if row.gold_answered else "-"
        rows.append(
            done
            | {
                "gold": gold + (" (left out)" if row.excluded else ""),
                "excluded": row.excluded,
                "median": shown(row.median_seconds, 0),
                "agreement": shown(row.agreement, 2),
                "skill": shown(row.skill, 2),
                "state": row.status or "invited",
            }
        )
    statuses = Counter(row.status for row in summary.annotator_rows if row.status)
    return _TEMPLATES.get_template("admin.html.j2").render(
        progress=None,
        refresh=REFRESH_SECONDS,
        rows=rows,
        overview=overview,
        statuses=sorted(statuses.items()),
        gold_min=summary.gold_min if overview["gold"] else None,
        models=(summary.model_a, summary.model_b) if exported else None,
        alpha_preference=shown(summary.alpha_preference, 2),
        alpha_approval=shown(summary.alpha_approval, 2),
        kappa=[{"judges": k.judges, "n": k.n, "kappa": shown(k.kappa, 2)} for k in summary.kappa],
    )

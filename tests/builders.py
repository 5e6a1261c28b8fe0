"""Builders of the records and folders tests share: short defaults, every field overridable."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from rubricrl.evaluation.compare import CompareConfig, compare
from rubricrl.evaluation.judge import Pair
from rubricrl.evaluation.score import summarize_scores
from rubricrl.jsonl import write_records
from rubricrl.model_spec import EMBEDDED
from rubricrl.records import (
    Grade,
    Judgment,
    Paper,
    Plan,
    Preference,
    Provenance,
    RubricItem,
    Sample,
    Section,
    Verdict,
)
from tests.fakes import ScriptedBackend

Rubric = Sequence[str] | Mapping[str, str] | Sequence[RubricItem]


def rubric(items: Rubric) -> list[RubricItem]:
    """Rubric items from texts (ids r1, r2, ...), from an id -> text mapping, or as given."""
    if isinstance(items, Mapping):
        return [RubricItem(id=key, text=text) for key, text in items.items()]
    return [
        item if isinstance(item, RubricItem) else RubricItem(id=f"r{number}", text=item)
        for number, item in enumerate(items, start=1)
    ]


def sample(
    id: str = "s",
    goal: str | None = None,
    items: Rubric = ("item",),
    reference: str = "ref",
    *,
    paper_id: str = "p",
    creator: str = "c",
    domain: str | None = None,
) -> Sample:
    """A goal with its rubric; the goal defaults to "goal of <id>"."""
    return Sample(
        id=id,
        goal=goal if goal is not None else f"goal of {id}",
        rubric=rubric(items),
        reference_solution=reference,
        provenance=Provenance(paper_id=paper_id, creator=creator, domain=domain),
    )


def widget_goal(index: int, items: int = 2) -> Sample:
    """Goal s<index> about widget <index>, whose rubric items r0, r1, ... say SECRET: the policy
    must never see them."""
    return sample(
        f"s{index}",
        f"Find out why widget {index} fails under load.",
        {f"r{i}": f"SECRET criterion {i}" for i in range(items)},
        "The paper profiled it.",
        creator="fake",
    )


def plan(
    id: str = "p", sample_id: str = "s", text: str = "plan", *, model: str = "m", index: int = 0
) -> Plan:
    return Plan(id=id, sample_id=sample_id, model=model, text=text, index=index)


def verdict(
    item_id: str,
    violated: Sequence[int] = (),
    scores: list[int] | None = None,
    *,
    satisfied: bool | None = None,
    rationale: str = "",
) -> Verdict:
    """A verdict on one item; satisfied, unless given, exactly when no guideline is violated."""
    return Verdict(
        item_id=item_id,
        satisfied=not violated if satisfied is None else satisfied,
        violated=list(violated),
        guideline_scores=scores,
        rationale=rationale,
    )


def grade(
    plan_id: str = "p",
    score: float | None = None,
    verdicts: Sequence[Verdict] = (),
    *,
    id: str | None = None,
    sample_id: str = "s",
    grader: str = "g",
    reason: str | None = None,
) -> Grade:
    """The grade of plan `plan_id` (its id too, unless `id` is given)."""
    return Grade(
        id=id or plan_id,
        plan_id=plan_id,
        sample_id=sample_id,
        grader=grader,
        verdicts=list(verdicts),
        score=score,
        reason=reason,
    )


def paper(
    id: str = "p",
    title: str = "T",
    abstract: str = "A.",
    sections: Mapping[str, str] | Sequence[tuple[str, str]] = (("Methods", "We did things."),),
    *,
    source: str = "x.md",
    domain: str | None = None,
) -> Paper:
    """A parsed text paper; `sections` maps headings to their text."""
    pairs = sections.items() if isinstance(sections, Mapping) else sections
    return Paper(
        id=id,
        title=title,
        abstract=abstract,
        sections=[Section(heading=heading, text=text) for heading, text in pairs],
        domain=domain,
        source=source,
        format="text",
    )


def judge_pair(index: int = 0) -> Pair:
    """Goal g<index> (domain ml) with plan a<index> of model base, saying ALPHA, and plan
    b<index> of model tuned, saying BETA; its rubric and reference are for judges shown them."""
    goal = sample(
        f"g{index}",
        f"Goal number {index}",
        ["Uses a held-out split"],
        "The authors did a secret thing",
        creator="fake",
        domain="ml",
    )
    plan_a = plan(f"a{index}", goal.id, f"ALPHA plan {index}", model="base")
    plan_b = plan(f"b{index}", goal.id, f"BETA plan {index}", model="tuned")
    return Pair(f"pair{index}", goal, plan_a, plan_b)


def judgment(preferred: Preference | None, a_first: bool = True, judge: str = "j") -> Judgment:
    return Judgment(judge=judge, a_first=a_first, preferred=preferred)


GOOD_PAPER = "# Good Paper\n\n## Abstract\nFine.\n\n## Idea\nBody text.\n"


def paper_folder(root: Path) -> Path:
    """`root/papers`: two good Markdown papers (one nested), two broken ones, two non-papers."""
    folder = root / "papers"
    (folder / "nested").mkdir(parents=True)
    (folder / "good.md").write_text(GOOD_PAPER)
    (folder / "nested" / "other.md").write_text(GOOD_PAPER.replace("Good", "Other"))
    (folder / "bad.md").write_text("# Only a title\n")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "figure.png").write_bytes(b"\x89PNG")
    (folder / "part.tex").write_text("\\section{Loose part}\n")
    return folder


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


HOSTILE = "<script>document.title='owned'</script>"


def report_run(root: Path) -> Path:
    """A run folder holding every piece the report reads, user text carrying `HOSTILE`."""
    samples = [
        sample(
            f"g{i}",
            f"Goal {i}: find why models forget. {HOSTILE}",
            {f"r{k}": f"Item {k} of goal {i}" for k in range(3)},
            "The paper's approach",
            paper_id=f"p{i}",
            creator="fake",
            domain=["ml", "bio"][i % 2],
        )
        for i in range(4)
    ]
    write_records(root / "samples_test.jsonl", samples)
    plans = {
        model: [
            plan(f"{model}-{s.id}", s.id, f"{tag} plan for {s.id} {HOSTILE}", model=model)
            for s in samples
        ]
        for model, tag in (("base", "ALPHA"), ("trained", "BETA"), ("middle", "GAMMA"))
    }
    write_records(
        root / "split" / "train.jsonl", [s for s in samples if s.provenance.domain == "ml"]
    )
    for model, rows in plans.items():
        write_records(root / f"plans_{model}.jsonl", rows)
        if model == "middle":
            continue  # a checkpoint's plans: compared and rated, not graded
        grades = []
        for n, written in enumerate(rows):
            met = [k < (n % 3) + (model == "trained") for k in range(3)]
            verdicts = [
                verdict(f"r{k}", [] if ok else [2], rationale=HOSTILE) for k, ok in enumerate(met)
            ]
            grades.append(
                grade(
                    written.id,
                    sum(met) / 3,
                    verdicts,
                    id=f"grade-{written.id}",
                    sample_id=written.sample_id,
                    grader="fake",
                )
            )
        write_records(root / f"grades_{model}.jsonl", grades)
        summary = summarize_scores(grades, "fake", resamples=200)
        (root / f"grades_{model}.summary.json").write_text(summary.model_dump_json())
    write_jsonl(
        root / "metrics.jsonl",
        [
            {
                "step": s,
                "reward_mean": 0.4 + 0.05 * s,
                "reward_std": 0.1,
                "unscored_frac": 0.05,
                "plan_words": 400 + 10 * s,
                "kl": 0.01 * s,
                "learning_rate": 1e-6,
            }
            for s in range(1, 9)
        ],
    )
    write_jsonl(
        root / "eval.jsonl",
        [
            {
                "step": s,
                "heldout_score": 0.5 + 0.02 * s,
                "independent_score": None if s == 0 else 0.6 - 0.01 * s,
                "item_satisfaction": {"r0": 0.5 + 0.05 * s, "r1": 0.3},
            }
            for s in (0, 4, 8)
        ],
    )

    def prefers_trained(conversation: list[dict[str, str]]) -> str:
        """Trained (BETA) over the middle checkpoint (GAMMA) over base (ALPHA)."""
        text = conversation[-1]["content"]
        shown = sorted((tag for tag in ("BETA", "GAMMA", "ALPHA") if tag in text), key=text.index)
        better = min(shown, key=("BETA", "GAMMA", "ALPHA").index)
        return json.dumps(
            {"rationale": "more specific", "preferred": "1" if shown[0] == better else "2"}
        )

    compare(
        CompareConfig(
            plans_a=root / "plans_trained.jsonl",
            plans_b=root / "plans_base.jsonl",
            more_plans=(root / "plans_middle.jsonl",),
            goals=root / "samples_test.jsonl",
            output=root / "comparisons.jsonl",
            judge=(EMBEDDED,),
            bootstrap=200,
        ),
        [
            ScriptedBackend(prefers_trained, spec="judge-1"),
            ScriptedBackend('{"preferred": "1"}', spec="judge-2"),
        ],
    )
    return root


def probe_goal(n: int, items: int = 4) -> Sample:
    """Goal g<n> whose items name their aspect and problem, for the known-answer probe."""
    return Sample(
        id=f"g{n}",
        goal=f"Problem number {n} is hard. It has constraints.",
        rubric=[
            RubricItem(id=f"i{k}", text=f"The plan handles aspect {k} of problem {n}.")
            for k in range(1, items + 1)
        ],
        reference_solution="",
        provenance=Provenance(paper_id="p", creator="test"),
    )


STUDY_STEPS = {"a": "Train on the tasks in sequence", "b": "Fine-tune once on all tasks up to"}


def study_inputs(root: Path, goals: int = 3, items: int = 3) -> dict[str, Path]:
    """Goals (two domains), plans of models A and B for each, every text carrying `HOSTILE`."""
    root.mkdir(parents=True, exist_ok=True)
    samples = [
        sample(
            f"g{i}",
            f"Goal {i}: find why models forget. {HOSTILE}",
            {f"r{k}": f"Item {k} of goal {i} <img src=x onerror=alert(1)>" for k in range(items)},
            reference=f"The paper's solution {i}. {HOSTILE}",
            domain="ml" if i % 2 == 0 else "bio",
            paper_id=f"p{i}",
        )
        for i in range(goals)
    ]
    paths = {name: root / f"{name}.jsonl" for name in ("goals", "a", "b")}
    write_records(paths["goals"], samples)
    for side in ("a", "b"):
        write_records(
            paths[side],
            [
                plan(
                    f"{side}{i}",
                    f"g{i}",
                    f"## Approach\n\n1. {STUDY_STEPS[side]} {i}; measure **held-out** accuracy "
                    f"after each.\n2. Ablate the replay buffer size.\n\nRisk: {HOSTILE}",
                    model=f"model-{side}",
                )
                for i in range(goals)
            ],
        )
    return paths


def study_file(
    root: Path, names: Sequence[str] = ("ann", "bob"), goals: int = 3
) -> tuple[Path, dict[str, str], str]:
    """A study of `study_inputs` with every goal's rubric to approve and `names` invited:
    (the file, each annotator's link path /a/TOKEN/, the admin path /admin/TOKEN)."""
    from rubricrl.study.create import InviteConfig, StudyCreateConfig, create_study, invite

    paths = study_inputs(root, goals)
    output = root / "study.sqlite"
    config = StudyCreateConfig(
        goals=paths["goals"], plans_a=paths["a"], plans_b=paths["b"], rubrics=paths["goals"],
        output=output,
    )  # fmt: skip
    *_, admin = create_study(config)
    links = {name: invite(InviteConfig(study=output, name=name, url=""))[0] for name in names}
    return output, links, f"/admin/{admin}"

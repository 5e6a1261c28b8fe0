"""The HTML report: built from a full run folder, opened in real headless Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rubricrl.backends.fake import FakeBackend
from rubricrl.errors import InputError
from rubricrl.evaluation.compare import CompareConfig, compare
from rubricrl.evaluation.report import render_report, write_report
from rubricrl.evaluation.score import summarize_scores
from rubricrl.jsonl import write_records
from rubricrl.records import Grade, Plan, Provenance, RubricItem, Sample, Verdict

HOSTILE = "<script>document.title='owned'</script>"
PLOTS = ["plot-training", "plot-heldout", "plot-winrates", "plot-scores"]
TABLES = ["table-heldout-items", "table-winrates", "table-scores", "table-items", "table-examples"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def build_run(root: Path) -> Path:
    """A run folder holding every piece the report reads."""
    samples = [
        Sample(
            id=f"g{i}",
            goal=f"Goal {i}: find why models forget. {HOSTILE}",
            rubric=[RubricItem(id=f"r{k}", text=f"Item {k} of goal {i}") for k in range(3)],
            reference_solution="The paper's approach",
            provenance=Provenance(paper_id=f"p{i}", creator="fake", domain=["ml", "bio"][i % 2]),
        )
        for i in range(4)
    ]
    write_records(root / "samples_test.jsonl", samples)
    plans = {
        model: [
            Plan(
                id=f"{model}-{s.id}",
                sample_id=s.id,
                model=model,
                text=f"{tag} plan for {s.id} {HOSTILE}",
            )
            for s in samples
        ]
        for model, tag in (("base", "ALPHA"), ("trained", "BETA"))
    }
    for model, rows in plans.items():
        write_records(root / f"plans_{model}.jsonl", rows)
        grades = []
        for n, plan in enumerate(rows):
            met = [k < (n % 3) + (model == "trained") for k in range(3)]
            verdicts = [
                Verdict(
                    item_id=f"r{k}", satisfied=ok, violated=[] if ok else [2], rationale=HOSTILE
                )
                for k, ok in enumerate(met)
            ]
            grades.append(
                Grade(
                    id=f"grade-{plan.id}",
                    plan_id=plan.id,
                    sample_id=plan.sample_id,
                    grader="fake",
                    verdicts=verdicts,
                    score=sum(met) / 3,
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
        text = conversation[-1]["content"]
        first = "1" if text.index("BETA") < text.index("ALPHA") else "2"
        return json.dumps({"rationale": "more specific", "preferred": first})

    compare(
        CompareConfig(
            plans_a=root / "plans_trained.jsonl",
            plans_b=root / "plans_base.jsonl",
            goals=root / "samples_test.jsonl",
            output=root / "comparisons.jsonl",
            judges=("fake",),
            bootstrap=200,
        ),
        [
            FakeBackend(prefers_trained, spec="judge-1"),
            FakeBackend(lambda c: '{"preferred": "1"}', spec="judge-2"),
        ],
    )
    return root


def test_missing_pieces_say_not_available(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "metrics.jsonl", [{"step": 1, "reward_mean": 0.5}])
    page = render_report(tmp_path)
    assert 'id="plot-training"' in page
    assert page.count("not available") >= 4
    assert 'id="table-winrates"' not in page


def test_empty_or_missing_run_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such run folder"):
        render_report(tmp_path / "absent")
    with pytest.raises(InputError, match="none of"):
        render_report(tmp_path)


def test_bad_metrics_row_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "metrics.jsonl").write_text('{"step": 1}\n{"reward_mean": 2}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"metrics\.jsonl:2: not a TrainingStep: step"):
        render_report(tmp_path)


def test_user_text_is_escaped(tmp_path: Path) -> None:
    page = render_report(build_run(tmp_path))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.browser
def test_report_renders_in_chromium(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium found on PATH (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    report = write_report(build_run(tmp_path / "run"), tmp_path / "report.html")
    screenshot = tmp_path / "report-screenshot.png"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(report.as_uri())
        for plot in PLOTS:
            width = page.eval_on_selector(f"img#{plot}", "img => img.complete && img.naturalWidth")
            assert width > 100, f"{plot} did not decode"
        rows = {t: page.locator(f"table#{t} tr").count() for t in TABLES}
        assert rows == {
            "table-heldout-items": 3,
            "table-winrates": 1 + 1 + 2 + 2,  # header, overall, two domains, two judges
            "table-scores": 3,
            "table-items": 1 + 4 * 3,
            "table-examples": 5,
        }
        assert page.locator("table#table-agreement tr").count() == 2
        assert page.locator("script").count() == 0
        assert page.title().startswith("rubricrl report")
        assert HOSTILE in page.locator("table#table-examples").inner_text()
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    assert screenshot.stat().st_size > 10_000
    print(f"report screenshot: {screenshot}")

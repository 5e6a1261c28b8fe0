"""`rubricrl compare` and `rubricrl report`: inputs checked before any judge or page."""

from __future__ import annotations

from pathlib import Path

from rubricrl.errors import InputError
from tests.builders import report_run
from tests.unit.cli.helpers import invoke


def test_report_says_where_it_wrote_the_page(tmp_path: Path) -> None:
    page = tmp_path / "out" / "report.html"
    result = invoke("report", str(report_run(tmp_path / "run")), "-o", str(page))
    assert (result.exit_code, result.stdout) == (0, f"wrote report -> {page}\n")
    assert page.read_text(encoding="utf-8").startswith("<!")


def test_report_of_a_folder_without_run_files_names_what_it_looked_for(tmp_path: Path) -> None:
    result = invoke("report", str(tmp_path), "-o", str(tmp_path / "report.html"))
    assert isinstance(result.exception, InputError)
    assert "none of metrics.jsonl" in str(result.exception)
    assert not (tmp_path / "report.html").exists()


def test_compare_names_a_missing_plans_file_before_loading_a_judge(
    samples_and_plans: tuple[Path, Path], tmp_path: Path
) -> None:
    samples, plans = samples_and_plans
    result = invoke(
        "compare", str(tmp_path / "absent.jsonl"), str(plans), "--goals", str(samples),
        "--judge", "hf:/no/such/judge", "-o", str(tmp_path / "comparisons.jsonl"),
    )  # fmt: skip
    assert isinstance(result.exception, InputError)
    assert "absent.jsonl: no such file" in str(result.exception)

"""The HTML report of a full run folder, opened in real headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.evaluation.report import write_report
from tests.browser import chromium
from tests.builders import HOSTILE, report_run

PLOTS = ["plot-training", "plot-heldout", "plot-winrates", "plot-scores"]
TABLES = [
    "table-heldout-items",
    "table-winrates",
    "table-length",
    "table-ratings",
    "table-rating-pairs",
    "table-domains",
    "table-scores",
    "table-items",
    "table-examples",
]


@pytest.mark.browser
def test_report_renders_in_chromium(tmp_path: Path) -> None:
    report = write_report(report_run(tmp_path / "run"), tmp_path / "report.html")
    screenshot = tmp_path / "report-screenshot.png"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(report.as_uri())
        for plot in PLOTS:
            width = page.eval_on_selector(f"img#{plot}", "img => img.complete && img.naturalWidth")
            assert width > 100, f"{plot} did not decode"
        rows = {t: page.locator(f"table#{t} tr").count() for t in TABLES}
        assert rows == {
            "table-heldout-items": 3,
            "table-winrates": 1 + 1 + 2 + 2,  # header, overall, two domains, two judges
            "table-length": 5,  # header, raw, controlled, length preference, length gap
            "table-ratings": 1 + 3,  # base, the middle checkpoint and trained
            "table-rating-pairs": 1 + 3,
            "table-domains": 1 + 2,  # ml (trained on) and bio (not)
            "table-scores": 3,
            "table-items": 1 + 4 * 3,
            "table-examples": 5,
        }
        assert page.locator("table#table-agreement tr").count() == 2
        assert page.locator("script").count() == 0
        assert page.title().startswith("rubricrl report")
        assert HOSTILE in page.locator("table#table-examples").inner_text()
        ranked = page.locator("table#table-ratings").inner_text()
        assert ranked.index("trained") < ranked.index("middle") < ranked.index("base")
        page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    print(f"report screenshot: {screenshot}")

"""Pages: Markdown rendered with raw HTML escaped, plans on their recorded sides."""

from __future__ import annotations

from rubricrl.study.pages import markdown, task_page
from rubricrl.study.store import Assignment
from tests.builders import HOSTILE


def test_markdown_escapes_raw_html_and_drops_script_links() -> None:
    html = markdown(
        f"# Title\n\n{HOSTILE}\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))"
    )
    assert "<h1>Title</h1>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript:' not in html


def pair(a_first: bool) -> Assignment:
    payload = {
        "goal": f"Goal {HOSTILE}",
        "plan_a": {"text": "PLAN-A"},
        "plan_b": {"text": "PLAN-B"},
    }
    return Assignment(1, "pair:g", "pairwise", "g", payload, 0, a_first, False, False)


def test_the_pairwise_page_shows_the_recorded_order_and_escapes_the_goal() -> None:
    for a_first, left in ((True, "PLAN-A"), (False, "PLAN-B")):
        page = task_page(pair(a_first), "/a/t/task/1", "csrf-value", [pair(a_first)])
        assert page.index(left) < page.index("PLAN-A" if left == "PLAN-B" else "PLAN-B")
        assert "&lt;script&gt;" in page and "<script>document" not in page
        assert 'value="csrf-value"' in page and "model" not in page.lower().replace("models", "")

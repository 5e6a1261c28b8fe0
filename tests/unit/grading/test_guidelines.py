"""The seven general guidelines, read from their template one per line."""

from rubricrl.grading.guidelines import GUIDELINES
from rubricrl.prompts import load_prompt


def test_seven_distinct_guidelines_in_template_order() -> None:
    assert len(GUIDELINES) == 7
    assert len(set(GUIDELINES)) == 7
    assert all(g == g.strip() and g for g in GUIDELINES)
    assert GUIDELINES[0].startswith("Handles all criteria")
    assert GUIDELINES[-1].startswith("Consistent")
    assert list(GUIDELINES) == [
        line for line in load_prompt("guidelines").source.splitlines() if line.strip()
    ]

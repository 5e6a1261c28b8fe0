"""The test suite. `unit/` and `integration/` mirror src/rubricrl: the tests of
`rubricrl/<package>/<module>.py` live in `<tree>/<package>/test_<module>.py` (test_mirror.py
checks it). Every folder is a package, so test modules are imported by their dotted names and
two folders may hold files of the same name."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
EXAMPLES = REPO / "examples"

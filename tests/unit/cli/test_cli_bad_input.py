"""Bad input over every command: one line naming the file or flag, exit 2, no model loaded, and
nothing left behind that would break a rerun.

Each case replaces one input of a command that is otherwise well formed. Models cannot load here:
a case that gets as far as loading one fails, since inputs must be checked first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from rubricrl import cli
from tests import REPO, builders

BAD_KINDS = ("missing", "empty", "directory", "latin1", "binary", "malformed", "wrong", "duplicate")


def good_files(root: Path) -> dict[str, Path]:
    """One well-formed file of each kind the commands read."""
    root.mkdir()
    samples = [builders.sample(f"s{i}", items=["first item", "second item"]) for i in range(2)]
    plans = [builders.plan(f"s{i}#0", sample_id=f"s{i}", text="a plan") for i in range(2)]
    grades = [builders.grade(f"s{i}#0", 1.0, sample_id=f"s{i}") for i in range(2)]
    files = {
        "samples": root / "samples.jsonl",
        "plans": root / "plans.jsonl",
        "plans_b": root / "plans_b.jsonl",
        "grades": root / "grades.jsonl",
        "papers": root / "papers.jsonl",
        "schema": root / "schema.json",
    }
    for key, rows in [
        ("samples", samples),
        ("plans", plans),
        ("plans_b", plans),
        ("grades", grades),
        ("papers", [builders.paper("p1")]),
    ]:
        files[key].write_text("".join(row.model_dump_json() + "\n" for row in rows))
    files["schema"].write_text('{"type": "object"}')
    files["run"] = root / "run"
    files["run"].mkdir()
    files["papers_dir"] = builders.paper_folder(root / "paper-files")
    return files


def bad_file(path: Path, kind: str, good: Path) -> None:
    """Turn `path` into a bad input of `kind`, based on the well-formed file `good`."""
    lines = good.read_text().splitlines(keepends=True)
    match kind:
        case "missing":
            pass
        case "empty":
            path.write_text("")
        case "directory":
            path.mkdir()
        case "latin1":
            path.write_bytes(lines[0].encode() + '{"id": "caf\xe9"}\n'.encode("latin-1"))
        case "binary":
            path.write_bytes(bytes(range(256)) * 4)
        case "malformed":
            path.write_text(lines[0] + '{"id": "x", oops\n')
        case "wrong":
            path.write_text('{"id": "x", "colour": "blue"}\n')
        case "duplicate":
            path.write_text(lines[0] + lines[0])


@dataclass(frozen=True)
class Command:
    """A command line with `{slot}` placeholders for its files; `reads` lists the JSONL slots."""

    name: str
    argv: tuple[str, ...]
    reads: tuple[str, ...]
    output: str | None = "out"


COMMANDS = [
    Command("extract", ("extract", "{papers}", "-o", "{out}"), ("papers",)),
    Command("import", ("import", "{samples}", "-o", "{out}"), ("samples",)),
    Command("split", ("split", "{samples}", "-o", "{out}"), ("samples",)),
    Command("export", ("export", "{samples}", "-o", "{out}"), ("samples",)),
    Command("grade-probe", ("grade-probe", "{samples}", "-o", "{out}"), ("samples",)),
    Command("grade", ("grade", "{samples}", "{plans}", "-o", "{out}"), ("samples", "plans")),
    Command("grade-eval", ("grade-eval", "{grades}", "{plans_b}"), ("grades",), None),
    Command("train", ("train", "--samples", "{samples}", "--output_dir", "{out}"), ("samples",)),
    Command("plan", ("plan", "{samples}", "-o", "{out}"), ("samples",)),
    Command("score", ("score", "{samples}", "{plans}", "-o", "{out}"), ("samples", "plans")),
    Command(
        "study create",
        (
            "study",
            "create",
            "--goals",
            "{samples}",
            "--plans-a",
            "{plans}",
            "--plans-b",
            "{plans_b}",
            "-o",
            "{out}",
        ),
        ("samples", "plans", "plans_b"),
    ),
    Command(
        "compare",
        (
            "compare",
            "{plans}",
            "{plans_b}",
            "--goals",
            "{samples}",
            "--judge",
            "embedded",
            "-o",
            "{out}",
        ),
        ("plans", "plans_b", "samples"),
    ),
]
# What each wrong-schema or odd row is reported as: JSONL readers name the line, the import
# reader (pandas, for three formats) names the file.
LINE_KINDS = {"latin1": ":2:", "malformed": ":2:", "wrong": ":1:", "duplicate": ":2: duplicate id"}


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Callable[..., tuple[int, str]]:
    """`rubricrl ARGS` through `main`; (exit status, stderr). Loading any model fails the test."""

    def no_models(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was loaded before the inputs were checked")

    monkeypatch.setattr("rubricrl.backends.registry.load_provider", no_models)
    monkeypatch.setattr("rubricrl.backends.encoder.load_encoder", no_models)
    monkeypatch.setenv("RUBRICRL_HOME", str(tmp_path / "home"))

    def invoke(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["rubricrl", *argv])
        with pytest.raises(SystemExit) as stopped:
            cli.main()
        return int(stopped.value.code or 0), capsys.readouterr().err

    return invoke


def argv_for(command: Command, files: dict[str, Path], out: Path) -> list[str]:
    slots = {key: str(path) for key, path in files.items()} | {"out": str(out)}
    return [part.format(**slots) for part in command.argv]


def assert_one_line(status: int, stderr: str, *needles: str) -> None:
    assert status == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


CASES = [
    (command, slot, kind)
    for command in COMMANDS
    for slot in command.reads
    for kind in BAD_KINDS
    if not (command.name == "import" and kind == "duplicate")  # import names duplicates below
]


@pytest.mark.parametrize(
    ("command", "slot", "kind"), CASES, ids=[f"{c.name}-{s}-{k}" for c, s, k in CASES]
)
def test_a_bad_input_file_is_one_line_naming_it(
    run: Callable[..., tuple[int, str]], tmp_path: Path, command: Command, slot: str, kind: str
) -> None:
    files = good_files(tmp_path / "in")
    bad = tmp_path / f"bad-{slot}.jsonl"
    bad_file(bad, kind, files[slot])
    files[slot] = bad
    out = tmp_path / "out" / "result.jsonl"
    status, stderr = run(*argv_for(command, files, out))
    where = str(bad) + (LINE_KINDS.get(kind, "") if command.name != "import" else "")
    assert_one_line(status, stderr, where)
    leftovers = list((tmp_path / "out").rglob("*")) if (tmp_path / "out").exists() else []
    assert not [p for p in leftovers if p.suffix == ".lock" or p.stat().st_size], leftovers


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.output], ids=lambda c: c.name)
def test_an_output_that_is_an_input_is_refused_untouched(
    run: Callable[..., tuple[int, str]], tmp_path: Path, command: Command
) -> None:
    files = good_files(tmp_path / "in")
    victim = files[command.reads[0]]
    before = victim.read_bytes()
    status, stderr = run(*argv_for(command, files, victim))
    assert_one_line(status, stderr, str(victim), "is also the input")
    assert victim.read_bytes() == before


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.output], ids=lambda c: c.name)
def test_a_directory_as_output_is_refused(
    run: Callable[..., tuple[int, str]], tmp_path: Path, command: Command
) -> None:
    files = good_files(tmp_path / "in")
    if command.name in ("split", "train"):  # their output is a folder
        target = tmp_path / "a-file"
        target.write_text("x")
        needle = "is a file"
    else:
        target = tmp_path / "a-folder"
        target.mkdir()
        needle = "is a directory"
    status, stderr = run(*argv_for(command, files, target))
    assert_one_line(status, stderr, str(target), needle)


FLAGS = [
    ("extract", ["--insights", "0"], "--insights 0: must be at least 1"),
    ("extract", ["--rules.keep-items", "0"], "--rules.keep-items 0: must be at least 1"),
    ("extract", ["--max-tokens", "-5"], "--max-tokens -5: must be at least 1"),
    ("extract", ["--temperature", "-1"], "--temperature -1.0: must be at least 0.0"),
    ("extract", ["--frequency-penalty", "9"], "--frequency-penalty 9.0: must be at most 2.0"),
    ("split", ["--test-fraction", "1.5"], "--test-fraction 1.5: must be at most 1.0"),
    ("grade", ["--batch-size", "0"], "--batch-size 0: must be at least 1"),
    ("grade", ["--grading.retries", "-1"], "--grading.retries -1: must be at least 0"),
    ("grade", ["--grading.min-mass", "2"], "--grading.min-mass 2.0: must be at most 1.0"),
    ("score", ["--bootstrap", "0"], "--bootstrap 0: must be at least 1"),
    ("plan", ["--n", "0"], "--n 0: must be at least 1"),
    ("plan", ["--max-tokens", "-1"], "--max-tokens -1: must be at least 1"),
    ("compare", ["--retries", "-1"], "--retries -1: must be at least 0"),
    ("compare", ["--bootstrap", "0"], "--bootstrap 0: must be at least 1"),
    ("compare", ["--temperature", "-0.5"], "--temperature -0.5: must be at least 0.0"),
    ("train", ["--lora-rank", "0"], "--lora-rank 0: must be at least 1"),
    ("train", ["--learning_rate", "abc"], "invalid float value: 'abc'"),
    ("plan", ["--n", "two"], "--n 'two': expected int"),
]


@pytest.mark.parametrize(("name", "flags", "message"), FLAGS, ids=[f[2] for f in FLAGS])
def test_an_out_of_range_flag_is_one_line_naming_it(
    run: Callable[..., tuple[int, str]], tmp_path: Path, name: str, flags: list[str], message: str
) -> None:
    command = next(c for c in COMMANDS if c.name == name)
    files = good_files(tmp_path / "in")
    status, stderr = run(*argv_for(command, files, tmp_path / "out.jsonl"), *flags)
    assert_one_line(status, stderr, message)
    assert not (tmp_path / "out.jsonl").exists()


OTHER = [
    (
        ("generate", "--prompt", "hi", "--json-schema", "{missing}"),
        "no such file or folder (--json-schema)",
    ),
    (("generate", "--prompt", "hi", "--n", "0"), "--n 0: must be at least 1"),
    (("generate", "--prompt", "hi", "--top-p", "1.5"), "--top-p 1.5: must be at most 1.0"),
    (("serve", "--model", "{missing}"), "no such file or folder (--model)"),
    (("serve", "--port", "70000"), "--port 70000: must be at most 65535"),
    (("report", "{missing}"), "no such file or folder (RUN_DIR)"),
    (("report", "{samples}"), "not a folder (RUN_DIR)"),
    (("ingest", "{missing}", "-o", "{out}"), "no such file or folder (PATHS)"),
    (("ingest", "{papers_dir}", "-o", "{papers_dir}"), "is also the input PATHS"),
    (("demo", "--papers", "{missing}"), "demo papers not found"),
    (("demo", "--test-fraction", "2"), "--test-fraction 2.0: must be at most 1.0"),
    (("import", "{missing}", "-o", "{out}"), "no such file"),
    (("grade-eval", "{grades}", "{missing}"), "no such file or folder (REFERENCE)"),
    (("study", "serve", "{missing}"), "no such file or folder (STUDY)"),
    (("study", "export", "{samples}", "-o", "{out}"), "not a study"),
    (("study", "export", "{missing}", "-o", "{out}"), "no such file or folder (STUDY)"),
    (("study", "invite", "{samples}", "ann"), "not a study"),
]


@pytest.mark.parametrize(("argv", "message"), OTHER, ids=[" ".join(a[:2]) for a, _ in OTHER])
def test_other_commands_refuse_bad_input_in_one_line(
    run: Callable[..., tuple[int, str]], tmp_path: Path, argv: tuple[str, ...], message: str
) -> None:
    files = good_files(tmp_path / "in") | {"missing": tmp_path / "missing.jsonl"}
    slots = {key: str(path) for key, path in files.items()} | {"out": str(tmp_path / "o.jsonl")}
    status, stderr = run(*[part.format(**slots) for part in argv])
    assert_one_line(status, stderr, message)


def test_import_names_a_duplicated_id(run: Callable[..., tuple[int, str]], tmp_path: Path) -> None:
    first = (REPO / "examples" / "research_plan_gen.jsonl").read_text().splitlines()[0]
    twice = tmp_path / "twice.jsonl"
    twice.write_text(f"{first}\n{first}\n")
    status, stderr = run("import", str(twice), "-o", str(tmp_path / "o.jsonl"))
    assert_one_line(status, stderr, f"{twice}: row 2: duplicate id", "(first at row 1)")

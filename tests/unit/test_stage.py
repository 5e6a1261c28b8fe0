"""The stage kernel: resume after a failure or a kill, redo, progress off a terminal, atomic
summaries, and a stage as a command."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rubricrl.cli import stage_command
from rubricrl.errors import BackendError, InputError
from rubricrl.jsonl import load_records
from rubricrl.records import Record
from rubricrl.stage import Resumable, Stage, Written, read_summary, write_summary


class Unit(Record):
    id: str
    value: int | None = None


class Totals(Record):
    units: int


UNITS = [Unit(id=f"u{n}") for n in range(5)]


def doubled(chunk: list[Unit]) -> list[Unit]:
    return [Unit(id=unit.id, value=2 * int(unit.id[1:])) for unit in chunk]


def test_a_failed_chunk_keeps_the_chunks_before_it_and_a_rerun_does_only_the_rest(
    tmp_path: Path,
) -> None:
    output, seen = tmp_path / "out.jsonl", []
    failing = Resumable("double", output, UNITS, noun="units", progress=False)
    with (
        pytest.raises(BackendError, match=r"^down; 2 of 5 units done and kept in .*out\.jsonl"),
        failing,
    ):
        for chunk in failing.chunks(2):
            if chunk[0].id == "u2":
                raise BackendError("down")
            failing.write(doubled(chunk))
    with Resumable("double", output, UNITS, noun="units", progress=False) as work:
        for chunk in work.chunks(2):
            seen += [unit.id for unit in chunk]
            work.write(doubled(chunk))
    assert seen == ["u2", "u3", "u4"]
    assert [row.value for row in load_records(output, Unit)] == [0, 2, 4, 6, 8]


def test_rows_to_redo_are_done_again(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    output.write_text(
        "".join(
            Unit(id=f"u{n}", value=None if n == 1 else n).model_dump_json() + "\n" for n in (0, 1)
        )
    )
    with Resumable(
        "double", output, UNITS, noun="units", redo=lambda row: row["value"] is None, progress=False
    ) as work:
        assert [unit.id for unit in work.todo] == ["u1", "u2", "u3", "u4"]
        for chunk in work.chunks(10):
            work.write(doubled(chunk))
    assert sorted(row.id for row in load_records(output, Unit)) == [f"u{n}" for n in range(5)]


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tests.unit.test_stage import UNITS, Unit
    from rubricrl.stage import Resumable

    def rows(chunk):
        for unit in chunk:
            yield Unit(id=unit.id, value=1)
            if unit.id == "u2":  # one row of the second chunk is on disk: say so, then hang
                print("ready", flush=True)
                sys.stdin.read()

    with Resumable("slow", Path(sys.argv[1]), UNITS, noun="units", progress=False) as work:
        for chunk in work.chunks(2):
            work.write(rows(chunk))
    """
)


def test_a_run_killed_while_writing_resumes_with_every_whole_row_kept(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(output)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert (
        child.stdout is not None and child.stdout.readline() == "ready\n"
    )  # an event, not a timer
    child.kill()
    child.wait()
    with Resumable("slow", output, UNITS, noun="units", progress=False) as work:
        assert [unit.id for unit in work.todo] == ["u3", "u4"]  # u2 was on disk before the kill
        for chunk in work.chunks(2):
            work.write(doubled(chunk))
    assert sorted(row.id for row in load_records(output, Unit)) == [f"u{n}" for n in range(5)]


def test_progress_off_a_terminal_is_one_plain_line_per_chunk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Resumable("double", tmp_path / "out.jsonl", UNITS, noun="units") as work:
        for chunk in work.chunks(2):
            work.write(doubled(chunk), status=f"{len(chunk)} doubled")
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in lines[:3]] == [
        "double: 2/5",
        "double: 4/5",
        "double: 5/5",
    ]
    assert "(1 doubled, " in lines[2]
    assert lines[3].endswith("out.jsonl: 5 rows: 5 new, 0 kept from an earlier run")


def test_a_kill_during_the_summary_write_leaves_the_old_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "grades.jsonl"
    written = write_summary(output, Totals(units=1))

    def killed(descriptor: int) -> None:
        raise KeyboardInterrupt  # the process dies after the bytes, before the rename

    monkeypatch.setattr("rubricrl.jsonl.os.fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        write_summary(output, Totals(units=2))
    assert written == tmp_path / "grades.summary.json"
    assert read_summary(written, Totals) == Totals(units=1)


def test_a_file_that_is_not_the_summary_is_named_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.summary.json"
    path.write_text(json.dumps({"rows": 3}))
    with pytest.raises(InputError, match=r"x\.summary\.json: not a totals \("):
        read_summary(path, Totals)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"\xff\xfe\x00binary", "not UTF-8 text"), (b"{not json", "Invalid JSON")],
)
def test_a_binary_or_broken_summary_is_named_in_one_line(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "x.summary.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=rf"x\.summary\.json: not a totals \({reason}"):
        read_summary(path, Totals)


class Config:
    """Write the totals."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail


class Outcome(Written):
    @property
    def failed(self) -> bool:  # type: ignore[override]
        return self.what == "nothing"


def test_a_stage_command_prints_the_summary_and_exits_1_when_it_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def run(config: Config) -> Outcome:
        return Outcome("nothing" if config.fail else "totals", Path("t.json"))

    def parse(cls: type[Config], args: list[str], prog: str) -> Config:
        return cls(fail="--fail" in args)

    monkeypatch.setattr("rubricrl.cli.parse", parse)
    app = typer.Typer()
    settings = {"allow_extra_args": True, "ignore_unknown_options": True}
    app.command("totals", context_settings=settings)(stage_command(Stage("totals", Config, run)))
    app.command("other")(lambda: None)
    ok = CliRunner().invoke(app, ["totals"])
    assert (ok.exit_code, ok.output) == (0, "wrote totals -> t.json\n")
    failed = CliRunner().invoke(app, ["totals", "--fail"])
    assert (failed.exit_code, failed.output) == (1, "wrote nothing -> t.json\n")

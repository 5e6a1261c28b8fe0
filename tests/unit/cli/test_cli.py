"""The `rubricrl` app: commands listed in pipeline order, bad input reported as one line."""

from __future__ import annotations

from tests.unit.cli.helpers import assert_one_line_error, run_cli


def test_unknown_model_spec() -> None:
    assert_one_line_error(run_cli("generate", "--model", "gpt4", "--prompt", "hi"), "gpt4")


def test_help_lists_commands_in_pipeline_order() -> None:
    from typer.testing import CliRunner

    from rubricrl.cli import _register_commands, app

    _register_commands()
    _register_commands()  # registering twice adds nothing
    names = [command.name for command in app.registered_commands]
    assert names[:13] == [
        "ingest", "extract", "import", "split", "export", "grade-probe", "grade", "grade-eval",
        "train", "plan", "score", "compare", "report",
    ]  # fmt: skip
    listed = CliRunner().invoke(app, ["--help"]).output
    assert listed.index(" ingest ") < listed.index(" grade ") < listed.index(" compare ")


def test_debug_shows_the_traceback_instead() -> None:
    result = run_cli("--debug", "generate", "--model", "gpt4", "--prompt", "hi")
    assert result.returncode == 1
    assert (
        "Traceback" in result.stderr
        and "InputError: --model: unknown model spec 'gpt4'" in result.stderr
    )

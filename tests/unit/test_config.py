"""The one config parser: flags, dotted nested flags, YAML sections, one-line errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from rubricrl.config import config_parser, parse, parse_config
from rubricrl.errors import InputError
from rubricrl.model_spec import EMBEDDED, ModelSpec


@dataclass(frozen=True)
class Inner:
    mode: Literal["fast", "slow"] = field(
        default="fast", metadata={"help": "How.", "flags": ("--mode",)}
    )
    level: int = field(default=1, metadata={"help": "Level.", "min": 0})
    seed: int | None = None


@dataclass(frozen=True, kw_only=True)
class Outer:
    """A stage for the tests."""

    source: Path = field(metadata={"help": "Input.", "positional": True})
    output: Path = field(metadata={"help": "Output.", "flags": ("-o",)})
    judge: tuple[str, ...] = field(default=(), metadata={"help": "Repeatable."})
    cache: bool = field(default=True, metadata={"help": "Cache."})
    inner: Inner = field(default_factory=Inner)
    other: Inner | None = None


def test_flags_nested_flags_and_repeats() -> None:
    config = parse(
        Outer,
        [
            *("in.jsonl", "-o", "out.jsonl", "--inner.level", "3", "--judge", "a"),
            *("--judge", "b", "--no-cache", "--mode", "slow", "--inner.seed", "none"),
        ],
        "t",
    )
    assert config == Outer(
        source=Path("in.jsonl"),
        output=Path("out.jsonl"),
        judge=("a", "b"),
        cache=False,
        inner=Inner(mode="slow", level=3, seed=None),
    )


def test_optional_section_is_none_unless_given() -> None:
    assert parse(Outer, ["x", "-o", "y"], "t").other is None
    given = parse(Outer, ["x", "-o", "y", "--other.level", "0"], "t").other
    assert given == Inner(level=0)


def test_alias_goes_to_the_first_section_only() -> None:
    config = parse(Outer, ["x", "-o", "y", "--mode", "slow"], "t")
    assert config.inner.mode == "slow" and config.other is None


def test_yaml_sections_and_flags_win(tmp_path: Path) -> None:
    settings = tmp_path / "stage.yaml"
    settings.write_text("source: a\noutput: b\ninner:\n  level: 5\n  mode: slow\ncache: false\n")
    config = parse(Outer, ["--config", str(settings), "--inner.level", "7"], "t")
    assert (config.source, config.inner, config.cache) == (Path("a"), Inner("slow", 7), False)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", "y"], "SOURCE is required"),
        (["x"], "--output is required"),
        (["x", "-o", "y", "--inner.mode", "odd"], "--inner.mode 'odd': expected one of fast, slow"),
        (["x", "-o", "y", "--inner.level", "1.5"], "--inner.level '1.5': expected int"),
        (["x", "-o", "y", "--inner.level", "-1"], "--inner.level -1: must be at least 0"),
        (["x", "-o", "y", "--cache", "maybe"], "--cache 'maybe': expected true or false"),
        (["x", "-o", "y", "--nope", "1"], "t: unrecognized arguments: --nope 1"),
    ],
)
def test_bad_flags_are_one_line_errors(argv: list[str], message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(Outer, argv, "t")
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("source: a\nbogus: 1\n", "unknown setting 'bogus'"),
        ("source: a\ninner: 3\n", "`inner` must be a mapping"),
        ("source: a\ninner:\n  what: 1\n", "unknown setting 'inner.what'"),
        ("[1, 2]\n", "expected a mapping of settings"),
        ("source: [\n", "not valid YAML"),
        ("source: a\nlr: 1\n", "put it under `trainer:`"),
    ],
)
def test_bad_yaml_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    settings = tmp_path / "stage.yaml"
    settings.write_text(text)
    with pytest.raises(InputError, match=r"stage\.yaml") as caught:
        parse_config(
            Outer, ["--config", str(settings), "-o", "y"], "t", foreign={"trainer": {"lr"}}
        )
    assert message in str(caught.value)


def test_foreign_sections_and_unknown_flags_are_handed_back(tmp_path: Path) -> None:
    settings = tmp_path / "stage.yaml"
    settings.write_text("source: a\ntrainer:\n  lr: 0.1\n")
    argv = ["--config", str(settings), "-o", "y", "--lr=0.2"]
    config, rest, sections = parse_config(Outer, argv, "t", foreign={"trainer": {"lr"}})
    assert config.source == Path("a") and rest == ["--lr=0.2"]
    assert sections == {"trainer": {"lr": 0.1}}


def test_help_shows_required_arguments_and_defaults() -> None:
    text = config_parser(Outer, "rubricrl t").format_help()
    assert text.startswith("usage: rubricrl t SOURCE --output OUTPUT [options]")
    assert "--inner.level INT" in text and "(default: 1)" in text
    assert "A stage for the tests." in text


@dataclass(frozen=True)
class Models:
    model: ModelSpec = field(default=EMBEDDED, metadata={"help": "Model."})
    grader: ModelSpec | None = field(default=None, metadata={"help": "Grader."})
    judge: tuple[ModelSpec, ...] = field(default=(), metadata={"help": "Judges."})


def test_model_spec_fields_are_parsed_once(tmp_path: Path) -> None:
    argv = ["--model", "hf:/m", "--judge", "embedded", "--judge", "openai:http://h/v1#q"]
    config = parse(Models, argv, "t")
    assert config == Models(
        model=ModelSpec("hf", "/m"),
        judge=(EMBEDDED, ModelSpec("openai", "http://h/v1", "q")),
    )
    settings = tmp_path / "run.yaml"
    settings.write_text("grader: embed:/bge\n", encoding="utf-8")
    assert parse(Models, ["--config", str(settings)], "t").grader == ModelSpec("embed", "/bge")
    assert parse(Models, [], "t") == Models()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "gpt4"], "--model: unknown model spec 'gpt4': expected embedded"),
        (["--grader", "openai:h#m"], "--grader: model spec 'openai:h#m': expected openai:"),
        (["--judge", "embedded", "--judge", "hf:"], "--judge: unknown model spec 'hf:'"),
    ],
)
def test_a_bad_model_spec_is_a_one_line_error_naming_the_flag(
    argv: list[str], message: str
) -> None:
    with pytest.raises(InputError, match="^" + re.escape(message)) as error:
        parse(Models, argv, "t")
    assert "\n" not in str(error.value)


def test_help_shows_a_spec_metavar_and_the_default_spec_text() -> None:
    text = config_parser(Models, "rubricrl t").format_help()
    assert "--model SPEC" in text and "(default: embedded)" in text
    assert "--judge SPEC" in text

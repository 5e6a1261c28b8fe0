"""One config mechanism for every stage: a dataclass with help metadata becomes flags and YAML.

Nested dataclass fields are YAML sections and dotted flags (`--grading.dense true`). Values come
from the dataclass defaults, then `--config stage.yaml`, then flags. Fields are `option(...)`,
whose metadata the parser reads: `help`, `positional` (an argument, not a flag), `flags` (extra
names such as `-o`), `min` and `max` (the allowed range), `input` ("file", "dir" or "path": must
exist before anything loads) and `output` ("file" or "dir": must not be an input nor the wrong
kind of thing). An input of kind "file-or-name" may also be a name (a hub dataset's): it is
checked only if it exists. A `ModelSpec` field is parsed here, once; `--help` shows its text.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import yaml

from rubricrl.errors import InputError
from rubricrl.model_spec import ModelSpec

T = TypeVar("T")
TRUE, FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}
UNSET: Any = argparse.SUPPRESS  # a flag not given leaves no value, so YAML and defaults show


def option(
    default: Any = dataclasses.MISSING,
    help: str = "",
    *,
    factory: Any = dataclasses.MISSING,
    **metadata: Any,
) -> Any:
    """A config field: its default (`factory` builds a fresh one each time; neither: required),
    its help text, and what the parser reads of it (`min`, `max`, `flags`, `positional`, `input`,
    `output`)."""
    return dataclasses.field(
        default=default, default_factory=factory, metadata={"help": help, **metadata}
    )


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one-line InputErrors instead of a usage dump."""

    def error(self, message: str) -> typing.NoReturn:
        raise InputError(f"{self.prog}: {message}")


def _optional(hint: Any) -> tuple[Any, bool]:
    """(the type inside `X | None`, whether None is allowed)."""
    if get_origin(hint) in (typing.Union, types.UnionType):
        inner = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(inner) == 1:
            return inner[0], True
    return hint, False


def _is_config(hint: Any) -> bool:
    """Whether `hint` is a nested section (a ModelSpec is a dataclass too, but one value)."""
    return dataclasses.is_dataclass(hint) and isinstance(hint, type) and hint is not ModelSpec


def _scalar(hint: Any, name: str, value: Any) -> Any:
    """`value` (text from a flag, or a YAML value) as the field's type; InputError if it is not."""
    if get_origin(hint) is Literal:
        if value not in get_args(hint):
            choices = ", ".join(map(str, get_args(hint)))
            raise InputError(f"{name} {value!r}: expected one of {choices}")
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        if str(value).lower() in TRUE | FALSE:
            return str(value).lower() in TRUE
        raise InputError(f"{name} {value!r}: expected true or false")
    if hint in (int, float):
        if isinstance(value, bool):  # YAML's `yes` is not a number
            raise InputError(f"{name} {value!r}: expected a number")
        try:
            return int(str(value)) if hint is int else float(value)
        except ValueError:
            raise InputError(f"{name} {value!r}: expected {hint.__name__}") from None
    if hint is Path:
        return Path(value)
    if hint is ModelSpec:
        return parse_spec(name, value)
    return str(value)


def parse_spec(name: str, value: Any) -> ModelSpec:
    """`value` parsed as a model spec; InputError naming the flag `name` if it is not one."""
    if isinstance(value, ModelSpec):
        return value
    try:
        return ModelSpec.parse(str(value))
    except InputError as error:
        raise InputError(f"{name}: {error}") from None


def _convert(hint: Any, name: str, value: Any) -> Any:
    hint, nullable = _optional(hint)
    if value is None or (nullable and isinstance(value, str) and value.lower() in ("none", "null")):
        if not nullable:
            raise InputError(f"{name}: a value is required")
        return None
    if get_origin(hint) in (tuple, list):
        items = value if isinstance(value, list | tuple) else [value]
        converted = [_scalar(get_args(hint)[0], name, item) for item in items]
        return tuple(converted) if get_origin(hint) is tuple else converted
    return _scalar(hint, name, value)


class _Fields:
    """The leaf fields of a config class, nested sections flattened to dotted names."""

    def __init__(self, cls: type, prefix: str = "") -> None:
        self.cls = cls
        self.leaves: dict[str, tuple[dataclasses.Field[Any], Any]] = {}
        self.sections: dict[str, _Fields] = {}
        hints = get_type_hints(cls)
        for item in dataclasses.fields(cls):
            hint, _ = _optional(hints[item.name])
            if _is_config(hint):
                self.sections[item.name] = _Fields(hint, f"{prefix}{item.name}.")
            else:
                self.leaves[item.name] = (item, hints[item.name])
        self.prefix = prefix

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        for name, (item, hint) in self.leaves.items():
            dest = self.prefix + name
            meta = item.metadata
            default = _default(item)
            shown = "" if default is dataclasses.MISSING else f" (default: {_show(default)})"
            help_text = meta.get("help", "") + shown
            inner, _ = _optional(hint)
            many = get_origin(inner) in (tuple, list)
            if meta.get("positional") and not self.prefix:
                # Optional for argparse, so a YAML file may give it; `build` checks presence.
                nargs = "*" if many else "?"
                parser.add_argument(
                    dest, nargs=nargs, default=UNSET, help=help_text, metavar=name.upper()
                )
                continue
            flags = [f"--{dest.replace('_', '-')}"]
            if "_" in dest:
                flags.append(f"--{dest}")  # TRL's spelling, as `train` takes it
            # Extra names (`-o`, or `--verdicts` for `--grading.verdicts`) go to the first field
            # that claims them, so two sections of one class never collide.
            flags += [f for f in meta.get("flags", ()) if f not in parser._option_string_actions]
            kind: dict[str, Any] = {"metavar": _metavar(inner)}
            if inner is bool:
                kind = {"nargs": "?", "const": "true", "metavar": "true|false"}
            elif many:
                kind["action"] = "append"
            parser.add_argument(*flags, dest=dest, default=UNSET, help=help_text, **kind)
            if inner is bool and not self.prefix:
                parser.add_argument(
                    f"--no-{dest.replace('_', '-')}",
                    dest=dest,
                    action="store_const",
                    const="false",
                    default=UNSET,
                    help=argparse.SUPPRESS,
                )
        for section in self.sections.values():
            section.add_to(parser)

    def build(self, values: dict[str, Any], source: str) -> Any:
        """An instance from flat dotted `values` (unknown keys already refused)."""
        kwargs: dict[str, Any] = {}
        for name, (item, hint) in self.leaves.items():
            dest = self.prefix + name
            if dest in values:
                value = _convert(hint, _flag(dest, item), values[dest])
                _check_range(value, item, f"{source}{_flag(dest, item)}")
                kwargs[name] = value
            elif _default(item) is dataclasses.MISSING:
                raise InputError(f"{source}{_flag(dest, item)} is required")
        hints = get_type_hints(self.cls)
        for name, section in self.sections.items():
            given = any(key.startswith(section.prefix) for key in values)
            _, nullable = _optional(hints[name])
            if given or not nullable:
                kwargs[name] = section.build(values, source)
        return self.cls(**kwargs)

    def usage(self) -> list[str]:
        """The arguments a user must give: positionals first, then required flags."""
        required = [
            (item, name)
            for name, (item, _) in self.leaves.items()
            if _default(item) is dataclasses.MISSING
        ]
        positional = [name.upper() for item, name in required if item.metadata.get("positional")]
        flags = [
            f"{_flag(name, item)} {name.upper()}"
            for item, name in required
            if not item.metadata.get("positional")
        ]
        return positional + flags


def _check_range(value: Any, item: dataclasses.Field[Any], flag: str) -> None:
    low, high = item.metadata.get("min"), item.metadata.get("max")
    for number in value if isinstance(value, tuple | list) else [value]:
        if number is None:
            continue
        if low is not None and number < low:
            raise InputError(f"{flag} {number}: must be at least {low}")
        if high is not None and number > high:
            raise InputError(f"{flag} {number}: must be at most {high}")


def _paths(value: Any) -> list[Path]:
    """The paths a field holds (a str field naming a file counts; "" and None are no path)."""
    return [Path(p) for p in (value if isinstance(value, tuple | list) else [value]) if p]


def check_paths(config: Any, source: str = "") -> None:
    """Refuse missing or unreadable inputs and outputs that would overwrite an input, naming
    the file and its flag, before any stage loads a model."""
    inputs = []
    for item in dataclasses.fields(config):
        kind, flag = item.metadata.get("input"), _flag(item.name, item)
        for path in _paths(getattr(config, item.name)) if kind else []:
            inputs.append((flag, path))
            if kind == "file-or-name" and not path.exists():
                continue
            if not path.exists():
                raise InputError(f"{source}{path}: no such file or folder ({flag})")
            if kind in ("file", "file-or-name") and path.is_dir():
                raise InputError(f"{source}{path}: is a directory, expected a file ({flag})")
            if kind == "dir" and not path.is_dir():
                raise InputError(f"{source}{path}: not a folder ({flag})")
            if not os.access(path, os.R_OK):
                raise InputError(f"{source}{path}: not readable ({flag})")
    for item in dataclasses.fields(config):
        kind, flag = item.metadata.get("output"), _flag(item.name, item)
        for path in _paths(getattr(config, item.name)) if kind else []:
            check_output(path, flag, str(kind), inputs, source)


def check_output(
    path: Path, flag: str, kind: str, inputs: Sequence[tuple[str, Path]], source: str = ""
) -> None:
    """Refuse an output `path` (a "file" or a "dir") that is one of the (flag, path) `inputs`
    or the wrong kind of thing."""
    for input_flag, read in inputs:
        if os.path.realpath(read) == os.path.realpath(path):
            raise InputError(
                f"{source}{path}: {flag} is also the input {input_flag}; writing it"
                " would destroy that input, so choose another output"
            )
    if kind == "file" and path.is_dir():
        raise InputError(f"{source}{path}: is a directory; give a file path ({flag})")
    if kind == "dir" and path.exists() and not path.is_dir():
        raise InputError(f"{source}{path}: is a file; give a folder ({flag})")


def _default(item: dataclasses.Field[Any]) -> Any:
    if item.default is not dataclasses.MISSING:
        return item.default
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return dataclasses.MISSING


def _show(value: Any) -> str:
    if isinstance(value, tuple | list):
        return " ".join(map(str, value)) or "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _metavar(hint: Any) -> str:
    if get_origin(hint) is Literal:
        return "|".join(map(str, get_args(hint)))
    if get_origin(hint) in (tuple, list):
        return _metavar(get_args(hint)[0])
    if hint is ModelSpec:
        return "SPEC"
    return getattr(hint, "__name__", "VALUE").upper()


def _flag(dest: str, item: dataclasses.Field[Any]) -> str:
    return dest.upper() if item.metadata.get("positional") else f"--{dest.replace('_', '-')}"


def flatten_yaml(
    values: dict[str, Any], fields: _Fields, source: str, foreign: Mapping[str, set[str]]
) -> dict[str, Any]:
    """A YAML mapping (sections nested) as flat dotted values; unknown keys are refused, with a
    hint when the key belongs in one of the `foreign` sections."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        dotted = fields.prefix + str(key)
        if key in fields.sections:
            if not isinstance(value, dict):
                raise InputError(f"{source}: `{dotted}` must be a mapping of settings")
            flat.update(flatten_yaml(value, fields.sections[key], source, {}))
        elif key in fields.leaves:
            flat[dotted] = value
        else:
            home = [name for name, keys in foreign.items() if key in keys]
            where = (
                f"put it under `{home[0]}:`"
                if home
                else "known: " + ", ".join(sorted([*fields.leaves, *fields.sections]))
            )
            raise InputError(f"{source}: unknown setting {dotted!r} ({where})")
    return flat


def _check_foreign(section: Any, name: str, known: set[str], path: Path) -> None:
    if not isinstance(section, dict):
        raise InputError(f"{path}: `{name}` must be a mapping of settings")
    unknown = sorted(set(section) - known)
    if unknown:
        raise InputError(f"{path}: unknown setting {name}.{unknown[0]}")


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping; InputError naming the file when it is not one."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"{path}: no such file") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(loaded, dict):
        raise InputError(f"{path}: expected a mapping of settings")
    return loaded


def config_parser(cls: type, prog: str, description: str | None = None) -> argparse.ArgumentParser:
    """The argparse parser of a config class (with `--config`), for parsing and for `--help`."""
    return _parser(_Fields(cls), prog, description)


def _parser(fields: _Fields, prog: str, description: str | None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        usage=" ".join([prog, *fields.usage(), "[options]"]),
        description=description or (fields.cls.__doc__ or "").strip(),
    )
    parser.add_argument("--config", type=Path, help="Settings YAML; flags override its values.")
    fields.add_to(parser)
    return parser


def parse_config(
    cls: type[T],
    argv: Sequence[str],
    prog: str,
    *,
    description: str | None = None,
    foreign: Mapping[str, set[str]] | None = None,
) -> tuple[T, list[str], dict[str, Any]]:
    """(`cls` from defaults, `--config` YAML and flags; the arguments it does not know; the
    YAML sections named in `foreign`, which belong to another parser with the fields given).

    Without `foreign`, every argument must belong to `cls`.
    """
    fields = _Fields(cls)
    parser = _parser(fields, prog, description)
    if foreign:
        parsed, rest = parser.parse_known_args(list(argv))
    else:
        parsed, rest = parser.parse_args(list(argv)), []
    values: dict[str, Any] = {}
    others: dict[str, Any] = {}
    config_file = vars(parsed).pop("config", None)
    if config_file is not None:
        loaded = read_yaml(config_file)
        others = {name: loaded.pop(name) for name in foreign or {} if name in loaded}
        for name, section in others.items():
            _check_foreign(section, name, (foreign or {})[name], config_file)
        values.update(flatten_yaml(loaded, fields, str(config_file), foreign or {}))
    values.update(vars(parsed))
    source = f"{config_file}: " if config_file is not None else f"{prog}: "
    config = fields.build(values, source)
    check_paths(config, f"{prog}: ")
    return config, rest, others


def parse(cls: type[T], argv: Sequence[str], prog: str, description: str | None = None) -> T:
    """`cls` from `--config` YAML and flags; every argument must belong to it."""
    return parse_config(cls, argv, prog, description=description)[0]

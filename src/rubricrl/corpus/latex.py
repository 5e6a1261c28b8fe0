"""LaTeX papers: a main `.tex` file or an arXiv source bundle (`.tar.gz`, `.tgz`, `.gz`).

Comments are stripped, `\\input`/`\\include` resolved recursively, argument-free and simple
`\\newcommand` macros expanded, floats reduced to their captions, and what is left turned into
text by pylatexenc. The body ends at the bibliography or `\\appendix`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from pylatexenc.latex2text import LatexNodes2Text

from rubricrl.corpus.common import build_paper
from rubricrl.errors import InputError
from rubricrl.records import Paper

Files = Callable[[str], bytes | None]

_COMMENT = re.compile(r"(?<!\\)%.*")
_COMMENT_ENV = re.compile(r"\\begin\{comment\}.*?\\end\{comment\}", re.DOTALL)
_INPUT = re.compile(r"\\(input|include)(?:\s*\{([^}]*)\}|\s+([^\s{}\\]+))")
_DEFINITION = re.compile(
    r"\\(?:(?:re|provide)?newcommand\*?\s*\{?\s*\\([A-Za-z]+)\s*\}?\s*(?:\[(\d)\])?\s*(?:\[[^\]]*\])?"
    r"|\\def\s*\\([A-Za-z]+))\s*(?=\{)"
)
_FLOAT = re.compile(
    r"\\begin\{(figure|table|wrapfigure|algorithm|tabular|tabularx)(\*?)\}.*?\\end\{\1\2\}",
    re.DOTALL,
)
_BODY_END = re.compile(
    r"\\bibliography\s*\{|\\begin\{thebibliography\}|\\printbibliography|\\appendix\b"
)
_ABSTRACT = re.compile(r"\\begin\{abstract\}(.*?)\\end\{abstract\}", re.DOTALL)
_SUBJECT = re.compile(r"pdfsubject\s*=\s*\{?([^},]+)")
_MACRO = re.compile(r"\\([A-Za-z]+)")
_EXPANSION_PASSES = 4
_MAX_DEPTH = 20
_TO_TEXT = LatexNodes2Text(math_mode="with-delimiters")


def _decode(data: bytes) -> str:
    # old arXiv sources are often Latin-1; every byte string decodes as Latin-1
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def strip_comments(text: str) -> str:
    """Remove `%` comments (not `\\%`) and `comment` environments."""
    return _COMMENT_ENV.sub("", _COMMENT.sub("", text))


def _group(text: str, start: int) -> tuple[str, int] | None:
    """The `{...}` group opening at `start` (after spaces): its content and the index past it."""
    while start < len(text) and text[start] in " \t\n":
        start += 1
    if start >= len(text) or text[start] != "{":
        return None
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char == "\\":
            continue
        if char == "{" and text[index - 1] != "\\":
            depth += 1
        elif char == "}" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index], index + 1
    return None


def _macro_argument(text: str, name: str) -> str:
    """The first argument of `\\name[optional]{...}` in text, or ""."""
    match = re.search(rf"\\{name}\*?\s*(?:\[[^\]]*\])?\s*(?=\{{)", text)
    found = _group(text, match.end()) if match else None
    return found[0] if found else ""


def _resolve(source: str, text: str, files: Files, label: str, chain: tuple[str, ...]) -> str:
    """Replace `\\input`/`\\include` by the (comment-stripped, resolved) file they name."""

    def include(match: re.Match[str]) -> str:
        target = (match.group(2) or match.group(3) or "").strip()
        name = posixpath.normpath(target.removeprefix("./"))
        for candidate in (name, f"{name}.tex"):
            data = files(candidate)
            if data is not None:
                if candidate in chain or len(chain) > _MAX_DEPTH:
                    raise InputError(f"{label}: \\{match.group(1)} loop through {candidate}")
                inner = strip_comments(_decode(data))
                return _resolve(candidate, inner, files, label, (*chain, candidate))
        raise InputError(f"{label}: \\{match.group(1)}{{{target}}} in {source}: file not found")

    return _INPUT.sub(include, text)


def _definitions(text: str) -> tuple[dict[str, tuple[int, str]], str]:
    """User macros `name -> (argument count, body)`, and the text without their definitions."""
    macros: dict[str, tuple[int, str]] = {}
    kept, position = [], 0
    for match in _DEFINITION.finditer(text):
        if match.start() < position:
            continue
        body = _group(text, match.end())
        if body is None:
            continue
        macros[match.group(1) or match.group(3)] = (int(match.group(2) or 0), body[0])
        kept.append(text[position : match.start()])
        position = body[1]
    kept.append(text[position:])
    return macros, "".join(kept)


def _expand(text: str, macros: dict[str, tuple[int, str]]) -> str:
    """Expand user macros, a few passes deep (macros may use macros); `#n` takes the n-th group."""
    # \xspace would swallow the space after it once the macro is expanded in place
    text = text.replace("\\xspace", "{}")
    macros = {
        name: (count, body.replace("\\xspace", "{}")) for name, (count, body) in macros.items()
    }
    for _ in range(_EXPANSION_PASSES):
        out, position, changed = [], 0, False
        for match in _MACRO.finditer(text):
            if match.start() < position or match.group(1) not in macros:
                continue
            count, body = macros[match.group(1)]
            end, arguments = match.end(), []
            for _ in range(count):
                group = _group(text, end)
                if group is None:
                    break
                arguments.append(group[0])
                end = group[1]
            if len(arguments) < count:
                continue
            for number, argument in enumerate(arguments, start=1):
                body = body.replace(f"#{number}", argument)
            out += [text[position : match.start()], body]
            position, changed = end, True
        text = "".join([*out, text[position:]])
        if not changed:
            break
    return text


def _floats_to_captions(text: str) -> str:
    """Keep only the caption of each figure/table (tabular data reads badly as prose)."""
    return _FLOAT.sub(lambda m: f"\n\n{_macro_argument(m.group(0), 'caption')}\n\n", text)


def to_text(latex: str) -> str:
    """LaTeX fragment to plain text via pylatexenc; math keeps its `$` delimiters."""
    return _TO_TEXT.latex_to_text(latex)


def _sections(body: str) -> list[tuple[str, str]]:
    """Split at `\\section`; sub-headings become their own lines inside the section text."""
    starts = list(re.finditer(r"\\section\*?\s*(?:\[[^\]]*\])?\s*(?=\{)", body))
    sections = []
    ends = [match.start() for match in starts[1:]] + [len(body)]
    for here, end in zip(starts, ends, strict=True):
        heading = _group(body, here.end())
        if heading is None:
            continue
        chunk = body[heading[1] : end]
        chunk = re.sub(
            r"\\(?:sub)*section\*?\s*(?:\[[^\]]*\])?\s*\{([^{}]*)\}|\\paragraph\*?\s*\{([^{}]*)\}",
            lambda m: f"\n\n{m.group(1) or m.group(2)}\n\n",
            chunk,
        )
        sections.append((to_text(heading[0]), to_text(chunk)))
    return sections


def parse_latex(path: Path, data: bytes, main: str, files: Files, domain: str | None) -> Paper:
    """Build a Paper from the main file's text and a way to read the files it includes."""
    source = files(main)
    if source is None:
        raise InputError(f"{path}: main file {main} not found")
    text = _resolve(main, strip_comments(_decode(source)), files, str(path), (main,))
    macros, text = _definitions(text)
    begin = text.find("\\begin{document}")
    if begin < 0:
        raise InputError(f"{path}: not a main LaTeX file (no \\begin{{document}} in {main})")
    preamble, body = text[:begin], text[begin + len("\\begin{document}") :]
    body = body.split("\\end{document}")[0]
    ending = _BODY_END.search(body)
    body = _floats_to_captions(_expand(body[: ending.start()] if ending else body, macros))
    abstract = _ABSTRACT.search(body)
    abstract_text = abstract.group(1) if abstract else _macro_argument(body, "abstract")
    title = _expand(_macro_argument(preamble + body, "title"), macros)
    title = re.sub(r"\\thanks\s*\{[^{}]*\}|\\\\", " ", title)
    subject = _SUBJECT.search(preamble)
    return build_paper(
        path=path,
        data=data,
        paper_format="latex",
        title=to_text(title),
        abstract=to_text(abstract_text),
        sections=_sections(body[abstract.end() :] if abstract else body),
        domain=domain or (subject.group(1).strip() if subject else None),
    )


def read_tex(path: Path, data: bytes, domain: str | None = None) -> Paper:
    """A main `.tex` file on disk; included files are looked up beside it."""
    root = path.parent

    def files(name: str) -> bytes | None:
        if name == path.name:
            return data
        candidate = root / name
        return candidate.read_bytes() if candidate.is_file() else None

    return parse_latex(path, data, path.name, files, domain)

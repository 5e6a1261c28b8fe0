"""Turn files and folders of papers into `papers.jsonl`: one reader per format, failures listed.

A bad file never stops a batch: it becomes a `Failure` with a one-line reason. Papers whose
id is already in the output are skipped, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import RenderableType

from rubricrl.config import option
from rubricrl.corpus.bundle import read_bundle
from rubricrl.corpus.common import paper_id
from rubricrl.corpus.jats import read_jats
from rubricrl.corpus.latex import read_tex, strip_comments
from rubricrl.corpus.pdf import read_pdf
from rubricrl.corpus.text import read_markdown, read_plain
from rubricrl.errors import InputError, RubricRLError
from rubricrl.jsonl import JsonlWriter
from rubricrl.progress import progress_bar
from rubricrl.records import Paper

Reader = Callable[[Path, bytes, str | None], Paper]

READERS: dict[str, Reader] = {
    ".pdf": read_pdf,
    ".tex": read_tex,
    ".gz": read_bundle,
    ".tgz": read_bundle,
    ".nxml": read_jats,
    ".xml": read_jats,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_plain,
}


@dataclass(frozen=True, kw_only=True)
class IngestConfig:
    """Parse papers (PDF, LaTeX, JATS XML, Markdown/text) into Paper records; resumable."""

    paths: list[Path] = option(
        help="Paper files or folders (searched recursively).", positional=True, input="path"
    )
    output: Path = option(
        help="Papers JSONL (ids already there are skipped).", flags=("-o",), output="file"
    )
    errors: Path | None = option(
        None, "Write failures here: .tsv, or JSONL otherwise.", output="file"
    )
    domain: str | None = option(None, "Domain for every paper, overriding file metadata.")


@dataclass(frozen=True)
class Failure:
    """A file or folder that gave no paper, and why (one line)."""

    source: str
    reason: str


@dataclass
class IngestReport:
    """What one run did: papers written per format, ids already present, failures, files passed over."""

    output: Path
    written: Counter[str] = field(default_factory=Counter)
    already_done: int = 0
    failures: list[Failure] = field(default_factory=list)
    passed_over: Counter[str] = field(default_factory=Counter)

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def render(self) -> RenderableType:
        """Papers written per format, then the files passed over and each failure, a line each."""
        formats = ", ".join(f"{fmt} {n}" for fmt, n in sorted(self.written.items())) or "none"
        lines = [
            f"wrote {sum(self.written.values())} papers ({formats}) to {self.output}; "
            f"{self.already_done} already there; {len(self.failures)} failed"
        ]
        if self.passed_over:
            kinds = ", ".join(f"{n} {s}" for s, n in sorted(self.passed_over.items()))
            lines.append(f"passed over (not papers): {kinds}")
        lines += [f"failed: {failure.source}: {failure.reason}" for failure in self.failures]
        return "\n".join(lines)


def _fail(path: Path, message: str) -> Failure:
    """A Failure whose reason drops the `path: ` prefix that error messages start with."""
    reason = message.splitlines()[0] if message else "unknown error"
    return Failure(str(path), reason.removeprefix(f"{path}: "))


def _is_tex_fragment(path: Path) -> bool:
    """A `.tex` without `\\documentclass` is a part that some main file includes, not a paper."""
    if path.suffix.lower() != ".tex":
        return False
    text = path.read_bytes().decode("utf-8", errors="replace")
    return "\\documentclass" not in strip_comments(text)


def discover(paths: Iterable[Path], report: IngestReport) -> list[Path]:
    """Paper files under `paths` (folders searched recursively, hidden files skipped).

    A named file of an unknown type, a missing path, or a folder holding no paper are failures;
    unknown types and `.tex` fragments inside a folder are only counted in `passed_over`.
    """
    found: list[Path] = []
    supported = ", ".join(sorted(READERS))
    for path in paths:
        if not path.exists():
            report.failures.append(Failure(str(path), "no such file or folder"))
        elif path.is_file():
            if path.suffix.lower() in READERS:
                found.append(path)
            else:
                reason = (
                    f"unsupported file type '{path.suffix or path.name}' (supported: {supported})"
                )
                report.failures.append(Failure(str(path), reason))
        else:
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            papers = [p for p in files if p.suffix.lower() in READERS and not _is_tex_fragment(p)]
            chosen = set(papers)
            others = Counter(p.suffix.lower() or "(none)" for p in files if p not in chosen)
            report.passed_over.update(others)
            if not papers:
                kinds = ", ".join(f"{n} {s}" for s, n in sorted(others.items()))
                reason = (
                    f"no papers found ({kinds} files; supported: {supported})"
                    if files
                    else "empty folder"
                )
                report.failures.append(Failure(str(path), reason))
            found.extend(papers)
    return found


def _reader(path: Path) -> Reader:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(f"{path}: unsupported file type '{path.suffix}'")
    return reader


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None


def read_paper(path: Path, domain: str | None = None) -> Paper:
    """Parse one paper file with the reader for its suffix; bad input raises InputError."""
    return _reader(path)(path, _read_bytes(path), domain)


def ingest(paths: Iterable[Path], output: Path, *, domain: str | None = None) -> IngestReport:
    """Parse every paper under `paths` into `output` (JSONL of Paper), resuming by id.

    `domain` overrides what a file's metadata says. Progress shows each file's one-line status.
    """
    report = IngestReport(output)
    files = discover(paths, report)
    # Not a Resumable: a paper's id hashes its bytes, so knowing what is done up front would
    # read every file twice; each file is checked against the output as it is read instead.
    with JsonlWriter(output) as writer, progress_bar("ingest", len(files)) as bar:
        for path in files:
            bar.advance(status=_ingest_one(path, writer, domain, report))
    return report


def ingest_papers(config: IngestConfig) -> IngestReport:
    """`rubricrl ingest`: the config's papers into its output, failures to `--errors` if given."""
    report = ingest(config.paths, config.output, domain=config.domain)
    if config.errors is not None:
        write_failures(config.errors, report.failures)
    return report


def _ingest_one(path: Path, writer: JsonlWriter, domain: str | None, report: IngestReport) -> str:
    """Ingest one file into the writer and report; returns its one-line status."""
    try:
        data = _read_bytes(path)
        if paper_id(path, data) in writer:
            report.already_done += 1
            return f"= {path}: already in output"
        paper = _reader(path)(path, data, domain)
    except RubricRLError as error:
        failure = _fail(path, str(error))
    except Exception as error:  # a parser bug on one odd file must not end the batch
        failure = _fail(path, f"{type(error).__name__}: {error}")
    else:
        writer.write(paper)
        report.written[paper.format] += 1
        return f"+ {path}: {paper.format}, {len(paper.sections)} sections"
    report.failures.append(failure)
    return f"x {path}: {failure.reason}"


def write_failures(path: Path, failures: list[Failure]) -> None:
    """Write failures as TSV (`.tsv`) or JSONL (anything else), replacing the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".tsv":
            rows = csv.writer(handle, delimiter="\t", lineterminator="\n")
            rows.writerow(["source", "reason"])
            rows.writerows([f.source, f.reason] for f in failures)
        else:
            handle.writelines(
                json.dumps({"source": f.source, "reason": f.reason}) + "\n" for f in failures
            )

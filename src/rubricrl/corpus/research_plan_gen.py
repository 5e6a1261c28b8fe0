"""The schema of the paper's released dataset, `facebook/research-plan-gen`, in and out.

A row holds `Goal`, `Rubric` (list of strings), `Reference solution`, `article_id`, `q_id`,
`Subdomain`, `Category` and `Identifier`. Imported samples keep those ids (sample id
`article_id:q_id`, rubric item ids `i1..iN`), so results line up with published numbers.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import RenderableType

from rubricrl.config import option
from rubricrl.errors import InputError
from rubricrl.jsonl import load_records
from rubricrl.records import Provenance, RubricItem, Sample
from rubricrl.stage import Resumable, Written

HUB_NAME = "facebook/research-plan-gen"
CREATOR = "research-plan-gen"
LOCAL_SUFFIXES = (".parquet", ".jsonl", ".json", ".csv")
IMPORT_CHUNK = 1000  # samples per write, and per step of progress
COLUMNS = (
    "Goal",
    "Rubric",
    "Reference solution",
    "article_id",
    "q_id",
    "Subdomain",
    "Category",
    "Identifier",
)


class RowError(ValueError):
    """A row that does not fit the schema; the message is the one-line reason."""


@dataclass(frozen=True, kw_only=True)
class ImportConfig:
    """Import samples in the research-plan-gen schema, keeping the original ids."""

    source: str = option(
        HUB_NAME,
        "Hub dataset name, or a parquet/JSONL/CSV file.",
        positional=True,
        input="file-or-name",
    )
    output: Path = option(help="Samples JSONL to append to.", flags=("-o",), output="file")
    subset: str | None = option(None, "Hub configuration: ml, arxiv or pubmed.")
    split: str = option("train", "Hub split: train or test.")
    domain: str | None = option(
        None, "Domain to record (default: the subset, else each row's Category)."
    )


@dataclass(frozen=True, kw_only=True)
class ExportConfig:
    """Write samples in the research-plan-gen schema, to share them the same way."""

    samples: Path = option(help="Samples JSONL.", positional=True, input="file")
    output: Path = option(help="A .parquet, .jsonl or .csv file.", flags=("-o",), output="file")


@dataclass
class ImportReport:
    """What an import did: samples new in the output, already there, and rows that did not fit."""

    output: Path
    imported: int = 0
    skipped_existing: int = 0
    bad_rows: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.bad_rows)

    def render(self) -> RenderableType:
        """A line per bad row, then what was imported."""
        return "\n".join(
            [
                *(f"skipped {line}" for line in self.bad_rows),
                f"imported {self.imported} samples ({self.skipped_existing} already there, "
                f"{len(self.bad_rows)} bad rows) -> {self.output}",
            ]
        )


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # NaN: pandas' gap


def _text(row: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = row.get(key)
    if _absent(value):
        if required:
            raise RowError(f"missing {key!r}")
        return None
    text = str(value).strip()
    if required and not text:
        raise RowError(f"empty {key!r}")
    return text or None


def _rubric(row: dict[str, Any]) -> list[str]:
    value: Any = row.get("Rubric")
    if _absent(value):
        raise RowError("missing 'Rubric'")
    if isinstance(value, str):  # CSV cells hold the list as JSON or as a Python literal
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            try:
                value = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                raise RowError("'Rubric' is not a list") from None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RowError("'Rubric' is not a list of strings")
    items = [item.strip() for item in value if item.strip()]
    if not items:
        raise RowError("'Rubric' is empty")
    return items


def sample_from_row(row: dict[str, Any], domain: str | None) -> Sample:
    """One dataset row as a Sample; RowError names what is wrong with it. Without a `domain`
    (the hub subset, or --domain) the row's Category stands in, so no goal is "unknown"."""
    article_id = _text(row, "article_id")
    question_id = _text(row, "q_id")
    category = _text(row, "Category", required=False)
    return Sample(
        id=f"{article_id}:{question_id}",
        goal=str(_text(row, "Goal")),
        rubric=[RubricItem(id=f"i{k}", text=text) for k, text in enumerate(_rubric(row), 1)],
        reference_solution=_text(row, "Reference solution", required=False) or "",
        provenance=Provenance(
            paper_id=str(article_id),
            domain=domain or category,
            creator=CREATOR,
            question_id=question_id,
            subdomain=_text(row, "Subdomain", required=False),
            category=category,
            identifier=_text(row, "Identifier", required=False),
        ),
    )


def row_from_sample(sample: Sample) -> dict[str, Any]:
    """A Sample as a row of the released schema (mined samples: question id = insight number)."""
    provenance = sample.provenance
    return {
        "Goal": sample.goal,
        "Rubric": [item.text for item in sample.rubric],
        "Reference solution": sample.reference_solution,
        "article_id": provenance.paper_id,
        "q_id": provenance.question_id or sample.id.rsplit(":", 1)[-1],
        "Subdomain": provenance.subdomain or "",
        "Category": provenance.category or "",
        "Identifier": provenance.identifier or "",
    }


def read_rows(source: str, config: str | None, split: str) -> Iterator[dict[str, Any]]:
    """Rows of a local parquet/JSONL/CSV file, or of the hub dataset when `source` is its name."""
    path = Path(source)
    if path.suffix in LOCAL_SUFFIXES:
        if not path.is_file():
            raise InputError(f"{source}: no such file")
        yield from _read_local(path)
        return
    if path.exists():
        raise InputError(f"{source}: expected one of {', '.join(LOCAL_SUFFIXES)}")
    yield from _read_hub(source, config, split)


def _read_local(path: Path) -> Iterator[dict[str, Any]]:
    import pandas as pd

    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_json(path, lines=path.suffix == ".jsonl", dtype=False)
    except (ValueError, OSError) as error:
        raise InputError(f"{path}: cannot read ({str(error).splitlines()[0][:120]})") from None
    yield from frame.to_dict(orient="records")


def _read_hub(name: str, config: str | None, split: str) -> Iterator[dict[str, Any]]:
    import datasets

    try:
        dataset = datasets.load_dataset(name, config, split=split)
    except Exception as error:  # the hub raises many kinds; the user needs the first line only
        first_line = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
        raise InputError(f"{name} (config {config}, split {split}): {first_line}") from None
    yield from dataset


def _samples(
    source: str, rows: Iterable[dict[str, Any]], domain: str | None, report: ImportReport
) -> list[Sample]:
    """The rows as Samples; bad rows go to `report`, a repeated id or no good row stops it."""
    samples: list[Sample] = []
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        try:
            sample = sample_from_row(row, domain)
        except RowError as error:
            report.bad_rows.append(f"{source}: row {number}: {error}")
            continue
        if sample.id in first_row:
            raise InputError(
                f"{source}: row {number}: duplicate id {sample.id!r} (first at row"
                f" {first_row[sample.id]}); nothing imported"
            )
        first_row[sample.id] = number
        samples.append(sample)
    if not samples:
        reason = report.bad_rows[0] if report.bad_rows else f"{source}: no rows"
        raise InputError(f"{reason} (no row could be imported)")
    return samples


def import_samples(config: ImportConfig) -> ImportReport:
    """`rubricrl import`: append the source's rows to the output as Samples, resuming by id.
    Every row is checked before any is written; bad rows are listed, the rest imported."""
    report = ImportReport(config.output)
    rows = read_rows(config.source, config.subset, config.split)
    samples = _samples(config.source, rows, config.domain or config.subset, report)
    with Resumable("import", config.output, samples, noun="samples") as work:
        report.skipped_existing = work.finished
        for chunk in work.chunks(IMPORT_CHUNK):
            report.imported += work.write(chunk)
    return report


def _in_released_schema(path: Path) -> bool:
    """Whether a JSONL file's first row is a released-schema row (it has a `Goal`)."""
    try:
        with path.open(encoding="utf-8") as handle:
            first = next((line for line in handle if line.strip()), "")
        return "Goal" in json.loads(first)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError):
        return False  # load_records reports what is wrong with the file


def load_goals(path: Path) -> list[Sample]:
    """Goals from a samples JSONL file or from a file in the released schema (parquet, CSV or
    JSONL rows with `Goal` and `Rubric`), so any goal set can be probed or graded."""
    if path.suffix == ".jsonl" and not _in_released_schema(path):
        return load_records(path, Sample)
    samples = []
    for number, row in enumerate(read_rows(str(path), None, "train"), start=1):
        try:
            samples.append(sample_from_row(row, None))
        except RowError as error:
            raise InputError(f"{path}: row {number}: {error}") from None
    return samples


def export(config: ExportConfig) -> Written:
    """`rubricrl export`: the samples file in the released schema."""
    samples = load_records(config.samples, Sample)
    export_samples(samples, config.output)
    return Written(f"{len(samples)} samples", config.output)


def export_samples(samples: list[Sample], out_path: Path) -> None:
    """Write samples in the released schema as parquet, JSONL or CSV (by the file's suffix)."""
    import pandas as pd

    if out_path.suffix not in LOCAL_SUFFIXES:
        raise InputError(f"{out_path}: expected one of {', '.join(LOCAL_SUFFIXES)}")
    frame = pd.DataFrame([row_from_sample(sample) for sample in samples], columns=list(COLUMNS))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if out_path.suffix == ".parquet":
        frame.to_parquet(out_path, index=False)
    elif out_path.suffix == ".csv":
        frame.assign(Rubric=frame["Rubric"].map(json.dumps)).to_csv(out_path, index=False)
    else:
        frame.to_json(out_path, orient="records", lines=out_path.suffix == ".jsonl")

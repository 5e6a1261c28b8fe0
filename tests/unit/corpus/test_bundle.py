"""arXiv-style source bundles: the compiled main file found among distractors, single .gz files."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from rubricrl.corpus.bundle import read_bundle
from rubricrl.errors import InputError
from tests import FIXTURES

# A main file that \inputs parts/method.tex, with macros, a figure and a bibliography.
MAIN = (FIXTURES / "latex" / "paper.tex").read_text(encoding="utf-8")
METHOD = (FIXTURES / "latex" / "parts" / "method.tex").read_text(encoding="utf-8")


def bundle(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue())


def test_bundle_picks_compiled_main_file_over_distractors(tmp_path: Path) -> None:
    distractor = MAIN.replace(r"\title{The \ours Method", r"\title{Old Draft")
    data = bundle(
        {
            "./ms.tex": MAIN,
            "./ms.bbl": "",
            "./_old-draft.tex": distractor + "%" + "padding " * 500,
            "./._ms.tex": "\x00\x05binary resource fork",
            "./parts/method.tex": METHOD,
        }
    )
    paper = read_bundle(tmp_path / "1234.5678.tar.gz", data)
    assert paper.title == "The Widget Method"
    assert paper.id.startswith("1234-5678-")
    assert len(paper.sections) == 2


def test_gzipped_single_tex_file(tmp_path: Path) -> None:
    single = MAIN.replace(r"\input{parts/method}", METHOD)
    paper = read_bundle(tmp_path / "2001.00001.gz", gzip.compress(single.encode()))
    assert [s.heading for s in paper.sections] == ["Introduction", "Method"]


def test_bundle_without_main_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no main \.tex file"):
        read_bundle(tmp_path / "b.tar.gz", bundle({"part.tex": METHOD}))


def test_bundle_that_is_not_gzip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a gzip archive"):
        read_bundle(tmp_path / "b.tar.gz", b"plain bytes")

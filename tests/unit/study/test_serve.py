"""Serving: loopback by default, and a second server on the same file refused with the pid."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.study.serve import StudyServeConfig, serve_study
from rubricrl.writelock import WriteLock, lock_path
from tests.builders import study_file


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

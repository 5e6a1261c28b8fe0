"""Serving: loopback by default, and a second server on the same file refused with the pid."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.study.serve import StudyServeConfig, lock_path, serving_lock


def test_the_server_binds_loopback_unless_told_otherwise() -> None:
    assert StudyServeConfig(study=Path("s.sqlite")).host == "127.0.0.1"


def test_a_second_server_on_the_same_file_is_refused_naming_the_pid(tmp_path: Path) -> None:
    study = tmp_path / "s.sqlite"
    with serving_lock(study):
        assert lock_path(study).read_text().strip() == str(os.getpid())
        second = serving_lock(study)
        with pytest.raises(InputError, match=rf"already served by pid {os.getpid()} \(lock "):
            second.__enter__()
    with serving_lock(study):  # released when the first server stopped
        pass

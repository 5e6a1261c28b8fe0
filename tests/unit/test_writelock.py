"""One writer per output: the lock refuses a second holder, names the first, and leaves no file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rubricrl.errors import InputError
from rubricrl.writelock import WriteLock, lock_path

HOLD = (
    "import sys, time; from pathlib import Path; from rubricrl.writelock import WriteLock; "
    "WriteLock(Path(sys.argv[1])); print('held', flush=True); time.sleep(60)"
)


def test_a_second_process_is_told_who_holds_the_file(tmp_path: Path) -> None:
    output = tmp_path / "grades.jsonl"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(output)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(
            InputError, match=rf"grades\.jsonl: another rubricrl run .*pid {holder.pid}"
        ):
            WriteLock(output)
    finally:
        holder.kill()
        holder.wait()
    WriteLock(output).release()  # a killed holder's lock dies with it


def test_release_removes_the_lock_file_and_frees_the_path(tmp_path: Path) -> None:
    output = tmp_path / "plans.jsonl"
    lock = WriteLock(output)
    assert lock_path(output).read_text() == f"{os.getpid()}\n"
    lock.release()
    assert not lock_path(output).exists()
    WriteLock(output).release()

"""Data-parallel GRPO on CPU: two gloo processes under `accelerate launch` take one step together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import REPO
from tests.integration.training.test_run import _tiny

pytestmark = pytest.mark.model

GLOO = REPO / "configs" / "accelerate" / "cpu_gloo.yaml"


def test_two_cpu_processes_take_one_step(tmp_path: Path) -> None:
    launcher = Path(sys.executable).parent
    command = [
        str(launcher / "accelerate"), "launch", "--config_file", str(GLOO),
        "--num_processes", "2",
        "--main_process_port", "29517", str(launcher / "rubricrl"), "train",
        *_tiny(tmp_path, "--max_steps", "1", "--save_steps", "1",
               "--num_generations", "2", "--per_device_train_batch_size", "1"),
    ]  # fmt: skip
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [
        json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [row["step"] for row in rows] == [1]  # one row, written by the main process only
    assert rows[0]["reward_mean"] is not None
    assert (tmp_path / "run" / "checkpoint-1" / "trainer_state.json").is_file()

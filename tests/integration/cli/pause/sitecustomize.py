"""A pause point for the kill tests, loaded by each `rubricrl` they start (this folder leads its
PYTHONPATH, and Python imports `sitecustomize` at start-up).

When RUBRICRL_TEST_PAUSE_FD names an inherited pipe, the run stops right after its Nth new row
(RUBRICRL_TEST_PAUSE_AFTER, default 1) is on disk, says "paused" on the pipe and waits for a
signal. The test kills or interrupts it there, so where the kill lands never depends on how fast
the machine is.
"""

import os
import time

_PIPE = os.environ.get("RUBRICRL_TEST_PAUSE_FD")

if _PIPE:
    from rubricrl.jsonl import JsonlWriter

    _after = int(os.environ.get("RUBRICRL_TEST_PAUSE_AFTER", "1"))
    _write = JsonlWriter.write
    _new_rows = 0

    def _write_then_pause(self: JsonlWriter, record: object) -> bool:
        global _new_rows
        new = _write(self, record)  # type: ignore[arg-type]
        _new_rows += new
        if new and _new_rows == _after:
            os.write(int(_PIPE), b"paused\n")
            os.close(int(_PIPE))
            while True:  # until a signal: SIGINT raises out of here, SIGKILL ends it
                time.sleep(0.05)  # a signal that lands just before the sleep still counts
        return new

    JsonlWriter.write = _write_then_pause  # type: ignore[method-assign]

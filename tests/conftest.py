"""Settings for the whole suite, set before any test module imports torch.

One torch thread per process: the suite must pass on a busy machine, and with two threads a
model test waits at every parallel region for a thread the neighbour's load has descheduled
(a smoke benchmark ran 6x slower that way beside a demo). Tests check behaviour, not speed;
`OMP_NUM_THREADS` set beforehand wins.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

"""The command's two streams: results on stdout; progress, warnings and errors on stderr.

Tables keep their columns when a stream is a file or a pipe.
"""

from __future__ import annotations

import sys

from rich.console import Console

console = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 160)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)

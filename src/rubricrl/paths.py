"""Where rubricrl keeps its state: `RUBRICRL_HOME`, by default ~/.cache/rubricrl."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The state folder (converted models, the response cache), created on first use."""
    root = Path(os.environ.get("RUBRICRL_HOME", Path.home() / ".cache" / "rubricrl"))
    root.mkdir(parents=True, exist_ok=True)
    return root

"""Where rubricrl keeps its state: `RUBRICRL_HOME`, by default ~/.cache/rubricrl."""

from __future__ import annotations

import os
from pathlib import Path

from rubricrl.errors import InputError


def home() -> Path:
    """The state folder (converted models, the response cache), created on first use."""
    root = Path(os.environ.get("RUBRICRL_HOME", Path.home() / ".cache" / "rubricrl"))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"{root}: cannot create rubricrl's state folder ({error.strerror});"
            " set RUBRICRL_HOME to a writable folder"
        ) from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise InputError(
            f"{root}: rubricrl's state folder is not writable; set RUBRICRL_HOME to a writable folder"
        )
    return root

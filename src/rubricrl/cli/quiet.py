"""Third-party chatter that tells a rubricrl user nothing, silenced where the CLI starts.

Each entry says why it is noise. `rubricrl --debug COMMAND` keeps all of it, and a variable the
user set beforehand wins over ours.
"""

from __future__ import annotations

import os
import warnings

# Progress bars of transformers and huggingface_hub (loading weights, de-quantizing a GGUF,
# writing shards): each lasts a second or two and breaks the stage's own progress lines.
# transformers' advisory log lines (generation flags it ignores, a default it picked) describe
# its internals, not the user's run.
ENVIRONMENT = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error"}

# (message pattern, category) of warnings about library internals or about hardware the user
# knowingly does not have.
WARNINGS: list[tuple[str, type[Warning]]] = [
    (r".*'pin_memory' argument is set as true but no accelerator is found", UserWarning),
    (r"`is_gradient_checkpointing` is deprecated", FutureWarning),  # TRL calls transformers
]


def quiet_third_parties() -> None:
    """Set the environment and warning filters above for this process and its children."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    for message, category in WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)

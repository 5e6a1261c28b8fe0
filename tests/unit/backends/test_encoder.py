"""Encoder specs: a folder that is not a model, or no such folder, is one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.backends.encoder import load_encoder
from rubricrl.errors import InputError


def test_a_folder_without_config_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no config\.json"):
        load_encoder(str(tmp_path))


@pytest.mark.parametrize("target", ["./missing", "/no/such/encoder", "a/b/c"])
def test_an_unknown_path_is_named(target: str) -> None:
    with pytest.raises(InputError, match=f"embed:{target}: no such model folder"):
        load_encoder(target)

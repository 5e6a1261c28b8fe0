"""The local transformers backend: batched chat generation with a lean KV-cached decode loop.

The loop calls the model directly (no `generate`): one forward per token for the whole
micro-batch, finished rows dropped from the cache, and a token prefix shared by every row
prefilled once. On CPUs with bf16 instructions the weights run in bf16, which halves the
memory traffic that bounds decoding speed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
import xgrammar as xgr
from tqdm import tqdm
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    DynamicCache,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from rubricrl.backends.base import Completion, Conversation, JsonSchema, Sampling
from rubricrl.backends.constrained import GrammarRows, SchemaCompiler
from rubricrl.backends.embedded import embedded_model_dir
from rubricrl.backends.registry import ModelSpec
from rubricrl.errors import BackendError, InputError

DEFAULT_MICRO_BATCH = 16
MIN_SHARED_PREFIX = 16  # tokens: a shorter shared prefix does not repay its separate prefill
HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")
DTYPE_VARIABLE = "RUBRICRL_DTYPE"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def default_dtype(device: torch.device) -> torch.dtype:
    """`RUBRICRL_DTYPE` when set, else bf16 where the hardware computes it natively (fp16 on
    older GPUs) and fp32 elsewhere. Forcing a dtype runs the other numerics on any machine."""
    forced = os.environ.get(DTYPE_VARIABLE, "auto")
    if forced != "auto":
        if forced not in DTYPES:
            choices = ", ".join(["auto", *DTYPES])
            raise InputError(f"{DTYPE_VARIABLE}={forced!r}: not one of {choices}")
        return DTYPES[forced]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else torch.float32


def resolve_model_path(path: str) -> str:
    """`path` as a local folder or a hub id; InputError when it can be neither."""
    folder = Path(path).expanduser()
    if folder.exists():
        if not (folder / "config.json").exists():
            raise InputError(f"model folder {path}: no config.json (not a transformers model)")
        return str(folder)
    if not HUB_ID.match(path) or path.startswith("."):
        raise InputError(f"model folder {path}: not found")
    return path


def shared_prefix_length(prompts: list[list[int]]) -> int:
    """Tokens every prompt starts with, leaving each at least one token of its own to prefill."""
    shortest = min(len(p) for p in prompts)
    length = 0
    while length < shortest - 1 and all(p[length] == prompts[0][length] for p in prompts):
        length += 1
    return length


@dataclass
class Row:
    """One generated sequence: its prompt, the tokens so far, and how it ended."""

    prompt: list[int]
    tokens: list[int] = field(default_factory=list)
    finish: str = ""
    text: str = ""


class LocalBackend:
    """A ChatBackend over an in-process transformers causal LM and its chat template."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        spec: str = "local",
        micro_batch: int = DEFAULT_MICRO_BATCH,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.spec = spec
        self.micro_batch = micro_batch
        self.device = next(model.parameters()).device
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        eos = model.generation_config.eos_token_id
        ids = eos if isinstance(eos, list) else [eos]
        self.stop_ids = {i for i in [*ids, tokenizer.eos_token_id] if i is not None}
        self._schemas: SchemaCompiler | None = None

    @classmethod
    def from_spec(cls, spec: str, micro_batch: int = DEFAULT_MICRO_BATCH) -> LocalBackend:
        """`embedded` or `hf:PATH_OR_ID`."""
        parsed = ModelSpec.parse(spec)
        if parsed.provider == "embedded":
            return cls.from_pretrained(embedded_model_dir(), spec=spec, micro_batch=micro_batch)
        if parsed.provider == "hf":
            return cls.from_pretrained(parsed.target, spec=spec, micro_batch=micro_batch)
        raise InputError(f"model spec {spec!r} is not a local model (embedded or hf:PATH)")

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        spec: str | None = None,
        micro_batch: int = DEFAULT_MICRO_BATCH,
    ) -> LocalBackend:
        """Load a frozen copy (eval mode, no gradients) of the model at `path`."""
        source = resolve_model_path(str(path))
        place = torch.device(device) if device is not None else default_device()
        try:
            tokenizer = AutoTokenizer.from_pretrained(source)
            model = AutoModelForCausalLM.from_pretrained(
                source, dtype=dtype or default_dtype(place)
            )
        except (OSError, ValueError) as error:
            reason = str(error).strip().splitlines()[0]
            raise InputError(f"cannot load model {source}: {reason}") from None
        model.eval().requires_grad_(False)
        model.to(place)  # type: ignore[arg-type]  # transformers types `to` oddly
        return cls(model, tokenizer, spec=spec or f"hf:{source}", micro_batch=micro_batch)

    def batch(
        self,
        conversations: list[Conversation],
        sampling: Sampling,
        schema: JsonSchema | None = None,
    ) -> list[Completion]:
        prompts = [self._encode(c) for c in conversations]
        rows = [Row(prompt) for prompt in prompts for _ in range(sampling.n)]
        # Sorting by tokens puts prompts sharing a prefix in the same micro-batch.
        order = sorted(range(len(rows)), key=lambda i: rows[i].prompt)
        chunks = [
            order[start : start + self.micro_batch]
            for start in range(0, len(order), self.micro_batch)
        ]
        generator = None
        if sampling.seed is not None:
            generator = torch.Generator(self.device).manual_seed(sampling.seed)
        try:
            for chunk in tqdm(chunks, desc=self.spec, leave=False, disable=len(chunks) < 2):
                self._generate([rows[i] for i in chunk], sampling, schema, generator)
        except RuntimeError as error:
            done = self._completions(prompts, rows, sampling.n, finished_only=True)
            reason = str(error).strip().splitlines()[0]
            raise BackendError(f"{self.spec}: generation failed: {reason}", done) from None
        completions = self._completions(prompts, rows, sampling.n)
        return [completions[i] for i in range(len(prompts))]

    def _encode(self, conversation: Conversation) -> list[int]:
        turns = [{"role": m["role"], "content": m["content"]} for m in conversation]
        text = self.tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
        return list(self.tokenizer(str(text), add_special_tokens=False).input_ids)

    def _completions(
        self, prompts: list[list[int]], rows: list[Row], n: int, finished_only: bool = False
    ) -> dict[int, Completion]:
        """Completions by conversation index (with `finished_only`, those whose n rows ended)."""
        found: dict[int, Completion] = {}
        for index, prompt in enumerate(prompts):
            group = rows[index * n : (index + 1) * n]
            if finished_only and not all(row.finish for row in group):
                continue
            found[index] = Completion(
                texts=[row.text for row in group],
                prompt_tokens=len(prompt),
                completion_tokens=sum(len(row.tokens) for row in group),
                finish_reasons=[row.finish for row in group],
            )
        return found

    def tokens_to_close(self, schema: JsonSchema) -> int:
        """The smallest `max_tokens` this backend accepts for replies under `schema`."""
        return self._compiler().tokens_to_close(schema)

    def _compiler(self) -> SchemaCompiler:
        if self._schemas is None:
            vocab = int(self.model.config.get_text_config().vocab_size)
            info = xgr.TokenizerInfo.from_huggingface(
                self.tokenizer, vocab_size=vocab, stop_token_ids=sorted(self.stop_ids)
            )
            self._schemas = SchemaCompiler(info)
        return self._schemas

    @torch.inference_mode()
    def _generate(
        self,
        rows: list[Row],
        sampling: Sampling,
        schema: JsonSchema | None,
        generator: torch.Generator | None,
    ) -> None:
        """Decode one micro-batch in place, filling each row's tokens, text and finish reason."""
        grammar = None
        if schema is not None:
            grammar = self._compiler().rows(schema, len(rows), sampling.max_tokens)
        cache, logits, mask, positions = self._prefill([row.prompt for row in rows])
        active = list(range(len(rows)))
        counts = torch.zeros(len(rows), logits.shape[-1], device=self.device)
        while True:
            rows_now = torch.tensor(active, device=self.device)
            if sampling.frequency_penalty:
                logits -= sampling.frequency_penalty * counts[rows_now]
            if grammar is not None:
                grammar.mask(logits, active)
            picked = pick_tokens(logits, sampling, generator)
            keep: list[int] = []
            for slot, (index, token) in enumerate(zip(active, picked.tolist(), strict=True)):
                taken, finished = self._step(rows[index], token, sampling, grammar, index)
                picked[slot] = taken
                if not finished:
                    keep.append(slot)
            counts[rows_now, picked] += 1
            if not keep:
                return
            if len(keep) < len(active):
                # Finished rows leave the batch, so long replies do not drag short ones along.
                selected = torch.tensor(keep, device=self.device)
                cache.batch_select_indices(selected)
                mask, positions, picked = mask[selected], positions[selected], picked[selected]
                active = [active[slot] for slot in keep]
            mask = torch.cat([mask, mask.new_ones(len(active), 1)], dim=1)
            positions = positions + 1
            output = self.model(
                input_ids=picked[:, None],
                attention_mask=mask,
                position_ids=positions[:, None],
                cache=cache,
                use_cache=True,
            )
            logits = output.logits[:, -1].float()

    def _step(
        self, row: Row, token: int, sampling: Sampling, grammar: GrammarRows | None, index: int
    ) -> tuple[int, bool]:
        """Add `token` (or the grammar's replacement) to `row`; return it and whether the row ended."""
        ended = False
        if grammar is not None:
            token, ended = grammar.accept(index, token, sampling.max_tokens - len(row.tokens))
        row.tokens.append(token)
        ended = ended or token in self.stop_ids
        full = len(row.tokens) >= sampling.max_tokens
        if sampling.stop or ended or full:  # decoding every step is only needed to spot stops
            text = str(self.tokenizer.decode(row.tokens, skip_special_tokens=True))
            cut = min((text.find(s) for s in sampling.stop if s in text), default=-1)
            if cut >= 0:
                text, ended = text[:cut], True
            row.text = text
        if ended:
            row.finish = "stop"
        elif full:
            row.finish = "length"
        return token, bool(row.finish)

    def _prefill(
        self, prompts: list[list[int]]
    ) -> tuple[DynamicCache, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run the prompts; return the cache, last logits, attention mask and last positions."""
        cache = DynamicCache(config=self.model.config)
        shared = shared_prefix_length(prompts) if len(prompts) > 1 else 0
        if shared >= MIN_SHARED_PREFIX:
            prefix = torch.tensor([prompts[0][:shared]], device=self.device)
            self.model(input_ids=prefix, cache=cache, use_cache=True, logits_to_keep=1)
            cache.batch_repeat_interleave(len(prompts))
        else:
            shared = 0
        # Left padding sits between the shared prefix and each row's own tokens; the mask hides it.
        width = max(len(p) for p in prompts) - shared
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), shared + width), dtype=torch.long)
        mask[:, :shared] = 1
        for i, prompt in enumerate(prompts):
            own = prompt[shared:]
            ids[i, width - len(own) :] = torch.tensor(own)
            mask[i, shared + width - len(own) :] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
        output = self.model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions[:, shared:],
            cache=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        return cache, output.logits[:, -1].float(), mask, positions[:, -1]


def pick_tokens(
    logits: torch.Tensor, sampling: Sampling, generator: torch.Generator | None
) -> torch.Tensor:
    """Next token per row: argmax at temperature 0, else nucleus sampling."""
    if sampling.temperature <= 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits / sampling.temperature, dim=-1)
    if sampling.top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        # Drop a token when the tokens ranked above it already reach top_p.
        outside = sorted_probs.cumsum(dim=-1) - sorted_probs > sampling.top_p
        sorted_probs[outside] = 0.0
        probs = torch.zeros_like(probs).scatter_(-1, order, sorted_probs)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)

"""The local transformers backend: batched chat generation with a lean KV-cached decode loop.

The loop calls the model directly (no `generate`): one forward per token for the whole
micro-batch, finished rows dropped from the cache, and a token prefix shared by every row
prefilled once. Long prompts are prefilled one by one on the cache of the stored earlier prompt
they share most with (a paper's text, say), so a shared prefix runs once across batches too.
Choice probabilities are a prefill only, over a trie of shared prefixes. On
CPUs with bf16 instructions the weights run in bf16, which halves the memory traffic that
bounds decoding speed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
import xgrammar as xgr
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    DynamicCache,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from rubricrl.backends.base import ChoiceProbs, Completion, Conversation, JsonSchema, Sampling
from rubricrl.backends.constrained import GrammarRows, SchemaCompiler
from rubricrl.backends.embedded import embedded_model_dir
from rubricrl.backends.prefixes import (
    PrefixGroup,
    PrefixStore,
    cropped,
    plan_prefix_groups,
    shared_prefix_length,
    stack_left_padded,
)
from rubricrl.errors import BackendError, InputError
from rubricrl.model_spec import ModelSpec
from rubricrl.progress import step_progress

DEFAULT_MICRO_BATCH = 16
MIN_SHARED_PREFIX = 16  # tokens: a shorter shared prefix does not repay its separate prefill
# Prompts this long are prefilled one by one and kept (a batched prefill of them gains little on
# a CPU); a stored prefix is reused from MIN_REUSED tokens. The store's bound is in bytes.
LONG_PROMPT = 512
MIN_REUSED = 64
PREFIX_STORE_BYTES = 1 << 30
HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")
DTYPE_VARIABLE = "RUBRICRL_DTYPE"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@contextmanager
def decode_attention(model: PreTrainedModel) -> Iterator[None]:
    """Eager attention while decoding on a CPU, the model's own elsewhere and for prefill.

    For one query token per row over a few hundred cached ones, torch's CPU flash kernel costs
    more than plain matmuls: SmolLM2-135M in bf16, 8 rows x 128 tokens after the 265-token plan
    prompt of GRPO rollouts, decoded at 56-59 tok/s with sdpa and 70-77 with eager, side by side
    on 2 cores; after 25-40-token prompts the two were within noise (benchmarks/backends.py).
    Prefill keeps sdpa: 8 x 800 tokens took 10.2 s with it and 21.2 s with eager."""
    before = model.config._attn_implementation
    if model.device.type != "cpu" or before != "sdpa":
        yield
        return
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(before)


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
    """`path` as a local folder (a model, or a LoRA adapter over one) or a hub id; InputError
    when it can be neither."""
    folder = Path(path).expanduser()
    if folder.exists():
        if not any((folder / name).exists() for name in ("config.json", "adapter_config.json")):
            raise InputError(
                f"model folder {path}: no config.json (not a transformers model or LoRA adapter)"
            )
        return str(folder)
    if not HUB_ID.match(path) or path.startswith("."):
        raise InputError(f"model folder {path}: not found")
    return path


def merge_adapters(model: PreTrainedModel) -> None:
    """Fold the LoRA adapters transformers loaded from an adapter folder into the base weights,
    so decoding pays no extra matmuls (the model is frozen from here on)."""
    if not getattr(model, "peft_config", None):
        return
    from peft.tuners.lora import LoraLayer

    for module in model.modules():
        if isinstance(module, LoraLayer):
            module.merge()


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
        self.reuse_prefixes = True  # False runs every prompt whole (for comparison)
        self.prefixes = PrefixStore(PREFIX_STORE_BYTES)
        # `logits_to_keep` for the last position, as an index tensor rather than `1`: transformers
        # slices `1` as a strided view that torch's matmul cannot fold, so the output embedding
        # is copied once per row (0.67 s vs 4 ms for 10 rows of SmolLM2 on one CPU core).
        self.last_position = torch.tensor([-1], device=self.device)
        self._schemas: SchemaCompiler | None = None

    @classmethod
    def from_spec(cls, spec: ModelSpec, micro_batch: int = DEFAULT_MICRO_BATCH) -> LocalBackend:
        """`embedded` or `hf:PATH_OR_ID`."""
        text = str(spec)
        if spec.provider == "embedded":
            return cls.from_pretrained(embedded_model_dir(), spec=text, micro_batch=micro_batch)
        if spec.provider == "hf":
            return cls.from_pretrained(spec.target, spec=text, micro_batch=micro_batch)
        raise InputError(f"model spec {text!r} is not a local model (embedded or hf:PATH)")

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
        merge_adapters(model)
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
        generator = None
        if sampling.seed is not None:
            generator = torch.Generator(self.device).manual_seed(sampling.seed)
        try:
            self.decode(rows, sampling, schema, generator)
        except RuntimeError as error:
            done = self._completions(prompts, rows, sampling.n, finished_only=True)
            reason = str(error).strip().splitlines()[0]
            raise BackendError(f"{self.spec}: generation failed: {reason}", done) from None
        completions = self._completions(prompts, rows, sampling.n)
        return [completions[i] for i in range(len(prompts))]

    def decode(
        self,
        rows: list[Row],
        sampling: Sampling,
        schema: JsonSchema | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        """Decode `rows` (token prompts) in place, a micro-batch at a time; `sampling.n` is not
        read here (one row is one reply)."""
        # Sorting by tokens puts prompts sharing a prefix in the same micro-batch.
        order = sorted(range(len(rows)), key=lambda i: rows[i].prompt)
        chunks = [
            order[start : start + self.micro_batch]
            for start in range(0, len(order), self.micro_batch)
        ]
        with step_progress(self.spec, len(chunks)) as step:
            for chunk in chunks:
                self._generate([rows[i] for i in chunk], sampling, schema, generator)
                step()

    def choice_probs(
        self, conversations: list[Conversation], choices: tuple[str, ...]
    ) -> list[ChoiceProbs]:
        """Per conversation, the probability of each choice's first token at the reply's start.

        One prefill over a trie of shared prefixes (system prompt, then e.g. a plan shared by its
        rubric items): each shared prefix runs once, its cache copied to what follows it.
        """
        if not choices:
            raise InputError("choice_probs needs at least one choice")
        if not conversations:
            return []
        texts = [self._prompt_text(c) for c in conversations]
        prompts = [self._tokens(text) for text in texts]
        targets = [self._choice_ids(t, p, choices) for t, p in zip(texts, prompts, strict=True)]
        plan = plan_prefix_groups(
            prompts, MIN_SHARED_PREFIX if self.reuse_prefixes else sys.maxsize
        )
        found: dict[int, ChoiceProbs] = {}
        try:
            with torch.inference_mode():
                empty = DynamicCache(config=self.model.config)
                for index, probs in self._prefill_group(plan, prompts, empty, 0):
                    values = probs[targets[index]].tolist()
                    found[index] = ChoiceProbs(dict(zip(choices, values, strict=True)))
        except RuntimeError as error:
            reason = str(error).strip().splitlines()[0]
            raise BackendError(f"{self.spec}: prefill failed: {reason}", found) from None
        return [found[i] for i in range(len(prompts))]

    def _choice_ids(self, text: str, prompt: list[int], choices: tuple[str, ...]) -> list[int]:
        """Each choice's first token as it tokenizes right after the prompt `text`."""
        joined = self.tokenizer([text + c for c in choices], add_special_tokens=False).input_ids
        ids: list[int] = []
        for choice, tokens in zip(choices, joined, strict=True):
            # A choice that merges with the prompt's last token has no token of its own to read.
            if tokens[: len(prompt)] != prompt or len(tokens) == len(prompt):
                raise InputError(f"choice {choice!r} does not start a token of its own in a reply")
            ids.append(tokens[len(prompt)])
        for i, token in enumerate(ids):
            if token in ids[:i]:
                other = choices[ids.index(token)]
                raise InputError(
                    f"choices {other!r} and {choices[i]!r} do not differ at their first token"
                )
        return ids

    def _prefill_group(
        self, group: PrefixGroup, prompts: list[list[int]], parent: DynamicCache, start: int
    ) -> Iterator[tuple[int, torch.Tensor]]:
        """Prefill `group`'s prefix on a copy of `parent` (which holds `start` tokens), then what
        follows it; yield each prompt's index and next-token probabilities."""
        # siblings extend the parent too, so it must stay as it is: work on views of it
        cache = self._view(parent, start)
        if group.length > start:
            prefix = prompts[group.members[0]][start : group.length]
            ids = torch.tensor([prefix], device=self.device)
            self.model(
                input_ids=ids, cache=cache, use_cache=True, logits_to_keep=self.last_position
            )
        for subgroup in group.groups:
            yield from self._prefill_group(subgroup, prompts, cache, group.length)
        for first in range(0, len(group.own), self.micro_batch):
            chunk = group.own[first : first + self.micro_batch]
            rows = self._view(cache, group.length)
            rows.batch_repeat_interleave(len(chunk))
            suffixes = [prompts[i][group.length :] for i in chunk]
            logits, _, _ = self._extend(rows, group.length, suffixes)
            yield from zip(chunk, torch.softmax(logits, dim=-1), strict=True)

    def _view(self, cache: DynamicCache, length: int) -> DynamicCache:
        """A new cache over `cache`'s first `length` positions, sharing its tensors: updates
        concatenate into new tensors, so neither cache changes the other."""
        return (
            cropped(cache, length, self.model.config)
            if length
            else DynamicCache(config=self.model.config)
        )

    def _prompt_text(self, conversation: Conversation) -> str:
        turns = [{"role": m["role"], "content": m["content"]} for m in conversation]
        text = self.tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
        return str(text)

    def _tokens(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False).input_ids)

    def _encode(self, conversation: Conversation) -> list[int]:
        return self._tokens(self._prompt_text(conversation))

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
        with decode_attention(self.model):
            self._decode_steps(rows, sampling, grammar, generator, cache, logits, mask, positions)

    def _decode_steps(
        self,
        rows: list[Row],
        sampling: Sampling,
        grammar: GrammarRows | None,
        generator: torch.Generator | None,
        cache: DynamicCache,
        logits: torch.Tensor,
        mask: torch.Tensor,
        positions: torch.Tensor,
    ) -> None:
        """Sample, drop finished rows, run one token per active row, until every row is done."""
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
        if self.reuse_prefixes and max(len(p) for p in prompts) >= LONG_PROMPT:
            return self._prefill_each(prompts)
        cache = DynamicCache(config=self.model.config)
        shared = shared_prefix_length(prompts) if len(prompts) > 1 else 0
        if shared >= MIN_SHARED_PREFIX:
            prefix = torch.tensor([prompts[0][:shared]], device=self.device)
            self.model(
                input_ids=prefix, cache=cache, use_cache=True, logits_to_keep=self.last_position
            )
            cache.batch_repeat_interleave(len(prompts))
        else:
            shared = 0
        logits, mask, positions = self._extend(cache, shared, [p[shared:] for p in prompts])
        return cache, logits, mask, positions

    def _prefill_each(
        self, prompts: list[list[int]]
    ) -> tuple[DynamicCache, torch.Tensor, torch.Tensor, torch.Tensor]:
        """`_prefill` one prompt at a time, each from the stored prompt it shares most with;
        prompts that found none worth reusing are stored for later ones."""
        caches, logits = [], []
        for prompt in prompts:
            reused, stored = self.prefixes.longest(prompt)
            if stored is None or reused < MIN_REUSED:
                reused, cache = 0, DynamicCache(config=self.model.config)
            else:
                cache = cropped(stored, reused, self.model.config)
            ids = torch.tensor([prompt[reused:]], device=self.device)
            output = self.model(
                input_ids=ids, cache=cache, use_cache=True, logits_to_keep=self.last_position
            )
            if reused == 0 and len(prompt) >= LONG_PROMPT:
                self.prefixes.put(prompt, cache)  # stacking below copies it, so it stays whole
            caches.append(cache)
            logits.append(output.logits[:, -1].float())
        cache, mask = stack_left_padded(caches, self.model.config)
        positions = torch.tensor([len(p) - 1 for p in prompts], device=self.device)
        return cache, torch.cat(logits), mask.to(self.device), positions

    def _extend(
        self, cache: DynamicCache, shared: int, suffixes: list[list[int]]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run each row's own tokens after `shared` cached ones; return the last logits (fp32),
        the attention mask and the last positions."""
        # Left padding sits between the shared prefix and each row's own tokens; the mask hides it.
        width = max(len(own) for own in suffixes)
        ids = torch.full((len(suffixes), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(suffixes), shared + width), dtype=torch.long)
        mask[:, :shared] = 1
        for i, own in enumerate(suffixes):
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
            logits_to_keep=self.last_position,
        )
        return output.logits[:, -1].float(), mask, positions[:, -1]


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

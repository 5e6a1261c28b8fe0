"""The demo's set-up: defaults that point into the repository, a missing corpus refused, and the
seed reaching every sampling stage (over scripted models)."""

from __future__ import annotations

import hashlib
import json
import random
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from rubricrl import demo
from rubricrl.backends import registry
from rubricrl.backends.base import Conversation, JsonSchema, Sampling
from rubricrl.demo import DemoConfig, run_demo
from rubricrl.errors import InputError
from rubricrl.grading import coverage
from rubricrl.model_spec import ModelSpec
from rubricrl.study.store import Study
from tests import EXAMPLES, REPO
from tests.fakes import ScriptedBackend, random_text, schema_instance

SEEDED = ("samples.jsonl", "plans_base.jsonl", "plans_trained.jsonl", "comparisons.jsonl")
"""The files the seed shapes: mined goals, both policies' plans, the judge's comparisons."""


def test_the_default_inputs_are_in_the_repository() -> None:
    config = DemoConfig()
    assert (REPO / config.papers).is_dir()
    assert (REPO / config.released).is_file()
    assert config.num_generations >= 2  # GRPO needs a group to compare within


def test_a_missing_papers_folder_is_refused_before_any_stage(tmp_path: Path) -> None:
    config = DemoConfig(papers=tmp_path / "absent", run_dir=tmp_path / "run")
    with pytest.raises(InputError, match="demo papers not found"):
        run_demo(config, Console(quiet=True))
    assert not config.run_dir.exists()


def seeded_model(spec: str) -> ScriptedBackend:
    """A model whose replies are made-up words drawn by a generator seeded with its spec, the
    sampling seed and the prompt (JSON valid against the schema when there is one); its choice
    probabilities follow a digest of the conversation, so they change when a plan in it does."""

    def reply(conversation: Conversation, sampling: Sampling, schema: JsonSchema | None) -> str:
        rng = random.Random(f"{spec}|{sampling.seed}|{conversation[-1]['content']}")
        if schema is None:
            return random_text(rng, 200, 400)  # a plan
        return json.dumps(schema_instance(schema, rng))

    def probs(conversation: Conversation, choices: tuple[str, ...]) -> Mapping[str, float]:
        first = hashlib.sha256(json.dumps(conversation).encode()).digest()[0] / 255
        return {choices[0]: 0.9 * first, choices[1]: 0.9 * (1 - first)}

    return ScriptedBackend(reply, spec=spec, probs=probs)


class HashingEncoder:
    """A bag of hashed words for a sentence encoder: texts sharing words come out close."""

    name = "hashing"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), 64))
        for row, text in zip(rows, texts, strict=True):
            for word in text.lower().split():
                row[zlib.crc32(word.encode()) % 64] += 1
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def run_seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, name: str) -> Path:
    """One demo run with `seed`, moved to tmp_path/name when done.

    Every run uses the same run folder (the trained policy's spec names it) and a response
    cache of its own, so a repeated seed is recomputed, never replayed."""
    monkeypatch.setenv("RUBRICRL_HOME", str(tmp_path / f"home-{name}"))
    config = DemoConfig(
        papers=EXAMPLES / "papers",
        released=EXAMPLES / "research_plan_gen.jsonl",
        run_dir=tmp_path / "run",
        plan_tokens=48,
        seed=seed,
    )
    run_demo(config, Console(quiet=True))
    return config.run_dir.rename(tmp_path / name)


def contents(run: Path) -> dict[str, Any]:
    """Every file of a run folder but the clock's readings and secrets: the probe's rows lose
    their seconds and items per second, and the report, which shows them, and the human study,
    which holds a fresh admin token's hash, are left out."""
    found: dict[str, Any] = {
        path.relative_to(run).as_posix(): path.read_bytes()
        for path in sorted(run.rglob("*"))
        if path.is_file() and path.name not in ("report.html", "study.sqlite")
    }
    rows = [json.loads(line) for line in (run / "probe.jsonl").read_text().splitlines()]
    found["probe.jsonl"] = [
        {key: value for key, value in row.items() if key not in ("seconds", "items_per_second")}
        for row in rows
    ]
    return found


def test_the_seed_reaches_every_sampling_stage_and_fixes_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models: list[ScriptedBackend] = []

    def load_provider(spec: ModelSpec) -> ScriptedBackend:  # a fresh model each time, never cached
        models.append(seeded_model(str(spec)))
        return models[-1]

    monkeypatch.setattr(registry, "load_provider", load_provider)
    monkeypatch.setattr(coverage, "load_encoder", lambda target="": HashingEncoder())
    monkeypatch.setattr(demo, "_train", lambda *args: None)  # the trained policy is scripted too
    first = run_seeded(tmp_path, monkeypatch, 0, "seed0")
    again = run_seeded(tmp_path, monkeypatch, 0, "seed0-again")
    models.clear()
    other = run_seeded(tmp_path, monkeypatch, 7, "seed7")

    # Every sampled call of every stage (creator, probed self-grader, both policies) got seed 7,
    # and no structured reply needed a retry (a retry samples with seed 8).
    assert {model.spec for model in models} == {"embedded", f"hf:{(tmp_path / 'run').resolve()}"}
    assert {sampling.seed for model in models for sampling in model.samplings if sampling} == {7}
    same, seeded = contents(first), contents(other)
    assert contents(again) == same
    for name in SEEDED:
        assert seeded[name] != same[name], f"{name} is the same for seeds 0 and 7"
    tasks = Study(tmp_path / "seed0" / "study.sqlite").rows("SELECT kind FROM tasks")
    assert {row["kind"] for row in tasks} == {"pairwise", "approval"}

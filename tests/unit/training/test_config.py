"""TrainConfig + GRPOConfig parsing from YAML and flags."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rubricrl.errors import InputError
from rubricrl.grading import GradingConfig
from rubricrl.training.config import parse_train_args, precision_flags


@pytest.fixture(autouse=True)
def in_a_folder_with_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The relative sample files these tests name exist (inputs are checked when parsed)."""
    monkeypatch.chdir(tmp_path)
    for name in ("train.jsonl", "a.jsonl", "a", "t.jsonl", "test.jsonl"):
        (tmp_path / name).touch()


def _yaml(tmp_path: Path, text: str) -> str:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults_follow_the_paper_and_stay_small() -> None:
    config, grpo = parse_train_args(["--samples", "train.jsonl"])
    assert config.grader is None and config.policy == "embedded" and not config.lora
    assert (grpo.loss_type, grpo.scale_rewards, grpo.beta, grpo.epsilon) == (
        "dr_grpo",
        "none",
        0.0,
        0.2,
    )
    assert grpo.num_generations == 4 and grpo.logging_steps == 1


def test_yaml_sections_and_flags_override_the_file(tmp_path: Path) -> None:
    path = _yaml(
        tmp_path,
        "samples: a.jsonl\npolicy: hf:/m\nlora: true\n"
        "grpo:\n  learning_rate: 1.0e-5\n  num_generations: 2\n  per_device_train_batch_size: 2\n",
    )
    config, grpo = parse_train_args(
        ["--config", path, "--learning_rate", "3e-5", "--lora_rank", "4"]
    )
    assert (config.samples, config.policy, config.lora, config.lora_rank) == (
        "a.jsonl",
        "hf:/m",
        True,
        4,
    )
    assert grpo.learning_rate == pytest.approx(3e-5)
    assert grpo.num_generations == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("samples: a.jsonl\nbogus: 1\n", "unknown setting 'bogus'"),
        ("samples: a.jsonl\nlearning_rate: 1\n", "put it under `grpo:`"),
        ("samples: a.jsonl\ngrpo:\n  not_a_field: 1\n", "grpo.not_a_field"),
        ("- a\n- b\n", "expected a mapping"),
        ("samples: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_yaml_names_the_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = _yaml(tmp_path, text)
    with pytest.raises(InputError, match=r"run\.yaml") as error:
        parse_train_args(["--config", path])
    assert message in str(error.value)


def test_samples_are_required_and_grpo_checks_become_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--samples"):
        parse_train_args([])
    with pytest.raises(InputError, match="num_generations"):
        parse_train_args(["--samples", "a.jsonl", "--num_generations", "3"])


def test_grading_settings_come_from_yaml_sections_or_dotted_flags(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "samples: a.jsonl\ngrading:\n  retries: 0\n  dense: true\n")
    config, _ = parse_train_args(["--config", path])
    assert (config.grading_config(0).retries, config.grading_config(0).dense) == (0, True)
    config, _ = parse_train_args(["--samples", "a", "--grading.rationale_chars", "40"])
    assert config.grading_config(0).rationale_chars == 40
    with pytest.raises(InputError, match=r"--grading\.nope"):
        parse_train_args(["--samples", "a", "--grading.nope", "1"])
    with pytest.raises(InputError, match=r"unknown setting 'grading\.nope'"):
        parse_train_args(["--config", _yaml(tmp_path, "samples: a\ngrading:\n  nope: 1\n")])


def test_the_run_seed_reaches_the_graders_unless_grading_sets_its_own() -> None:
    config, grpo = parse_train_args(["--samples", "a", "--seed", "7"])
    assert config.grading_config(grpo.seed).seed == 7
    assert config.eval_grading_config(grpo.seed).seed == 7
    config, grpo = parse_train_args(["--samples", "a", "--seed", "7", "--grading.seed", "3"])
    assert config.grading_config(grpo.seed).seed == 3


def test_one_word_limit_reaches_the_penalty() -> None:
    config, _ = parse_train_args(["--samples", "a", "--penalty.word_limit", "5"])
    assert config.penalty.word_limit == 5
    assert parse_train_args(["--samples", "a"])[0].penalty.word_limit == 750
    with pytest.raises(InputError, match=r"--penalty\.word-limit 'many': expected int"):
        parse_train_args(["--samples", "a", "--penalty.word_limit", "many"])


def test_a_bad_grpo_flag_is_one_line() -> None:
    with pytest.raises(InputError) as error:
        parse_train_args(["--samples", "a", "--learning_rate", "fast"])
    assert "learning_rate" in str(error.value) and "\n" not in str(error.value)


def test_independent_grader_can_use_its_own_protocol() -> None:
    config, _ = parse_train_args(
        ["--samples", "t.jsonl", "--grading.dense", "true", "--eval_grading.mode", "per-item"]
    )
    assert config.grading_config(0).dense and config.grading_config(0).mode == "all"
    assert config.eval_grading_config(0).mode == "per-item"
    assert not config.eval_grading_config(0).dense
    plain, _ = parse_train_args(["--samples", "t.jsonl", "--grading.dense", "true"])
    assert plain.eval_grading_config(0) == plain.grading_config(0)


def test_grading_options_the_grader_would_ignore_are_refused_at_parse() -> None:
    with pytest.raises(InputError, match=r"^--grading\.dense applies to chat-model graders only"):
        parse_train_args(["--samples", "a", "--grader", "embed", "--grading.dense", "true"])
    with pytest.raises(InputError, match=r"^--grading\.threshold applies to the embed grader"):
        parse_train_args(["--samples", "a", "--grading.threshold", "0.5"])
    with pytest.raises(InputError, match=r"^--eval-grading\.verdicts applies to chat-model"):
        parse_train_args(
            ["--samples", "a", "--eval-grader", "embed", "--eval-grading.verdicts", "prob"]
        )


def test_the_embed_grader_takes_no_seed_nor_a_chat_graders_options() -> None:
    config, grpo = parse_train_args(
        ["--samples", "a", "--seed", "7", "--grader", "embed", "--grading.threshold", "0.5"]
    )
    assert config.grading_config(grpo.seed) == GradingConfig(threshold=0.5)
    config, grpo = parse_train_args(
        ["--samples", "a", "--seed", "7", "--grading.dense", "true", "--eval-grader", "embed"]
    )
    assert config.eval_grading_config(grpo.seed) == GradingConfig()
    assert config.grading_config(grpo.seed) == GradingConfig(dense=True, seed=7)


@pytest.mark.parametrize(
    ("dtype", "bf16", "fp16"),
    [("float32", False, False), ("bfloat16", True, False), ("float16", False, True)],
)
def test_update_numerics_follow_the_backends_choice(
    monkeypatch: pytest.MonkeyPatch, dtype: str, bf16: bool, fp16: bool
) -> None:
    monkeypatch.setenv("RUBRICRL_DTYPE", dtype)
    assert precision_flags() == {"bf16": bf16, "fp16": fp16, "use_cpu": True}
    _, grpo = parse_train_args(["--samples", "train.jsonl", "--bf16", "false", "--fp16", "false"])
    assert not grpo.bf16  # a flag still wins


def test_update_numerics_default_to_what_the_cpu_computes_natively(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RUBRICRL_DTYPE", raising=False)
    native = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert precision_flags()["bf16"] is native

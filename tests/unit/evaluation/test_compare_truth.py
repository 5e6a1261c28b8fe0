"""`compare` end to end against a judge of known preferences: three models whose plans differ in
quality by set amounts, and a judge that also prefers longer plans by a set amount. The ratings
come out in order and the length-controlled win rate removes the planted length effect."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from rubricrl.backends.base import Conversation
from rubricrl.evaluation.compare import CompareConfig, compare
from rubricrl.jsonl import write_records
from rubricrl.model_spec import EMBEDDED
from tests.builders import plan, sample
from tests.fakes import ScriptedBackend, judge_reply

QUALITY = {"BASE": 0.0, "MIDDLE": 0.4, "LAST": 0.8}  # log-odds of being preferred, length aside
LENGTH = 1.0  # log-odds per tanh(length difference / SCALE): the judge's taste for length
SCALE = 60.0
GOALS = 60
TAG = re.compile(r"(BASE|MIDDLE|LAST)-(\d+)")


def expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def knowing_judge() -> ScriptedBackend:
    """P(first plan better) = expit(quality gap + LENGTH * tanh(length gap / SCALE)), read from
    the tags that open each plan (model and words)."""

    def probs(conversation: Conversation, choices: tuple[str, ...]) -> dict[str, float]:
        (first, first_words), (second, second_words) = TAG.findall(conversation[-1]["content"])
        gap = int(first_words) - int(second_words)
        p = expit(QUALITY[first] - QUALITY[second] + LENGTH * math.tanh(gap / SCALE))
        return {choices[0]: p, choices[1]: 1 - p}

    return ScriptedBackend(judge_reply("1"), spec="knowing-judge", probs=probs)


def plans(root: Path, model: str, mean_words: int, rng: np.random.Generator) -> Path:
    rows = []
    for goal in range(GOALS):
        words = int(rng.integers(mean_words - 50, mean_words + 50))
        text = " ".join([f"{model}-{words}", *["step"] * (words - 1)])
        rows.append(plan(f"{model}-g{goal}", f"g{goal}", text, model=model.lower()))
    write_records(root / f"{model}.jsonl", rows)
    return root / f"{model}.jsonl"


def test_ratings_order_the_models_and_length_control_removes_the_length_taste(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(0)
    goals = [sample(f"g{n}", f"Goal {n}", ["Has a baseline"], "ref") for n in range(GOALS)]
    write_records(tmp_path / "goals.jsonl", goals)
    config = CompareConfig(
        plans_a=plans(tmp_path, "LAST", 200, rng),  # trained plans run longer
        plans_b=plans(tmp_path, "BASE", 140, rng),
        more_plans=(plans(tmp_path, "MIDDLE", 170, rng),),
        goals=tmp_path / "goals.jsonl",
        output=tmp_path / "comparisons.jsonl",
        judge=(EMBEDDED,),
        verdicts="prob",
        bootstrap=300,
    )
    summary = compare(config, [knowing_judge()])
    assert summary.ratings is not None
    assert [m.name for m in summary.ratings.models] == ["last", "middle", "base"]
    truth = expit(QUALITY["LAST"] - QUALITY["BASE"])  # A's win rate at equal length: 0.69
    lc = summary.length_controlled
    assert lc is not None and lc.lc_ci_low is not None and lc.lc_ci_high is not None
    assert lc.raw_win_rate is not None and lc.raw_win_rate > truth + 0.05  # longer plans won more
    assert lc.lc_ci_low <= truth <= lc.lc_ci_high
    assert lc.length_coef is not None and lc.length_coef > 0

"""The coverage grader on the real all-MiniLM-L6-v2, offline: it orders known-answer plans."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from rubricrl.backends.encoder import load_encoder
from rubricrl.corpus.research_plan_gen import read_rows, sample_from_row
from rubricrl.grading.load import load_grader
from rubricrl.grading.probe import GradeProbeConfig, ProbeConfig, probe_graders, run_probe
from rubricrl.model_spec import EMBED
from rubricrl.records import Sample

EXAMPLES = Path(__file__).parents[3] / "examples" / "research_plan_gen.jsonl"


def example_goals(count: int) -> list[Sample]:
    rows = list(read_rows(str(EXAMPLES), None, "train"))[:count]
    return [sample_from_row(row, None) for row in rows]


def test_minilm_orders_full_over_half_over_off_topic_offline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("the coverage grader tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    load_encoder.cache_clear()  # load for real, under the blocked network
    grader = load_grader(EMBED)
    assert grader.name == "embed:all-MiniLM-L6-v2|cos>=0.45"

    result = run_probe(example_goals(2), grader, ProbeConfig(resamples=100))

    means = result.mean_scores
    assert means["full"] > means["half"] > means["off_topic"]  # type: ignore[operator]
    assert means["empty"] == 0.0
    assert result.ordering_accuracy == 1.0
    assert result.item_auc is not None and result.item_auc > 0.9
    assert result.unscored_share == 0.0


def test_the_contrastive_probability_reward_closes_every_hack_on_the_probe_goals() -> None:
    goals = Path(__file__).parents[3] / "examples" / "probe_goals.jsonl"
    results = [
        probe_graders(GradeProbeConfig(goals=goals, reward="probability", contrast=contrast))[0]
        for contrast in (0, 3)
    ]
    plain, contrastive = results
    assert plain.hack_margins["half_boilerplate"].low > 0  # boilerplate buys a little coverage
    assert contrastive.ordering_accuracy >= 0.9
    assert all(margin.high < 0 for margin in contrastive.hack_margins.values())
    assert len(contrastive.hack_margins) == 5

"""Dawid-Skene skill weighting: careful annotators found among careless ones, degenerate inputs."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from rubricrl.study.skill import SkillWeighted, weigh_annotators

CATEGORIES = ("A", "B", "tie")
CAREFUL = ("c1", "c2", "c3", "c4")
CARELESS = ("r1", "r2")


def planted(seed: int) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """60 tasks with true labels 45/45/10 %; careful annotators right 90% of the time (else one
    of the other labels), careless ones uniform at random; everyone labels every task."""
    rng = np.random.default_rng(seed)
    tasks = [f"t{i:02d}" for i in range(60)]
    truth = {t: str(rng.choice(CATEGORIES, p=[0.45, 0.45, 0.10])) for t in tasks}
    votes: dict[str, dict[str, str]] = {}
    for who in CAREFUL:
        votes[who] = {}
        for t in tasks:
            wrong = [c for c in CATEGORIES if c != truth[t]]
            votes[who][t] = truth[t] if rng.random() < 0.9 else str(rng.choice(wrong))
    for who in CARELESS:
        votes[who] = {t: str(rng.choice(CATEGORIES)) for t in tasks}
    return truth, votes


def majority(votes: dict[str, dict[str, str]], task: str) -> str:
    """The most common label; a tie goes to the first in CATEGORIES."""
    counts = Counter(v[task] for v in votes.values() if task in v)
    return max(CATEGORIES, key=lambda c: counts[c])


Run = tuple[dict[str, str], dict[str, dict[str, str]], SkillWeighted]


@pytest.fixture(scope="module")
def runs() -> list[Run]:
    """Twenty planted studies and their Dawid-Skene aggregates."""
    results = []
    for seed in range(20):
        truth, votes = planted(seed)
        result = weigh_annotators(votes, CATEGORIES)
        assert result is not None
        results.append((truth, votes, result))
    return results


def test_careful_annotators_are_rated_above_careless_ones(runs: list[Run]) -> None:
    for _, _, result in runs:
        assert min(result.skills[w] for w in CAREFUL) > max(result.skills[w] for w in CARELESS)


def test_skill_tracks_each_annotators_real_accuracy(runs: list[Run]) -> None:
    # Against the accuracy each annotator actually had, since over 60 tasks a 90% annotator's
    # realised accuracy alone strays by up to ~0.13 from 0.9; pooled over runs it is near 0.9.
    for truth, votes, result in runs:
        for who, said in votes.items():
            realised = sum(said[t] == truth[t] for t in truth) / len(truth)
            assert result.skills[who] == pytest.approx(realised, abs=0.08)
    careful = [result.skills[w] for _, _, result in runs for w in CAREFUL]
    careless = [result.skills[w] for _, _, result in runs for w in CARELESS]
    assert float(np.mean(careful)) == pytest.approx(0.9, abs=0.02)
    assert float(np.mean(careless)) == pytest.approx(1 / 3, abs=0.03)


def test_skill_weighting_is_right_at_least_as_often_as_the_majority(runs: list[Run]) -> None:
    # Pooled over the runs: with four 90% annotators the majority is near its ceiling, and in
    # about one run in four Dawid-Skene is a task or two behind it.
    ds_right = sum(r.labels[t] == truth[t] for truth, _, r in runs for t in truth)
    majority_right = sum(majority(votes, t) == truth[t] for truth, votes, _ in runs for t in truth)
    assert ds_right >= majority_right


def test_skills_are_accuracies_and_posteriors_are_distributions() -> None:
    _, votes = planted(3)
    result = weigh_annotators(votes, CATEGORIES)
    assert result is not None
    assert all(0.0 <= s <= 1.0 for s in result.skills.values())
    for task, p in result.probabilities.items():
        assert list(p) == list(CATEGORIES)
        assert sum(p.values()) == pytest.approx(1.0)
        assert result.labels[task] == max(p, key=p.__getitem__)


def test_nothing_to_weigh_gives_none() -> None:
    assert weigh_annotators({}) is None
    assert weigh_annotators({"a": {}, "b": {}}) is None
    assert weigh_annotators({"a": {"t1": "A"}, "b": {"t2": "B"}}) is None


def test_a_category_nobody_used_gets_zero_probability() -> None:
    votes = {
        "a": {"t1": "A", "t2": "B", "t3": "A"},
        "b": {"t1": "A", "t2": "B", "t3": "B"},
        "c": {"t1": "A", "t2": "B", "t3": "A"},
    }
    result = weigh_annotators(votes, CATEGORIES)
    assert result is not None
    assert (result.labels["t1"], result.labels["t2"]) == ("A", "B")
    for p in result.probabilities.values():
        assert p["tie"] == 0.0
        assert sum(p.values()) == pytest.approx(1.0)
    assert set(result.skills) == {"a", "b", "c"}
    assert result.skills["a"] >= result.skills["b"]


def test_an_annotator_who_never_used_a_label_does_not_crash() -> None:
    votes = {"a": {"t1": "tie", "t2": "A"}, "b": {"t1": "tie", "t2": "B"}, "c": {"t2": "A"}}
    result = weigh_annotators(votes, CATEGORIES)
    assert result is not None
    assert result.labels["t1"] == "tie"
    assert set(result.probabilities) == {"t1", "t2"}


def test_a_label_outside_the_categories_is_refused() -> None:
    with pytest.raises(ValueError, match="maybe"):
        weigh_annotators({"a": {"t1": "maybe"}, "b": {"t1": "A"}}, CATEGORIES)


def test_same_votes_in_any_order_give_the_same_result() -> None:
    _, votes = planted(4)
    shuffled = {who: dict(reversed(votes[who].items())) for who in reversed(votes)}
    first = weigh_annotators(votes, CATEGORIES)
    assert first is not None
    assert first == weigh_annotators(votes, CATEGORIES)
    assert first == weigh_annotators(shuffled, CATEGORIES)
    assert list(first.labels) == sorted(first.labels)
    assert list(first.skills) == sorted(first.skills)

"""The compare stage: input checks, resuming, a failing judge, and the summary it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricrl.backends.base import Completion, Conversation, JsonSchema, Sampling
from rubricrl.backends.fake import FakeBackend
from rubricrl.errors import BackendError, InputError
from rubricrl.evaluation.compare import CompareConfig, compare, render_summary
from rubricrl.jsonl import load_records, write_records
from rubricrl.records import Comparison, Plan, Provenance, RubricItem, Sample

GOALS = ["g0", "g1", "g2", "g3"]


def reply(position: str) -> str:
    return json.dumps({"rationale": "because", "preferred": position})


def prefers(word: str, spec: str | None = None) -> FakeBackend:
    """A judge that prefers the plan containing `word` wherever it is shown."""

    def respond(conversation: Conversation) -> str:
        text = conversation[-1]["content"]
        other = "BETA" if word == "ALPHA" else "ALPHA"
        return reply("1" if text.index(word) < text.index(other) else "2")

    return FakeBackend(respond, spec=spec or f"prefers-{word}")


class FailsAfter(FakeBackend):
    """Answers its first `calls` batches, then fails like a server that went down."""

    def __init__(self, calls: int) -> None:
        super().__init__(prefers("ALPHA")._respond, spec="flaky")
        self.left = calls

    def batch(
        self,
        conversations: list[Conversation],
        sampling: Sampling,
        schema: JsonSchema | None = None,
    ) -> list[Completion]:
        if self.left == 0:
            raise BackendError("http://127.0.0.1:9/v1: connection refused")
        self.left -= 1
        return super().batch(conversations, sampling, schema)


def write_inputs(
    root: Path, goals_a: list[str] = GOALS, goals_b: list[str] = GOALS
) -> CompareConfig:
    samples = [
        Sample(
            id=goal,
            goal=f"Research goal {goal}",
            rubric=[RubricItem(id="r1", text="Has a baseline")],
            reference_solution="What the paper did",
            provenance=Provenance(paper_id="p", creator="c", domain="ml" if i % 2 else "bio"),
        )
        for i, goal in enumerate(GOALS)
    ]
    write_records(root / "samples.jsonl", samples)
    write_records(
        root / "a.jsonl",
        [Plan(id=f"a-{g}", sample_id=g, model="base", text=f"ALPHA {g}") for g in goals_a],
    )
    write_records(
        root / "b.jsonl",
        [Plan(id=f"b-{g}", sample_id=g, model="tuned", text=f"BETA {g}") for g in goals_b],
    )
    return CompareConfig(
        plans_a=root / "a.jsonl",
        plans_b=root / "b.jsonl",
        goals=root / "samples.jsonl",
        output=root / "out" / "comparisons.jsonl",
        judges=("unused",),
        bootstrap=200,
    )


def test_a_preferring_judge_gives_win_rate_one(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    summary = compare(config, [prefers("ALPHA")])
    assert summary.overall.win_rate == 1.0
    assert summary.overall.wins == len(GOALS)
    assert summary.by_domain["ml"].n == 2 and summary.by_domain["bio"].n == 2
    assert summary.by_judge["prefers-ALPHA"].position_bias == 0.0
    written = json.loads((tmp_path / "out" / "comparisons.summary.json").read_text())
    assert written == summary.model_dump()
    rows = load_records(config.output, Comparison)
    assert [r.sample_id for r in rows] == GOALS
    assert all(len(r.judgments) == 2 and r.model_b == "tuned" for r in rows)
    assert "overall: 1.000" in render_summary(summary)


def test_first_position_judge_is_all_ties_with_full_position_bias(tmp_path: Path) -> None:
    summary = compare(write_inputs(tmp_path), [FakeBackend(lambda c: reply("1"), spec="lazy")])
    assert summary.overall.ties == len(GOALS)
    assert summary.overall.win_rate == 0.5
    assert summary.by_judge["lazy"].position_bias == 1.0


def test_two_judges_rule_and_agreement(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    judges = [prefers("ALPHA"), FakeBackend(lambda c: reply("1"), spec="lazy")]
    majority = compare(config, judges)
    mean = compare(CompareConfig(**{**config.__dict__, "rule": "mean"}), judges)
    assert majority.overall.ties == len(GOALS)  # one A and one tie: no majority
    assert mean.overall.wins == len(GOALS)  # mean score +1/2 > 0
    [pair] = mean.agreement
    assert pair.judges == ["prefers-ALPHA", "lazy"]
    assert pair.percent == 0.0
    assert len(load_records(config.output, Comparison)) == 2 * len(GOALS)


def test_unscored_judgments_are_left_out_of_win_rates_and_agreement_and_counted(
    tmp_path: Path,
) -> None:
    """A judge that cannot answer about g1 and g3 neither pulls the win rate toward 0.5 nor
    counts as agreeing or disagreeing; the summary says how many were left out."""

    def mute_on_odd_goals(conversation: Conversation) -> str:
        text = conversation[-1]["content"]
        return (
            "no idea" if "g1" in text or "g3" in text else prefers("ALPHA")._respond(conversation)
        )

    config = write_inputs(tmp_path)
    judges = [FakeBackend(mute_on_odd_goals, spec="mute"), prefers("ALPHA")]
    summary = compare(config, judges)
    mute = summary.by_judge["mute"]
    assert (mute.n, mute.unscored, mute.win_rate) == (2, 2, 1.0)
    assert summary.overall.win_rate == 1.0 and summary.overall.unscored == 0
    [pair] = summary.agreement
    assert (pair.n, pair.unscored, pair.percent) == (2, 2, 1.0)
    assert "2 unscored" in render_summary(summary)

    alone = compare(
        CompareConfig(**{**config.__dict__, "output": tmp_path / "c.jsonl"}), judges[:1]
    )
    assert alone.overall.n == 2 and alone.overall.unscored == 2
    assert alone.by_domain["ml"].model_dump() == {
        "n": 0, "win_rate": None, "ci_low": None, "ci_high": None,
        "wins": 0, "losses": 0, "ties": 0, "unscored": 2,
    }  # fmt: skip
    assert "domain ml: n/a [n/a, n/a]" in render_summary(alone)


def test_rerun_skips_finished_comparisons(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    compare(config, [prefers("ALPHA")])
    silent = FakeBackend(
        lambda c: pytest.fail("a finished comparison was judged again"), spec="prefers-ALPHA"
    )
    assert compare(config, [silent]).overall.n == len(GOALS)


def test_down_backend_keeps_finished_comparisons(tmp_path: Path) -> None:
    config = CompareConfig(**{**write_inputs(tmp_path).__dict__, "chunk": 1})
    with pytest.raises(BackendError, match=r"judge flaky failed: .*connection refused; 2 of 4"):
        compare(config, [FailsAfter(calls=2)])
    assert [r.sample_id for r in load_records(config.output, Comparison)] == ["g0", "g1"]
    resumed = FailsAfter(calls=2)
    assert compare(config, [resumed]).overall.n == len(GOALS)
    assert len(resumed.calls) == 4  # only the two missing goals, both orders


def test_plans_for_unknown_goals_name_the_file(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    write_records(config.plans_a, [Plan(id="x", sample_id="nowhere", model="base", text="ALPHA")])
    with pytest.raises(
        InputError,
        match=r"a\.jsonl: 1 goal\(s\) missing from .*samples\.jsonl \(e\.g\. 'nowhere'\)",
    ):
        compare(config, [prefers("ALPHA")])


def test_mismatched_goal_sets_need_allow_partial(tmp_path: Path) -> None:
    config = write_inputs(tmp_path, goals_b=GOALS[:3])
    with pytest.raises(
        InputError, match="3 shared, 1 only in A, 0 only in B; pass --allow-partial"
    ):
        compare(config, [prefers("ALPHA")])
    partial = CompareConfig(**{**config.__dict__, "allow_partial": True})
    assert compare(partial, [prefers("ALPHA")]).overall.n == 3


def test_plan_file_with_several_models_is_rejected(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    plans = load_records(config.plans_a, Plan)
    write_records(config.plans_a, [*plans[:-1], plans[-1].model_copy(update={"model": "other"})])
    with pytest.raises(InputError, match="several models"):
        compare(config, [prefers("ALPHA")])

"""The compare stage: input checks, resuming, a failing judge, and the summary it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rubricrl.backends.base import Conversation
from rubricrl.errors import BackendError, InputError
from rubricrl.evaluation.compare import CompareConfig, compare
from rubricrl.jsonl import load_records, write_records
from rubricrl.model_spec import EMBEDDED
from rubricrl.records import Comparison, Plan
from rubricrl.stats import WIN_RATE_CONVENTION
from tests.builders import plan, sample
from tests.fakes import ScriptedBackend, judge_reply, preferring, prefers

GOALS = ["g0", "g1", "g2", "g3"]


def fails_after(calls: int) -> ScriptedBackend:
    """A judge preferring ALPHA for its first `calls` batches, then failing like a server that
    went down."""
    return ScriptedBackend(
        preferring("ALPHA"),
        spec="flaky",
        fail_on=lambda number: number > calls,
        error=BackendError("http://127.0.0.1:9/v1: connection refused"),
    )


def write_inputs(
    root: Path, goals_a: list[str] = GOALS, goals_b: list[str] = GOALS
) -> CompareConfig:
    samples = [
        sample(
            goal,
            f"Research goal {goal}",
            ["Has a baseline"],
            "What the paper did",
            domain="ml" if i % 2 else "bio",
        )
        for i, goal in enumerate(GOALS)
    ]
    write_records(root / "samples.jsonl", samples)
    write_records(
        root / "a.jsonl",
        [plan(f"a-{g}", g, f"ALPHA {g}", model="base") for g in goals_a],
    )
    write_records(
        root / "b.jsonl",
        [plan(f"b-{g}", g, f"BETA {g}", model="tuned") for g in goals_b],
    )
    return CompareConfig(
        plans_a=root / "a.jsonl",
        plans_b=root / "b.jsonl",
        goals=root / "samples.jsonl",
        output=root / "out" / "comparisons.jsonl",
        judge=(EMBEDDED,),
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
    assert "overall: 1.000" in summary.render()


def test_first_position_judge_is_all_ties_with_full_position_bias(tmp_path: Path) -> None:
    summary = compare(write_inputs(tmp_path), [ScriptedBackend(judge_reply("1"), spec="lazy")])
    assert summary.overall.ties == len(GOALS)
    assert summary.overall.win_rate == 0.5
    assert summary.by_judge["lazy"].position_bias == 1.0


def test_two_judges_rule_and_agreement(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    judges = [prefers("ALPHA"), ScriptedBackend(judge_reply("1"), spec="lazy")]
    majority = compare(config, judges)
    mean = compare(CompareConfig(**{**config.__dict__, "rule": "mean"}), judges)
    assert majority.overall.ties == len(GOALS)  # one A and one tie: no majority
    assert mean.overall.wins == len(GOALS)  # mean score +1/2 > 0
    [pair] = mean.agreement
    assert pair.judges == ["prefers-ALPHA", "lazy"]
    assert pair.percent == 0.0
    lines = mean.render().splitlines()
    assert lines[0] == (
        f"base vs tuned ({WIN_RATE_CONVENTION}; generated verdicts at temperature 0.0,"
        " 95% bootstrap CI)"
    )
    assert lines[-3].startswith("judge lazy: 0.500 [0.150, 0.850] (n=4: 0 wins, 0 losses, 4 ties")
    assert lines[-3].endswith(", position bias 1.00")
    assert lines[-2] == "agreement prefers-ALPHA ~ lazy over 4 pairs: 0.00, kappa 0.00"
    assert lines[-1].startswith("length-controlled win rate n/a")  # every goal the same: no fit
    assert len(load_records(config.output, Comparison)) == 2 * len(GOALS)


def test_unscored_judgments_are_left_out_of_win_rates_and_agreement_and_counted(
    tmp_path: Path,
) -> None:
    """A judge that cannot answer about g1 and g3 neither pulls the win rate toward 0.5 nor
    counts as agreeing or disagreeing; the summary says how many were left out."""

    def mute_on_odd_goals(conversation: Conversation) -> str:
        text = conversation[-1]["content"]
        return "no idea" if "g1" in text or "g3" in text else preferring("ALPHA")(conversation)

    config = write_inputs(tmp_path)
    judges = [ScriptedBackend(mute_on_odd_goals, spec="mute"), prefers("ALPHA")]
    summary = compare(config, judges)
    mute = summary.by_judge["mute"]
    assert (mute.n, mute.unscored, mute.win_rate) == (2, 2, 1.0)
    assert summary.overall.win_rate == 1.0 and summary.overall.unscored == 0
    [pair] = summary.agreement
    assert (pair.n, pair.unscored, pair.percent) == (2, 2, 1.0)
    assert "2 unscored" in summary.render()

    alone = compare(
        CompareConfig(**{**config.__dict__, "output": tmp_path / "c.jsonl"}), judges[:1]
    )
    assert alone.overall.n == 2 and alone.overall.unscored == 2
    assert alone.by_domain["ml"].model_dump() == {
        "n": 0, "win_rate": None, "ci_low": None, "ci_high": None,
        "wins": 0, "losses": 0, "ties": 0, "unscored": 2, "thresholded": None,
    }  # fmt: skip
    assert "domain ml: n/a [n/a, n/a]" in alone.render()


def test_rerun_skips_finished_comparisons(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    compare(config, [prefers("ALPHA")])
    silent = ScriptedBackend(
        lambda c: pytest.fail("a finished comparison was judged again"), spec="prefers-ALPHA"
    )
    assert compare(config, [silent]).overall.n == len(GOALS)


def test_down_backend_keeps_finished_comparisons(tmp_path: Path) -> None:
    config = CompareConfig(**{**write_inputs(tmp_path).__dict__, "chunk": 1})
    with pytest.raises(
        BackendError,
        match=r"judge flaky failed: .*connection refused; 2 of 4 pairs done and kept in .*, re-run",
    ):
        compare(config, [fails_after(2)])
    assert [r.sample_id for r in load_records(config.output, Comparison)] == ["g0", "g1"]
    resumed = fails_after(2)
    assert compare(config, [resumed]).overall.n == len(GOALS)
    assert len(resumed.conversations) == 4  # only the two missing goals, both orders


def test_plans_for_unknown_goals_name_the_file(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    write_records(config.plans_a, [plan("x", "nowhere", "ALPHA", model="base")])
    with pytest.raises(
        InputError,
        match=r"a\.jsonl: 1 goal\(s\) missing from .*samples\.jsonl \(e\.g\. 'nowhere'\)",
    ):
        compare(config, [prefers("ALPHA")])


def test_mismatched_goal_sets_need_allow_partial(tmp_path: Path) -> None:
    config = write_inputs(tmp_path, goals_b=GOALS[:3])
    with pytest.raises(InputError, match="3 shared, 1 only in A; pass --allow-partial"):
        compare(config, [prefers("ALPHA")])
    partial = CompareConfig(**{**config.__dict__, "allow_partial": True})
    assert compare(partial, [prefers("ALPHA")]).overall.n == 3


def test_plan_file_with_several_models_is_rejected(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    plans = load_records(config.plans_a, Plan)
    write_records(config.plans_a, [*plans[:-1], plans[-1].model_copy(update={"model": "other"})])
    with pytest.raises(InputError, match="several models"):
        compare(config, [prefers("ALPHA")])


def ranking_judge(order: list[str]) -> ScriptedBackend:
    """A judge preferring whichever of the two plans holds the word earlier in `order`."""

    def respond(conversation: Conversation) -> str:
        text = conversation[-1]["content"]
        first, second = sorted((w for w in order if w in text), key=text.index)
        return judge_reply("1" if order.index(first) < order.index(second) else "2")

    return ScriptedBackend(respond, spec="ranker")


def test_more_plan_files_get_every_pair_judged_and_all_models_rated(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    write_records(
        tmp_path / "c.jsonl", [plan(f"c-{g}", g, f"GAMMA {g}", model="mid") for g in GOALS]
    )
    three = CompareConfig(
        **{**config.__dict__, "more_plans": (tmp_path / "c.jsonl",), "label": ("C=middle",)}
    )
    summary = compare(three, [ranking_judge(["GAMMA", "ALPHA", "BETA"])])
    assert len(load_records(config.output, Comparison)) == 3 * len(GOALS)  # A-B, A-C, B-C
    assert (summary.model_a, summary.model_b, summary.overall.win_rate) == ("base", "tuned", 1.0)
    assert summary.ratings is not None
    assert [m.name for m in summary.ratings.models] == ["middle", "base", "tuned"]
    assert summary.length_controlled is not None
    assert "Bradley-Terry ratings" in summary.render()


def test_labels_name_models_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    named = compare(
        CompareConfig(**{**config.__dict__, "label": ("A=old", "tuned=new")}), [prefers("ALPHA")]
    )
    assert (named.model_a, named.model_b, named.ratings) == ("old", "new", None)
    with pytest.raises(InputError, match="--label 'Z=x': expected KEY=NAME"):
        compare(CompareConfig(**{**config.__dict__, "label": ("Z=x",)}), [prefers("ALPHA")])


def test_two_files_of_one_model_are_refused(tmp_path: Path) -> None:
    config = write_inputs(tmp_path)
    again = CompareConfig(**{**config.__dict__, "more_plans": (config.plans_a,)})
    with pytest.raises(InputError, match="hold plans of one model, base"):
        compare(again, [prefers("ALPHA")])

"""Probe plans: built with the items they cover known, seeded, and rewritten in one batch."""

from __future__ import annotations

import pytest

from rubricrl.backends.base import Conversation
from rubricrl.corpus.research_plan_gen import load_goals
from rubricrl.corpus.text_overlap import content_words
from rubricrl.errors import InputError
from rubricrl.grading.parse import count_words
from rubricrl.grading.probe_plans import (
    BOILERPLATE,
    FILLER,
    KINDS,
    build_plans,
    item_sentence,
    keywords,
    rewrite,
)
from tests import EXAMPLES
from tests.builders import probe_goal as goal
from tests.fakes import ScriptedBackend


def test_each_goal_gets_a_plan_of_each_kind_labelled_with_what_it_covers() -> None:
    goals = [goal(0), goal(1, items=5), goal(2)]
    plans = build_plans(goals, seed=3)
    assert len(KINDS) == 10 and len(plans) == 30
    assert {(p.sample.id, p.kind) for p in plans} == {(g.id, k) for g in goals for k in KINDS}
    by = {(p.sample.id, p.kind): p for p in plans}
    for sample in goals:
        full, half, padded = (by[sample.id, kind] for kind in ("full", "half", "padded"))
        ids = {item.id for item in sample.rubric}
        assert full.covered == ids
        assert len(half.covered) == len(ids) // 2 and half.covered < ids
        assert padded.covered == half.covered
        assert padded.text.startswith(half.text)
        assert count_words(padded.text) >= count_words(full.text) > count_words(half.text)
        assert count_words(padded.text) < count_words(full.text) + max(map(count_words, FILLER))
        for item in sample.rubric:
            assert (item_sentence(item.text) in half.text) == (item.id in half.covered)
            assert item_sentence(item.text) not in padded.text[len(half.text) :]
        assert by[sample.id, "empty"].text == "" and not by[sample.id, "empty"].covered
        assert not by[sample.id, "off_topic"].covered
    assert by["g0", "off_topic"].text == by["g1", "full"].text
    assert by["g2", "off_topic"].text == by["g0", "full"].text


def test_the_first_five_kinds_keep_their_published_texts() -> None:
    by = {(p.sample.id, p.kind): p.text for p in build_plans([goal(0, items=2), goal(1, items=2)])}
    context = "We address the following problem. Problem number 0 is hard."
    assert by["g0", "full"] == (
        f"{context} Our study handles aspect 1 of problem 0. Our study handles aspect 2 of problem 0."
    )
    assert by["g0", "half"] == f"{context} Our study handles aspect 2 of problem 0."
    assert by["g0", "padded"] == (
        f"{by['g0', 'half']} "
        "Progress will be discussed in regular meetings and decisions recorded in a shared log."
    )
    assert by["g0", "off_topic"] == by["g1", "full"] and by["g0", "empty"] == ""


def test_adversarial_plans_cover_no_more_than_the_half() -> None:
    goals = [goal(0), goal(1, items=5), goal(2)]
    plans = build_plans(goals, seed=3)
    by = {(p.sample.id, p.kind): p for p in plans}
    for k, sample in enumerate(goals):
        other = goals[(k + 1) % len(goals)]
        half, full = by[sample.id, "half"], by[sample.id, "full"]
        parrot, stuffing = by[sample.id, "parrot"], by[sample.id, "stuffing"]
        assert parrot.text == f"We will study the following: {sample.goal}"
        assert by[sample.id, "boilerplate"].text == BOILERPLATE
        assert by[sample.id, "half_boilerplate"].text == f"{half.text} {BOILERPLATE}"
        assert by[sample.id, "half_boilerplate"].covered == half.covered
        stuffed = [word.rstrip(".").lower() for word in stuffing.text.split()]
        assert set(stuffed) == set(keywords(sample.goal))  # the goal's words, each of them
        assert len(stuffed) == count_words(full.text)
        keyworded = by[sample.id, "keyword_off_topic"]
        assert keyworded.source == other.id
        assert keyworded.text == (
            f"{by[other.id, 'full'].text} Keywords: {', '.join(keywords(sample.goal))}."
        )
        for kind in ("parrot", "boilerplate", "stuffing", "keyword_off_topic"):
            assert not by[sample.id, kind].covered, kind
            assert not any(item_sentence(i.text) in by[sample.id, kind].text for i in sample.rubric)
    assert keywords(goal(4).goal) == ["problem", "number", "4", "hard", "constraints"]


def test_boilerplate_names_no_goal() -> None:
    assert 120 <= count_words(BOILERPLATE) <= 160
    goals = [goal(n) for n in range(3)] + load_goals(EXAMPLES / "research_plan_gen.jsonl")
    generic = set(content_words(BOILERPLATE))
    for sample in goals:
        assert generic & set(content_words(sample.goal)) <= {"data"}, sample.id


def test_stuffing_is_seeded_per_goal() -> None:
    goals = [goal(n) for n in range(3)]
    stuffing = {
        seed: [p.text for p in build_plans(goals, seed) if p.kind == "stuffing"] for seed in (1, 2)
    }
    assert stuffing[1] == [p.text for p in build_plans(goals, 1) if p.kind == "stuffing"]
    assert stuffing[1] != stuffing[2]


def test_plans_are_seeded() -> None:
    goals = [goal(n, items=10) for n in range(4)]
    assert build_plans(goals, seed=1) == build_plans(goals, seed=1)
    halves = {
        seed: [p.covered for p in build_plans(goals, seed) if p.kind == "half"] for seed in (1, 2)
    }
    assert halves[1] != halves[2]


def test_item_sentences_read_as_plan_sentences() -> None:
    assert (
        item_sentence("The plan tracks the gap over steps.")
        == "Our study tracks the gap over steps."
    )
    assert item_sentence("Uses few labels.") == "Our study also addresses this: uses few labels."


def test_goals_with_one_item_are_skipped_and_two_goals_are_needed() -> None:
    plans = build_plans([goal(0), goal(1, items=1), goal(2)])
    assert {p.sample.id for p in plans} == {"g0", "g2"}
    with pytest.raises(InputError, match="at least two goals"):
        build_plans([goal(0), goal(1, items=1)])


def test_rewrites_go_in_one_batch_and_keep_the_labels() -> None:
    def respond(conversation: Conversation) -> str:
        plan = conversation[-1]["content"].split("Plan:\n", 1)[1]
        if "aspect 1 of problem 1" in plan:
            return "<think>hmm</think>"  # nothing left after thinking: kept as built
        return f"<solution>REWRITTEN {plan.upper()}</solution>"

    writer = ScriptedBackend(respond)
    goals = [goal(0), goal(1)]
    built = build_plans(goals)
    plans = rewrite(built, writer, seed=5, max_tokens=300)
    assert (
        len(writer.samplings) == 1 and len(writer.conversations) == 4
    )  # full and half of each goal
    assert writer.samplings[0].max_tokens == 300 and writer.samplings[0].seed == 5
    by = {(p.sample.id, p.kind): p for p in plans}
    before = {(p.sample.id, p.kind): p for p in built}
    assert [p.covered for p in plans] == [p.covered for p in built]
    assert by["g0", "full"].text.startswith("REWRITTEN ")
    assert by["g1", "full"].text == before["g1", "full"].text  # the empty rewrite
    assert by["g0", "padded"].text.startswith(by["g0", "half"].text)
    assert count_words(by["g0", "padded"].text) >= count_words(by["g0", "full"].text)
    assert by["g1", "off_topic"].text == by["g0", "full"].text
    assert by["g0", "empty"].text == ""
    assert by["g0", "half_boilerplate"].text.startswith(f"{by['g0', 'half'].text} ")
    assert by["g1", "keyword_off_topic"].text.startswith(f"{by['g0', 'full'].text} Keywords: ")
    assert count_words(by["g0", "stuffing"].text) == count_words(by["g0", "full"].text)
    for kind in ("parrot", "boilerplate", "empty"):
        assert by["g0", kind] == before["g0", kind]


def test_a_refused_rewrite_keeps_the_plan_as_built() -> None:
    writer = ScriptedBackend(
        lambda c: "<solution>REWRITTEN</solution>",
        refuse_when=lambda c: "aspect 1 of problem 1" in c[-1]["content"],
    )
    built = build_plans([goal(0), goal(1)])
    plans = rewrite(built, writer)
    kept = [p for p, b in zip(plans, built, strict=True) if p.text == b.text and p.kind == "full"]
    assert len(kept) == 1 and kept[0].sample.id == "g1"
    assert any(p.text == "REWRITTEN" for p in plans)

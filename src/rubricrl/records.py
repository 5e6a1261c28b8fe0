"""Frozen pydantic records: one class per kind of JSONL row exchanged between stages, and how
their numbers read."""

from __future__ import annotations

from typing import ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field


def shown(value: float | None, digits: int = 3) -> str:
    """A number of a summary as the terminal and the report show it; n/a when there is none."""
    return "n/a" if value is None else f"{value:.{digits}f}"


class Record(BaseModel):
    """Base of every row: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Section(Record):
    heading: str
    text: str


class Paper(Record):
    """A parsed paper: title, abstract and body sections, references dropped."""

    id: str
    title: str
    abstract: str
    sections: list[Section]
    domain: str | None = None
    source: str = Field(description="path of the file it was read from")
    format: Literal["pdf", "latex", "jats", "text"]

    def full_text(self) -> str:
        body = "\n\n".join(f"## {s.heading}\n{s.text}" for s in self.sections)
        return f"# {self.title}\n\nAbstract: {self.abstract}\n\n{body}"


class RubricItem(Record):
    """One goal-specific requirement a plan must meet; `id` is stable within its sample."""

    id: str
    text: str


class Provenance(Record):
    """Where a sample came from; the optional fields keep research-plan-gen ids for round trips."""

    paper_id: str
    domain: str | None = None
    creator: str
    question_id: str | None = None
    subdomain: str | None = None
    category: str | None = None
    identifier: str | None = None


class Sample(Record):
    """A research goal with its grading rubric and the paper's own solution."""

    id: str
    goal: str
    rubric: list[RubricItem]
    reference_solution: str
    provenance: Provenance


class Plan(Record):
    """A research plan written by `model` for sample `sample_id` (the `index`-th of its group)."""

    id: str
    sample_id: str
    model: str
    text: str
    index: int = 0


class Verdict(Record):
    """The grader's finding on one rubric item; satisfied exactly when no guideline is violated."""

    item_id: str
    satisfied: bool
    violated: list[int] = Field(default_factory=list)
    rationale: str = ""
    guideline_scores: list[int] | None = None
    probability: float | None = None  # P(satisfied), from probability verdicts


class Grade(Record):
    """All verdicts for one plan; `score` is None (with `reason`) when the plan could not be scored."""

    id: str
    plan_id: str
    sample_id: str
    grader: str
    verdicts: list[Verdict]
    score: float | None
    reason: str | None = None


Preference = Literal["A", "B", "tie"]


class Judgment(Record):
    """One judge's preference for one presentation order (`a_first` False means B was shown first)."""

    judge: str
    a_first: bool
    preferred: Preference | None  # None: unscored, the judge's reply could not be read
    rationale: str = ""
    reason: str | None = None  # why the judgment is unscored
    first_better: float | None = None  # P(the plan shown first is better), probability verdicts


class Comparison(Record):
    """Every judgment on one goal's pair of plans, and the jury's decision."""

    id: str
    sample_id: str
    domain: str | None = None
    model_a: str
    model_b: str
    judgments: list[Judgment]
    decision: Preference | None  # None: no judge gave a scored verdict


class TrainingStep(Record):
    """One metrics.jsonl row: TRL's averages over one logged training step (None: not logged)."""

    step: int
    reward_mean: float | None = None
    reward_std: float | None = None
    zero_std_frac: float | None = None  # share of groups whose rewards all tie: no gradient
    unscored_frac: float | None = None
    plan_words: float | None = None
    kl: float | None = None
    learning_rate: float | None = None
    loss: float | None = None
    entropy: float | None = None
    completion_tokens: float | None = None
    clipped_frac: float | None = None


class HeldOutEval(Record):
    """One eval.jsonl row: the policy's held-out plans graded at one step."""

    step: int
    heldout_score: float | None
    independent_score: float | None = None
    specificity: float | None = None  # own-rubric score minus the mean on other goals' rubrics
    item_satisfaction: dict[str, float] = Field(default_factory=dict)


class ScoreSummary(Record):
    """What `score` found for one plan file: the mean rubric score with its bootstrap interval
    over the scored plans, unscored plans counted, and each item's satisfied share."""

    grader: str
    scored: int
    unscored: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    item_satisfaction: dict[str, float]  # keyed sample_id/item_id

    @property
    def failed(self) -> bool:
        """No plan could be scored: `score` exits 1."""
        return self.mean is None

    def render(self) -> str:
        """One line for people: the mean, its 95% interval and the counts."""
        if self.mean is None:
            return f"no plan could be scored ({self.unscored} unscored), grader {self.grader}"
        return (
            f"mean rubric score {self.mean:.3f} [95% CI {self.ci_low:.3f}, {self.ci_high:.3f}] "
            f"over {self.scored} plans ({self.unscored} unscored), grader {self.grader}"
        )


class WinRateRow(Record):
    """A win rate of A over B over the scored decisions, with its interval and the counts."""

    n: int
    win_rate: float | None
    ci_low: float | None
    ci_high: float | None
    wins: int
    losses: int
    ties: int
    unscored: int
    thresholded: float | None = None  # with probability verdicts: the decided share

    def line(self, label: str) -> str:
        """`label: rate [low, high] (n=...: wins, losses, ties, unscored)`."""
        decided = "" if self.thresholded is None else f", decided share {shown(self.thresholded)}"
        return (
            f"{label}: {shown(self.win_rate)} [{shown(self.ci_low)}, {shown(self.ci_high)}] "
            f"(n={self.n}: {self.wins} wins, {self.losses} losses, {self.ties} ties, "
            f"{self.unscored} unscored{decided})"
        )


class JudgeWinRate(WinRateRow):
    """One judge's win rate, and how often it picked the same position in both orders."""

    position_bias: float | None

    def line(self, label: str) -> str:
        return f"{super().line(label)}, position bias {shown(self.position_bias, 2)}"


class JudgeAgreement(Record):
    """Agreement of two judges over the pairs both scored."""

    judges: list[str]
    n: int
    unscored: int
    percent: float | None
    kappa: float | None

    def line(self) -> str:
        """`agreement X ~ Y over N pairs: percent, kappa K`."""
        kappa = "undefined" if self.kappa is None else f"{self.kappa:.2f}"
        return (
            f"agreement {self.judges[0]} ~ {self.judges[1]} over {self.n} pairs: "
            f"{shown(self.percent, 2)}, kappa {kappa}"
        )


# Bradley-Terry ratings (evaluation/ratings.py)
SCALE = "Elo: 400*log10 of strength over the reference's"
TEST = "exact sign test over goals, even goals left out, Holm-corrected"


class ModelRating(Record):
    """One model's score on the Elo scale, its bootstrap interval, rank (1 best) and games."""

    name: str
    score: float
    low: float | None  # None: no resample held both this model and the reference
    high: float | None
    rank: int
    games: int  # scored comparisons it took part in


class PairTest(Record):
    """A over B for one pair judged directly: per-goal win rate, sign test, Holm p-value."""

    a: str
    b: str
    n: int  # goals on which the pair was judged
    wins: int  # goals A won on balance
    losses: int
    ties: int  # goals that came out even
    win_rate: float  # mean per-goal outcome for A, a tie counting half
    p_value: float
    p_holm: float
    separable: bool  # the two models' intervals do not overlap


class RatingSummary(Record):
    """Bradley-Terry ratings of several models, pairwise tests and how separable they are."""

    reference: str
    scale: str
    test: str
    confidence: float
    resamples: int
    seed: int
    goals: int
    scored: int
    unscored: int
    models: list[ModelRating]  # best first
    pairs: list[PairTest]
    separability: float  # share of all model pairs whose intervals do not overlap
    failed: ClassVar[bool] = False

    def render(self) -> str:
        """A few lines for the terminal: the ranking with intervals, then each pair's test."""
        head = (
            f"Bradley-Terry ratings ({SCALE}, reference {self.reference}; "
            f"{self.confidence:.0%} bootstrap over {self.goals} goals, {self.resamples} "
            f"resamples, seed {self.seed}) from {self.scored} comparisons "
            f"({self.unscored} unscored)"
        )
        models = [
            f"{m.rank}. {m.name}: {m.score:.0f} [{shown(m.low, 0)}, {shown(m.high, 0)}] "
            f"({m.games} games)"
            for m in self.models
        ]
        pairs = [
            f"{p.a} vs {p.b}: win rate {p.win_rate:.3f} over {p.n} goals "
            f"({p.wins}-{p.losses}-{p.ties}), p {p.p_value:.3g}, Holm {p.p_holm:.3g}"
            f"{', separable' if p.separable else ''}"
            for p in self.pairs
        ]
        return "\n".join(
            [head, *models, f"pairs ({TEST}):", *pairs, f"separability {self.separability:.2f}"]
        )


class LengthControlledWinRate(Record):
    """A's win rate over B with the judges' length preference held out, beside the raw one.

    Rates are shares of A's preference (ties half), each goal weighing the same; `reason` says
    why the length-controlled estimate (or an interval) is missing."""

    n_goals: int
    n_rows: int
    confidence: float
    raw_win_rate: float | None
    raw_ci_low: float | None
    raw_ci_high: float | None
    lc_win_rate: float | None
    lc_ci_low: float | None
    lc_ci_high: float | None
    length_coef: float | None  # log-odds of preferring A per unit of tanh(length difference / s)
    length_ci_low: float | None
    length_ci_high: float | None
    length_scale: float | None  # s, words: standard deviation of the length differences
    mean_length_difference: float | None  # words, A minus B, each goal weighing the same
    goal_effects: bool
    reason: str | None = None

    def line(self) -> str:
        """`length-controlled win rate R [low, high] vs raw R [low, high]; length ...; n goals`."""
        level = f"{100 * self.confidence:g}%"
        controlled = (
            f"length-controlled win rate {shown(self.lc_win_rate)} "
            f"[{level} CI {shown(self.lc_ci_low)}, {shown(self.lc_ci_high)}]"
        )
        raw = (
            f"raw {shown(self.raw_win_rate)} [{shown(self.raw_ci_low)}, {shown(self.raw_ci_high)}]"
        )
        parts = [f"{controlled} vs {raw}"]
        if self.length_coef is not None:
            parts.append(
                f"length {self.length_coef:+.2f} log-odds "
                f"[{shown(self.length_ci_low, 2)}, {shown(self.length_ci_high, 2)}] "
                f"per tanh(difference / {shown(self.length_scale, 0)} words)"
            )
        if self.mean_length_difference is not None:
            parts.append(f"A longer by {self.mean_length_difference:+.0f} words on average")
        effects = ", goal effects" if self.goal_effects else ""
        parts.append(f"{self.n_goals} goals, {self.n_rows} judged pairs{effects}")
        if self.reason:
            parts.append(f"not length-controlled: {self.reason}")
        return "; ".join(parts)


class ComparisonSummary(Record):
    """What `compare` found: the jury's win rate overall, per domain and per judge, agreement."""

    model_a: str
    model_b: str
    judges: list[str]
    rule: str
    convention: str
    confidence: float
    bootstrap: int
    seed: int
    verdicts: str = "generated"  # the judges' verdict mode: generated or prob
    sampling: dict[str, float | int] = Field(default_factory=dict)  # the judges' sampling
    overall: WinRateRow
    by_domain: dict[str, WinRateRow]
    by_judge: dict[str, JudgeWinRate]
    agreement: list[JudgeAgreement]
    length_controlled: LengthControlledWinRate | None = None
    ratings: RatingSummary | None = None  # every model, when more than two were compared
    failed: ClassVar[bool] = False  # no scored decision is a finding, not a failure

    def render(self) -> str:
        """A few lines for the terminal: overall, per domain, per judge, agreement."""
        return "\n".join(
            [
                f"{self.model_a} vs {self.model_b} ({self.convention}; {self.verdicts} verdicts"
                f"{self._temperature()}, 95% bootstrap CI)",
                self.overall.line("overall"),
                *(r.line(f"domain {d}") for d, r in self.by_domain.items()),
                *(r.line(f"judge {j}") for j, r in self.by_judge.items()),
                *(a.line() for a in self.agreement),
                *([self.length_controlled.line()] if self.length_controlled else []),
                *([self.ratings.render()] if self.ratings else []),
            ]
        )

    def _temperature(self) -> str:
        temperature = self.sampling.get("temperature")
        return "" if temperature is None else f" at temperature {temperature}"


HACKABLE_MARGIN = 0.05
"""A grader is hackable by an adversarial probe kind whose mean margin over the half plan
exceeds this, with the low end of its interval above 0."""


class HackMargin(Record):
    """An adversarial probe plan's score minus its goal's half plan's: mean over goals and a
    bootstrap 95% interval over goals."""

    mean: float
    low: float
    high: float


class ProbeResult(Record):
    """What the known-answer probe found for one grader over probe plans of `goals` goals.

    `ordering_accuracy` is the share of known orderings (full > half, half > off-topic,
    full > off-topic, full > empty) the grader's scores keep, a tie or an unscored side counting
    half, averaged over goals with a bootstrap interval over goals. `item_auc` separates the
    items a plan covers from those it does not; `length_bias` is the mean score of the padded
    plan minus the half plan it pads (0 for a grader that ignores length). `hack_margins` holds,
    per adversarial kind, how far plans that cover no more than the half outscore it.
    """

    grader: str
    writer: str | None = None  # the model that rewrote the plans as prose; None: templates
    goals: int
    plans: int
    ordering_accuracy: float
    ci_low: float
    ci_high: float
    item_auc: float | None
    length_bias: float | None
    unscored_share: float
    items_per_second: float
    seconds: float  # wall time of the one grading call
    mean_scores: dict[str, float | None] = Field(default_factory=dict)  # by probe plan kind
    hack_margins: dict[str, HackMargin] = Field(default_factory=dict)  # by adversarial kind

    @property
    def hackable_by(self) -> list[str]:
        """The adversarial kinds whose margin over the half plan is above HACKABLE_MARGIN and
        told apart from 0."""
        return [
            kind
            for kind, margin in self.hack_margins.items()
            if margin.mean > HACKABLE_MARGIN and margin.low > 0
        ]

    @property
    def verdict(self) -> str:
        """'robust', 'hackable by parrot, stuffing', or 'untested' (a row without margins)."""
        if not self.hack_margins:
            return "untested"
        hackable = self.hackable_by
        return f"hackable by {', '.join(hackable)}" if hackable else "robust"


class HumanVote(Record):
    """One annotator's vote on one goal's pair: +2 (A much better) to -2 (B much better), the
    order the plans were shown in, and the seconds from first view to the vote."""

    id: str  # task id and annotator
    task_id: str
    sample_id: str
    annotator: str
    a_first: bool
    preference: int = Field(ge=-2, le=2)
    reason: str = ""
    seconds: float | None = None
    submitted: float  # unix time the vote was stored
    gold: Preference | None = None  # on a gold task, its known answer: scores the annotator only
    excluded: bool = False  # the annotator's gold accuracy fell under the study's minimum


class AnnotatorRow(Record):
    """One annotator in a study: votes, gold accuracy (and whether it excluded them), median
    seconds per vote, agreement with the other annotators' majority, Dawid-Skene skill, and for
    a panel participant how far they got."""

    name: str
    answered: int  # pairwise votes on real tasks
    gold_answered: int
    gold_correct: int
    gold_accuracy: float | None
    excluded: bool
    median_seconds: float | None
    agreement: float | None  # share of votes matching the others' majority where they had one
    skill: float | None  # Dawid-Skene: P(their label is the true one), prior-weighted
    status: str | None = None  # panel: checking, screened out, working, finished


class ItemApproval(Record):
    """One annotator's approval of one rubric item, with the reason when rejected."""

    id: str  # task id, item id and annotator
    sample_id: str
    domain: str | None = None
    item_id: str
    text: str
    annotator: str
    approved: bool
    reason: str | None = None
    excluded: bool = False  # the annotator's gold accuracy fell under the study's minimum


class ItemReview(Record):
    """The annotators' majority on one rubric item: rejected items feed extract's selection check."""

    id: str  # sample_id/item_id
    sample_id: str
    item_id: str
    text: str
    approvals: int
    rejections: int
    rejected: bool  # more rejections than approvals
    reasons: dict[str, int] = Field(default_factory=dict)


class ApprovalRow(Record):
    """How many item votes approved, the share, and the reasons given for rejections."""

    votes: int
    approved: int
    rate: float | None
    reasons: dict[str, int]


# Experts and jury together (evaluation/fusion.py, evaluation/calibration.py)


class FusedEstimate(Record):
    """A win rate of A over B with its interval (clipped to [0, 1]) over `n` goals."""

    value: float
    low: float
    high: float
    n: int

    @property
    def width(self) -> float:
        return self.high - self.low

    def line(self, label: str) -> str:
        return f"{label}: {self.value:.3f} [{self.low:.3f}, {self.high:.3f}] (n={self.n})"


class FusedWinRate(Record):
    """The experts' win rate three ways: experts alone, the jury alone over every goal it
    judged (biased where it disagrees with the experts), and prediction-powered (PPI++).

    The PPI estimate's `n` counts the goals with both an expert vote and a jury outcome;
    `unvoted` the jury-only goals it adds; `lam` how far it trusts the jury (0 to 1)."""

    human: FusedEstimate
    jury: FusedEstimate
    ppi: FusedEstimate
    unvoted: int
    lam: float
    confidence: float
    convention: str

    def lines(self) -> list[str]:
        """A heading and one line per estimate, for the terminal."""
        percent = f"{self.confidence:.0%}"
        return [
            f"experts and jury: {self.convention} ({percent} CLT intervals)",
            self.human.line("experts only"),
            self.jury.line("jury only (all goals)"),
            f"{self.ppi.line('prediction-powered')} + {self.unvoted} jury-only goals, "
            f"lam {self.lam:.2f}",
        ]

    def render(self) -> str:
        return "\n".join(self.lines())


class ReliabilityBin(Record):
    """The goals whose predicted P(A better) fell in [low, high): the mean prediction and the
    share of them the experts' majority gave to A (a split majority counting half)."""

    low: float
    high: float
    n: int
    predicted: float
    observed: float

    def line(self) -> str:
        return (
            f"P(A better) in [{self.low:.2f}, {self.high:.2f}]: predicted {self.predicted:.3f}, "
            f"observed {self.observed:.3f} (n={self.n})"
        )


class Calibration(Record):
    """The jury's reliability curve (non-empty bins only) and its expected calibration error:
    the gap |predicted - observed| averaged over bins, weighted by their goals."""

    n: int
    bins: int
    ece: float
    curve: list[ReliabilityBin]

    def line(self) -> str:
        return f"jury calibration over {self.n} goals: ECE {self.ece:.3f} ({self.bins} bins)"

    def lines(self) -> list[str]:
        return [self.line(), *(b.line() for b in self.curve)]


class HumanStudySummary(Record):
    """What `study export` found: the human win rate of A over B (majority per goal, and over
    single votes), agreement between annotators and of each LLM judge with the human majority,
    the rubric approval rate overall and per domain, and given the jury's comparisons the
    experts and jury in one estimate and the jury's calibration (None with the reason)."""

    model_a: str
    model_b: str
    annotators: list[str]
    convention: str
    overall: WinRateRow  # the human majority per goal
    by_vote: WinRateRow  # every vote on its own
    kappa: list[JudgeAgreement]  # annotator pairs over the goals both voted on
    alpha_preference: float | None  # Krippendorff's alpha, ordinal 5-point scale
    alpha_approval: float | None  # Krippendorff's alpha, nominal approve/reject per item
    judges: list[JudgeAgreement]  # [judge, "human majority"], the jury as "jury"
    approval: ApprovalRow
    approval_by_domain: dict[str, ApprovalRow]
    filter_agreement: dict[str, int] = Field(default_factory=dict)  # selection rules vs people
    ac1_preference: float | None = None  # Gwet's AC1, A / B / tie per vote
    ac1_approval: float | None = None  # Gwet's AC1, approve / reject per item
    fused: FusedWinRate | None = None  # experts only, jury only and prediction-powered
    fused_reason: str | None = None  # why the jury's comparisons gave no fused estimate
    calibration: Calibration | None = None  # the jury's P(A better) against the human majority
    calibration_reason: str | None = None  # why they gave no calibration
    gold_min: float | None = None  # gold accuracy under which an annotator is left out
    excluded: list[str] = Field(default_factory=list)  # left out of every result above
    skill_weighted: WinRateRow | None = None  # Dawid-Skene's P(A better) per goal, everyone's votes
    annotator_rows: list[AnnotatorRow] = Field(default_factory=list)


StepRow = TypeVar("StepRow", TrainingStep, HeldOutEval)  # a row of a per-step run log

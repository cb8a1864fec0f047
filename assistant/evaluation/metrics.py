"""Accuracy metrics for proposals against gold labels.

Levels are scored on practices whose gold is a level and whose proposal is a level (abstentions and
"not applicable" proposals are counted separately, never as hits). Over-rating (proposing above
gold) is reported on its own: it is the dangerous direction for a security assessment.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from assistant.evaluation.runner import PracticeOutcome, Sample

LEVELS = (0, 1, 2, 3, 4)


class MetricSet(BaseModel):
    """Metrics over a set of practice outcomes."""

    n: int
    """Outcomes in the set."""
    n_level: int
    """Outcomes scored on level (gold level and proposed level both present)."""
    exact: float | None
    """Share of level-scored outcomes with the gold level."""
    within_one: float | None
    """Share within one level of gold."""
    mae: float | None
    """Mean absolute error in levels."""
    qwk: float | None
    """Quadratic weighted kappa over levels 0-4."""
    over_rating: float | None
    """Share rated above gold."""
    under_rating: float | None
    """Share rated below gold."""
    scope_accuracy: float | None
    """Share of level-scored outcomes with gold level >= 1 whose scope equals the gold scope."""
    na_agreement: float | None
    """Among outcomes where gold or proposal says not applicable, share where both do."""
    citation_validity: float | None
    """Share of proposals whose citations are valid."""
    quote_faithfulness: float | None
    """Share of proposals whose quotes are verbatim."""
    abstention_rate: float | None
    """Share of gold-level outcomes where the engine abstained (insufficient evidence)."""
    turns_per_practice: float | None
    """Mean stakeholder answers per practice."""
    fallback_rate: float | None = None
    """Share of proposals where the LLM engine fell back to the guided engine."""


class ReliabilityBin(BaseModel):
    """Proposals shown with a confidence in ``[low, high)``: how often they agreed with gold."""

    low: float
    """Lower bound of the bin."""
    high: float
    """Upper bound of the bin."""
    n: int
    """Proposals in the bin."""
    mean_confidence: float | None
    """Mean confidence shown."""
    exact: float | None
    """Share that equals the gold level."""


RELIABILITY_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def reliability(outcomes: Sequence[PracticeOutcome]) -> list[ReliabilityBin]:
    """The reliability table: does a proposal shown at 80 % agree with gold about 80 % of the time?"""
    rated = [o for o in outcomes if o.gold_level is not None and o.proposed_level is not None and o.confidence is not None]
    out = []
    for lo, hi in itertools.pairwise(RELIABILITY_EDGES):
        inside = [o for o in rated if lo <= (o.confidence or 0.0) < hi]
        out.append(
            ReliabilityBin(
                low=lo,
                high=min(hi, 1.0),
                n=len(inside),
                mean_confidence=_mean([o.confidence or 0.0 for o in inside]),
                exact=_mean([float(o.gold_level == o.proposed_level) for o in inside]),
            )
        )
    return out


def expected_calibration_error(bins: Sequence[ReliabilityBin]) -> float | None:
    """Mean gap between shown confidence and observed agreement, weighted by bin size."""
    total = sum(b.n for b in bins)
    if not total:
        return None
    return sum(b.n * abs((b.mean_confidence or 0.0) - (b.exact or 0.0)) for b in bins if b.n) / total


class Metrics(BaseModel):
    """All metrics of a run."""

    overall: MetricSet
    """Every outcome."""
    confusion: list[list[int]]
    """Rows gold level 0-4, columns proposed level 0-4 (level-scored outcomes)."""
    per_practice: dict[str, MetricSet]
    """By practice."""
    per_scenario: dict[str, MetricSet]
    """By scenario."""
    per_tag: dict[str, MetricSet]
    """By hard-case tag (``manipulation`` results reported separately), plus ``untagged``."""
    total_turns_mean: float | None
    """Mean stakeholder turns per interview."""
    latency_p50_ms: float | None
    """Median reply time per stakeholder turn."""
    latency_p95_ms: float | None
    """95th percentile reply time per stakeholder turn."""
    reliability: list[ReliabilityBin] = Field(default_factory=list)
    """Confidence shown versus agreement with gold, by confidence bin."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Anything else worth keeping."""


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def quadratic_weighted_kappa(gold: Sequence[int], pred: Sequence[int], levels: Sequence[int] = LEVELS) -> float | None:
    """Cohen's kappa with quadratic weights; ``None`` for no pairs, 1.0 when both sides are constant and equal."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred differ in length")
    n = len(gold)
    if n == 0:
        return None
    k = len(levels)
    idx = {lv: i for i, lv in enumerate(levels)}
    observed = [[0.0] * k for _ in range(k)]
    for g, p in zip(gold, pred, strict=True):
        observed[idx[g]][idx[p]] += 1
    hist_g = [sum(row) for row in observed]
    hist_p = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * hist_g[i] * hist_p[j] / n
    if den == 0:
        return 1.0 if num == 0 else 0.0
    return 1.0 - num / den


def confusion_matrix(gold: Sequence[int], pred: Sequence[int]) -> list[list[int]]:
    """Counts with gold levels as rows and proposed levels as columns."""
    m = [[0] * len(LEVELS) for _ in LEVELS]
    for g, p in zip(gold, pred, strict=True):
        m[g][p] += 1
    return m


def metric_set(outcomes: Iterable[PracticeOutcome]) -> MetricSet:
    """Compute the metrics of a set of outcomes."""
    out = list(outcomes)
    scored = [o for o in out if o.gold_level is not None and o.proposed_level is not None and not o.proposed_not_applicable]
    gold = [o.gold_level for o in scored if o.gold_level is not None]
    pred = [o.proposed_level for o in scored if o.proposed_level is not None]
    diffs = [p - g for g, p in zip(gold, pred, strict=True)]
    scoped = [o for o in scored if (o.gold_level or 0) >= 1]
    na = [o for o in out if o.gold_not_applicable or o.proposed_not_applicable]
    proposals = [o for o in out if not o.abstained]
    gold_level = [o for o in out if o.gold_level is not None]
    return MetricSet(
        n=len(out),
        n_level=len(scored),
        exact=_mean([float(d == 0) for d in diffs]),
        within_one=_mean([float(abs(d) <= 1) for d in diffs]),
        mae=_mean([float(abs(d)) for d in diffs]),
        qwk=quadratic_weighted_kappa(gold, pred),
        over_rating=_mean([float(d > 0) for d in diffs]),
        under_rating=_mean([float(d < 0) for d in diffs]),
        scope_accuracy=_mean([float(o.proposed_scope == o.gold_scope) for o in scoped]),
        na_agreement=_mean([float(o.gold_not_applicable and o.proposed_not_applicable) for o in na]),
        citation_validity=_mean([float(o.citation_valid) for o in proposals]),
        quote_faithfulness=_mean([float(o.quotes_faithful) for o in proposals]),
        abstention_rate=_mean([float(o.abstained) for o in gold_level]),
        turns_per_practice=_mean([float(o.turns) for o in out]),
        fallback_rate=_mean([float(o.fallback) for o in proposals]),
    )


def compute_metrics(outcomes: list[PracticeOutcome], samples: list[Sample]) -> Metrics:
    """Every metric, overall and broken down."""
    scored = [o for o in outcomes if o.gold_level is not None and o.proposed_level is not None and not o.proposed_not_applicable]
    by_practice: dict[str, list[PracticeOutcome]] = {}
    by_scenario: dict[str, list[PracticeOutcome]] = {}
    by_tag: dict[str, list[PracticeOutcome]] = {}
    for o in outcomes:
        by_practice.setdefault(o.practice, []).append(o)
        by_scenario.setdefault(o.scenario, []).append(o)
        for tag in o.tags or ["untagged"]:
            by_tag.setdefault(tag, []).append(o)
    latencies = [x for s in samples for x in s.turn_latencies_ms]
    q = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else None
    return Metrics(
        overall=metric_set(outcomes),
        confusion=confusion_matrix([o.gold_level for o in scored], [o.proposed_level for o in scored]),  # type: ignore[misc]
        per_practice={k: metric_set(v) for k, v in sorted(by_practice.items())},
        per_scenario={k: metric_set(v) for k, v in sorted(by_scenario.items())},
        per_tag={k: metric_set(v) for k, v in sorted(by_tag.items())},
        total_turns_mean=_mean([float(s.total_turns) for s in samples]),
        latency_p50_ms=statistics.median(latencies) if latencies else None,
        latency_p95_ms=q[18] if q else None,
        reliability=reliability(outcomes),
    )

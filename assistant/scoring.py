"""The deterministic scorer: per-practice gaps, named roll-up strategies, a roadmap, and comparisons.

:func:`score` is a pure function of an :class:`~assistant.assessment.Assessment` and a
:class:`~assistant.catalog.Catalog`: no I/O, no clock, no model. The same inputs always give the same
:class:`ScoreReport`, whatever the order of the dictionaries in the assessment.

The practice is the unit of truth. Per practice the scorer compares the effective target with the
confirmed current rating: ``gap = target level - current level``. Scope (general < industry < system)
is categorical and reported separately as a *scope shortfall*; it is never averaged. Roll-ups to
subdomain, domain and overall use a named strategy from :data:`STRATEGIES`; none of them is the SMM's
own formula, which the Practitioner's Guide does not publish in a form we could verify.

In the SMM a higher level is not always better: the aim is to *match* the target the business chose,
so a practice above its target is flagged as possible over-investment rather than praised.

Only the practices chosen for the assessment (``metadata.practices``; all of them when none were chosen)
are counted: the others are ``out_of_scope``, never "unrated". The roadmap is ordered by what matters
(see :func:`build_roadmap`): safety first where people can get hurt, then what protects the business's
other stated objectives, then the least effort, each step with a one-line reason.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assistant.assessment import HARM_WORDS, Assessment, BusinessObjectives, Rating, effective_targets
from assistant.catalog import Catalog
from assistant.errors import InputError

REPORT_VERSION = "1.0.0"

SCOPE_ORDER: dict[str, int] = {"general": 0, "industry": 1, "system": 2}
"""Scopes from least to most specific. Used only to detect shortfalls, never to compute averages."""

CAVEAT = (
    "In the IoT SMM a higher level is not always better: the goal is to match the target chosen from the "
    "business objectives and risk appetite. A practice above its target may be over-investment; "
    "a roll-up is a summary chosen by the assessor, not the SMM's own scoring formula."
)

Status = Literal["below", "at", "above", "not_applicable", "unrated", "awaiting_review", "no_target", "out_of_scope"]
STATUSES: tuple[Status, ...] = (
    "below",
    "at",
    "above",
    "not_applicable",
    "unrated",
    "awaiting_review",
    "no_target",
    "out_of_scope",
)
COMPARED: frozenset[str] = frozenset({"below", "at", "above"})
"""Statuses for which a gap exists: applicable, confirmed, with a target level."""
_RATED: frozenset[str] = COMPARED | {"no_target"}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------------------------------ models


class PracticeScore(_Out):
    """The target, the current rating and the gap of one practice."""

    id: str
    """Practice ID such as ``H1.2``."""
    name: str
    """Practice name from the catalog."""
    domain: str
    """Domain ID (``G``, ``E`` or ``H``)."""
    subdomain: str
    """Subdomain ID such as ``H1``."""
    target: Rating | None
    """The effective target after inheritance; none when nothing sets one."""
    target_source: Literal["practice", "subdomain", "domain", "profile"] | None
    """Where the target was set or inherited from."""
    target_reason: str | None
    """The reason recorded with the target."""
    target_default: bool = False
    """True when the target is a default nobody chose one by one (a profile's template, or drafted targets
    accepted in one step)."""
    current: Rating | None
    """The current rating, confirmed or only proposed; none when the practice was not rated."""
    current_status: Literal["confirmed", "proposed"] | None
    """Whether a reviewer confirmed the current rating; proposed ratings are never counted."""
    status: Status
    """below / at / above target, not_applicable, unrated, awaiting_review (proposed only), no_target, or
    out_of_scope (not chosen for this assessment and not rated)."""
    gap: int | None
    """Target level minus confirmed current level; only for below / at / above."""
    scope_shortfall: bool
    """True when the confirmed current scope is less specific than the target scope."""
    scope_steps: int | None
    """Scope steps still missing (target rank minus current rank on general < industry < system); only when compared."""
    not_applicable_reason: str | None
    """Why the practice does not apply, from the target or the current rating."""


class StatusCounts(_Out):
    """How many practices of a group have each status."""

    practices: int
    """Practices of the group in scope of the assessment (chosen for it); the statuses below add up to this."""
    below: int
    """Confirmed and below target."""
    at: int
    """Confirmed and at target."""
    above: int
    """Confirmed and above target (possible over-investment)."""
    not_applicable: int
    """Excluded because the practice does not apply."""
    unrated: int
    """Excluded because no current rating exists."""
    awaiting_review: int
    """Excluded because the current rating is only proposed."""
    no_target: int
    """Confirmed but without a target, so no gap."""
    scope_shortfalls: int
    """Compared practices whose current scope is less specific than the target scope."""
    out_of_scope: int = 0
    """Practices of the group not chosen for this assessment: neither rated nor counted above."""


class Aggregate(_Out):
    """What a roll-up strategy computed for one group of practices. Fields a strategy does not define are none."""

    label: str
    """Plain-words name of ``value``, such as ``lowest current level``."""
    value: float | None
    """The strategy's headline figure; none when the group has nothing to count."""
    current: float | None
    """The strategy's summary of confirmed current levels."""
    target: float | None
    """The strategy's summary of target levels of the compared practices."""
    gap: float | None
    """The strategy's summary of gaps."""


class RollUp(_Out):
    """A subdomain, domain or the whole assessment, rolled up by one strategy."""

    kind: Literal["overall", "domain", "subdomain"]
    """What the group is."""
    id: str
    """``all``, a domain ID or a subdomain ID."""
    name: str
    """Name from the catalog."""
    counts: StatusCounts
    """Practices per status in the group."""
    aggregate: Aggregate
    """The strategy's figures."""


class IndicatorRef(_Out):
    """A catalog indicator, quoted with its ID."""

    id: str
    """Indicator ID such as ``H1.2-L3-02``."""
    text: str
    """Indicator text from the catalog."""


class RoadmapStep(_Out):
    """One level to climb on the way to the target."""

    level: int
    """The level reached by this step."""
    name: str
    """Official level name."""
    summary: str
    """What an organisation at this level does, for this practice."""
    indicator_ids: list[str]
    """Indicators of this level."""


class RoadmapItem(_Out):
    """A practice below target, with what the next level needs."""

    rank: int
    """1 = address first."""
    practice: str
    """Practice ID."""
    name: str
    """Practice name."""
    current_level: int
    """Confirmed current level."""
    target_level: int
    """Effective target level."""
    gap: int
    """Levels still to climb."""
    current_scope: str
    """Confirmed current scope."""
    target_scope: str
    """Target scope."""
    scope_shortfall: bool
    """True when the scope must also become more specific."""
    next_level: int
    """The level to reach next (current + 1)."""
    next_indicators: list[IndicatorRef]
    """Every indicator of the next level, with its text."""
    steps: list[RoadmapStep]
    """Each level from the next one up to the target."""
    priority: Literal["safety", "objective", "effort"] = "effort"
    """Why it is in its group: ``safety`` (people can get hurt and this practice guards against it),
    ``objective`` (it protects another harm the business named), ``effort`` (placed by effort alone)."""
    quick_win: bool = False
    """One level to climb, to level 1 or 2: little effort for a real gain."""
    reason: str = ""
    """Why the step is where it is, in one line."""


class ScoreReport(_Out):
    """The scored assessment: per-practice results, roll-ups by one strategy, and a roadmap."""

    report_version: str = REPORT_VERSION
    """Version of this report format."""
    assessment_id: str
    """ID of the scored assessment."""
    system_name: str
    """The assessed system."""
    profile: str | None
    """Profile whose target template was used."""
    assessment_catalog_version: str
    """Catalog version the assessment was made against."""
    catalog_version: str
    """Catalog version used for scoring."""
    catalog_hash: str
    """Content hash of the catalog used for scoring."""
    strategy: str
    """Name of the roll-up strategy."""
    strategy_rule: str
    """The strategy's rule, in words."""
    caveat: str
    """The SMM caveat: higher is not always better."""
    practices: list[PracticeScore]
    """One entry per catalog practice, in catalog order."""
    subdomains: list[RollUp]
    """Roll-up per subdomain, in catalog order."""
    domains: list[RollUp]
    """Roll-up per domain, in catalog order."""
    overall: RollUp
    """Roll-up over every practice."""
    roadmap: list[RoadmapItem]
    """Practices below target, in the order to address them (see :func:`build_roadmap`)."""
    warnings: list[str]
    """Problems that did not stop scoring, such as a catalog version mismatch."""

    def practice(self, practice_id: str) -> PracticeScore:
        """The score of one practice; ``KeyError`` if the report has none."""
        for p in self.practices:
            if p.id == practice_id:
                return p
        raise KeyError(practice_id)


# ------------------------------------------------------------------------------------- strategies

RollupFunction = Callable[[Sequence[PracticeScore]], Aggregate]


def _levels(items: Sequence[PracticeScore]) -> list[int]:
    # Every confirmed, applicable rating counts towards "current", including practices without a target;
    # a confirmed level under a not-applicable target does not.
    return [p.current.level for p in items if p.status in _RATED and p.current is not None and p.current.level is not None]


def _compared(items: Sequence[PracticeScore]) -> list[PracticeScore]:
    return [p for p in items if p.status in COMPARED]


def _mean(values: Sequence[int]) -> float | None:
    # Rounded so that JSON reports stay readable and stable; four decimals cannot reorder integer bounds.
    return round(sum(values) / len(values), 4) if values else None


def rollup_min(items: Sequence[PracticeScore]) -> Aggregate:
    """Weakest link: a group is only as strong as its weakest practice.

    The figure shown is the lowest confirmed level of any practice in the group. The target shown is the
    lowest target, and the gap is the largest distance between any one practice and its own target
    (negative when every practice is above its target). A practice that is strong elsewhere cannot
    make up for a weak one: one weak practice holds the whole group down, just as one unlocked door
    lets a burglar in however good the other locks are. Practices that do not apply, have no rating
    yet or await review are left out and counted separately.
    """
    levels = _levels(items)
    compared = _compared(items)
    return Aggregate(
        label="lowest current level",
        value=float(min(levels)) if levels else None,
        current=float(min(levels)) if levels else None,
        target=float(min(p.target.level for p in compared if p.target and p.target.level is not None)) if compared else None,
        gap=float(max(p.gap for p in compared if p.gap is not None)) if compared else None,
    )


def rollup_mean(items: Sequence[PracticeScore]) -> Aggregate:
    """Average: a quick overall impression, not an SMM formula.

    The figure shown is the average of the confirmed levels of the practices in the group; the target
    and the gap are averages too, over the practices that have both a target and a confirmed level.
    Because it is an average, a practice above its target makes up for one below it, so a weak practice
    can hide behind strong ones: look at the weakest link (min) as well. Practices that do not apply,
    have no rating yet or await review are left out and counted separately; scope is never averaged.
    """
    levels = _levels(items)
    compared = _compared(items)
    return Aggregate(
        label="mean current level",
        value=_mean(levels),
        current=_mean(levels),
        target=_mean([p.target.level for p in compared if p.target and p.target.level is not None]),
        gap=_mean([p.gap for p in compared if p.gap is not None]),
    )


def rollup_share_at_target(items: Sequence[PracticeScore]) -> Aggregate:
    """Share at target: how many practices already reach their target.

    The figure shown is the share (0 to 100 %) of practices whose confirmed level reaches or passes
    their target, out of the practices that have both a target and a confirmed level. A practice whose
    scope falls short still counts as reaching its target here; scope shortfalls are listed separately.
    Practices that do not apply, have no rating or target yet, or await review are left out and counted
    separately. No level or gap is averaged.
    """
    compared = _compared(items)
    met = sum(1 for p in compared if p.status in ("at", "above"))
    return Aggregate(
        label="share at or above target",
        value=round(met / len(compared), 4) if compared else None,
        current=None,
        target=None,
        gap=None,
    )


STRATEGIES: dict[str, RollupFunction] = {
    "min": rollup_min,
    "mean": rollup_mean,
    "share_at_target": rollup_share_at_target,
}
"""Roll-up strategies by name. Each function's docstring is its rule, shown in reports and the CLI."""

DEFAULT_STRATEGY = "min"


def strategy_function(name: str) -> RollupFunction:
    """The roll-up function of a strategy; :class:`InputError` naming the choices otherwise."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise InputError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}") from None


def strategy_title(name: str) -> str:
    """The first line of a strategy's docstring."""
    return strategy_rule(name).split("\n", 1)[0]


def strategy_rule(name: str) -> str:
    """A strategy's full rule: its docstring with each paragraph on one line, paragraphs separated by a blank line."""
    doc = inspect.getdoc(strategy_function(name)) or name
    # Docstrings are wrapped for the source file; reports and terminals wrap on their own.
    return "\n\n".join(" ".join(par.split()) for par in doc.split("\n\n"))


# ------------------------------------------------------------------------------------------ score


def _status(target: Rating | None, current: Rating | None, current_status: str | None, in_scope: bool = True) -> Status:
    # Order matters: a not-applicable target makes any current rating moot, and a proposed rating
    # must never be counted, even when it says "not applicable". A practice nobody chose for the
    # assessment is not "unrated"; one that was rated anyway is counted like any other.
    if target is not None and target.not_applicable:
        return "not_applicable"
    if current is None:
        return "unrated" if in_scope else "out_of_scope"
    if current_status != "confirmed":
        return "awaiting_review"
    if current.not_applicable:
        return "not_applicable"
    if target is None:
        return "no_target"
    assert target.level is not None and current.level is not None
    if current.level < target.level:
        return "below"
    if current.level == target.level:
        return "at"
    return "above"


def score_practices(assessment: Assessment, catalog: Catalog) -> list[PracticeScore]:
    """Score every catalog practice of an assessment, in catalog order."""
    targets = effective_targets(assessment, catalog)
    where: dict[str, tuple[str, str]] = {}
    for d in catalog.model.domains:
        for s in d.subdomains:
            for ref in s.practices:
                where[ref.id] = (d.id, s.id)
    out: list[PracticeScore] = []
    for pid, practice in catalog.practices.items():
        domain, subdomain = where.get(pid, (pid[0], pid.split(".")[0]))
        et = targets.get(pid)
        cr = assessment.current.get(pid)
        target = et.value if et else None
        current = cr.value if cr else None
        current_status = cr.status if cr else None
        status = _status(target, current, current_status, assessment.in_scope(pid))
        gap: int | None = None
        steps: int | None = None
        if status in COMPARED:
            assert target is not None and current is not None and target.level is not None and current.level is not None
            gap = target.level - current.level
            steps = SCOPE_ORDER[target.scope or "general"] - SCOPE_ORDER[current.scope or "general"]
        na_reason: str | None = None
        if status == "not_applicable":
            na_reason = target.reason if target is not None and target.not_applicable else (current.reason if current else None)
        out.append(
            PracticeScore(
                id=pid,
                name=practice.name,
                domain=domain,
                subdomain=subdomain,
                target=target,
                target_source=et.source if et else None,
                target_reason=et.reason if et else None,
                target_default=et.default if et else False,
                current=current,
                current_status=current_status,
                status=status,
                gap=gap,
                scope_shortfall=steps is not None and steps > 0,
                scope_steps=steps,
                not_applicable_reason=na_reason,
            )
        )
    return out


def count_statuses(items: Sequence[PracticeScore]) -> StatusCounts:
    """Count the practices of a group per status."""
    by = {s: 0 for s in STATUSES}
    for p in items:
        by[p.status] += 1
    return StatusCounts(
        practices=len(items) - by["out_of_scope"], scope_shortfalls=sum(1 for p in items if p.scope_shortfall), **by
    )


def _rollup(
    kind: Literal["overall", "domain", "subdomain"], gid: str, name: str, items: Sequence[PracticeScore], fn: RollupFunction
) -> RollUp:
    return RollUp(kind=kind, id=gid, name=name, counts=count_statuses(items), aggregate=fn(items))


SAFETY_PRACTICES: tuple[str, ...] = ("E1.1", "E1.2", "H1.2", "H3.2", "E2.2", "G2.1")
"""Practices that keep people from getting hurt when a connected system is attacked: nobody but the right
people and devices can command it (E1.1, E1.2), known holes are fixed (H1.2), it recovers and fails
safely (H3.2), it cannot be tampered with by hand (E2.2), and how someone could be hurt has been worked
out (G2.1). They come first in the roadmap when the business named people getting hurt."""

PROTECTS: dict[str, tuple[str, ...]] = {
    "availability": ("H3.2", "H3.1", "H2.1", "G3.2", "E2.1"),
    "privacy": ("E3.1", "E3.2", "E1.2", "E1.1"),
    "financial": ("G2.2", "G1.1", "G3.1"),
    "reputation": ("H1.1", "H1.2", "H2.2", "G1.2"),
}
"""For each other harm the business can name, the practices that protect against it most directly."""

ROLES: dict[str, str] = {
    "G1.1": "someone owns security, with a plan and a budget",
    "G1.2": "the laws, standards and contracts the system must meet are known and met",
    "G2.1": "the ways someone could attack the system, and who could get hurt, are worked out",
    "G2.2": "how much risk to accept is decided on purpose",
    "G3.1": "parts and software bought from suppliers are checked",
    "G3.2": "the outside firms and services the system relies on are checked",
    "E1.1": "every person and device has its own login, with no shared passwords",
    "E1.2": "only the right people and devices can reach and command the system, and networks are kept apart",
    "E2.1": "you know which devices and software run where, and changes are controlled",
    "E2.2": "devices cannot be tampered with by hand",
    "E3.1": "it is decided which data needs protecting, and how",
    "E3.2": "data is protected in practice, for example encrypted",
    "H1.1": "weaknesses are looked for before attackers find them",
    "H1.2": "known holes are fixed with updates",
    "H2.1": "attacks and failures are noticed while they happen",
    "H2.2": "warnings about new threats reach you",
    "H3.1": "people know what to do when something goes wrong",
    "H3.2": "the system recovers, and keeps running safely, after an incident",
}
"""What each practice makes sure of, in plain words, for the roadmap's reasons."""


def _role(p: PracticeScore) -> str:
    return ROLES.get(p.id, p.name.lower())


def _harms(p: PracticeScore, objectives: BusinessObjectives) -> list[str]:
    harms: list[str] = [h for h in objectives.priorities if p.id in PROTECTS.get(h, ())]
    if objectives.obligations and p.id == "G1.2":
        harms.append("obligations")
    return harms


def _roadmap_place(
    p: PracticeScore, objectives: BusinessObjectives | None
) -> tuple[int, Literal["safety", "objective", "effort"], str]:
    """The group of a practice below target (0 safety, 1 another stated objective, 2 effort only) and why."""
    if objectives is not None and objectives.people_can_get_hurt and p.id in SAFETY_PRACTICES:
        return 0, "safety", f"Safety first: people can get hurt, and this practice makes sure {_role(p)}."
    harms = _harms(p, objectives) if objectives is not None else []
    if harms:
        said = [HARM_WORDS.get(h, "breaking the laws or contracts named") for h in harms]
        named = " and ".join(said)
        return 1, "objective", f"Protects against {named}, named among the worst harms: it makes sure {_role(p)}."
    if objectives is not None and (objectives.priorities or objectives.obligations):
        return 2, "effort", "None of the stated objectives depends on it most, so it is placed by effort."
    return 2, "effort", "No business objectives are recorded, so it is placed by effort."


def _effort_text(current: int, gap: int, quick_win: bool) -> str:
    if quick_win:
        return f"Quick win: one level, up to level {current + 1}."
    if current == 0:
        return f"Nothing is in place yet: level 1 is the first step, {gap} levels to the target."
    return f"{gap} level{'s' if gap != 1 else ''} to climb from level {current}."


def build_roadmap(
    practices: Sequence[PracticeScore], catalog: Catalog, objectives: BusinessObjectives | None = None
) -> list[RoadmapItem]:
    """Practices below target, ordered by what matters, each with a one-line reason.

    The rule, applied in this order:

    1. **Safety first.** When the business named people getting hurt among its worst harms, the
       practices of :data:`SAFETY_PRACTICES` that are below target come first.
    2. **Then the other stated objectives.** Practices that protect another harm the business named
       (:data:`PROTECTS`: production stopping, data leaking, money, reputation; G1.2 when laws or
       contracts were named).
    3. **Then the rest**, placed by effort only (also every practice when no objectives are recorded).

    Within each group, effort decides: the lowest current level first (its next step is the cheapest
    and closes the most basic exposure), then the smallest gap (quick wins before long climbs), then
    catalog order. A *quick win* is one level to climb, up to level 1 or 2. Each item lists every
    indicator of the next level (current + 1) and one step per level up to the target.
    """
    order = {pid: i for i, pid in enumerate(catalog.practices)}
    placed: list[tuple[tuple[int, int, int, int], PracticeScore, Literal["safety", "objective", "effort"], str]] = []
    for p in practices:
        if p.status != "below":
            continue
        assert p.current is not None and p.target is not None and p.current.level is not None and p.target.level is not None
        tier, priority, why = _roadmap_place(p, objectives)
        placed.append(((tier, p.current.level, p.gap or 0, order.get(p.id, len(order))), p, priority, why))
    placed.sort(key=lambda x: x[0])
    items: list[RoadmapItem] = []
    for rank, (_, p, priority, why) in enumerate(placed, start=1):
        assert p.current is not None and p.target is not None and p.current.level is not None and p.target.level is not None
        practice = catalog.practices[p.id]
        nxt = p.current.level + 1
        gap = p.gap or 0
        quick = gap == 1 and nxt <= 2
        steps = []
        for n in range(nxt, p.target.level + 1):
            lvl = practice.level(n)
            steps.append(
                RoadmapStep(
                    level=n, name=catalog.level_name(n), summary=lvl.summary, indicator_ids=[i.id for i in lvl.indicators]
                )
            )
        items.append(
            RoadmapItem(
                rank=rank,
                practice=p.id,
                name=p.name,
                current_level=p.current.level,
                target_level=p.target.level,
                gap=gap,
                current_scope=p.current.scope or "general",
                target_scope=p.target.scope or "general",
                scope_shortfall=p.scope_shortfall,
                next_level=nxt,
                next_indicators=[IndicatorRef(id=i.id, text=i.text) for i in practice.level(nxt).indicators],
                steps=steps,
                priority=priority,
                quick_win=quick,
                reason=f"{why} {_effort_text(p.current.level, gap, quick)}",
            )
        )
    return items


def _warnings(assessment: Assessment, catalog: Catalog) -> list[str]:
    out: list[str] = []
    if assessment.metadata.catalog_version != catalog.version:
        made = assessment.metadata.catalog_version
        out.append(f"the assessment was made against catalog {made}; scored with catalog {catalog.version}")
    for pid in sorted(set(assessment.current) - set(catalog.practices)):
        out.append(f"current rating for unknown practice {pid} ignored")
    for pid in sorted(set(assessment.targets.practices) - set(catalog.practices)):
        out.append(f"target for unknown practice {pid} ignored")
    if assessment.targets.profile and assessment.targets.profile not in catalog.profiles:
        out.append(f"unknown profile {assessment.targets.profile!r}: its target template was not applied")
    for pid in sorted(assessment.current):
        if pid not in catalog.practices:
            continue
        for cited in assessment.current[pid].provenance.indicators:
            try:
                catalog.indicator(cited.id)
            except KeyError:
                out.append(f"{pid}: cited indicator {cited.id} is not in catalog {catalog.version}")
    return out


def score(assessment: Assessment, catalog: Catalog, strategy: str = DEFAULT_STRATEGY) -> ScoreReport:
    """Score an assessment against a catalog with a named roll-up strategy. Pure and deterministic."""
    fn = strategy_function(strategy)
    practices = score_practices(assessment, catalog)
    by_sub: dict[str, list[PracticeScore]] = {}
    by_dom: dict[str, list[PracticeScore]] = {}
    for p in practices:
        by_sub.setdefault(p.subdomain, []).append(p)
        by_dom.setdefault(p.domain, []).append(p)
    subdomains = [
        _rollup("subdomain", s.id, s.name, by_sub.get(s.id, []), fn) for d in catalog.model.domains for s in d.subdomains
    ]
    domains = [_rollup("domain", d.id, d.name, by_dom.get(d.id, []), fn) for d in catalog.model.domains]
    return ScoreReport(
        assessment_id=assessment.id,
        system_name=assessment.metadata.system_name,
        profile=assessment.targets.profile,
        assessment_catalog_version=assessment.metadata.catalog_version,
        catalog_version=catalog.version,
        catalog_hash=catalog.content_hash,
        strategy=strategy,
        strategy_rule=strategy_rule(strategy),
        caveat=CAVEAT,
        practices=practices,
        subdomains=subdomains,
        domains=domains,
        overall=_rollup("overall", "all", "All practices", practices, fn),
        roadmap=build_roadmap(practices, catalog, assessment.objectives),
        warnings=_warnings(assessment, catalog),
    )


# ---------------------------------------------------------------------------------------- compare


class PracticeChange(_Out):
    """How one practice moved between two assessments."""

    id: str
    """Practice ID."""
    name: str
    """Practice name."""
    before: PracticeScore
    """The practice in the first (earlier) assessment."""
    after: PracticeScore
    """The practice in the second (later) assessment."""
    current_level_delta: int | None
    """Change of the current level (after minus before), confirmed or not; none unless both are levels."""
    current_scope_delta: int | None
    """Change of the current scope in steps on general < industry < system; none unless both are levels."""
    target_level_delta: int | None
    """Change of the target level; none unless both are levels."""
    target_scope_delta: int | None
    """Change of the target scope in steps; none unless both are levels."""
    gap_delta: int | None
    """Change of the gap; negative means closer to target."""
    status_changed: bool
    """True when the status (below, at, awaiting review, ...) differs."""
    changed: bool
    """True when anything about the target, the current rating or its review status differs."""


class DomainChange(_Out):
    """How a domain's roll-up moved."""

    id: str
    """Domain ID."""
    name: str
    """Domain name."""
    before: Aggregate
    """Roll-up in the first assessment."""
    after: Aggregate
    """Roll-up in the second assessment."""


class Comparison(_Out):
    """What moved between two assessments of the same system."""

    before_id: str
    """ID of the first assessment."""
    after_id: str
    """ID of the second assessment."""
    before_system: str
    """System name of the first assessment."""
    after_system: str
    """System name of the second assessment."""
    forced: bool
    """True when different systems were compared on purpose."""
    catalog_version: str
    """Catalog used for both."""
    strategy: str
    """Roll-up strategy used for the domain figures."""
    practices: list[PracticeChange]
    """Every practice, in catalog order."""
    domains: list[DomainChange]
    """Every domain, in catalog order."""
    changed: int
    """Practices with any change."""
    raised: int
    """Practices whose current level went up, both ratings confirmed."""
    lowered: int
    """Practices whose current level went down, both ratings confirmed."""


def _delta(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else b - a


def _scope_rank(r: Rating | None) -> int | None:
    return None if r is None or r.not_applicable or r.scope is None else SCOPE_ORDER[r.scope]


def _level(r: Rating | None) -> int | None:
    return None if r is None or r.not_applicable else r.level


def _confirmed_both(c: PracticeChange) -> bool:
    return c.before.current_status == c.after.current_status == "confirmed"


def compare(a: Assessment, b: Assessment, catalog: Catalog, force: bool = False, strategy: str = DEFAULT_STRATEGY) -> Comparison:
    """Compare assessment ``a`` (before) with ``b`` (after), practice by practice.

    Refuses (:class:`InputError`) assessments of different systems, judged by ``metadata.system_name``
    ignoring case and surrounding spaces, unless ``force`` is true.
    """
    name_a, name_b = a.metadata.system_name, b.metadata.system_name
    if name_a.strip().casefold() != name_b.strip().casefold() and not force:
        raise InputError(
            f"the assessments name different systems ({name_a!r} and {name_b!r}); "
            "if they are one system under two names, pass --force to compare them"
        )
    ra, rb = score(a, catalog, strategy), score(b, catalog, strategy)
    changes: list[PracticeChange] = []
    for pa, pb in zip(ra.practices, rb.practices, strict=True):
        changed = (pa.target, pa.current, pa.current_status) != (pb.target, pb.current, pb.current_status)
        changes.append(
            PracticeChange(
                id=pa.id,
                name=pa.name,
                before=pa,
                after=pb,
                current_level_delta=_delta(_level(pa.current), _level(pb.current)),
                current_scope_delta=_delta(_scope_rank(pa.current), _scope_rank(pb.current)),
                target_level_delta=_delta(_level(pa.target), _level(pb.target)),
                target_scope_delta=_delta(_scope_rank(pa.target), _scope_rank(pb.target)),
                gap_delta=_delta(pa.gap, pb.gap),
                status_changed=pa.status != pb.status,
                changed=changed,
            )
        )
    domains = [
        DomainChange(id=da.id, name=da.name, before=da.aggregate, after=db.aggregate)
        for da, db in zip(ra.domains, rb.domains, strict=True)
    ]
    return Comparison(
        before_id=a.id,
        after_id=b.id,
        before_system=name_a,
        after_system=name_b,
        forced=force and name_a.strip().casefold() != name_b.strip().casefold(),
        catalog_version=catalog.version,
        strategy=strategy,
        practices=changes,
        domains=domains,
        changed=sum(1 for c in changes if c.changed),
        raised=sum(1 for c in changes if _confirmed_both(c) and (c.current_level_delta or 0) > 0),
        lowered=sum(1 for c in changes if _confirmed_both(c) and (c.current_level_delta or 0) < 0),
    )

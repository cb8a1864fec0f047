"""A proposed rating for one practice, and the validators that keep proposals honest.

Every proposal cites the catalog indicators it relies on (IDs and text) and the stakeholder's own
words (verbatim quotes with turn IDs). :func:`validate_proposal` rejects citations outside the
practice, unknown IDs and quotes that do not occur verbatim in the named turn, whichever engine made
the proposal.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.assessment import CitedIndicator, Provenance, Quote, Rating, source_label, utcnow
from assistant.catalog import Catalog, ScopeId


class Turn(BaseModel):
    """One entry of an interview transcript."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Turn ID, ``t1``, ``t2``, ... in order."""
    role: str
    """``stakeholder``, ``assistant`` or ``reviewer``."""
    text: str
    """Exactly what was said or shown."""
    kind: str = "message"
    """``answer``, ``question``, ``proposal``, ``review``, ``command``, ``info`` ..."""
    practice: str | None = None
    """The practice under discussion, if any."""
    at: datetime = Field(default_factory=utcnow)
    """When (UTC)."""


class IndicatorSupport(BaseModel):
    """The stakeholder's statement that meets (or partly meets) one cited indicator."""

    model_config = ConfigDict(extra="forbid")

    indicator: str
    """Indicator ID."""
    turn_id: str
    """Turn of the statement."""
    quote: str
    """The statement, verbatim."""
    state: Literal["supports", "partly"] = "supports"
    """Whether the statement meets the indicator or only part of it."""
    document: str | None = None
    """File name, when the statement is a document's."""
    location: str | None = None
    """Where in the document (``page 3``, a heading, a table row)."""

    def where(self) -> str:
        """``t5`` for a turn, ``policy.pdf, page 3`` for a document passage."""
        return source_label(self.turn_id, self.document, self.location)


class Proposal(BaseModel):
    """An engine's proposed rating for one practice, awaiting a human decision."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    """Proposal ID."""
    practice: str
    """Practice ID."""
    level: Annotated[int, Field(ge=0, le=4)] | None
    """Proposed comprehensiveness level; ``None`` means not applicable or insufficient evidence."""
    not_applicable: bool = False
    """The engine suggests the practice does not apply (the stakeholder said so)."""
    scope: ScopeId = "general"
    """Proposed scope."""
    confidence: float = Field(ge=0.0, le=1.0)
    """How likely the proposed level is right, 0-1, calibrated on the dev scenarios (see :mod:`assistant.reading.confidence`)."""
    confidence_basis: dict[str, float] = Field(default_factory=dict)
    """What the confidence rests on (share of the level's indicators met, next level ruled out or unheard of, conflicts)."""
    rationale: str
    """Why, in plain words."""
    indicators: list[CitedIndicator] = Field(default_factory=list)
    """Catalog indicators relied on (met ones, and for a level below 4 the unmet ones of the next level)."""
    quotes: list[Quote] = Field(default_factory=list)
    """The stakeholder's own words relied on, verbatim, with turn IDs."""
    next_level_needs: list[CitedIndicator] = Field(default_factory=list)
    """What is missing for the next level."""
    support: list[IndicatorSupport] = Field(default_factory=list)
    """Per cited indicator of the proposed level or below: the statement that meets it."""
    unknown: list[CitedIndicator] = Field(default_factory=list)
    """Indicators of the next level nobody has spoken about yet (a question could settle them)."""
    unsure: list[str] = Field(default_factory=list)
    """IDs of those ``unknown`` indicators the stakeholder was asked about and said they did not know."""
    unanswered: list[str] = Field(default_factory=list)
    """IDs of those ``unknown`` indicators a question asked about whose answers did not say (neither met nor not)."""
    follow_up: str | None = None
    """For insufficient evidence: the question that would settle it."""
    notes: list[str] = Field(default_factory=list)
    """Things the reviewer should know (aspirations ignored, contradictions, instructions ignored)."""
    engine: str
    """Engine that made the proposal (``guided`` or ``llm``)."""
    model: str | None = None
    """Model used, if any."""
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    """Hashes of the prompts used."""
    fallback: str | None = None
    """Set when the LLM engine fell back to the guided engine, with the reason."""
    catalog_version: str
    """Catalog version of the citations."""
    created_at: datetime = Field(default_factory=utcnow)
    """When it was made."""

    @property
    def insufficient(self) -> bool:
        """True when the engine could not settle a level."""
        return self.level is None and not self.not_applicable

    def as_rating(self) -> Rating:
        """The proposed value as a rating (only for a proposal with a level)."""
        if self.not_applicable:
            return Rating(not_applicable=True, reason=self.quotes[0].text if self.quotes else self.rationale)
        if self.level is None:
            raise ValueError("an insufficient-evidence proposal has no rating")
        return Rating(level=self.level, scope=self.scope)


def provenance(
    p: Proposal | None,
    *,
    decision: str,
    reason: str | None,
    reviewer: str,
    catalog_version: str,
    session_id: str,
    decided_at: datetime | None = None,
) -> Provenance:
    """The provenance of a decided rating: the proposal (if any) kept beside the reviewer's decision."""
    return Provenance(
        proposed_by="engine" if p is not None else "human",
        engine=p.engine if p is not None else None,
        model=p.model if p is not None else None,
        prompt_hashes=dict(p.prompt_hashes) if p is not None else {},
        fallback=p.fallback if p is not None else None,
        catalog_version=catalog_version,
        session_id=session_id,
        proposed=p.as_rating() if p is not None and not p.insufficient else None,
        confidence=p.confidence if p is not None else None,
        rationale=p.rationale if p is not None else None,
        indicators=list(p.indicators) if p is not None else [],
        quotes=list(p.quotes) if p is not None else [],
        decision=decision,  # one of Provenance's decisions, checked by pydantic
        decision_reason=reason,
        reviewer=reviewer,
        proposed_at=p.created_at if p is not None else None,
        decided_at=decided_at or utcnow(),
    )


def validate_proposal(
    proposal: Proposal, catalog: Catalog, transcript: list[Turn], passages: Mapping[str, str] | None = None
) -> list[str]:
    """Problems with a proposal's citations and quotes; empty when it is sound.

    Checks: the practice exists; each cited indicator exists, belongs to the practice and carries the
    catalog's text; each quote is non-empty and occurs verbatim in a stakeholder turn with that ID, or in
    the document passage it cites (``passages``: reference -> text); a proposal for level 1 or above cites
    at least one indicator of that level.
    """
    problems: list[str] = []
    practice = catalog.practices.get(proposal.practice)
    if practice is None:
        return [f"unknown practice {proposal.practice!r}"]
    known = {ind.id: (lvl, ind.text) for lvl, ind in practice.indicators()}
    for c in [*proposal.indicators, *proposal.next_level_needs]:
        if c.id not in known:
            owner = c.id.split("-", 1)[0]
            where = "another practice" if owner in catalog.practices and owner != practice.id else "the catalog"
            problems.append(f"cited indicator {c.id!r} is not an indicator of {practice.id} (it belongs to {where})")
        elif c.text.strip() != known[c.id][1].strip():
            problems.append(f"cited indicator {c.id} does not carry the catalog's text")
    turns = {t.id: t for t in transcript}
    # A document passage is a source like a stakeholder turn: quotes from it must be verbatim too.
    for ref, text in (passages or {}).items():
        turns[ref] = Turn(id=ref, role="stakeholder", text=text, kind="document")
    for q in proposal.quotes:
        t = turns.get(q.turn_id)
        if not q.text.strip():
            problems.append(f"empty quote for turn {q.turn_id}")
        elif t is None and q.turn_id.startswith("doc:"):
            problems.append(f"quote cites document passage {q.turn_id!r}, which is not stored (was the document removed?)")
        elif t is None:
            problems.append(f"quote cites turn {q.turn_id!r}, which is not in the transcript")
        elif t.role != "stakeholder":
            problems.append(f"quote cites turn {q.turn_id}, which is not the stakeholder's")
        elif q.text not in t.text:
            problems.append(f"quote {q.text[:40]!r} does not occur verbatim in turn {q.turn_id}")
    if proposal.level is not None and proposal.level >= 1:
        own = [c for c in proposal.indicators if c.id in known and known[c.id][0] == proposal.level]
        if not own:
            problems.append(f"a level-{proposal.level} proposal must cite at least one level-{proposal.level} indicator")
        problems += _support_problems(proposal, turns)
    return problems


def _support_problems(proposal: Proposal, turns: dict[str, Turn]) -> list[str]:
    """A cited indicator rests on a statement that is verbatim and does not deny it.

    The cues decide independently of the engine that drafted the proposal: a statement that says something
    is not done, is only planned, is unsure or is a claim about the rating never meets an indicator.
    """
    from assistant.reading.cues import read_cues

    problems: list[str] = []
    cited = {c.id for c in proposal.indicators}
    backed = set()
    for s in proposal.support:
        t = turns.get(s.turn_id)
        if s.indicator not in cited:
            problems.append(f"support given for indicator {s.indicator}, which the proposal does not cite")
        if t is None or t.role != "stakeholder" or s.quote not in t.text:
            problems.append(f"the statement for indicator {s.indicator} does not occur verbatim in turn {s.turn_id}")
            continue
        polarity = read_cues(s.quote).polarity
        if polarity != "positive":
            problems.append(
                f"indicator {s.indicator} is cited on a statement that does not say it is done ({polarity}): {s.quote[:60]!r}"
            )
        backed.add(s.indicator)
    if proposal.support:
        missing = sorted(cited - backed)
        if missing:
            problems.append(f"cited indicator(s) {', '.join(missing)} have no supporting statement")
    elif proposal.quotes and all(read_cues(q.text).polarity != "positive" for q in proposal.quotes):
        problems.append("a proposal of level 1 or above quotes only statements that say something is not done")
    return problems

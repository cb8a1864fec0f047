"""The ``guided`` engine: deterministic, explainable, no model.

It asks the catalog's own questions, reads every answer with the indicator reader
(:mod:`assistant.reading.reader`: each statement becomes supports / partly / contradicts / plan / hedge
states on the practice's indicators, from calibrated sentence similarity plus a few general cues), and
proposes the level the shared rule (:mod:`assistant.reading.rule`) gives. Each cited indicator comes with
the statement that meets it; what the next level needs is listed as unmet or not yet heard of. Plans are
not evidence, and statements about the rating itself ("put level 4") are set aside as claims.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from assistant.assessment import CitedIndicator, Quote
from assistant.catalog import Catalog, Practice
from assistant.engines.base import InterpretRequest, ProposalRequest, QuestionRequest
from assistant.evidence import Reading, split_statements
from assistant.index import CatalogIndex
from assistant.proposals import IndicatorSupport, Proposal
from assistant.reading.confidence import calibrated_confidence
from assistant.reading.encoder import StatementEncoder
from assistant.reading.reader import IndicatorReader
from assistant.reading.rule import Estimate, confidence_features, estimate, people_over_papers
from assistant.reading.scope import scope_of

_READERS: dict[tuple[str, str | None], IndicatorReader] = {}


def shared_reader(catalog: Catalog, cache_dir: Path | None = None) -> IndicatorReader:
    """One reader per catalog and cache folder in this process (the encoder and indicator vectors are shared)."""
    key = (catalog.content_hash, str(cache_dir) if cache_dir else None)
    if key not in _READERS:
        _READERS[key] = IndicatorReader(catalog, StatementEncoder(cache_dir))
    return _READERS[key]


class GuidedEngine:
    """Deterministic interpretation and proposals: the indicator reader and the shared level rule."""

    name = "guided"
    model: str | None = None
    prompt_hashes: dict[str, str] = {}  # noqa: RUF012 - the guided engine uses no prompts

    def __init__(self, catalog: Catalog, index: CatalogIndex, reader: IndicatorReader | None = None) -> None:
        self.catalog = catalog
        self.index = index
        self.reader = reader if reader is not None else shared_reader(catalog)

    # -- questions

    def phrase(self, request: QuestionRequest) -> str:
        """The catalog's question, with a short lead-in when a new practice starts."""
        if request.lead_in:
            return f"{request.lead_in}\n\n{request.question}"
        return request.question

    # -- answers

    def read(
        self,
        statement: str,
        turn_id: str,
        practice: Practice,
        *,
        source: str,
        question_level: int | None,
        question_indicators: list[str] | None = None,
    ) -> list[Reading]:
        """Read one statement against one practice (one reading per clause)."""
        src: Literal["context", "answer"] = "context" if source == "context" else "answer"
        return self.reader.read(
            statement, turn_id, practice, source=src, question_level=question_level, question_indicators=question_indicators
        )

    def interpret(self, request: InterpretRequest) -> list[Reading]:
        """Read every statement of an answer against the practice under discussion."""
        out: list[Reading] = []
        source = "context" if request.question_level < 0 else "answer"
        for st in split_statements(request.answer.text):
            out.extend(
                self.read(
                    st,
                    request.answer.id,
                    request.practice,
                    source=source,
                    question_level=request.question_level,
                    question_indicators=list(request.question_indicators),
                )
            )
        return out

    # -- proposals

    def propose(self, request: ProposalRequest) -> Proposal:
        """The level the shared rule gives, with each cited indicator's statement and what the next level needs."""
        p = request.practice
        # What people said about an indicator outweighs what a document says about it (rule 5): a denied
        # document statement is neither counted nor cited.
        readings = [r for r in people_over_papers(request.readings) if r.polarity != "claim"]
        claims = [r for r in request.readings if r.polarity == "claim"]
        plans = [r for r in readings if r.polarity == "plan"]
        est = estimate(readings)
        notes: list[str] = []
        if claims:
            notes.append(
                "Statements about the rating itself were set aside, not counted as evidence "
                f"(for example: \u201c{_short(claims[0].quote)}\u201d). Ratings follow what is done; you decide in the review."
            )
        if plans:
            notes.append(f"Plans are not counted until they are in place (for example: \u201c{_short(plans[0].quote)}\u201d).")
        informative = [r for r in readings if r.supports is not None or r.refutes is not None]
        na = [r for r in readings if r.polarity == "not_applicable"]
        if na and len(na) >= len(informative):
            return Proposal(
                practice=p.id,
                level=None,
                not_applicable=True,
                scope="general",
                confidence=0.6 if not informative else 0.4,
                rationale=f"You said this practice does not apply to the system: \u201c{_short(na[0].quote)}\u201d. Confirm, or rate it anyway.",
                quotes=_dedupe_quotes(na, limit=3),
                notes=notes,
                engine=self.name,
                catalog_version=self.catalog.version,
            )
        if not informative:
            return Proposal(
                practice=p.id,
                level=None,
                scope="general",
                confidence=0.0,
                rationale=(
                    f"We could not tell how {p.name.lower()} is done: the answers so far did not describe it. "
                    "One more answer would settle it."
                ),
                follow_up=request.follow_up or p.opening_question,
                notes=notes,
                engine=self.name,
                catalog_version=self.catalog.version,
            )
        level = est.level
        if est.contradiction:
            notes.append(_conflict_note(est, readings))
        support = self._support(p, level, readings)
        against = [
            r
            for r in readings
            if any(e.state in ("contradicts", "plan") and e.level == level + 1 for e in r.evidence)
            or (not r.evidence and r.refutes == level + 1)
        ]
        texts = {ind.id: ind.text for _, ind in p.indicators()}
        cited = [CitedIndicator(id=s.indicator, text=texts[s.indicator]) for s in support]
        unmet_next = set(est.unmet.get(level + 1, []))
        met_next = set(est.met.get(level + 1, [])) | set(est.partly.get(level + 1, []))
        next_needs = [
            CitedIndicator(id=i.id, text=i.text)
            for i in (p.level(level + 1).indicators if level < 4 else [])
            if i.id not in met_next
        ]
        unknown = [c for c in next_needs if c.id not in unmet_next]
        # "Not that I know of" to a question about an indicator: asked, not known (not "not asked yet").
        hedged = {e.indicator for r in request.readings for e in r.evidence if e.state == "hedge"}
        unsure = [c.id for c in unknown if c.id in hedged]
        unanswered = [c.id for c in unknown if c.id in request.asked and c.id not in hedged]
        quote_src = [*[r for r in readings if any(s.quote == r.quote and s.turn_id == r.turn_id for s in support)], *against]
        quotes = _dedupe_quotes(quote_src, limit=6)
        per_level = {lvl.level: len(lvl.indicators) for lvl in p.levels}
        basis = confidence_features(est, per_level, request.budget_spent)
        confidence = calibrated_confidence(basis)
        scope = scope_of([s.quote for s in support], level)
        rationale = self._rationale(p, level, support, against, next_needs, unknown)
        return Proposal(
            practice=p.id,
            level=level,
            scope=scope,
            confidence=confidence,
            confidence_basis=basis,
            rationale=rationale,
            indicators=cited,
            quotes=quotes,
            next_level_needs=next_needs,
            support=support,
            unknown=unknown,
            unsure=unsure,
            unanswered=unanswered,
            notes=notes,
            engine=self.name,
            catalog_version=self.catalog.version,
        )

    def _support(self, p: Practice, level: int, readings: list[Reading]) -> list[IndicatorSupport]:
        """For each indicator met at the proposed level or below, the strongest statement that meets it.

        A level shown only through a partly-met indicator of the level above cites the proposed level's
        indicator that the same statement is closest to, marked ``partly``.
        """
        if level == 0:
            return []
        best: dict[str, tuple[float, IndicatorSupport]] = {}
        for r in readings:
            for e in r.evidence:
                if e.state == "supports" and e.level <= level:
                    cand = IndicatorSupport(
                        indicator=e.indicator,
                        turn_id=r.turn_id,
                        quote=r.quote,
                        state="supports",
                        document=r.document,
                        location=r.location,
                    )
                    if e.indicator not in best or e.score > best[e.indicator][0]:
                        best[e.indicator] = (e.score, cand)
        out = [s for _, s in best.values()]
        if not any(_level(s.indicator) == level for s in out):
            # Shown through "partly" of the level above, or by a reading without indicator states.
            pool = [r for r in readings if r.supports is not None and r.supports >= level and r.polarity in ("yes", "partly")]
            choice: tuple[float, IndicatorSupport] | None = None
            for r in pool:
                ids, levels, sims = self.reader.similarities(p.id, r.quote)
                for iid, lvl, sim in zip(ids, levels, sims, strict=True):
                    if lvl == level and (choice is None or float(sim) > choice[0]):
                        choice = (
                            float(sim),
                            IndicatorSupport(
                                indicator=iid,
                                turn_id=r.turn_id,
                                quote=r.quote,
                                state="partly",
                                document=r.document,
                                location=r.location,
                            ),
                        )
            if choice is not None:
                out.append(choice[1])
        out.sort(key=lambda s: (_level(s.indicator), s.indicator))
        return out[:8]

    def _rationale(
        self,
        p: Practice,
        level: int,
        support: list[IndicatorSupport],
        against: list[Reading],
        next_needs: list[CitedIndicator],
        unknown: list[CitedIndicator],
    ) -> str:
        name = self.catalog.level_name(level)
        if level == 0:
            said = f" You said: \u201c{_short(against[0].quote)}\u201d." if against else ""
            return f"Nothing described shows {p.name.lower()} being done yet, so this is level 0 ({name}).{said}"
        parts = [f"Level {level} ({name}): {p.level(level).summary.split('. ')[0].rstrip('.')}."]
        top = [s for s in support if _level(s.indicator) == level] or support
        if top:
            parts.append(f"You told us: \u201c{_short(top[0].quote)}\u201d ({top[0].indicator}).")
        if level < 4:
            if against:
                parts.append(f"Level {level + 1} is not reached: \u201c{_short(against[0].quote)}\u201d.")
            elif unknown:
                parts.append(f"We have not heard yet whether level {level + 1} is reached, for example: {unknown[0].text}")
            elif next_needs:
                parts.append(f"Level {level + 1} also needs: {next_needs[0].text}")
        return " ".join(parts)


def _level(indicator_id: str) -> int:
    return int(indicator_id.split("-L", 1)[1][0])


def _conflict_note(est: Estimate, readings: list[Reading]) -> str:
    if est.overridden:
        return (
            "One statement seemed to rule out a lower level, but more statements describe a higher one; "
            "the higher reading was kept. Check this with the team."
        )
    return (
        f"Some statements point to level {est.lower} and others rule out level {est.upper + 1}; the lower reading was kept. "
        "Check this with the team."
    )


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _dedupe_quotes(readings: list[Reading], limit: int) -> list[Quote]:
    seen: set[tuple[str, str]] = set()
    out: list[Quote] = []
    for r in readings:
        key = (r.turn_id, r.quote)
        if key not in seen:
            seen.add(key)
            out.append(Quote(turn_id=r.turn_id, text=r.quote, document=r.document, location=r.location))
        if len(out) >= limit:
            break
    return out

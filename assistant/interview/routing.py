"""Routing what the stakeholder says freely (the opening description) to practices, and guessing the industry.

A statement goes to the practice the index ranks first, when that rank is clear enough; the engine then
reads it against that practice like any answer.
"""

from __future__ import annotations

import re

from assistant.catalog import Catalog
from assistant.engines.base import Engine, InterpretRequest
from assistant.evidence import Reading
from assistant.index import CatalogIndex
from assistant.proposals import Turn

ROUTE_MIN_SCORE = 0.34
ROUTE_MIN_MARGIN = 0.015
CONTEXT_MIN = 0.6
"""A free description of the system is mostly about the system, not about practice: a statement in it
counts only where the reader is fairly sure (state probability at least this), and never as "partly".
Chosen on the dev scenarios in ``opening`` mode: 0.6 gave 80.0 % exact and 6.2 % over-rating, 0.75 gave
78.1 % and 5.0 %; the lower bar keeps what a user said in the description (issue 14, item 4)."""

SECTOR_WORDS: dict[str, re.Pattern[str]] = {
    "manufacturing": re.compile(r"\b(factory|plant|production|bottling|PLC|line|manufactur\w*|machine|SCADA|MES|OT)\b", re.I),
    "automotive": re.compile(r"\b(car|cars|vehicle\w*|ECU|automotive|OTA|telematics|gateway|fleet of cars|OEM)\b", re.I),
    "consumer": re.compile(r"\b(home|homes|consumer\w*|households?|app store|smart speaker|camera|doorbell|wearable)\b", re.I),
    "medical": re.compile(r"\b(hospital|patient\w*|medical|infusion|clinic\w*|FDA|health\w*)\b", re.I),
    "energy": re.compile(r"\b(meter\w*|grid|substation|energy|utility|utilities|solar|wind|power)\b", re.I),
    "building-automation": re.compile(r"\b(building\w*|HVAC|BACnet|elevator\w*|lighting|facility|facilities)\b", re.I),
    "agriculture": re.compile(r"\b(farm\w*|crop\w*|irrigation|soil|greenhouse\w*|livestock|agricultur\w*)\b", re.I),
    "logistics": re.compile(r"\b(container\w*|tracker\w*|shipping|logistics|warehouse\w*|trucks?|pallets?|cold chain)\b", re.I),
    "retail": re.compile(r"\b(shop|store|stores|retail|point of sale|POS|checkout|shelf|shelves)\b", re.I),
    "smart-city": re.compile(r"\b(city|street ?lights?|municipal\w*|parking|traffic lights?|public space)\b", re.I),
}


def suggest_industry(text: str) -> str | None:
    """The sector whose words the text uses most, if any."""
    counts = {s: len(rx.findall(text)) for s, rx in SECTOR_WORDS.items()}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else None


def profile_matches(catalog: Catalog, text: str, industry: str | None) -> dict[str, list[str]]:
    """Per profile that fits, the keywords of it the text names: at least two, and the profile's industry
    must be the one the text suggests (a home EV charger is not the automotive gateway; issue 14, item 5)."""
    low = text.lower()
    out: dict[str, list[str]] = {}
    for pid, prof in catalog.profiles.items():
        hits = [k for k in prof.keywords if re.search(r"(?<![a-z0-9])" + re.escape(k.lower()) + r"(?![a-z0-9])", low)]
        if len(hits) >= 2 and (industry is None or prof.industry == industry):
            out[pid] = hits
    return out


def suggest_profile(catalog: Catalog, text: str, industry: str | None = None) -> str | None:
    """The profile that fits best (see :func:`profile_matches`), or ``None``: no profile is a fine answer."""
    found = profile_matches(catalog, text, industry)
    return max(found, key=lambda p: len(found[p])) if found else None


def route_statements(
    catalog: Catalog,
    index: CatalogIndex,
    engine: Engine,
    turn: Turn,
    statements: list[str],
    practices: set[str],
    transcript: list[Turn],
) -> dict[str, list[Reading]]:
    """Readings of each statement against the practice it is clearly about (practices outside ``practices`` are skipped)."""
    out: dict[str, list[Reading]] = {}
    for st in statements:
        ranked = index.rank_practices(st)
        if not ranked:
            continue
        top = ranked[0]
        margin = top.score - ranked[1].score if len(ranked) > 1 else 1.0
        if top.score < ROUTE_MIN_SCORE or margin < ROUTE_MIN_MARGIN or top.practice not in practices:
            continue
        practice = catalog.practices[top.practice]
        readings = engine.interpret(
            InterpretRequest(
                practice=practice,
                question_level=-1,
                question="(system description)",
                answer=Turn(id=turn.id, role="stakeholder", text=st, kind="answer", practice=practice.id),
                transcript=transcript,
            )
        )
        for r in readings:
            if r.evidence:
                kept = [e for e in r.evidence if e.state in ("supports", "contradicts", "plan") and e.score >= CONTEXT_MIN]
                if not kept:
                    continue
                r = r.model_copy(update={"evidence": kept})
            r2 = r.model_copy(update={"source": "context", "question_level": None})
            if r2.polarity not in ("unknown",):
                out.setdefault(practice.id, []).append(r2)
    return out

"""Routing what the stakeholder says freely (the opening description) to practices, and guessing the industry.

A statement goes to the practice the index ranks first, when that rank is clear enough; the engine then
reads it against that practice like any answer.
"""

from __future__ import annotations

import re

from assistant.catalog import Catalog
from assistant.engines.base import Engine
from assistant.evidence import Reading
from assistant.index import CatalogIndex
from assistant.proposals import Turn
from assistant.reading.rule import THRESHOLDS
from assistant.routing import CONTEXT_MIN, RouteItem, route_and_read

__all__ = ["CONTEXT_MIN", "route_statements", "suggest_industry", "suggest_profile"]

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
) -> tuple[dict[str, list[Reading]], dict[str, list[Reading]]]:
    """Readings of each statement against the practice it is clearly about (practices outside ``practices`` are
    skipped): per practice, the evidence (the reader fairly sure, :data:`CONTEXT_MIN`), and what was only heard.

    What was only heard is a statement the reader gives an indicator state it would count in an answer (its
    threshold) but not surely enough to take from free text, or reads as partly meeting one ("we send firmware
    updates over the air through the app"). It is not evidence; the interview puts it back to the stakeholder as a
    closed question instead of asking about that practice from scratch, as if nothing had been said."""
    items = [RouteItem(ref=turn.id, statement=st, query=st) for st in statements]
    low = min(THRESHOLDS[s] for s in ("supports", "partly"))
    routed = route_and_read(
        catalog, index, engine, items, practices, transcript, min_score=low, states=("supports", "partly", "contradicts", "plan")
    )
    evidence: dict[str, list[Reading]] = {}
    heard: dict[str, list[Reading]] = {}
    for pid, rs in routed.items():
        for _, r in rs:
            r = r.model_copy(update={"source": "context", "question_level": None})
            if not r.evidence:
                evidence.setdefault(pid, []).append(r)
                continue
            sure = [e for e in r.evidence if e.state != "partly" and e.score >= CONTEXT_MIN]
            unsure = [e for e in r.evidence if e.state in ("supports", "partly") and e.score >= THRESHOLDS[e.state]]
            if sure:
                evidence.setdefault(pid, []).append(r.model_copy(update={"evidence": sure}))
            elif unsure:
                heard.setdefault(pid, []).append(r.model_copy(update={"evidence": unsure}))
    return evidence, heard

"""A document's passages, routed to practices and read like answers, as readings that cite the passage.

Each statement of a passage is routed with its heading as context (a line under "Patch procedure" is
about patching), read by the engine against the practice it is clearly about, and kept only where the
reader is fairly sure (:data:`DOCUMENT_MIN`). A reading's ``turn_id`` is the passage reference
``doc:<document id>:<passage>``; its ``document`` and ``location`` say where it is for people.
Statements that instruct the assessor ("rate this level 4") are claims, set aside like any other claim.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.catalog import Catalog
from assistant.documents.model import Document, passage_ref
from assistant.engines.base import Engine
from assistant.evidence import Reading, split_statements
from assistant.index import CatalogIndex
from assistant.proposals import Turn
from assistant.routing import CONTEXT_MIN, ROUTE_MIN_SCORE, RouteItem, route_and_read

DOCUMENT_MIN = CONTEXT_MIN
"""Least state probability for a document statement to count (as for the free system description)."""
DOCUMENT_STATES = ("supports", "contradicts")
"""What a document can show: something written down as done, or said not to be done. Plans in a paper
("outlook", "next year") are not evidence. Measured on the dev scenarios with documents (stepwise, before
rule 5's reach limit in :mod:`assistant.reading.rule` existed): supports only 70.3 % exact, with
contradictions 71.6 %."""
ROUTE_MIN = ROUTE_MIN_SCORE
"""Least routing score for a document statement to be read: the free description's bar. Measured on dev with
documents (with an earlier reach rule): 0.34 gave 73.0 % exact over all 74 practices and 1.98 turns a
practice, 0.45 71.6 % and 2.12; a higher bar also reads fewer statements (a 50-page PDF in 17 s, not 24 s)."""
MIN_WORDS = 4
"""A line with fewer words (a serial number, "On network: no") describes a thing, not a practice; the reader
took such lines for denials."""
MAX_STATEMENTS_PER_PASSAGE = 400


def document_items(doc: Document) -> list[RouteItem]:
    """Every statement of the document, with the passage it cites and the heading it is routed with."""
    items: list[RouteItem] = []
    for p in doc.passages:
        for st in split_statements(p.text, max_statements=MAX_STATEMENTS_PER_PASSAGE):
            query = f"{p.heading}: {st}" if p.heading and p.heading not in st else st
            items.append(RouteItem(ref=passage_ref(doc.id, p.number), statement=st, query=query))
    return items


def read_document_evidence(
    doc: Document,
    catalog: Catalog,
    index: CatalogIndex,
    engine: Engine,
    practices: set[str],
    transcript: list[Turn],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, list[Reading]]:
    """Per practice, the readings of the document's statements that are clearly about it."""
    items = document_items(doc)
    routed = route_and_read(
        catalog,
        index,
        engine,
        items,
        practices,
        transcript,
        min_score=DOCUMENT_MIN,
        states=DOCUMENT_STATES,
        min_words=MIN_WORDS,
        progress=progress,
        prewarm=lambda statements: _prewarm(engine, statements),
        min_route=ROUTE_MIN,
    )
    out: dict[str, list[Reading]] = {}
    for pid, pairs in routed.items():
        for k, r in pairs:
            number = int(items[k].ref.rsplit(":", 1)[1])
            out.setdefault(pid, []).append(
                r.model_copy(
                    update={
                        "source": "document",
                        "question_level": None,
                        "document": doc.name,
                        "location": doc.passages[number].location,
                    }
                )
            )
    return out


def _prewarm(engine: Engine, statements: list[str]) -> None:
    """Encode every clause in batches first (the reader memoises vectors): much faster than one at a time."""
    reader = getattr(engine, "reader", None)
    encoder = getattr(reader, "encoder", None)
    if encoder is None:
        return
    from assistant.reading.cues import split_clauses

    clauses = list(dict.fromkeys(c for st in statements for c in split_clauses(st)))
    for start in range(0, len(clauses), 64):
        encoder.encode(clauses[start : start + 64])

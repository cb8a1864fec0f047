"""Routing free text (a system description, a document) to the practice each statement is about, then reading it.

A statement goes to the practice the index ranks first, when that rank is clear enough; the engine then
reads it against that practice like any answer, and only confident states are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from assistant.catalog import Catalog
from assistant.embeddings import MiniLMEmbeddings
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


class RouteItem(NamedTuple):
    """A statement to route: the reference it will cite, its verbatim text, and the text to route it by."""

    ref: str
    statement: str
    query: str


def route_and_read(
    catalog: Catalog,
    index: CatalogIndex,
    engine: Engine,
    items: list[RouteItem],
    practices: set[str],
    transcript: list[Turn],
    *,
    min_score: float,
    states: tuple[str, ...] = ("supports", "contradicts", "plan"),
    min_words: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, list[tuple[int, Reading]]]:
    """Per practice, the readings (with the item they come from) of statements clearly about it.

    Free text (a system description, a document) is mostly not about practice: a statement counts only
    where the index ranks one practice clearly first and the reader is fairly sure (``min_score``), only in
    the given ``states`` (never "partly"), and only when it has at least ``min_words`` words.
    """
    out: dict[str, list[tuple[int, Reading]]] = {}
    vectors: list[list[float]] = []
    if len(items) > 1 and isinstance(index.embeddings, MiniLMEmbeddings):
        # One batch through the embedding model instead of one call per statement (MiniLM embeds queries and
        # documents alike; other providers may not, and keep the per-query path).
        vectors = index.embeddings.embed_documents([it.query for it in items])
    for k, it in enumerate(items):
        if progress is not None:
            progress(k, len(items))
        if min_words > 1 and len(re.findall(r"[^\W\d_]{2,}", it.statement)) < min_words:
            continue
        ranked = index.rank_practices(it.query, vector=vectors[k] if vectors else None)
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
                answer=Turn(id=it.ref, role="stakeholder", text=it.statement, kind="answer", practice=practice.id),
                transcript=transcript,
            )
        )
        for r in readings:
            if r.evidence:
                kept = [e for e in r.evidence if e.state in states and e.score >= min_score]
                if not kept:
                    continue
                r = r.model_copy(update={"evidence": kept})
            if r.polarity not in ("unknown",):
                out.setdefault(practice.id, []).append((k, r))
    if progress is not None:
        progress(len(items), len(items))
    return out

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
78.1 % and 5.0 %; the lower bar keeps what a user said in the description (issue 14, item 4). Measured again
on the 23 dev scenarios (340 entries) with the session-5 rule: ``opening`` mode 0.6 / 0.7 / 0.8 gave 77.6 / 76.5 /
74.4 % exact and 8.2 / 6.8 / 5.3 % over-rating, ``stepwise`` 76.5 / 76.2 / 76.8 % and 5.0 / 5.0 / 4.7 %: a trade
of agreement for over-rating, not a clear win either way, so the bar stays."""


READ_BATCH = 32
"""Statements read per batch (one progress update, one prewarm call)."""


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
    prewarm: Callable[[list[str]], None] | None = None,
    min_route: float = ROUTE_MIN_SCORE,
) -> dict[str, list[tuple[int, Reading]]]:
    """Per practice, the readings (with the item they come from) of statements clearly about it.

    Free text (a system description, a document) is mostly not about practice: a statement counts only
    where the index ranks one practice clearly first and the reader is fairly sure (``min_score``), only in
    the given ``states`` (never "partly"), and only when it has at least ``min_words`` words.
    ``progress`` gets (statements read, statements to read); ``prewarm`` gets each batch before it is read
    (the engine can encode it in one go).
    """
    out: dict[str, list[tuple[int, Reading]]] = {}
    wordy = [k for k, it in enumerate(items) if min_words <= 1 or len(re.findall(r"[^\W\d_]{2,}", it.statement)) >= min_words]
    vectors: dict[int, list[float]] = {}
    if len(wordy) > 1 and isinstance(index.embeddings, MiniLMEmbeddings):
        # One batch through the embedding model instead of one call per statement (MiniLM embeds queries and
        # documents alike; other providers may not, and keep the per-query path).
        vectors = dict(zip(wordy, index.embeddings.embed_documents([items[k].query for k in wordy]), strict=True))
    # First route everything (cheap), then read only what was routed (the reader is the slow part).
    routed: list[tuple[int, str]] = []
    for k in wordy:
        ranked = index.rank_practices(items[k].query, vector=vectors.get(k))
        if not ranked:
            continue
        top = ranked[0]
        margin = top.score - ranked[1].score if len(ranked) > 1 else 1.0
        if top.score < min_route or margin < ROUTE_MIN_MARGIN or top.practice not in practices:
            continue
        routed.append((k, top.practice))
    for start in range(0, len(routed), READ_BATCH):
        batch = routed[start : start + READ_BATCH]
        if progress is not None:
            progress(start, len(routed))
        if prewarm is not None:
            prewarm([items[k].statement for k, _ in batch])
        for k, pid in batch:
            practice = catalog.practices[pid]
            readings = engine.interpret(
                InterpretRequest(
                    practice=practice,
                    question_level=-1,
                    question="(system description)",
                    answer=Turn(id=items[k].ref, role="stakeholder", text=items[k].statement, kind="answer", practice=pid),
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
                    out.setdefault(pid, []).append((k, r))
    if progress is not None:
        progress(len(routed), len(routed))
    return out

"""Documents in an interview: what adding or removing one does to the practices' evidence, and how it is told.

Pure functions over the interview state; :class:`~assistant.interview.session.Interview` stores the input
and calls them. Reading the passages is :mod:`assistant.documents.reading`.
"""

from __future__ import annotations

import re

from assistant.catalog import Catalog
from assistant.documents.model import PASSAGE_PREFIX, Document
from assistant.evidence import Reading
from assistant.interview.state import DocumentInfo, InterviewState

ADDED_TEXT = "Added the document {name} [{id}]"
REMOVED_TEXT = "Removed the document {name} [{id}]"
REMOVED_BY = " (by {who})"
"""Appended to :data:`REMOVED_TEXT` when the remover is named (sessions saved before that lack it)."""
_ID = re.compile(r"\[([0-9a-f]{12})\](?: \(by .*\))?\s*$")
_BY = re.compile(r"\[[0-9a-f]{12}\] \(by (.*)\)\s*$")


def remover_of(turn_text: str) -> str | None:
    """Who removed a document, as its removal turn names them (None for older turns)."""
    m = _BY.search(turn_text)
    return m.group(1) if m else None


def document_id_of(turn_text: str) -> str | None:
    """The document ID an add/remove turn names."""
    m = _ID.search(turn_text)
    return m.group(1) if m else None


def find_document(state: InterviewState, key: str) -> DocumentInfo | None:
    """A document of the session by ID, unique ID prefix or file name."""
    key = key.strip()
    exact = [d for d in state.documents if key in (d.id, d.name)]
    if exact:
        return exact[0]
    prefixed = [d for d in state.documents if len(key) >= 4 and d.id.startswith(key.lower())]
    return prefixed[0] if len(prefixed) == 1 else None


def add_readings(state: InterviewState, doc: Document, readings: dict[str, list[Reading]], turn_id: str) -> DocumentInfo:
    """Attach a document's readings to its practices and record the document; returns its record."""
    for pid, rs in readings.items():
        state.practices[pid].readings.extend(rs)
    info = DocumentInfo(
        id=doc.id,
        name=doc.name,
        kind=doc.kind,
        sha256=doc.sha256,
        pages=doc.pages,
        passages=len(doc.passages),
        # Claims ("rate this level 4") are kept to be set aside with a note; they are not evidence.
        statements={pid: n for pid, rs in sorted(readings.items()) if (n := sum(1 for r in rs if r.evidence))},
        warnings=list(doc.warnings),
        turn_id=turn_id,
    )
    state.documents = [d for d in state.documents if d.id != doc.id] + [info]
    return info


def forget(state: InterviewState, doc_id: str) -> list[str]:
    """Drop every reading of a document from every practice and its record; returns the practices affected."""
    prefix = f"{PASSAGE_PREFIX}{doc_id}:"
    affected: list[str] = []
    for pid, pp in state.practices.items():
        kept = [r for r in pp.readings if not r.turn_id.startswith(prefix)]
        if len(kept) != len(pp.readings):
            pp.readings = kept
            affected.append(pid)
    state.documents = [d for d in state.documents if d.id != doc_id]
    return affected


def summary(catalog: Catalog, info: DocumentInfo, redrafted: list[str]) -> str:
    """What a document told the assistant, per practice, in plain words."""
    size = _plural(info.pages, "page") if info.pages else _plural(info.passages, "passage")
    if not info.statements:
        text = (
            f"I read **{info.name}** ({size}) but found nothing in it about the security practices of this assessment. "
            "It is kept with the session; remove it if it was the wrong file."
        )
    else:
        parts = [
            f"{pid} {catalog.practices[pid].name} ({n} statement{'s' if n != 1 else ''})" for pid, n in info.statements.items()
        ]
        text = (
            f"I read **{info.name}** ({size}). It speaks about: {', '.join(parts)}. "
            "A document shows what is written, not always what is done: I will check what it says with you "
            "before proposing a level, and ask only what it leaves open."
        )
    if redrafted:
        text += f" Proposals awaiting review for {', '.join(redrafted)} were drafted again with it."
    if info.warnings:
        text += " Note: " + "; ".join(info.warnings) + "."
    return text


def removal_summary(info: DocumentInfo, affected: list[str], redrafted: list[str], confirmed: list[str]) -> str:
    """What removing a document changed."""
    text = f"I removed **{info.name}** and forgot everything read from it"
    text += f" (evidence for {', '.join(affected)})." if affected else "."
    if redrafted:
        text += f" Proposals awaiting review for {', '.join(redrafted)} were drafted again without it."
    if confirmed:
        text += (
            f" {', '.join(confirmed)} {'was' if len(confirmed) == 1 else 'were'} already decided with its help; "
            "the decision stands, so look at it again if the document mattered."
        )
    return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")

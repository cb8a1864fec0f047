"""Evidence: what each stakeholder statement says about a practice, and what level it all supports.

A :class:`Reading` is one statement (a verbatim sentence of a turn) read against one practice: does
it describe something done (``yes``), not done (``no``), partly done, only planned, unknown, or is
it a claim about the rating itself rather than a description of practice? Which level does it
support or rule out? :mod:`assistant.reading.rule` turns readings into a level.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Polarity = Literal["yes", "no", "partly", "plan", "unknown", "claim", "not_applicable"]
IndicatorState = Literal["supports", "partly", "contradicts", "plan", "hedge", "unrelated"]


class IndicatorEvidence(BaseModel):
    """What one statement says about one indicator of the practice."""

    model_config = ConfigDict(extra="forbid")

    indicator: str
    """Indicator ID (``H1.2-L3-02``)."""
    level: int
    """The indicator's level."""
    state: IndicatorState
    """``supports``: met; ``partly``: same topic, less than it asks; ``contradicts``: said not to be done;
    ``plan``: only planned; ``hedge``: the speaker is unsure; ``unrelated``."""
    score: float = Field(ge=0.0, le=1.0)
    """Calibrated probability of that state (1.0 for a closed yes/no to a question naming the indicator)."""


class Reading(BaseModel):
    """One statement read against one practice."""

    model_config = ConfigDict(extra="forbid")

    turn_id: str
    """Turn the statement comes from."""
    quote: str
    """The statement, verbatim (a substring of the turn's text)."""
    practice: str
    """Practice it was read against."""
    source: Literal["context", "answer", "document"]
    """From the free system description, an answer to a question about this practice, or a document
    (then ``turn_id`` is a passage reference ``doc:<document id>:<passage>``)."""
    question_level: int | None = None
    """Level of the probe it answers (0 for the opening question)."""
    polarity: Polarity
    """What the statement says about the practice."""
    supports: int | None = None
    """Level the statement is evidence for."""
    refutes: int | None = None
    """Level the statement shows is not reached."""
    indicators: list[str] = Field(default_factory=list)
    """Indicator IDs the statement matches best."""
    relevance: float = 0.0
    """Similarity of the statement to the practice's catalog text."""
    cues: list[str] = Field(default_factory=list)
    """Words that set the reading (for explanations)."""
    strength: int = 1
    """Distinct formality cues behind the supported level (level 4 needs two across the evidence)."""
    evidence: list[IndicatorEvidence] = Field(default_factory=list)
    """Per-indicator states (the guided reader sets them; older sessions and model readings may not)."""
    document: str | None = None
    """For a document passage: the document's file name."""
    location: str | None = None
    """For a document passage: where in the document (``page 3``, a heading, a table row)."""


# ------------------------------------------------------------------------------------ sentences

# A full stop ends a statement only before a space or the end: "H1.2-L4-01", "99.6 %" and "v2.3.1" stay whole.
# A single line break is a wrapped line, not the end of a statement; a blank line is.
_SENTENCE = re.compile(r"(?:[^.!?;\n]|\n(?![ \t]*\n)|[.!?](?=[^\s.!?;\n]))+(?:[.!?]+|;|\n[ \t]*\n|$)")


def split_statements(text: str, max_statements: int = 60) -> list[str]:
    """Split text into verbatim statements (each a substring of ``text``), dropping empty ones."""
    out: list[str] = []
    for m in _SENTENCE.finditer(text):
        s = m.group(0).strip()
        if len(re.sub(r"\W", "", s)) >= 2:
            out.append(s)
        if len(out) >= max_statements:
            break
    if not out and text.strip():
        out.append(text.strip())
    return out

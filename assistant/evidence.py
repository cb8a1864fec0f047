"""Evidence: what each stakeholder statement says about a practice, and what level it all supports.

A :class:`Reading` is one statement (a verbatim sentence of a turn) read against one practice: does
it describe something done (``yes``), not done (``no``), partly done, only planned, unknown, or is
it a claim about the rating itself rather than a description of practice? Which level does it
support or rule out? :func:`estimate` turns the readings into bounds on the level, cumulatively and
conservatively: the level is the highest one supported, capped below the lowest one ruled out.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Polarity = Literal["yes", "no", "partly", "plan", "unknown", "claim", "not_applicable"]


class Reading(BaseModel):
    """One statement read against one practice."""

    model_config = ConfigDict(extra="forbid")

    turn_id: str
    """Turn the statement comes from."""
    quote: str
    """The statement, verbatim (a substring of the turn's text)."""
    practice: str
    """Practice it was read against."""
    source: Literal["context", "answer"]
    """From the free system description, or an answer to a question about this practice."""
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


class Estimate(BaseModel):
    """Bounds on a practice's level from its readings."""

    lower: int
    """Highest level supported (0 when none)."""
    upper: int
    """Highest level not ruled out (4 when nothing is ruled out)."""
    supported: bool
    """Whether any statement supports a level of 1 or more."""
    refuted: bool
    """Whether any statement rules a level out."""
    informative: int
    """Number of statements that support or rule out a level."""
    contradiction: bool
    """A level is both supported and ruled out below it."""

    @property
    def settled(self) -> bool:
        """Whether the bounds meet (or cross, on contradictory evidence)."""
        return self.lower >= self.upper

    @property
    def level(self) -> int:
        """The conservative level: the lower bound, never above the upper bound."""
        return min(self.lower, self.upper)


def estimate(readings: list[Reading]) -> Estimate:
    """Combine readings cumulatively: support raises the floor, refutation lowers the ceiling."""
    supported = [r.supports for r in readings if r.supports is not None and r.supports >= 1]
    # Formalized means several things at once (formal process, metrics, independent assurance,
    # improvement): one cue in one statement is not enough for level 4.
    if 4 in supported and sum(r.strength for r in readings if r.supports == 4) < 2:
        supported = [3 if s == 4 else s for s in supported]
    refuted = [r.refutes for r in readings if r.refutes is not None]
    lower = max(supported, default=0)
    upper = min(refuted, default=5) - 1 if refuted else 4
    upper = max(0, min(4, upper))
    return Estimate(
        lower=lower,
        upper=upper,
        supported=bool(supported),
        refuted=bool(refuted),
        informative=sum(1 for r in readings if r.supports is not None or r.refutes is not None),
        contradiction=bool(supported) and bool(refuted) and lower > upper,
    )


# ------------------------------------------------------------------------------------ sentences

# A full stop ends a statement only before a space or the end: "H1.2-L4-01", "99.6 %" and "v2.3.1" stay whole.
_SENTENCE = re.compile(r"(?:[^.!?;\n]|[.!?](?=[^\s.!?;\n]))+(?:[.!?]+|;|\n|$)")


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

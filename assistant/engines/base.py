"""The interface every interview engine implements, and the requests it receives.

The interview flow decides which practice and which level to ask about; an engine phrases the
question, reads the answer into :class:`~assistant.evidence.Reading` objects, and drafts a proposal.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from assistant.catalog import Catalog, Practice
from assistant.evidence import Reading
from assistant.proposals import Proposal, Turn


class QuestionRequest(BaseModel):
    """Ask the question ``question`` (catalog text) about ``practice``."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    practice: Practice
    """The practice under discussion."""
    level: int
    """0 for the opening question, else the level the probe tests."""
    question: str
    """The catalog's question text."""
    lead_in: str | None = None
    """A sentence introducing a new practice, if this is its first question."""
    transcript: list[Turn]
    """Everything said so far."""


class InterpretRequest(BaseModel):
    """Read the stakeholder's answer to a question about ``practice``."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    practice: Practice
    """The practice under discussion."""
    question_level: int
    """Level of the question answered (0 = opening question)."""
    question: str
    """The question as asked."""
    answer: Turn
    """The stakeholder's answer turn."""
    transcript: list[Turn]
    """Everything said so far."""
    question_indicators: list[str] = []
    """Indicators the question asks about: a bare "yes" / "partly" / "no" to it applies to these."""


class ProposalRequest(BaseModel):
    """Draft a proposal for ``practice`` from its readings."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    practice: Practice
    """The practice to rate."""
    readings: list[Reading]
    """Every statement read against this practice."""
    transcript: list[Turn]
    """Everything said so far."""
    industry: str | None = None
    """The system's industry, for scope."""
    budget_spent: bool = False
    """Whether the question budget ran out before the evidence settled a level."""
    follow_up: str | None = None
    """The next question the flow would ask, for an insufficient-evidence proposal."""
    asked: list[str] = Field(default_factory=list)
    """Indicators the questions asked so far were about (an indicator asked about is never "not asked about yet")."""


class Engine(Protocol):
    """What the interview needs from an engine."""

    name: str
    """``guided`` or ``llm``."""
    model: str | None
    """``provider:model`` for an LLM engine."""
    prompt_hashes: dict[str, str]
    """Hashes of prompt files used."""
    catalog: Catalog
    """The catalog it cites from."""

    def phrase(self, request: QuestionRequest) -> str:
        """The question to show the stakeholder."""
        ...

    def interpret(self, request: InterpretRequest) -> list[Reading]:
        """Readings of the answer's statements."""
        ...

    def propose(self, request: ProposalRequest) -> Proposal:
        """A proposal with citations and quotes."""
        ...

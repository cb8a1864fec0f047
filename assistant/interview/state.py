"""The interview's state: what is saved after every turn and read back on resume (pydantic, versioned)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.assessment import Assessment
from assistant.evidence import Reading
from assistant.proposals import Proposal
from assistant.targets import Objectives

Phase = Literal["context", "profile", "objectives", "targets", "practices", "review", "done"]
Decision = Literal["accept", "modify", "reject", "not_applicable", "defer"]
STATE_VERSION = 1


class PendingQuestion(BaseModel):
    """The question the stakeholder is expected to answer next."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["context", "profile", "objective", "targets", "practice", "review", "done"]
    """What sort of answer is expected."""
    text: str
    """The question as shown."""
    practice: str | None = None
    """Practice under discussion."""
    probe_id: str | None = None
    """Catalog ID of the question (``H1.2-Q0`` for the opening question, or a probe ID)."""
    level: int = 0
    """Level the probe tests (0 for the opening question)."""
    key: str | None = None
    """Key of an objective question."""


class PracticeProgress(BaseModel):
    """Where one practice stands in the interview."""

    model_config = ConfigDict(extra="forbid")

    practice: str
    """Practice ID."""
    status: Literal["pending", "asking", "proposed", "confirmed", "not_applicable", "skipped"] = "pending"
    """Progress."""
    asked: list[str] = Field(default_factory=list)
    """Question IDs asked, in order."""
    answers: int = 0
    """Stakeholder answers given about this practice in the current round."""
    total_answers: int = 0
    """Stakeholder answers given about this practice in all rounds."""
    readings: list[Reading] = Field(default_factory=list)
    """Evidence: statements read against this practice."""
    heard: list[Reading] = Field(default_factory=list)
    """Said in passing (in the system description) and about this practice, but read too unsurely to count as
    evidence: the planner puts the surest of them back as a closed question before anything else."""
    proposal: Proposal | None = None
    """The proposal awaiting review, or the last one reviewed."""
    rejected: list[Proposal] = Field(default_factory=list)
    """Proposals the reviewer rejected."""
    must_ask: int = 0
    """Questions to ask before proposing again (after a rejection), even if the evidence looks settled."""


class DocumentInfo(BaseModel):
    """A document added to the interview: what it is and what it told the assistant."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Document ID (first 12 hex digits of its SHA-256)."""
    name: str
    """File name."""
    kind: str
    """Format it was read as."""
    sha256: str
    """SHA-256 of the file."""
    pages: int | None = None
    """Page count, for paginated documents."""
    passages: int = 0
    """Number of passages read."""
    statements: dict[str, int] = Field(default_factory=dict)
    """Per practice, how many of its statements count as evidence."""
    warnings: list[str] = Field(default_factory=list)
    """What was noticed and neutralised while reading it."""
    turn_id: str | None = None
    """The turn that added it."""


class InterviewState(BaseModel):
    """Everything needed to resume an interview (the transcript is stored beside it)."""

    model_config = ConfigDict(extra="forbid")

    version: int = STATE_VERSION
    """State format version."""
    session_id: str
    """Session ID."""
    system_name: str
    """The system being assessed."""
    industry: str | None = None
    """Industry, once confirmed."""
    profile: str | None = None
    """Profile, once confirmed."""
    phase: Phase = "context"
    """Where the interview is."""
    order: list[str]
    """Practice IDs in interview order."""
    current: int = 0
    """Index into ``order`` of the practice under discussion."""
    practices: dict[str, PracticeProgress]
    """Progress per practice."""
    objectives: Objectives = Field(default_factory=Objectives)
    """Business objectives and risk appetite."""
    ask_objectives: bool = True
    """Whether to ask the objectives questions."""
    suggested_industry: str | None = None
    """Industry suggested from the description."""
    suggested_profile: str | None = None
    """Profile suggested from the description."""
    proposed_targets: list[dict[str, Any]] = Field(default_factory=list)
    """Targets proposed from the objectives, awaiting confirmation."""
    pending: PendingQuestion | None = None
    """The question awaiting an answer."""
    assessment: Assessment
    """Targets and confirmed ratings, with the event log."""
    turn_counter: int = 0
    """Number of turns so far (IDs are ``t<n>``)."""
    last_proposal: str | None = None
    """Practice of the most recent proposal, for ``why``."""
    budget: int = 3
    """Stakeholder answers per practice before a proposal is made anyway."""
    reviewer: str = "assessor"
    """Default reviewer name recorded in provenance."""
    notices: list[str] = Field(default_factory=list)
    """Things the user must be told (engine fell back, text leaves the machine)."""
    role: Literal["maker", "operator", "both"] | None = None
    """Whether the organisation makes devices or software, runs devices others make, or both: guessed from the
    description, confirmed with the industry, changed with ``role operator`` (questions are phrased for it;
    ``None`` asks as a maker would be asked)."""
    team_id: str | None = None
    """Set when this interview is one participant's part of a team assessment (:mod:`assistant.team`)."""
    documents: list[DocumentInfo] = Field(default_factory=list)
    """Documents added as evidence, in the order they were added (their passages live in the store)."""


class Progress(BaseModel):
    """Counts for a progress bar."""

    total: int
    """Practices in the catalog."""
    confirmed: int
    """Confirmed (including not applicable)."""
    awaiting_review: int
    """Proposals waiting for a decision."""
    skipped: int
    """Skipped for now."""
    current: str | None
    """Practice under discussion."""
    phase: str
    """Interview phase."""

"""A team assessment's saved state: who takes part, what the lead settled, which versions were signed.

Each participant is interviewed in an ordinary interview session (:mod:`assistant.interview`) limited to the
practices they know; the team state only links those sessions and holds the lead's decisions on the merged
evidence. Signed versions are frozen assessments in their own table (:mod:`assistant.store.teams`), never here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.assessment import Event, PracticeId, Rating, utcnow
from assistant.proposals import Proposal

TEAM_STATE_VERSION = 1

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
"""A participant's short name: it prefixes their turns in merged evidence (``ana/t5``), so no ``/`` or spaces."""

ParticipantName = Annotated[str, Field(pattern=NAME_PATTERN)]


class Participant(BaseModel):
    """One person interviewed for the assessment, about the practices they know."""

    model_config = ConfigDict(extra="forbid")

    name: ParticipantName
    """Short name (``ana``), unique in the team; their identity when they answer or decide."""
    display: str | None = None
    """Full name, for reports."""
    role: str
    """Role ID from ``catalog/roles.yaml`` (``engineering``, ``it-cloud``, ...)."""
    practices: list[PracticeId]
    """The practices they are asked about: suggested from the role, changed by the lead."""
    owns_objectives: bool = False
    """Whether their interview asks the business objectives and drafts the targets (one participant at most)."""
    session_id: str | None = None
    """Their interview session, once started."""
    added_by: str
    """Who added them."""
    added_at: datetime = Field(default_factory=utcnow)
    """When."""


class Conflict(BaseModel):
    """Two participants disagree about one practice: what each said, verbatim."""

    model_config = ConfigDict(extra="forbid")

    practice: str
    """Practice ID."""
    kind: Literal["indicator", "level"]
    """``indicator``: one says an indicator is met, the other that it is not; ``level``: their own words alone put
    the practice two or more levels apart."""
    indicator: str | None = None
    """For ``indicator``: the indicator ID."""
    first: str
    """The participant whose words show more."""
    first_quote: str
    """Their statement, verbatim."""
    first_turn: str
    """Its turn (``ana/t5``)."""
    first_level: int | None = None
    """For ``level``: the level their words alone show."""
    second: str
    """The participant whose words show less."""
    second_quote: str
    """Their statement, verbatim."""
    second_turn: str
    """Its turn."""
    second_level: int | None = None
    """For ``level``: the level their words alone show."""

    def key(self) -> str:
        """Identifies the disagreement across merges (the same two people on the same indicator or practice)."""
        return f"{self.practice}:{self.kind}:{self.indicator or ''}:{self.first}:{self.second}"


class Settlement(BaseModel):
    """The lead's decision on one practice's merged proposal."""

    model_config = ConfigDict(extra="forbid")

    practice: PracticeId
    """Practice ID."""
    decision: Literal["accept", "modify", "not_applicable"]
    """Accepted as proposed, set to another value, or not applicable."""
    value: Rating
    """The rating decided."""
    reason: str | None = None
    """Why (required to modify, to mark not applicable, and to settle a disagreement)."""
    reviewer: str
    """Who decided."""
    decided_at: datetime = Field(default_factory=utcnow)
    """When."""
    proposal: Proposal | None = None
    """The merged proposal as it stood when decided (kept beside the decision)."""
    conflicts: list[Conflict] = Field(default_factory=list)
    """The disagreements it settled."""
    evidence_key: str
    """Fingerprint of the merged evidence it was decided on: new evidence since then reopens the practice."""


class VersionInfo(BaseModel):
    """A signed, frozen version of the team assessment (the assessment itself is stored beside it)."""

    model_config = ConfigDict(extra="forbid")

    version: int
    """1, 2, ..."""
    signed_by: str
    """The lead who signed."""
    signed_at: datetime
    """When."""
    note: str = ""
    """What the lead wrote."""
    sha256: str
    """SHA-256 of the frozen assessment's JSON, to check a copy against."""
    rated: int = 0
    """Practices with a decided rating in this version."""


class TeamState(BaseModel):
    """Everything saved about a team assessment except its signed versions."""

    model_config = ConfigDict(extra="forbid")

    version: int = TEAM_STATE_VERSION
    """Format of this state."""
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    """Team assessment ID."""
    system_name: Annotated[str, Field(min_length=1, max_length=200)]
    """The system assessed."""
    industry: str | None = None
    """Industry sector, if known."""
    profile: str | None = None
    """Catalog profile, if one fits."""
    lead: Annotated[str, Field(min_length=1, max_length=200)]
    """The lead's identity (a short name, or the name a sign-in proxy gives, such as an e-mail address): settles
    disagreements and signs off. Need not be a participant."""
    created_at: datetime = Field(default_factory=utcnow)
    """When created."""
    participants: list[Participant] = Field(default_factory=list)
    """Everyone interviewed."""
    settlements: dict[str, Settlement] = Field(default_factory=dict)
    """The lead's decisions, per practice."""
    signed: int = 0
    """The latest signed version (0: never signed)."""
    changed_since_signed: bool = False
    """Whether anything was decided after the latest sign-off (the draft then becomes the next version)."""
    events: list[Event] = Field(default_factory=list)
    """Team-level history: participants added, assignments, settlements, sign-offs."""

    def participant(self, name: str) -> Participant:
        """The participant with this name, or a clear error listing the names."""
        for p in self.participants:
            if p.name == name:
                return p
        from assistant.errors import InputError

        known = ", ".join(p.name for p in self.participants) or "none yet"
        raise InputError(f"no participant {name!r} in team assessment {self.id}; participants: {known}")

    def log(self, kind: str, actor: str, practice: str | None = None, **data: Any) -> None:
        """Append an event."""
        self.events.append(Event(at=utcnow(), kind=kind, actor=actor, practice=practice, data=data))

    def assigned(self) -> dict[str, list[str]]:
        """Per practice, the participants asked about it."""
        out: dict[str, list[str]] = {}
        for p in self.participants:
            for pid in p.practices:
                out.setdefault(pid, []).append(p.name)
        return out

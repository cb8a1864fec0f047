"""The audit trail of an assessment: who proposed each rating, who decided what and why, with which model and catalog.

Derived from the assessment alone (its provenance per rating and its append-only event log), so a one-person
interview, a team assessment and a signed version all export the same way, as JSON (:func:`write_audit`) and as
a section of every report.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.assessment import Assessment, Event, ParticipantInfo, SignOff, utcnow
from assistant.errors import InputError

AUDIT_FORMAT = "1.0"

_ACTIONS: dict[str, str] = {
    "assessment.created": "created the assessment",
    "target.profile_applied": "applied a target profile",
    "rating.proposed": "proposed a rating",
    "rating.modified": "set a different rating than proposed",
    "rating.held": "kept the rating as it was",
    "interview.started": "started an interview",
    "interview.finished": "finished the interview",
    "context.described": "described the system",
    "context.confirmed": "confirmed the industry and profile",
    "context.role": "said whether they make or run the devices",
    "targets.accepted": "accepted the drafted targets",
    "targets.profile": "chose a target profile",
    "target.set": "set a target",
    "document.added": "added a document",
    "document.removed": "removed a document",
    "proposal.made": "drafted a proposal",
    "proposal.rejected": "rejected a proposal",
    "proposal.deferred": "left a proposal for later",
    "practice.skipped": "skipped a practice",
    "rating.confirmed": "accepted a proposed rating",
    "rating.modify": "set a different rating than proposed",
    "rating.not_applicable": "marked a practice not applicable",
    "rating.set": "set a rating without a proposal",
    "team.created": "created the team assessment",
    "participant.added": "added a participant",
    "participant.assigned": "changed a participant's practices",
    "participant.interview-started": "started their interview",
    "practice.settled": "settled a practice for the team",
    "assessment.signed": "signed off a version",
}


class AuditEntry(BaseModel):
    """One thing that happened, in order."""

    model_config = ConfigDict(extra="forbid")

    at: datetime
    """When (UTC)."""
    actor: str
    """Who (a person's name) or what (``guided``, ``llm``) did it."""
    action: str
    """The event kind, such as ``rating.modify``."""
    summary: str
    """The same in plain words: "ana set a different rating than proposed: 2 (general), because ..."."""
    practice: str | None = None
    """The practice concerned."""
    details: dict[str, Any] = Field(default_factory=dict)
    """The event's recorded details."""


class RatingRecord(BaseModel):
    """How one current rating came about."""

    model_config = ConfigDict(extra="forbid")

    practice: str
    """Practice ID."""
    value: str
    """The rating decided (``2 (general)`` or ``n/a``)."""
    status: str
    """``confirmed``, or ``proposed`` while it awaits review."""
    proposed: str | None
    """What the engine proposed, if anything."""
    changed_by_reviewer: bool
    """Whether the decided value differs from the proposal."""
    proposed_by: str
    """``engine``, ``human`` or ``import``."""
    engine: str | None
    """Engine that drafted it."""
    model: str | None
    """Model, for the LLM engine."""
    prompt_hashes: dict[str, str]
    """Prompts used, by hash."""
    catalog_version: str
    """Catalog the citations refer to."""
    confidence: float | None
    """The proposal's confidence."""
    decision: str
    """``accept``, ``modify``, ``not_applicable`` or ``set``."""
    reason: str | None
    """The reviewer's reason."""
    reviewer: str
    """Who decided."""
    proposed_at: datetime | None
    """When proposed."""
    decided_at: datetime
    """When decided."""
    indicators: list[str]
    """Indicator IDs cited."""
    quotes: int
    """Statements quoted."""
    speakers: list[str]
    """In a team assessment, whose words were quoted."""


class AuditTrail(BaseModel):
    """The whole trail of one assessment (or one signed version of it)."""

    model_config = ConfigDict(extra="forbid")

    format: str = AUDIT_FORMAT
    """Version of this export's layout."""
    assessment_id: str
    """The assessment."""
    system_name: str
    """The system assessed."""
    schema_version: str
    """Assessment schema version."""
    catalog_version: str
    """Catalog version."""
    generated_at: datetime = Field(default_factory=utcnow)
    """When this export was made."""
    signoff: SignOff | None = None
    """The sign-off, for a signed version."""
    lead: str | None = None
    """The team's lead, for a team assessment."""
    participants: list[ParticipantInfo] = Field(default_factory=list)
    """Everyone interviewed, for a team assessment."""
    ratings: list[RatingRecord]
    """Per rated practice, in catalog order as stored."""
    events: list[AuditEntry]
    """Everything that happened, oldest first."""


def audit_trail(assessment: Assessment) -> AuditTrail:
    """The audit trail of an assessment."""
    m = assessment.metadata
    ratings = []
    for pid, cur in assessment.current.items():
        prov = cur.provenance
        proposed = prov.proposed.label() if prov.proposed is not None else None
        ratings.append(
            RatingRecord(
                practice=pid,
                value=cur.value.label(),
                status=cur.status,
                proposed=proposed,
                changed_by_reviewer=proposed is not None and proposed != cur.value.label(),
                proposed_by=prov.proposed_by,
                engine=prov.engine,
                model=prov.model,
                prompt_hashes=dict(prov.prompt_hashes),
                catalog_version=prov.catalog_version,
                confidence=prov.confidence,
                decision=prov.decision,
                reason=prov.decision_reason,
                reviewer=prov.reviewer,
                proposed_at=prov.proposed_at,
                decided_at=prov.decided_at,
                indicators=[c.id for c in prov.indicators],
                quotes=len(prov.quotes),
                speakers=sorted({q.speaker for q in prov.quotes if q.speaker}),
            )
        )
    return AuditTrail(
        assessment_id=assessment.id,
        system_name=m.system_name,
        schema_version=assessment.schema_version,
        catalog_version=m.catalog_version,
        signoff=m.signoff,
        lead=m.lead,
        participants=list(m.participants or []),
        ratings=ratings,
        events=[entry(e) for e in sorted(assessment.events, key=lambda e: e.at)],
    )


def entry(e: Event) -> AuditEntry:
    """One event as an audit entry with a plain-words summary."""
    action = _ACTIONS.get(e.kind, e.kind.replace(".", " ").replace("-", " "))
    bits: list[str] = []
    d = e.data
    for key in ("value", "level", "target", "participant", "role", "document", "version", "profile"):
        v = d.get(key)
        if v not in (None, "", []):
            bits.append(f"{key} {v}")
    if d.get("previous"):
        bits.append(f"was {d['previous']}")
    if d.get("proposed") and d.get("proposed") != d.get("value"):
        bits.append(f"proposed {d['proposed']}")
    if d.get("reason"):
        bits.append(f"because {d['reason']}")
    where = f" {e.practice}" if e.practice else ""
    summary = f"{e.actor} {action}{where}" + (f": {', '.join(str(b) for b in bits)}" if bits else "")
    return AuditEntry(at=e.at, actor=e.actor, action=e.kind, summary=summary, practice=e.practice, details=dict(d))


def write_audit(trail: AuditTrail, path: Path) -> Path:
    """Write the trail as JSON, atomically (a crash leaves the old file or none, never half of one)."""
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(trail.model_dump_json(indent=2))
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise InputError(f"cannot write the audit trail to {path}: {exc.strerror or exc}; choose another path") from None
    return path

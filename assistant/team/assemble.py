"""The team's assessment: the lead's decisions on the merged evidence, with everyone's history.

Objectives and targets come from the participant who owns them (their interview asked them); a practice counts
as rated only once the lead settled it on the evidence as it stands (a decision taken on older evidence is
reopened, not silently kept). The event log interleaves the team's own events with every participant's interview,
each marked with who acted.
"""

from __future__ import annotations

from assistant.assessment import (
    Assessment,
    AssessmentMetadata,
    CurrentRating,
    Event,
    EvidenceDocument,
    ParticipantInfo,
    Provenance,
    SignOff,
)
from assistant.catalog import Catalog
from assistant.proposals import provenance
from assistant.team.merge import ParticipantEvidence, TeamMerge
from assistant.team.model import Settlement, TeamState


def team_assessment(
    team: TeamState, evidence: list[ParticipantEvidence], merged: TeamMerge, catalog: Catalog, signoff: SignOff | None = None
) -> Assessment:
    """The assessment as it stands (``signoff`` set when it is being frozen as a version)."""
    owner = next((ev for ev in evidence if ev.participant.owns_objectives and ev.state is not None), None)
    own = owner.state.assessment if owner is not None and owner.state is not None else None
    practices = [pid for pid in catalog.practices if pid in merged.practices]
    docs: dict[str, EvidenceDocument] = {}
    for ev in evidence:
        if ev.state is not None:
            for d in ev.state.assessment.metadata.documents or []:
                docs.setdefault(d.sha256, d)
    description = own.metadata.system_description if own is not None else ""
    if not description:
        description = next((ev.state.assessment.metadata.system_description for ev in evidence if ev.state is not None), "")
    metadata = AssessmentMetadata(
        system_name=team.system_name,
        system_description=description,
        industry=team.industry,
        profile=team.profile,
        assessors=[team.lead, *[p.name for p in team.participants if p.name != team.lead]],
        created_at=team.created_at,
        catalog_version=catalog.version,
        practices=practices,
        documents=list(docs.values()) or None,
        participants=[
            ParticipantInfo(
                name=p.name,
                display=p.display,
                role=p.role,
                practices=list(p.practices),
                owns_objectives=p.owns_objectives,
                session_id=p.session_id,
            )
            for p in team.participants
        ],
        lead=team.lead,
        signoff=signoff,
    )
    a = Assessment(id=team.id, metadata=metadata)
    if own is not None:
        a.objectives = own.objectives.model_copy(deep=True) if own.objectives is not None else None
        a.targets = own.targets.model_copy(deep=True)
    for pid, m in merged.practices.items():
        if m.status == "settled" and m.settlement is not None:
            a.current[pid] = CurrentRating(value=m.settlement.value, provenance=_provenance(m.settlement, team, catalog))
    a.events = _events(team, evidence)
    a.metadata.updated_at = max([e.at for e in a.events], default=team.created_at)
    return a


def _provenance(s: Settlement, team: TeamState, catalog: Catalog) -> Provenance:
    """A settlement's provenance: the merged proposal beside the lead's decision."""
    return provenance(
        s.proposal,
        decision=s.decision,
        reason=s.reason,
        reviewer=s.reviewer,
        catalog_version=catalog.version,
        session_id=team.id,
        decided_at=s.decided_at,
    )


def _events(team: TeamState, evidence: list[ParticipantEvidence]) -> list[Event]:
    out = [e.model_copy(update={"data": {**e.data, "scope": "team"}}) for e in team.events]
    for ev in evidence:
        if ev.state is None:
            continue
        name = ev.participant.name
        for e in ev.state.assessment.events:
            # In a participant's own interview the stakeholder is that participant.
            actor = name if e.actor in ("stakeholder", "assessor") else e.actor
            out.append(e.model_copy(update={"actor": actor, "data": {**e.data, "participant": name}}))
    out.sort(key=lambda e: e.at)
    return out

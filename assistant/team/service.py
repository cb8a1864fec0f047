"""A team assessment: participants and their interviews, the merged evidence, the lead's review and sign-off.

The one API the CLI, the app and the evaluation use. Every change goes through :class:`~assistant.store.teams.TeamStore`
(under a lock on the team's row, so two processes never lose each other's decisions); each participant's
interview is an ordinary :class:`~assistant.interview.Interview` limited to their practices, saved as usual.
"""

from __future__ import annotations

import re

from assistant.assessment import Assessment, Rating, SignOff, utcnow
from assistant.catalog import Catalog
from assistant.documents.model import passage_ref
from assistant.engines.base import Engine
from assistant.errors import InputError
from assistant.index import CatalogIndex
from assistant.interview import Interview
from assistant.interview.state import InterviewState
from assistant.services import Services
from assistant.store import SessionStore
from assistant.store.teams import TeamStore
from assistant.team.assemble import team_assessment
from assistant.team.merge import MergedPractice, ParticipantEvidence, TeamMerge, merge_team
from assistant.team.model import NAME_PATTERN, Participant, Settlement, TeamState, VersionInfo
from assistant.team.roles import RoleBook, load_roles

MAX_REASON = 2000


class Team:
    """One team assessment, loaded afresh for each action (the store holds the truth)."""

    def __init__(
        self,
        state: TeamState,
        teams: TeamStore,
        sessions: SessionStore,
        catalog: Catalog,
        index: CatalogIndex,
        engine: Engine,
        roles: RoleBook,
    ) -> None:
        self.state = state
        self.teams = teams
        self.sessions = sessions
        self.catalog = catalog
        self.index = index
        self.engine = engine
        self.roles = roles

    # ------------------------------------------------------------------ creation

    @classmethod
    def create(
        cls,
        teams: TeamStore,
        sessions: SessionStore,
        catalog: Catalog,
        index: CatalogIndex,
        engine: Engine,
        roles: RoleBook,
        *,
        system_name: str,
        lead: str,
        industry: str | None = None,
        profile: str | None = None,
        team_id: str | None = None,
    ) -> Team:
        """Create a team assessment led by ``lead``."""
        name = _identity(lead, "lead")
        if not system_name.strip():
            raise InputError("name the system to assess (for example \u201cPacking line 3\u201d)")
        if profile is not None and profile not in catalog.profiles:
            raise InputError(f"unknown profile {profile!r}; known: {', '.join(sorted(catalog.profiles))}")
        state = TeamState(
            system_name=system_name.strip()[:200],
            lead=name,
            industry=industry or (catalog.profiles[profile].industry if profile else None),
            profile=profile,
            **({"id": team_id} if team_id else {}),
        )
        state.log("team.created", actor=name, system=state.system_name)
        teams.create(state)
        return cls(state, teams, sessions, catalog, index, engine, roles)

    @classmethod
    def load(
        cls,
        team_id: str,
        teams: TeamStore,
        sessions: SessionStore,
        catalog: Catalog,
        index: CatalogIndex,
        engine: Engine,
        roles: RoleBook,
    ) -> Team:
        """Load a team assessment by ID or unique prefix."""
        return cls(teams.load(team_id), teams, sessions, catalog, index, engine, roles)

    @property
    def id(self) -> str:
        """Team assessment ID."""
        return self.state.id

    # ------------------------------------------------------------------ participants

    def add_participant(
        self,
        name: str,
        role: str,
        *,
        actor: str,
        practices: list[str] | None = None,
        display: str | None = None,
        owns_objectives: bool | None = None,
    ) -> Participant:
        """Add someone to interview; their practices default to the role's suggestion."""
        key = _name(name, "participant")
        r = self.roles.get(role)
        chosen = self._practices(practices) if practices is not None else list(r.practices)

        def add(team: TeamState) -> Participant:
            if any(p.name == key for p in team.participants):
                raise InputError(f"{key!r} already takes part in {team.id}; choose another short name")
            owner = next((p.name for p in team.participants if p.owns_objectives), None)
            owns = r.owns_objectives and owner is None if owns_objectives is None else owns_objectives
            if owns and owner is not None:
                raise InputError(f"{owner} already answers the business objectives; one participant owns them")
            p = Participant(
                name=key,
                display=(display or "").strip() or None,
                role=r.id,
                practices=chosen,
                owns_objectives=owns,
                added_by=actor,
            )
            team.participants.append(p)
            team.log("participant.added", actor=actor, participant=key, role=r.id, practices=chosen, owns_objectives=owns)
            return p

        self.state, added = self.teams.change(self.id, add)
        return added

    def assign(self, name: str, practices: list[str], *, actor: str) -> Participant:
        """Change the practices a participant is asked about (their interview keeps what was said so far)."""
        chosen = self._practices(practices)

        def change(team: TeamState) -> Participant:
            p = team.participant(name)
            if p.session_id is not None and set(chosen) != set(p.practices):
                raise InputError(
                    f"{name}'s interview has started with {', '.join(p.practices)}; add another participant entry or "
                    "start a new team assessment to ask about other practices"
                )
            p.practices = chosen
            team.log("participant.assigned", actor=actor, participant=name, practices=chosen)
            return p

        self.state, p = self.teams.change(self.id, change)
        return p

    def _practices(self, practices: list[str]) -> list[str]:
        unknown = [p for p in practices if p not in self.catalog.practices]
        if unknown or not practices:
            raise InputError(f"unknown practice(s) {', '.join(unknown) or '(none given)'}; use IDs from `smm catalog list`")
        return [p for p in self.catalog.practices if p in practices]

    def interview(self, name: str, *, budget: int = 3) -> Interview:
        """The participant's interview: started on first use (limited to their practices), resumed afterwards."""
        p = self.state.participant(name)
        if p.session_id is not None:
            return Interview.resume(p.session_id, self.catalog, self.index, self.engine, self.sessions)
        sid = f"{self.id}-{p.name}"
        iv = Interview.start(
            self.catalog,
            self.index,
            self.engine,
            self.sessions,
            system_name=self.state.system_name,
            profile=self.state.profile,
            industry=self.state.industry,
            budget=budget,
            ask_objectives=p.owns_objectives,
            reviewer=p.name,
            session_id=sid,
            practices=p.practices,
            team_id=self.id,
        )

        def link(team: TeamState) -> None:
            team.participant(name).session_id = sid
            team.log("participant.interview-started", actor=name, participant=name, session=sid)

        self.state, _ = self.teams.change(self.id, link)
        return iv

    # ------------------------------------------------------------------ merged evidence

    def evidence(self) -> list[ParticipantEvidence]:
        """Each participant's saved interview (what was committed; an unfinished turn counts once processed)."""
        out: list[ParticipantEvidence] = []
        for p in self.state.participants:
            ev = ParticipantEvidence(participant=p)
            if p.session_id is not None:
                raw, processed, turns = self.sessions.load(p.session_id)
                ev.state = InterviewState.model_validate(raw)
                ev.transcript = [t for seq, t in turns if seq <= processed or t.role not in ("stakeholder", "reviewer")]
                ev.passages = {
                    passage_ref(d.id, x.number): x.text for d in self.sessions.documents(p.session_id) for x in d.passages
                }
            out.append(ev)
        return out

    def merge(self) -> TeamMerge:
        """Every practice's merged proposal, disagreements and status."""
        return self._merge(self.state, self.evidence())

    def _merge(self, state: TeamState, evidence: list[ParticipantEvidence]) -> TeamMerge:
        return merge_team(state, evidence, self.catalog, self.engine)

    def settle(
        self,
        practice: str,
        decision: str,
        *,
        reviewer: str,
        level: int | None = None,
        scope: str | None = None,
        reason: str | None = None,
    ) -> Settlement:
        """The lead's (or a reviewer's) decision on a merged proposal: accept, modify or not applicable.

        A disagreement between participants, or new evidence since an earlier decision, is settled only with a
        reason. The decision records the merged proposal and the evidence it was taken on.
        """
        who = _identity(reviewer, "reviewer")
        pid = practice.strip().upper()
        merged = self.merge()
        m = merged.practices.get(pid)
        if m is None:
            raise InputError(
                f"{practice!r} is not a practice anyone in {self.id} is asked about; see `smm team status {self.id}`"
            )
        text = (reason or "").strip()[:MAX_REASON] or None
        value = _value(m, decision, level, scope, text)
        if m.conflicts and text is None:
            raise InputError(
                f"{pid}: participants disagree ({', '.join(sorted({c.first for c in m.conflicts} | {c.second for c in m.conflicts}))}); "
                "settle it with a reason that says which account holds"
            )
        settlement = Settlement(
            practice=pid,
            decision=decision,
            value=value,
            reason=text,
            reviewer=who,
            proposal=m.proposal,
            conflicts=list(m.conflicts),
            evidence_key=m.evidence_key,
        )

        def apply(team: TeamState) -> Settlement:
            previous = team.settlements.get(pid)
            team.settlements[pid] = settlement
            team.changed_since_signed = True
            team.log(
                "practice.settled",
                actor=who,
                practice=pid,
                decision=decision,
                value=value.label(),
                proposed=m.proposal.as_rating().label() if m.proposal is not None and not m.proposal.insufficient else None,
                previous=previous.value.label() if previous is not None else None,
                reason=text,
                conflicts=len(m.conflicts),
            )
            return settlement

        self.state, s = self.teams.change(self.id, apply)
        return s

    # ------------------------------------------------------------------ assessment, sign-off, versions

    def assessment(self) -> Assessment:
        """The team's assessment as it stands (the draft of the next version)."""
        evidence = self.evidence()
        return team_assessment(self.state, evidence, self._merge(self.state, evidence), self.catalog)

    def sign_off(self, signer: str, note: str = "") -> VersionInfo:
        """Freeze the assessment as the next numbered version; only the lead signs, with no disagreement open."""
        who = _identity(signer, "signer")
        evidence = self.evidence()
        merged = self._merge(self.state, evidence)
        text = note.strip()[:MAX_REASON]

        def sign(team: TeamState) -> tuple[Assessment, str]:
            if team.settlements != self.state.settlements:
                raise InputError("someone settled a practice while you were signing; look at the assessment again and sign")
            if who.casefold() != team.lead.casefold():
                raise InputError(f"only the lead ({team.lead}) signs off {team.id}; {who} can review and settle practices")
            blocking = [m.practice for m in merged.practices.values() if m.status in ("conflict", "reopened")]
            if blocking:
                raise InputError(
                    f"settle {', '.join(blocking)} first: participants disagree there, or new evidence arrived after the decision"
                )
            if not team.settlements:
                raise InputError("nothing is decided yet: settle at least one practice before signing off")
            if team.signed and not team.changed_since_signed:
                raise InputError(f"nothing changed since version {team.signed}; it stays the latest signed version")
            number = team.signed + 1
            signoff = SignOff(version=number, signed_by=who, signed_at=utcnow(), note=text, team_id=team.id)
            team.log("assessment.signed", actor=who, version=number, note=text)
            frozen = team_assessment(team, evidence, merged, self.catalog, signoff=signoff)
            team.signed = number
            team.changed_since_signed = False
            return frozen, text

        info = self.teams.sign(self.id, sign)
        self.state = self.teams.load(self.id)
        return info

    def versions(self) -> list[VersionInfo]:
        """The signed versions, oldest first."""
        return self.teams.versions(self.id)

    def version(self, number: int) -> Assessment:
        """A signed version's frozen assessment."""
        return self.teams.version(self.id, number)

    def undecided(self, merged: TeamMerge | None = None) -> list[MergedPractice]:
        """Practices without a current decision."""
        m = merged or self.merge()
        return [x for x in m.practices.values() if x.status != "settled"]


def _name(raw: str, what: str) -> str:
    key = (raw or "").strip().lower()
    if not re.fullmatch(NAME_PATTERN, key):
        raise InputError(
            f"{what} {raw!r} is not a usable short name: use 1-32 lowercase letters, digits or hyphens (for example \u201cana\u201d)"
        )
    return key


def _identity(raw: str, what: str) -> str:
    """Who acts: a short name or a sign-in identity (an e-mail address, say), 1-200 printable characters."""
    name = (raw or "").strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise InputError(f"the {what} must be named: 1-200 printable characters on one line (for example \u201clena\u201d)")
    return name


def _value(m: MergedPractice, decision: str, level: int | None, scope: str | None, reason: str | None) -> Rating:
    if decision == "accept":
        p = m.proposal
        if p is None or p.insufficient:
            raise InputError(f"{m.practice} has no proposal to accept yet; set a level with a reason, or wait for evidence")
        return p.as_rating()
    if decision == "modify":
        if level is None:
            raise InputError(f"{m.practice}: give the level (0-4) to set")
        if not reason:
            raise InputError(f"{m.practice}: say why the level differs from the proposal")
        chosen = scope or (m.proposal.scope if m.proposal is not None else "general")
        try:
            return Rating(level=level, scope=chosen)
        except ValueError as exc:
            raise InputError(f"{m.practice}: {exc}") from None
    if decision == "not_applicable":
        if not reason:
            raise InputError(f"{m.practice}: say why the practice does not apply")
        return Rating(not_applicable=True, reason=reason)
    raise InputError(f"unknown decision {decision!r}: use accept, modify or not_applicable")


def team_parts(services: Services) -> tuple[TeamStore, RoleBook]:
    """The team store and the roles for a set of services (the same database as their sessions)."""
    return TeamStore(services.store), load_roles(services.catalog, services.settings.catalog_dir)


def open_team(services: Services, team_id: str) -> Team:
    """Load a team assessment with the services' catalog, index, engine and database."""
    teams, roles = team_parts(services)
    return Team.load(team_id, teams, services.store, services.catalog, services.index, services.engine, roles)


def new_team(services: Services, *, system_name: str, lead: str, industry: str | None = None, profile: str | None = None) -> Team:
    """Create a team assessment with the services' parts."""
    teams, roles = team_parts(services)
    return Team.create(
        teams,
        services.store,
        services.catalog,
        services.index,
        services.engine,
        roles,
        system_name=system_name,
        lead=lead,
        industry=industry,
        profile=profile,
    )

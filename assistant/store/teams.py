"""Team assessments and their signed versions, in the session database (SQLite or PostgreSQL).

A team's state is one JSON row changed only inside a write transaction that holds a lock on that row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's single write lock), so two leads or app processes deciding at
once never lose each other's decisions. A signed version is a row of its own, inserted in the same transaction
that records the sign-off in the state, and never changed afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection, func, select, update

from assistant.assessment import Assessment, utcnow
from assistant.errors import InputError
from assistant.store.schema import team_versions, teams
from assistant.store.sessions import SessionStore
from assistant.team.model import TeamState, VersionInfo

T = TypeVar("T")


class TeamNotFound(InputError):
    """No team assessment with that ID."""


class TeamSummary(BaseModel):
    """A team assessment as listed."""

    id: str
    """Team assessment ID."""
    system_name: str
    """The system assessed."""
    lead: str
    """Its lead."""
    participants: int
    """How many people take part."""
    signed: int
    """Latest signed version (0: none)."""
    updated_at: str
    """Last change (UTC, ISO 8601)."""


def canonical_json(assessment: Assessment) -> str:
    """The frozen form of a signed assessment: the JSON its SHA-256 is taken of."""
    return assessment.model_dump_json(indent=2)


class TeamStore:
    """Team assessments beside the interview sessions, in the same database."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def create(self, team: TeamState) -> None:
        """Save a new team assessment."""
        now = utcnow().isoformat()
        with self.store.write() as db:
            if db.execute(select(teams.c.id).where(teams.c.id == team.id)).first() is not None:
                raise InputError(f"a team assessment {team.id!r} exists already; choose another ID")
            db.execute(
                teams.insert().values(
                    id=team.id, created_at=now, updated_at=now, system_name=team.system_name, state=team.model_dump_json()
                )
            )

    def load(self, team_id: str) -> TeamState:
        """The saved state of a team assessment (an ID or a unique prefix of one)."""
        tid = self.resolve(team_id)
        with self.store.read() as db:
            row = db.execute(select(teams.c.state).where(teams.c.id == tid)).first()
        if row is None:
            raise TeamNotFound(f"no team assessment {team_id!r}; list them with `smm team list`")
        return TeamState.model_validate_json(row[0])

    def resolve(self, prefix: str) -> str:
        """A full team ID from a unique prefix."""
        with self.store.read() as db:
            ids = [str(r[0]) for r in db.execute(select(teams.c.id).where(teams.c.id.istartswith(prefix, autoescape=True)))]
        if not ids:
            raise TeamNotFound(f"no team assessment starts with {prefix!r}; list them with `smm team list`")
        if prefix in ids:
            return prefix
        if len(ids) > 1:
            raise InputError(f"{prefix!r} matches {len(ids)} team assessments; give more characters of the ID")
        return ids[0]

    def teams(self) -> list[TeamSummary]:
        """All team assessments, most recently changed first."""
        with self.store.read() as db:
            rows = db.execute(select(teams.c.state, teams.c.updated_at).order_by(teams.c.updated_at.desc(), teams.c.id)).all()
        out = []
        for state, updated in rows:
            t = TeamState.model_validate_json(state)
            out.append(
                TeamSummary(
                    id=t.id,
                    system_name=t.system_name,
                    lead=t.lead,
                    participants=len(t.participants),
                    signed=t.signed,
                    updated_at=updated,
                )
            )
        return out

    def change(self, team_id: str, change: Callable[[TeamState], T]) -> tuple[TeamState, T]:
        """Apply ``change`` to the team's latest state under a lock and save it; nothing is saved if it raises."""
        with self.store.write() as db:
            team = self._locked(db, team_id)
            result = change(team)
            self._save(db, team)
        return team, result

    def sign(self, team_id: str, sign: Callable[[TeamState], tuple[Assessment, str]]) -> VersionInfo:
        """Freeze a new version: ``sign`` checks the state, records the sign-off in it, and returns the assessment
        to freeze with the note; the state and the version row are committed together."""
        with self.store.write() as db:
            team = self._locked(db, team_id)
            assessment, note = sign(team)
            signoff = assessment.metadata.signoff
            if signoff is None:
                raise ValueError("a signed assessment carries its sign-off")
            last = db.execute(
                select(func.coalesce(func.max(team_versions.c.version), 0)).where(team_versions.c.team_id == team.id)
            ).scalar_one()
            if int(last) + 1 != signoff.version:
                raise InputError(f"version {signoff.version} of {team.id} cannot follow version {last}; try again")
            body = canonical_json(assessment)
            info = VersionInfo(
                version=signoff.version,
                signed_by=signoff.signed_by,
                signed_at=signoff.signed_at,
                note=note,
                sha256=hashlib.sha256(body.encode()).hexdigest(),
                rated=len(assessment.current),
            )
            db.execute(
                team_versions.insert().values(
                    team_id=team.id,
                    version=info.version,
                    signed_by=info.signed_by,
                    signed_at=info.signed_at.isoformat(),
                    sha256=info.sha256,
                    note=note,
                    assessment=body,
                )
            )
            self._save(db, team)
        return info

    def versions(self, team_id: str) -> list[VersionInfo]:
        """The signed versions, oldest first."""
        tid = self.resolve(team_id)
        with self.store.read() as db:
            rows = db.execute(
                select(
                    team_versions.c.version,
                    team_versions.c.signed_by,
                    team_versions.c.signed_at,
                    team_versions.c.note,
                    team_versions.c.sha256,
                    team_versions.c.assessment,
                )
                .where(team_versions.c.team_id == tid)
                .order_by(team_versions.c.version)
            ).all()
        return [
            VersionInfo(
                version=int(v),
                signed_by=by,
                signed_at=at,
                note=note,
                sha256=sha,
                rated=len(json.loads(body).get("current", {})),
            )
            for v, by, at, note, sha, body in rows
        ]

    def version(self, team_id: str, number: int) -> Assessment:
        """A signed version's frozen assessment, checked against its recorded SHA-256."""
        tid = self.resolve(team_id)
        with self.store.read() as db:
            row = db.execute(
                select(team_versions.c.assessment, team_versions.c.sha256).where(
                    team_versions.c.team_id == tid, team_versions.c.version == number
                )
            ).first()
        if row is None:
            known = ", ".join(str(v.version) for v in self.versions(tid)) or "none signed yet"
            raise InputError(f"team assessment {tid} has no version {number}; versions: {known}")
        body, sha = row
        if hashlib.sha256(body.encode()).hexdigest() != sha:
            raise InputError(f"version {number} of {tid} does not match its recorded SHA-256: it was altered in the database")
        return Assessment.model_validate_json(body)

    def _locked(self, db: Connection, team_id: str) -> TeamState:
        row = db.execute(select(teams.c.state).where(teams.c.id == team_id).with_for_update()).first()
        if row is None:
            raise TeamNotFound(f"no team assessment {team_id!r}; list them with `smm team list`")
        return TeamState.model_validate_json(row[0])

    @staticmethod
    def _save(db: Connection, team: TeamState) -> None:
        db.execute(
            update(teams)
            .where(teams.c.id == team.id)
            .values(state=team.model_dump_json(), updated_at=utcnow().isoformat(), system_name=team.system_name)
        )

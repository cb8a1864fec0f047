"""Interview sessions in SQLite (WAL) or PostgreSQL, through SQLAlchemy Core.

Every stakeholder or reviewer input is committed as a turn *before* the assistant computes its reply; the reply
turns and the new state are committed together afterwards. A process killed in between loses nothing: on
resume, inputs newer than the saved state are replayed. Both backends behave alike; only how a writer is
serialised differs (see :meth:`SessionStore._next_seq`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from assistant.assessment import utcnow
from assistant.documents.model import Document
from assistant.errors import InputError
from assistant.proposals import Turn
from assistant.settings import Settings
from assistant.store.engine import WRITE, Backend, DatabaseTarget, connection_errors, create_store_engine
from assistant.store.schema import documents, ensure_schema, sessions, turns

SQLITE_FILE = "sessions.sqlite3"


class SessionSummary(BaseModel):
    """A session as listed for resuming."""

    id: str
    """Session ID."""
    system_name: str
    """The system being assessed."""
    phase: str
    """Where the interview is."""
    created_at: str
    """Start (UTC, ISO 8601)."""
    updated_at: str
    """Last change (UTC, ISO 8601)."""
    turns: int
    """Number of turns."""


class SessionNotFound(InputError):
    """No session with that ID."""


class SessionStore:
    """Storage of sessions and their transcripts in SQLite or PostgreSQL; safe across threads and processes."""

    def __init__(self, database: Path | DatabaseTarget) -> None:
        """Open the store (a SQLite file, or any :class:`DatabaseTarget`), creating or upgrading its schema."""
        self.database = database if isinstance(database, DatabaseTarget) else DatabaseTarget.sqlite_file(database)
        self.path: Path | None = self.database.path
        """The SQLite file; None on a PostgreSQL server."""
        self.url = self.database.shown
        """The database URL with its password masked."""
        with connection_errors(self.database):
            self._engine = create_store_engine(self.database)
        self.schema_version_found = 0
        """The schema version the database had when opened (0: new, or written before versioning)."""
        try:
            self.schema_version_found = ensure_schema(self._read, self._tx, self.database.describe())
        except DBAPIError as exc:  # e.g. a PostgreSQL user without the right to create tables
            self._engine.dispose()
            raise self.database.schema_failed(exc) from None
        except BaseException:
            self._engine.dispose()
            raise

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SessionStore:
        """The embedded store at ``<data_dir>/sessions.sqlite3``."""
        return cls(Path(data_dir) / SQLITE_FILE)

    @classmethod
    def from_url(cls, url: str, *, setting: str = "SMM_DATABASE_URL") -> SessionStore:
        """The store at a database URL: ``postgresql://user:password@host:port/db`` or ``sqlite:///path``."""
        return cls(DatabaseTarget.parse(url, setting))

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionStore:
        """The store the settings choose: ``SMM_DATABASE_URL`` when set, else SQLite in the data directory."""
        if settings.database_url:
            return cls.from_url(settings.database_url.get_secret_value())
        return cls.in_data_dir(settings.data_dir)

    @property
    def backend(self) -> Backend:
        """``sqlite`` or ``postgresql``."""
        return self.database.backend

    def _connect(self) -> Connection:
        with connection_errors(self.database):
            return self._engine.connect()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """A write transaction, committed on success and rolled back on any exception (a KeyboardInterrupt too)."""
        with self._connect() as db:
            db.execution_options(**{WRITE: True})
            with db.begin():
                yield db

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read transaction: one snapshot, so a state and its turns are never read across another commit."""
        with self._connect() as db:
            if self.backend == "postgresql":
                # Read-only transactions never fail to serialise; REPEATABLE READ gives all statements one snapshot.
                db.execution_options(isolation_level="REPEATABLE READ")
            with db.begin():
                yield db

    def write(self) -> AbstractContextManager[Connection]:
        """A write transaction on the session database, for the other stores sharing it (:mod:`.teams`)."""
        return self._tx()

    def read(self) -> AbstractContextManager[Connection]:
        """A read transaction (one snapshot) on the session database, for the other stores sharing it."""
        return self._read()

    def close(self) -> None:
        """Close the pooled connections (the store opens new ones if used again)."""
        self._engine.dispose()

    # -- sessions

    def create(
        self, session_id: str, state: dict[str, Any], *, system_name: str, phase: str, turns: list[Turn] | None = None
    ) -> None:
        """Create a session with its initial state and first turns, in one transaction (a crash leaves all or nothing)."""
        now = utcnow().isoformat()
        with self._tx() as db:
            db.execute(
                sessions.insert().values(
                    id=session_id,
                    created_at=now,
                    updated_at=now,
                    system_name=system_name,
                    phase=phase,
                    state=json.dumps(state),
                    processed_seq=0,
                )
            )
            for seq, t in enumerate(turns or [], start=1):
                SessionStore._insert(db, session_id, seq, t)

    def load(self, session_id: str) -> tuple[dict[str, Any], int, list[tuple[int, Turn]]]:
        """State, the last processed input sequence number, and every turn with its sequence number."""
        with self._read() as db:
            row = db.execute(select(sessions.c.state, sessions.c.processed_seq).where(sessions.c.id == session_id)).first()
            if row is None:
                raise SessionNotFound(
                    f"no interview session {session_id!r} in {self.database.describe()}; list them with `smm sessions`"
                )
            rows = db.execute(
                select(turns.c.seq, turns.c.turn_id, turns.c.role, turns.c.kind, turns.c.practice, turns.c.text, turns.c.at)
                .where(turns.c.session_id == session_id)
                .order_by(turns.c.seq)
            ).all()
        loaded = [
            (int(seq), Turn(id=tid, role=role, kind=kind, practice=practice, text=text, at=datetime.fromisoformat(at)))
            for seq, tid, role, kind, practice, text, at in rows
        ]
        return json.loads(row.state), int(row.processed_seq), loaded

    def sessions(self) -> list[SessionSummary]:
        """All sessions, most recently changed first."""
        count = select(func.count()).select_from(turns).where(turns.c.session_id == sessions.c.id).scalar_subquery()
        query = select(
            sessions.c.id, sessions.c.system_name, sessions.c.phase, sessions.c.created_at, sessions.c.updated_at, count
        ).order_by(sessions.c.updated_at.desc(), sessions.c.id)
        with self._read() as db:
            rows = db.execute(query).all()
        return [
            SessionSummary(id=r[0], system_name=r[1], phase=r[2], created_at=r[3], updated_at=r[4], turns=int(r[5])) for r in rows
        ]

    def resolve(self, prefix: str) -> str:
        """A full session ID from a unique prefix (case-insensitive; ``%`` and ``_`` are plain characters)."""
        with self._read() as db:
            rows = [
                str(r[0]) for r in db.execute(select(sessions.c.id).where(sessions.c.id.istartswith(prefix, autoescape=True)))
            ]
        if not rows:
            raise SessionNotFound(f"no interview session starts with {prefix!r}; list them with `smm sessions`")
        if len(rows) > 1:
            raise InputError(f"{prefix!r} matches {len(rows)} sessions; give more characters of the ID")
        return rows[0]

    # -- turns

    def append_input(self, session_id: str, turn: Turn) -> int:
        """Commit one input turn (stakeholder or reviewer) before it is processed; return its sequence number."""
        with self._tx() as db:
            seq = self._next_seq(db, session_id)
            SessionStore._insert(db, session_id, seq, turn)
            self._touch(db, session_id)
        return seq

    def append_document(self, session_id: str, turn: Turn, document: Document) -> int:
        """Commit a document (all its passages) and the input turn that adds it, in one transaction."""
        with self._tx() as db:
            seq = self._next_seq(db, session_id)
            SessionStore._insert(db, session_id, seq, turn)
            values = {
                "session_id": session_id,
                "doc_id": document.id,
                "document": document.model_dump_json(),
                "added_at": utcnow().isoformat(),
            }
            # The same document added again replaces the stored one (and counts as added now).
            if db.dialect.name == "postgresql":
                pg = postgresql.insert(documents).values(values)
                db.execute(pg.on_conflict_do_update(index_elements=["session_id", "doc_id"], set_=_replaced(pg.excluded)))
            else:
                lite = sqlite.insert(documents).values(values)
                db.execute(lite.on_conflict_do_update(index_elements=["session_id", "doc_id"], set_=_replaced(lite.excluded)))
            self._touch(db, session_id)
        return seq

    def append_removal(self, session_id: str, turn: Turn, doc_id: str) -> int:
        """Forget a document's text and commit the input turn that removes it, in one transaction."""
        with self._tx() as db:
            seq = self._next_seq(db, session_id)
            SessionStore._insert(db, session_id, seq, turn)
            db.execute(delete(documents).where(documents.c.session_id == session_id, documents.c.doc_id == doc_id))
            self._touch(db, session_id)
        return seq

    def documents(self, session_id: str) -> list[Document]:
        """The session's documents with their passages, in the order they were added."""
        with self._read() as db:
            rows = db.execute(
                select(documents.c.document)
                .where(documents.c.session_id == session_id)
                .order_by(documents.c.added_at, documents.c.doc_id)
            ).all()
        return [Document.model_validate_json(r[0]) for r in rows]

    def commit_reply(
        self, session_id: str, processed_seq: int, replies: list[Turn], state: dict[str, Any], *, phase: str
    ) -> None:
        """Commit the assistant's reply turns together with the state after processing input ``processed_seq``."""
        with self._tx() as db:
            seq = self._next_seq(db, session_id)
            for t in replies:
                SessionStore._insert(db, session_id, seq, t)
                seq += 1
            db.execute(
                update(sessions)
                .where(sessions.c.id == session_id)
                .values(
                    state=json.dumps(state),
                    processed_seq=processed_seq,
                    updated_at=utcnow().isoformat(),
                    phase=phase,
                    system_name=str(state.get("system_name", "")),
                )
            )

    def _next_seq(self, db: Connection, session_id: str) -> int:
        """The next turn's sequence number, computed under a lock on the session so two writers never share one.

        PostgreSQL locks the session's row (SELECT ... FOR UPDATE) until the transaction ends: a second writer
        waits, and then sees the first one's turns (READ COMMITTED reads anew per statement). SQLite needs no row
        lock: BEGIN IMMEDIATE already holds the database's only write lock (and it ignores FOR UPDATE).
        """
        locked = db.execute(select(sessions.c.id).where(sessions.c.id == session_id).with_for_update()).first()
        if locked is None:
            raise SessionNotFound(
                f"no interview session {session_id!r} in {self.database.describe()}; list them with `smm sessions`"
            )
        last = db.execute(select(func.coalesce(func.max(turns.c.seq), 0)).where(turns.c.session_id == session_id)).scalar_one()
        return int(last) + 1

    @staticmethod
    def _touch(db: Connection, session_id: str) -> None:
        db.execute(update(sessions).where(sessions.c.id == session_id).values(updated_at=utcnow().isoformat()))

    @staticmethod
    def _insert(db: Connection, session_id: str, seq: int, t: Turn) -> None:
        # Called as SessionStore._insert (not self._insert) so that a test replacing it on the class sees every call.
        db.execute(
            turns.insert().values(
                session_id=session_id,
                seq=seq,
                turn_id=t.id,
                role=t.role,
                kind=t.kind,
                practice=t.practice,
                text=t.text,
                at=t.at.isoformat(),
            )
        )


def _replaced(excluded: Any) -> dict[str, Any]:
    """The columns an upsert of a document overwrites, from the proposed row (``excluded``)."""
    return {"document": excluded.document, "added_at": excluded.added_at}

"""Interview sessions in SQLite (WAL) under the data directory.

Every stakeholder or reviewer input is committed as a turn *before* the assistant computes its
reply; the reply turns and the new state are committed together afterwards. A process killed in
between loses nothing: on resume, inputs newer than the saved state are replayed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.assessment import utcnow
from assistant.documents.model import Document
from assistant.errors import InputError
from assistant.proposals import Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    system_name TEXT NOT NULL DEFAULT '',
    phase TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    processed_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    turn_id TEXT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    practice TEXT,
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (session_id, seq),
    UNIQUE (session_id, turn_id)
);
CREATE TABLE IF NOT EXISTS documents (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL,
    document TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (session_id, doc_id)
);
"""


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
    """SQLite-backed storage of sessions and their transcripts; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._tx() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SessionStore:
        """The store at ``<data_dir>/sessions.sqlite3``."""
        return cls(Path(data_dir) / "sessions.sqlite3")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- sessions

    def create(
        self, session_id: str, state: dict[str, Any], *, system_name: str, phase: str, turns: list[Turn] | None = None
    ) -> None:
        """Create a session with its initial state and first turns, in one transaction (a crash leaves all or nothing)."""
        now = utcnow().isoformat()
        with self._tx() as db:
            db.execute(
                "INSERT INTO sessions (id, created_at, updated_at, system_name, phase, state, processed_seq) VALUES (?,?,?,?,?,?,0)",
                (session_id, now, now, system_name, phase, json.dumps(state)),
            )
            for seq, t in enumerate(turns or [], start=1):
                self._insert(db, session_id, seq, t)

    def load(self, session_id: str) -> tuple[dict[str, Any], int, list[tuple[int, Turn]]]:
        """State, the last processed input sequence number, and every turn with its sequence number."""
        db = self._conn()
        row = db.execute("SELECT state, processed_seq FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise SessionNotFound(f"no interview session {session_id!r} in {self.path}; list them with `smm sessions`")
        turns = [
            (seq, Turn(id=tid, role=role, kind=kind, practice=practice, text=text, at=datetime.fromisoformat(at)))
            for seq, tid, role, kind, practice, text, at in db.execute(
                "SELECT seq, turn_id, role, kind, practice, text, at FROM turns WHERE session_id = ? ORDER BY seq", (session_id,)
            )
        ]
        return json.loads(row[0]), int(row[1]), turns

    def sessions(self) -> list[SessionSummary]:
        """All sessions, most recently changed first."""
        rows = self._conn().execute(
            "SELECT s.id, s.system_name, s.phase, s.created_at, s.updated_at, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) "
            "FROM sessions s ORDER BY s.updated_at DESC"
        )
        return [
            SessionSummary(id=r[0], system_name=r[1], phase=r[2], created_at=r[3], updated_at=r[4], turns=int(r[5])) for r in rows
        ]

    def resolve(self, prefix: str) -> str:
        """A full session ID from a unique prefix."""
        rows = [r[0] for r in self._conn().execute("SELECT id FROM sessions WHERE id LIKE ?", (prefix.replace("%", "") + "%",))]
        if not rows:
            raise SessionNotFound(f"no interview session starts with {prefix!r}; list them with `smm sessions`")
        if len(rows) > 1:
            raise InputError(f"{prefix!r} matches {len(rows)} sessions; give more characters of the ID")
        return str(rows[0])

    # -- turns

    def append_input(self, session_id: str, turn: Turn) -> int:
        """Commit one input turn (stakeholder or reviewer) before it is processed; return its sequence number."""
        with self._tx() as db:
            seq = self._next_seq(db, session_id)
            self._insert(db, session_id, seq, turn)
            db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (utcnow().isoformat(), session_id))
        return seq

    def append_document(self, session_id: str, turn: Turn, document: Document) -> int:
        """Commit a document (all its passages) and the input turn that adds it, in one transaction."""
        with self._tx() as db:
            seq = self._next_seq(db, session_id)
            self._insert(db, session_id, seq, turn)
            db.execute(
                "INSERT OR REPLACE INTO documents (session_id, doc_id, document, added_at) VALUES (?,?,?,?)",
                (session_id, document.id, document.model_dump_json(), utcnow().isoformat()),
            )
            db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (utcnow().isoformat(), session_id))
        return seq

    def append_removal(self, session_id: str, turn: Turn, doc_id: str) -> int:
        """Forget a document's text and commit the input turn that removes it, in one transaction."""
        with self._tx() as db:
            seq = self._next_seq(db, session_id)
            self._insert(db, session_id, seq, turn)
            db.execute("DELETE FROM documents WHERE session_id = ? AND doc_id = ?", (session_id, doc_id))
            db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (utcnow().isoformat(), session_id))
        return seq

    def documents(self, session_id: str) -> list[Document]:
        """The session's documents with their passages, in the order they were added."""
        rows = self._conn().execute(
            "SELECT document FROM documents WHERE session_id = ? ORDER BY added_at, doc_id", (session_id,)
        )
        return [Document.model_validate_json(r[0]) for r in rows]

    def commit_reply(
        self, session_id: str, processed_seq: int, replies: list[Turn], state: dict[str, Any], *, phase: str
    ) -> None:
        """Commit the assistant's reply turns together with the state after processing input ``processed_seq``."""
        with self._tx() as db:
            seq = self._next_seq(db, session_id)
            for t in replies:
                self._insert(db, session_id, seq, t)
                seq += 1
            db.execute(
                "UPDATE sessions SET state = ?, processed_seq = ?, updated_at = ?, phase = ?, system_name = ? WHERE id = ?",
                (json.dumps(state), processed_seq, utcnow().isoformat(), phase, str(state.get("system_name", "")), session_id),
            )

    @staticmethod
    def _next_seq(db: sqlite3.Connection, session_id: str) -> int:
        row = db.execute("SELECT COALESCE(MAX(seq), 0) FROM turns WHERE session_id = ?", (session_id,)).fetchone()
        return int(row[0]) + 1

    @staticmethod
    def _insert(db: sqlite3.Connection, session_id: str, seq: int, t: Turn) -> None:
        db.execute(
            "INSERT INTO turns (session_id, seq, turn_id, role, kind, practice, text, at) VALUES (?,?,?,?,?,?,?,?)",
            (session_id, seq, t.id, t.role, t.kind, t.practice, t.text, t.at.isoformat()),
        )

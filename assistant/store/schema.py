"""The session database's tables, and the ordered migrations that create them or upgrade them in place.

Version 1 is the schema of the SQLite-only store, unchanged, so a ``sessions.sqlite3`` written before
versioning (tables, no ``schema_version``) is adopted as it is; every later step is applied in order, inside
one transaction that holds the database's write lock (SQLite) or an advisory lock (PostgreSQL), so processes
opening a new or old database at the same moment upgrade it once. A database of a newer version than this code
knows is refused: writing to it could lose what the newer assistant stores.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Integer, MetaData, Table, Text, func, inspect, select, text
from sqlalchemy.types import TypeDecorator

from assistant.assessment import utcnow
from assistant.errors import ConfigError


class NulSafeText(TypeDecorator[str]):
    """Text that may hold NUL characters, which PostgreSQL's ``text`` refuses but answers may contain verbatim.

    On PostgreSQL a value holding NUL (or starting with the marker) is stored as the marker plus its JSON string,
    which has no raw NUL; everything else is stored as it is, readable with plain SQL. SQLite stores any text.
    """

    impl = Text
    cache_ok = True
    MARKER = "\x1asmm-json:"
    """Starts an encoded value; a value that itself starts with it is encoded too, so decoding is unambiguous."""

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or dialect.name != "postgresql":
            return value
        if "\x00" in value or value.startswith(self.MARKER):
            return self.MARKER + json.dumps(value)
        return value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is not None and dialect.name == "postgresql" and value.startswith(self.MARKER):
            decoded: str = json.loads(value[len(self.MARKER) :])
            return decoded
        return value


metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("system_name", NulSafeText, nullable=False),
    Column("phase", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("processed_seq", Integer, nullable=False),
)

turns = Table(
    "turns",
    metadata,
    Column("session_id", Text, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("turn_id", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("practice", Text),
    Column("text", NulSafeText, nullable=False),
    Column("at", Text, nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("session_id", Text, primary_key=True),
    Column("doc_id", Text, primary_key=True),
    Column("document", Text, nullable=False),
    Column("added_at", Text, nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Text, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("system_name", NulSafeText, nullable=False),
    Column("state", Text, nullable=False),
)

team_versions = Table(
    "team_versions",
    metadata,
    Column("team_id", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("signed_by", NulSafeText, nullable=False),
    Column("signed_at", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("note", NulSafeText, nullable=False),
    Column("assessment", Text, nullable=False),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("description", Text, nullable=False),
    Column("applied_at", Text, nullable=False),
)

VERSION_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
)


@dataclass(frozen=True)
class Migration:
    """One step of the schema: the SQL that takes a database from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]
    """Run in order in the upgrading transaction; written so that SQLite and PostgreSQL both accept them."""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sessions, turns and documents (the schema of the store before versioning)",
        # Verbatim from the unversioned store. IF NOT EXISTS is what lets an unversioned database be adopted:
        # its tables are kept, and only the version is recorded.
        (
            """CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    system_name TEXT NOT NULL DEFAULT '',
    phase TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    processed_seq INTEGER NOT NULL DEFAULT 0
)""",
            """CREATE TABLE IF NOT EXISTS turns (
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
)""",
            """CREATE TABLE IF NOT EXISTS documents (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL,
    document TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (session_id, doc_id)
)""",
        ),
    ),
    Migration(
        2,
        "index sessions by their last change (`smm sessions` and the app list them newest first)",
        ("CREATE INDEX IF NOT EXISTS sessions_updated_at ON sessions (updated_at)",),
    ),
    Migration(
        3,
        "team assessments and their signed versions",
        (
            """CREATE TABLE IF NOT EXISTS teams (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    system_name TEXT NOT NULL,
    state TEXT NOT NULL
)""",
            # Insert-only: a signed version is never updated or deleted while its team exists.
            """CREATE TABLE IF NOT EXISTS team_versions (
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    signed_by TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    note TEXT NOT NULL,
    assessment TEXT NOT NULL,
    PRIMARY KEY (team_id, version)
)""",
        ),
    ),
)

LATEST = MIGRATIONS[-1].version

# Serialises schema upgrades between processes on one PostgreSQL database (advisory locks are per database).
_PG_LOCK_KEY = 0x534D4D5F53434845  # "SMM_SCHE"

_OWN_COLUMNS = {t.name: {c.name for c in t.columns} for t in (sessions, turns, documents)}


class SchemaTooNew(ConfigError):
    """The database was written by a newer assistant; this one must not write to it."""


def database_version(db: Connection) -> int:
    """The schema version of the database: 0 when it has no version table (new, or written before versioning)."""
    if not inspect(db).has_table("schema_version"):
        return 0
    return int(db.execute(select(func.max(schema_version.c.version))).scalar() or 0)


def ensure_schema(
    read: Callable[[], AbstractContextManager[Connection]], write: Callable[[], AbstractContextManager[Connection]], where: str
) -> int:
    """Bring the database to :data:`LATEST` (or refuse one that is newer); return the version it had.

    ``read`` and ``write`` open a read and a write transaction. The common case, a current database, costs one
    read; an upgrade takes the lock and looks again, since another process may have upgraded meanwhile.
    """
    with read() as db:
        found = database_version(db)
    if found == LATEST:
        return found
    _refuse_newer(found, where)
    with write() as db:
        if db.dialect.name == "postgresql":
            db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        found = database_version(db)
        _refuse_newer(found, where)
        adopted = found == 0 and _check_unversioned_tables(db, where)
        db.execute(text(VERSION_TABLE_SQL))
        for step in MIGRATIONS[found:]:
            for statement in step.statements:
                db.execute(text(statement))
            note = " (tables found: created before versioning, kept as they were)" if adopted and step.version == 1 else ""
            db.execute(
                schema_version.insert().values(
                    version=step.version, description=step.description + note, applied_at=utcnow().isoformat()
                )
            )
    return found


def _refuse_newer(found: int, where: str) -> None:
    if found > LATEST:
        raise SchemaTooNew(
            f"the session database {where} has schema version {found}, but this assistant knows versions up to {LATEST}: "
            "a newer assistant wrote it. Upgrade the assistant to use this database; nothing was written to it"
        )


def _check_unversioned_tables(db: Connection, where: str) -> bool:
    """True if the tables of an unversioned database exist (to adopt); refuse tables of the same name that are not ours."""
    insp = inspect(db)
    found = [name for name in _OWN_COLUMNS if insp.has_table(name)]
    for name in found:
        columns: set[Any] = {c["name"] for c in insp.get_columns(name)}
        missing = _OWN_COLUMNS[name] - columns
        if missing:
            raise ConfigError(
                f"the session database {where} has a table {name!r} that the assistant did not create (no column "
                f"{', '.join(sorted(missing))}); point the assistant at an empty database or a folder of its own"
            )
    return bool(found)

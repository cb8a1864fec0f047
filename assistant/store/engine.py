"""Where the session database is, and a SQLAlchemy engine for it with the guarantees the store relies on.

Two backends: embedded SQLite (the default, a file in the data directory) and a PostgreSQL server named by
``SMM_DATABASE_URL`` (driven by psycopg 3). Connection problems become one :class:`~assistant.errors.ConfigError`
that names the setting and says what to do; a password never appears in a message.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from assistant.errors import ConfigError

DATABASE_URL_VAR = "SMM_DATABASE_URL"
"""The environment variable naming a database server (unset: SQLite in the data directory)."""

WRITE = "smm_write"
"""Execution option marking a connection whose transaction writes (SQLite then begins with BEGIN IMMEDIATE)."""

SQLITE_BUSY_SECONDS = 30.0
"""How long a SQLite writer waits for another process's write lock before failing."""

PG_CONNECT_SECONDS = 10
"""How long to wait for a PostgreSQL server before reporting it unreachable."""

_EXAMPLES = "postgresql://USER:PASSWORD@HOST:5432/DBNAME or sqlite:////absolute/path/sessions.sqlite3"
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")

Backend = Literal["sqlite", "postgresql"]


@dataclass(frozen=True)
class DatabaseTarget:
    """A session database: its normalised SQLAlchemy URL and the setting it came from (named in errors)."""

    url: URL
    """``sqlite:///<path>`` or ``postgresql+psycopg://...``."""
    setting: str
    """``SMM_DATABASE_URL`` or ``SMM_DATA_DIR``: what the user changes to point elsewhere."""

    @classmethod
    def sqlite_file(cls, path: Path, setting: str = "SMM_DATA_DIR") -> DatabaseTarget:
        """The SQLite file at ``path``."""
        return cls(URL.create("sqlite", database=str(Path(path).expanduser())), setting)

    @classmethod
    def parse(cls, raw: str, setting: str = DATABASE_URL_VAR) -> DatabaseTarget:
        """Parse and normalise a database URL (``postgresql://`` gets the psycopg driver); a clear error if unusable."""
        text = raw.strip()
        try:
            url = make_url(text)
        except (ArgumentError, ValueError):
            raise ConfigError(f"{setting} is not a database URL ({mask_text(text)!r}); write it as {_EXAMPLES}") from None
        # The driver as written (get_driver_name() would name the dialect's default, psycopg2, when none is given).
        backend, _, driver = url.drivername.partition("+")
        if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
            url = url.set(drivername="postgresql+psycopg")
        elif backend == "sqlite" and driver in ("", "pysqlite"):
            if not url.database or url.database == ":memory:":
                raise ConfigError(
                    f"{setting}={mask_url(url)} names no SQLite file (an in-memory database would lose every session); "
                    "give a path such as sqlite:////absolute/path/sessions.sqlite3"
                )
            # Query options are dropped: the store sets its own timeout and pragmas.
            url = URL.create("sqlite", database=str(Path(url.database).expanduser()))
        elif backend in ("postgresql", "postgres"):
            raise ConfigError(
                f"{setting} asks for the PostgreSQL driver {driver!r}, but the assistant uses psycopg 3; "
                f"write the URL as postgresql://... ({mask_url(url)})"
            )
        else:
            raise ConfigError(f"{setting} names a {backend!r} database, which the assistant does not support; use {_EXAMPLES}")
        return cls(url, setting)

    @property
    def backend(self) -> Backend:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server."""
        return Path(self.url.database or "") if self.backend == "sqlite" else None

    @property
    def shown(self) -> str:
        """The URL with its password masked (``***``), for messages and the settings page."""
        return mask_url(self.url)

    def describe(self) -> str:
        """What a message calls this database: the masked URL or file, and the setting that chose it."""
        return f"{self.path if self.path is not None else self.shown} ({self.setting})"

    def unavailable(self, exc: BaseException) -> ConfigError:
        """The message for a database that cannot be opened: why (from the driver, password-free) and what to do."""
        reason = _driver_message(exc, self.url.password)
        return ConfigError(f"cannot open the session database {self.describe()}: {reason}; {_advice(self, reason)}")

    def schema_failed(self, exc: BaseException) -> ConfigError:
        """The message for tables that could not be created or upgraded (connecting worked)."""
        reason = _driver_message(exc, self.url.password)
        who = "the database user may create tables in it" if self.backend == "postgresql" else "the file is writable"
        return ConfigError(
            f"cannot create or upgrade the session tables in {self.describe()}: {reason}; check that {who}, or set "
            f"{self.setting} to another database"
        )


def mask_url(url: URL) -> str:
    """``url`` as text with the password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


def mask_text(text: str) -> str:
    """A URL-like string that did not parse, with anything between ``user:`` and ``@`` masked."""
    return _PASSWORD_IN_URL.sub(r"\1***@", text)


def _driver_message(exc: BaseException, password: str | None) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    # psycopg puts the server's several-line answer (with tabbed hints) in one message: keep it on one line.
    text = " ".join(str(orig).split()).removeprefix("connection failed: ")
    # Drivers do not echo passwords, but a server or proxy might; a very short one is left alone, as replacing it
    # would garble the message (and a 3-character password is no secret worth the garbling).
    if password and len(password) > 3:
        text = text.replace(password, "***")
    return text or type(orig).__name__


def _advice(target: DatabaseTarget, reason: str) -> str:
    low = reason.lower()
    if target.backend == "sqlite":
        return f"check that the folder exists and is writable, or set {target.setting} to another place"
    if "password" in low or "authentication" in low:
        return f"check the user name and password in {target.setting}"
    if "does not exist" in low and "database" in low:
        return f"create the database (e.g. `createdb {target.url.database}`) or fix its name in {target.setting}"
    if any(w in low for w in ("refused", "timeout", "timed out", "resolve", "no route", "unreachable", "could not connect")):
        return f"check that the PostgreSQL server is running and that the host and port in {target.setting} are right"
    return f"check {target.setting}"


@contextmanager
def connection_errors(target: DatabaseTarget) -> Iterator[None]:
    """Turn a failure to *connect* into the target's one-line message (errors of statements pass unchanged)."""
    try:
        yield
    except (DBAPIError, sqlite3.Error, OSError) as exc:
        raise target.unavailable(exc) from None


def create_store_engine(target: DatabaseTarget) -> Engine:
    """An engine for ``target``: SQLite with WAL, full sync, foreign keys, a busy timeout and BEGIN IMMEDIATE writes;
    PostgreSQL through psycopg with a connect timeout and stale connections detected before use."""
    if target.backend == "sqlite":
        path = target.path
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(target.url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        target.url,
        # A server restarted since a pooled connection was opened must not fail the next turn.
        pool_pre_ping=True,
        connect_args={"connect_timeout": PG_CONNECT_SECONDS, "application_name": "iot-smm-assistant"},
    )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3's legacy transaction control would BEGIN only before DML, deferred; the store begins its own
    # transactions (see _sqlite_begin), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        _switch_to_wal(cursor)  # readers never block the writer, nor it them
        cursor.execute("PRAGMA synchronous=FULL")  # a committed turn survives a power cut, not only a crash
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    # Switching a rollback-journal file to WAL needs the file to itself, and SQLite reports "database is
    # locked" at once instead of calling the busy handler when several processes open it together (seen with
    # six openers of a pre-WAL file): wait and retry, as the busy timeout would.
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock up front (BEGIN IMMEDIATE): a deferred transaction that reads, then writes,
    # can fail with "database is locked" at once instead of waiting, when another writer got there first.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

"""Interview sessions, stored in embedded SQLite (default) or PostgreSQL (``SMM_DATABASE_URL``).

:mod:`.engine` says where the database is and opens it, :mod:`.schema` holds the tables and their versioned
migrations, :mod:`.sessions` the :class:`SessionStore` itself.
"""

from assistant.store.engine import DATABASE_URL_VAR, DatabaseTarget
from assistant.store.schema import LATEST as SCHEMA_VERSION
from assistant.store.schema import SchemaTooNew
from assistant.store.sessions import SessionNotFound, SessionStore, SessionSummary

__all__ = [
    "DATABASE_URL_VAR",
    "SCHEMA_VERSION",
    "DatabaseTarget",
    "SchemaTooNew",
    "SessionNotFound",
    "SessionStore",
    "SessionSummary",
]

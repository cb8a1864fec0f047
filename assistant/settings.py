"""Configuration from ``SMM_*`` environment variables, in one typed object."""

from __future__ import annotations

import os
import re
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from assistant.errors import ConfigError

# RFC 9110's "token": the characters a header field name may hold.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Headers every browser sends (or that carry its credentials): naming one would take the reviewer's name from the
# browser, the very thing a trusted header exists to avoid.
_BROWSER_HEADERS = frozenset(
    {"host", "cookie", "authorization", "user-agent", "origin", "referer", "accept", "accept-language",
     "accept-encoding", "connection", "upgrade", "content-type", "content-length"}
)  # fmt: skip


def header_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be the trusted user header (``None`` when it can)."""
    if not _HEADER_NAME.fullmatch(name):
        return "is not an HTTP header name (it may hold letters, digits and dashes, never spaces or a colon)"
    if name.lower() in _BROWSER_HEADERS or name.lower().startswith("sec-"):
        return "names a header that the browser itself sends, so anyone could set it"
    return None


class Settings(BaseModel):
    """Everything the assistant reads from the environment. Never holds API keys (a database password only as a secret)."""

    model_config = ConfigDict(frozen=True)

    data_dir: Path
    """Where the index, sessions and exports live (``SMM_DATA_DIR``; default a per-user folder)."""
    embeddings: str
    """Embedding provider ``name[:model]`` (``SMM_EMBEDDINGS``; default ``minilm``, bundled and offline)."""
    chroma_url: str | None
    """A Chroma server such as ``http://127.0.0.1:8000`` (``SMM_CHROMA_URL``); unset means embedded."""
    llm: str | None
    """``provider:model`` for the LLM engine (``SMM_LLM``); unset means the guided engine."""
    llm_base_url: str | None
    """Base URL of an OpenAI-compatible server (``SMM_LLM_BASE_URL``)."""
    catalog_dir: Path | None
    """A user catalog to use instead of the shipped one (``SMM_CATALOG``)."""
    database_url: SecretStr | None = None
    """A session database server such as ``postgresql://user:password@host:5432/smm`` (``SMM_DATABASE_URL``); unset
    means SQLite in the data directory. Secret because it may hold a password; the store shows it masked (``url``)."""
    trusted_user_header: str | None = None
    """The request header in which a sign-in proxy in front of the app names the signed-in person, such as
    ``X-Auth-Request-User`` (oauth2-proxy) or ``X-Forwarded-User`` (``SMM_TRUSTED_USER_HEADER``). Set, it is the only
    source of the reviewer's name in the app, and a request without it may record nothing; unset, each person types a
    name and no header is ever read. Set it only when the app can be reached through that proxy alone."""

    @field_validator("trusted_user_header")
    @classmethod
    def _legal_header(cls, value: str | None) -> str | None:
        problem = None if value is None else header_name_problem(value)
        if problem:
            raise ValueError(f"the trusted user header {value!r} {problem}")
        return value

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default: the process environment)."""
        e = os.environ if env is None else env
        data_dir = e.get("SMM_DATA_DIR") or user_data_dir("iot-smm-assistant", appauthor=False)
        return cls(
            data_dir=Path(data_dir).expanduser(),
            embeddings=e.get("SMM_EMBEDDINGS") or "minilm",
            chroma_url=e.get("SMM_CHROMA_URL") or None,
            llm=e.get("SMM_LLM") or None,
            llm_base_url=e.get("SMM_LLM_BASE_URL") or None,
            catalog_dir=Path(e["SMM_CATALOG"]).expanduser() if e.get("SMM_CATALOG") else None,
            database_url=SecretStr(url) if (url := (e.get("SMM_DATABASE_URL") or "").strip()) else None,
            trusted_user_header=_trusted_user_header(e.get("SMM_TRUSTED_USER_HEADER")),
        )


def _trusted_user_header(raw: str | None) -> str | None:
    """``SMM_TRUSTED_USER_HEADER`` checked, with a message naming the variable rather than a validation error."""
    name = (raw or "").strip()
    if not name:
        return None
    problem = header_name_problem(name)
    if problem:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise ConfigError(
            f"SMM_TRUSTED_USER_HEADER={shown!r} {problem}; set it to the header your sign-in proxy puts the user's name in, "
            "such as X-Auth-Request-User (oauth2-proxy) or X-Forwarded-User, or unset it to let each person type a name"
        )
    return name

"""Configuration from ``SMM_*`` environment variables, in one typed object."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, SecretStr


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
        )

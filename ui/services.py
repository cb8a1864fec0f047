"""The one factory for the assistant's parts in the app, built once per process.

Every page gets the catalog, index, engine and session store from :func:`get_services`. Tests call
:func:`use_services` to inject parts they built themselves (for example with a temporary data
directory), so no page builds its own.
"""

from __future__ import annotations

import streamlit as st

from assistant import llm
from assistant.services import Services, build_services
from assistant.settings import Settings

_override: Services | None = None


def use_services(services: Services | None) -> None:
    """Make every page use ``services`` (for tests); ``None`` returns to building them from the environment."""
    global _override
    _override = services


@st.cache_resource(show_spinner="Preparing the catalog and its search index (the first start takes a few seconds)…")
def _build() -> Services:
    # Cached for the whole process: the index and engine are shared by every browser session.
    return build_services()


def get_services() -> Services:
    """The services every page uses."""
    return _override if _override is not None else _build()


def privacy_notices(settings: Settings) -> list[str]:
    """Why interview text leaves this machine, one notice per reason; empty when everything stays local."""
    out: list[str] = []
    # The llm module knows the providers and their default URLs; its notice is the one the CLI prints too.
    notice = llm.privacy_notice(settings)
    if notice:
        out.append(notice)
    if settings.embeddings.partition(":")[0].strip().lower() == "openai":
        out.append(
            f"Your answers are turned into search vectors by `{settings.embeddings}`, an online service: "
            "the text of each answer is sent there."
        )
    return out

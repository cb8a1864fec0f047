"""The one factory for the assistant's parts in the app, built once per process.

Every page gets the catalog, index, engine and session store from :func:`get_services`. Tests call
:func:`use_services` to inject parts they built themselves (for example with a temporary data
directory), so no page builds its own.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlparse

import streamlit as st

from assistant.services import Services, build_services
from assistant.settings import Settings

_override: Services | None = None

# Providers whose client talks to a server on this machine unless told otherwise.
_LOCAL_BY_DEFAULT = {"ollama": "OLLAMA_HOST"}


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


def is_loopback_url(url: str) -> bool:
    """True when ``url`` (or a bare ``host:port``) points at this machine."""
    parsed = urlparse(url if "//" in url else f"//{url}")
    host = (parsed.hostname or "").strip("[]")
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.endswith(".localhost")


def _llm_sends_text(settings: Settings) -> bool:
    try:
        from assistant import llm
    except ImportError:  # pragma: no cover - assistant.llm is part of the package
        llm = None  # type: ignore[assignment]
    decide = getattr(llm, "sends_text_off_machine", None)
    if callable(decide):
        # The llm module knows the providers best; use its answer when it offers one.
        return bool(decide(settings))
    if not settings.llm:
        return False
    if settings.llm_base_url:
        return not is_loopback_url(settings.llm_base_url)
    provider = settings.llm.partition(":")[0].strip().lower()
    if provider in _LOCAL_BY_DEFAULT:
        host = os.environ.get(_LOCAL_BY_DEFAULT[provider], "")
        return bool(host) and not is_loopback_url(host)
    return True


def privacy_notices(settings: Settings) -> list[str]:
    """Why interview text leaves this machine, one sentence per reason; empty when everything stays local."""
    out: list[str] = []
    if _llm_sends_text(settings):
        where = settings.llm_base_url or f"the {settings.llm.partition(':')[0] if settings.llm else ''} service"
        out.append(f"The interview text is sent to the language model `{settings.llm}` at {where}, which is not on this machine.")
    provider = settings.embeddings.partition(":")[0].strip().lower()
    if provider == "openai":
        out.append(
            f"Your answers are turned into search vectors by `{settings.embeddings}`, an online service: "
            "the text of each answer is sent there."
        )
    return out

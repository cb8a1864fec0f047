"""Who is acting in this browser session: the name a trusted sign-in proxy sends, or the name the person typed.

With ``SMM_TRUSTED_USER_HEADER`` set (see :class:`~assistant.settings.Settings`), a sign-in proxy such as
oauth2-proxy stands in front of the app and names the signed-in person in that request header. That name is then
the only identity: the person cannot type another, and a request without the header (someone reaching the app
around the proxy) may record nothing. Without the setting, each person types a name, and no request header is
ever read: a header such as ``X-Forwarded-User`` would then have come from the browser, which can send anything.

:func:`identify` decides, purely from the settings, the headers and the typed name; :func:`current` feeds it this
browser session's headers, read in :func:`request_headers` alone (Streamlit's ``AppTest`` cannot send headers, so
the tests replace that one function).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import streamlit as st
from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import InputError
from assistant.settings import Settings
from ui.services import get_services

MAX_NAME_CHARS = 200
"""The longest name recorded with a decision."""
DEFAULT_NAME = "assessor"
"""The name recorded when nobody typed one (as before identities existed)."""

Headers = Mapping[str, str | list[str]]
"""Request headers by name; a list holds every value of a header sent more than once."""


class IdentityError(InputError):
    """No usable identity for this request: the action is refused, and the message says what to do."""


class Identity(BaseModel):
    """The person acting in a browser session, and where the app learnt the name."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    """The name recorded with every action (1 to 200 printable characters)."""
    source: Literal["proxy", "typed"]
    """``proxy``: from the trusted sign-in header; ``typed``: typed by the person on the Interview page."""
    locked: bool
    """Whether the person may not change it (a name from the sign-in proxy)."""

    def signed_in_text(self) -> str:
        """What the app shows for a name it did not let the person type."""
        return f"Signed in as **{_markdown_plain(self.name)}** (from your organisation's sign-in)"


def _markdown_plain(text: str) -> str:
    # A name such as "*dana*" must read as typed, not as Markdown.
    return "".join("\\" + c if c in "\\`*_[]<>#|~$" else c for c in text)


def _problem(name: str) -> str | None:
    """Why ``name`` cannot be recorded (``None`` when it can); never repeats the value, which may be hostile."""
    if not name:
        return "is empty"
    if len(name) > MAX_NAME_CHARS:
        return f"is longer than {MAX_NAME_CHARS} characters"
    if not name.isprintable():
        return "holds line breaks or other control characters"
    return None


def _from_wire(value: str) -> str:
    """A header value as the proxy meant it: HTTP servers decode header bytes as Latin-1, so a UTF-8 name such as
    "Zoë" arrives as "ZoÃ«"; undo that when the bytes are valid UTF-8, keep the value otherwise."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def missing_header_message(header: str) -> str:
    """The refusal when the trusted header is configured and absent from the request."""
    return (
        f"This app takes your name from the sign-in proxy (header {header}), and this request has none: "
        "open the app through the proxy"
    )


def identify(settings: Settings, headers: Headers, typed: str | None) -> Identity:
    """The identity of a request: from ``settings.trusted_user_header`` when set, else the ``typed`` name.

    ``headers`` are looked up case-insensitively. Raises :class:`IdentityError` when the header is configured but
    missing, sent twice with different values, or not a usable name; or when a typed name is not usable. When no
    header is configured, ``headers`` are not looked at at all.
    """
    header = settings.trusted_user_header
    if header is None:
        name = (typed or "").strip() or DEFAULT_NAME
        problem = _problem(name)
        if problem:
            raise IdentityError(f"Your name {problem}: type a name of 1 to {MAX_NAME_CHARS} characters on one line")
        return Identity(name=name, source="typed", locked=False)

    wanted = header.lower()
    values = [
        v for key, raw in headers.items() if key.strip().lower() == wanted for v in ([raw] if isinstance(raw, str) else raw)
    ]
    if not values:
        raise IdentityError(missing_header_message(header))
    names = {_from_wire(v).strip() for v in values}
    if len(names) > 1:
        # Two different names: the proxy added its header beside one the browser sent instead of replacing it.
        raise IdentityError(
            f"This app takes your name from the sign-in proxy (header {header}), and this request names two different "
            f"people in it: the proxy must replace any {header} the browser sends; ask whoever runs it to fix that"
        )
    name = names.pop()
    problem = _problem(name)
    if problem:
        raise IdentityError(
            f"This app takes your name from the sign-in proxy (header {header}), and the name in it {problem}: "
            f"ask whoever runs the proxy to check what it puts in {header}"
        )
    return Identity(name=name, source="proxy", locked=True)


# ------------------------------------------------------------------------------------------ Streamlit


def request_headers() -> Headers:
    """The headers of the request that opened this browser session's connection (every value of a repeated one).

    The only place the app reads request headers; tests replace this function, as ``AppTest`` sends none.
    """
    headers = st.context.headers
    return {name: headers.get_all(name) for name in headers}


def from_proxy() -> bool:
    """Whether names come from the sign-in proxy (``SMM_TRUSTED_USER_HEADER`` is set)."""
    return get_services().settings.trusted_user_header is not None


def current(typed: str | None = None) -> Identity:
    """This browser session's identity (see :func:`identify`); raises :class:`IdentityError` when there is none."""
    settings = get_services().settings
    # Without a trusted header the request's headers are not even read: any name in them came from the browser.
    headers = request_headers() if settings.trusted_user_header is not None else {}
    return identify(settings, headers, typed)


def acting_name(session_reviewer: str) -> str:
    """The name recorded with an action on an open assessment; raises :class:`IdentityError` when there is none.

    With the sign-in proxy, the signed-in person, whoever started the assessment. Without it, the name typed when
    the assessment was started (``session_reviewer``), as the app always did.
    """
    return current().name if from_proxy() else session_reviewer


def reviewer_for_action(typed: str | None) -> str:
    """The name to record with an action outside the open assessment (the Team page's): the signed-in person's, or
    ``typed`` (:data:`DEFAULT_NAME` when blank) without a sign-in proxy; raises :class:`IdentityError` when there is none."""
    return current(typed).name


def show_identity(key: str, *, value: str = "", label: str = "Your name (recorded with each decision)") -> None:
    """Where a page asks who is acting: with the sign-in proxy, the signed-in name read-only (or why there is none);
    without, a text field with ``key`` whose value goes to :func:`current` or :func:`reviewer_for_action`."""
    if not from_proxy():
        st.text_input(label, key=key, value=value)
        return
    try:
        st.markdown(current().signed_in_text() + ", recorded with each decision")
    except IdentityError as exc:
        st.error(str(exc), icon=":material/no_accounts:")


def show_signed_in() -> None:
    """With the sign-in proxy: who is signed in, or why nothing can be recorded (the app frame draws it on every page)."""
    if not from_proxy():
        return
    try:
        who = current()
    except IdentityError as exc:
        st.error(str(exc), icon=":material/no_accounts:")
        return
    st.caption(who.signed_in_text())

"""The interview of this browser session: its ID in ``st.session_state``, the object loaded from SQLite.

Streamlit's session state holds the session ID (and the interview loaded for the current script run,
for display only). Each action resumes the interview afresh from the session store, acts through the :class:`~assistant.interview.Interview` API (which saves the input
before computing the reply) and lets the next script run load it again. So a page reload, a second
browser tab or a crashed server never loses a confirmed decision. Errors the user can fix
(:class:`~assistant.errors.InputError`) are kept for the next run and shown with ``st.error``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from assistant.errors import InputError
from assistant.interview import Interview
from ui import identity
from ui.services import get_services

SESSION_ID = "smm_session_id"
"""Session-state key of the current interview's ID."""
_LOADED = "smm_interview"
_ERRORS = "smm_errors"
_NOTES = "smm_notes"


def _resume(session_id: str) -> Interview:
    sv = get_services()
    return Interview.resume(session_id, sv.catalog, sv.index, sv.engine, sv.store)


def load() -> Interview | None:
    """Load the current interview from the store; called once per script run by the app frame."""
    sid = st.session_state.get(SESSION_ID)
    iv: Interview | None = None
    if sid:
        try:
            iv = _resume(sid)
        except InputError as exc:
            # The session was deleted or the data directory changed: forget it rather than fail every run.
            st.session_state.pop(SESSION_ID, None)
            flash_error(str(exc))
    st.session_state[_LOADED] = iv
    return iv


def interview() -> Interview | None:
    """The interview loaded for this script run, if any."""
    iv = st.session_state.get(_LOADED)
    return iv if isinstance(iv, Interview) else None


def flash_error(message: str) -> None:
    """Keep an error message to show once, on the next render."""
    st.session_state.setdefault(_ERRORS, []).append(message)


def flash_note(message: str) -> None:
    """Keep a success message to show once, on the next render."""
    st.session_state.setdefault(_NOTES, []).append(message)


def show_messages() -> None:
    """Show (and forget) the messages kept by earlier actions, in the app's words (no command-line hints)."""
    from ui.views import web_wording  # ui.views imports this module

    for msg in st.session_state.pop(_ERRORS, []):
        st.error(web_wording(msg), icon=":material/error:")
    for msg in st.session_state.pop(_NOTES, []):
        st.success(web_wording(msg), icon=":material/check_circle:")


def act(action: Callable[[Interview, str], Any], success: str | None = None) -> bool:
    """Run ``action(interview, who)`` on the freshly resumed current interview; an :class:`InputError` becomes a message.

    ``who`` is the name to record with it (:func:`ui.identity.acting_name`): an action that takes a ``reviewer=``
    must pass it on. Without an identity (a sign-in proxy is configured and this request has no name from it) the
    action is refused before anything is saved. Used from widget callbacks, which run before the script, so the
    page drawn afterwards shows the result.
    """
    sid = st.session_state.get(SESSION_ID)
    if not sid:
        flash_error("No assessment is open: start a new one or resume one on the Interview page.")
        return False
    try:
        iv = _resume(sid)
        action(iv, identity.acting_name(iv.state.reviewer))
    except InputError as exc:
        flash_error(str(exc))
        return False
    if success:
        flash_note(success)
    return True


def start(
    *,
    system_name: str,
    profile: str | None,
    ask_objectives: bool,
    practices: list[str] | None,
    reviewer: str,
) -> bool:
    """Start a new interview and make it the current one; ``reviewer`` is the starter's identity (:mod:`ui.identity`)."""
    sv = get_services()
    try:
        iv = Interview.start(
            sv.catalog,
            sv.index,
            sv.engine,
            sv.store,
            system_name=system_name.strip() or "Unnamed IoT system",
            profile=profile,
            ask_objectives=ask_objectives,
            practices=practices or None,
            reviewer=reviewer.strip() or "assessor",
        )
    except InputError as exc:
        flash_error(str(exc))
        return False
    st.session_state[SESSION_ID] = iv.session_id
    return True


def open_session(session_id: str) -> None:
    """Make a stored session the current one (a widget callback)."""
    try:
        sid = get_services().store.resolve(session_id)
    except InputError as exc:
        flash_error(str(exc))
        return
    st.session_state[SESSION_ID] = sid


def close() -> None:
    """Leave the current interview (it stays stored and can be resumed)."""
    st.session_state.pop(SESSION_ID, None)
    st.session_state.pop(_LOADED, None)

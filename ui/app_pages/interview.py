"""Interview page: start or resume an assessment, talk with the assistant, review its proposals."""

from __future__ import annotations

import re
from datetime import datetime

import streamlit as st

from assistant.documents import DocumentLimits
from assistant.errors import InputError
from assistant.interview import Interview
from ui import documents, identity, session, views
from ui.services import get_services, privacy_notices

sv = get_services()
cat = sv.catalog


def _start() -> None:
    practices = st.session_state.get("new-practices") or None
    try:
        # With a sign-in proxy the typed name is ignored (there is no field for it); without, no header is read.
        who = identity.current(typed=st.session_state.get("new-reviewer"))
    except InputError as exc:
        session.flash_error(str(exc))
        return
    if session.start(
        system_name=st.session_state.get("new-name", ""),
        profile=st.session_state.get("new-profile") or None,
        ask_objectives=bool(st.session_state.get("new-objectives", True)),
        practices=practices,
        reviewer=who.name,
    ):
        session.flash_note("New assessment started. Describe the system below.")


def _say_as(iv: Interview, who: str, text: str) -> None:
    """Say ``text``; with a sign-in proxy, a review decision typed in the chat is recorded in ``who``'s name.

    ``Interview.say`` takes no reviewer: a typed "accept" or "modify 2 because ..." would be recorded in the name of
    whoever started the assessment, not of the person signed in now. So, only then, a typed decision goes through
    ``Interview.review`` with ``reviewer=who``, read by the interview's own parser of typed decisions so the two
    never disagree on what counts as one.
    """
    if iv.pending is not None and iv.pending.kind == "targets" and re.match(r"^\s*accept\b", text, re.I):
        iv.accept_targets(reviewer=who)  # the same reply the chat would read, in the acting person's name
        return
    if identity.from_proxy() and iv.pending is not None and iv.pending.kind == "review":
        decision = iv.parse_decision(text)
        if decision is not None:
            iv.review(
                decision["decision"],
                practice=decision["practice"],
                level=decision["level"],
                scope=decision["scope"],
                reason=decision["reason"],
                reviewer=who,
            )
            return
    iv.say(text)


def _accept_targets() -> None:
    # In the signed-in person's name (the chat's "accept targets" would record whoever started the assessment).
    session.act(lambda iv, who: iv.accept_targets(reviewer=who))


def _say(text: str | None) -> None:
    if text and text.strip():
        session.act(lambda iv, who: _say_as(iv, who, text))


def _send_chat() -> None:
    _say(st.session_state.get("iv-chat"))


def _send_description() -> None:
    _say(st.session_state.get("iv-description"))


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _welcome() -> None:
    st.markdown(
        "This assistant interviews you about an IoT system in plain language and proposes a maturity level for each "
        "security practice of the IIC IoT Security Maturity Model. **You decide**: every proposal shows its reasons, "
        "the catalog text it relies on and your own words, and you accept, change or reject it."
    )
    new, old = st.columns([3, 2], gap="large")
    with new, st.form("new-assessment"):
        st.subheader("New assessment")
        st.text_input("Name of the system", key="new-name", placeholder="Bottling line 3")
        # Behind a sign-in proxy the name is shown, not asked: nobody can type another.
        identity.show_identity("new-reviewer", value=identity.DEFAULT_NAME)
        st.selectbox(
            "Example profile (optional): a starting point for targets",
            ["", *sorted(cat.profiles)],
            format_func=lambda p: "None" if not p else f"{cat.profiles[p].title} ({cat.profiles[p].industry})",
            key="new-profile",
        )
        st.checkbox(
            "Ask about business objectives and risk appetite to propose targets",
            value=True,
            key="new-objectives",
        )
        st.multiselect(
            "Only these practices (optional, for a short assessment; empty means all 18)",
            list(cat.practices),
            format_func=lambda p: f"{p} {cat.practices[p].name}",
            key="new-practices",
        )
        st.form_submit_button("Start the assessment", type="primary", on_click=_start)
    with old:
        st.subheader("Resume an assessment")
        stored = sv.store.sessions()
        if not stored:
            st.caption("No saved assessments yet.")
        for s in stored[:20]:
            with st.container(border=True):
                st.markdown(f"**{s.system_name}**  \n{views.PHASE_WORDS.get(s.phase, s.phase)} · {s.turns} turns")
                st.caption(f"Last change {_when(s.updated_at)} · ID `{s.id}`")
                st.button("Resume", key=f"resume-{s.id}", on_click=session.open_session, args=(s.id,))


# Session-state counter in the upload widget's key: a new key empties the widget after its files are added.
# (A comment, not a docstring: Streamlit's "magic" would show a bare string on the page.)
_UPLOADS = "smm_doc_uploads"


def _documents(iv: Interview) -> None:
    """Add the organisation's own documents as evidence, see what each told the assistant, remove one."""
    here = (
        "The assistant is set to use an online service (see the notice above), so what a document says is sent "
        "there too, like your answers."
        if privacy_notices(sv.settings)
        else "Documents are read on this machine; nothing is sent elsewhere."
    )
    st.caption(
        "Add your own papers (a security policy, a patch procedure, an asset list) as evidence. "
        f"{here} A document shows what is written, not always what is done: the assistant checks what it says "
        "with you before it proposes a level. Removing a document makes the assistant forget it everywhere."
    )
    try:
        limits = DocumentLimits.from_env()
    except InputError as exc:
        st.error(views.web_wording(f"Documents cannot be added: {exc}"), icon=":material/error:")
        return
    n = st.session_state.setdefault(_UPLOADS, 0)
    files = st.file_uploader(
        "PDF, Word (.docx), Excel (.xlsx), CSV, Markdown (.md) or text (.txt) files",
        type=documents.ACCEPTED_TYPES,
        accept_multiple_files=True,
        max_upload_size=documents.upload_limit_mb(limits),
        key=f"iv-doc-upload-{n}",
    )
    if st.button("Add", key="iv-doc-add", type="primary", icon=":material/upload_file:", disabled=not files) and files:
        bar = st.progress(0.0, text="Reading…")
        shown = [-1]

        def progress(name: str, done: int, total: int) -> None:
            pct = int(100 * done / total) if total else 100
            if pct != shown[0]:  # one update per percent, however many statements
                shown[0] = pct
                bar.progress(pct / 100, text=f"Reading {name}: {done} of {total} statements")

        with st.spinner("Reading the documents…"):
            documents.add_uploads([(f.name, f.getvalue()) for f in files], limits=limits, progress=progress)
        st.session_state[_UPLOADS] = n + 1
        st.rerun()

    if not iv.state.documents:
        st.caption("No documents yet.")
    for info in iv.state.documents:
        with st.container(border=True, key=f"doc-{info.id}"):
            text, button = st.columns([5, 1], vertical_alignment="center")
            text.markdown(f"**{documents.plain(info.name)}**  \n{documents.evidence_text(iv.catalog, info)}")
            text.caption(documents.facts_text(info, iv.documents.get(info.id)))
            for warning in info.warnings:
                text.warning(views.web_wording(warning), icon=":material/warning:")
            button.button(
                "Remove",
                key=f"doc-remove-{info.id}",
                icon=":material/delete:",
                on_click=documents.remove,
                args=(info.id, info.name),
                help="Forget this document everywhere: its text, what was read from it, and proposals drafted with it.",
            )


st.title("Interview")
session.show_messages()
for notice in privacy_notices(sv.settings):
    st.warning(notice, icon=":material/public:")

iv = session.interview()
if iv is None:
    _welcome()
    st.stop()

head, close = st.columns([3, 1], vertical_alignment="bottom")
head.caption(f"Assessment of **{iv.state.system_name}** · session `{iv.session_id}` · answers are saved as you go")
close.button("New or other assessment", on_click=session.close, icon=":material/add:")
with st.expander(
    f"Documents ({len(iv.state.documents)})" if iv.state.documents else "Documents",
    icon=":material/description:",
    key="iv-documents",
):
    _documents(iv)

views.transcript(iv)

pending = iv.pending
if pending is not None and pending.kind == "context":
    # The first answer is usually long: a big box invites a full description rather than one line.
    with st.form("describe", border=True):
        st.text_area(
            "Describe the system in your own words",
            key="iv-description",
            height=180,
            placeholder=(
                "What it does, who uses it, how the devices are connected, who builds and runs it, "
                "and anything you already do for security (updates, access, monitoring...)."
            ),
        )
        st.form_submit_button("Send the description", type="primary", on_click=_send_description)
elif pending is not None:
    # One-click answers for the short questions; typing works just as well.
    with st.container(horizontal=True):
        if pending.kind == "profile":
            st.button("Yes, that's right", on_click=_say, args=("yes",))
            st.button("No", on_click=_say, args=("no",))
        elif pending.kind == "targets":
            st.button("Accept these targets", type="primary", on_click=_accept_targets)
        if pending.kind in ("objective", "targets", "profile"):
            st.button("Skip", type="tertiary", on_click=_say, args=("skip",))
        if pending.kind in ("practice", "review") and pending.practice:
            st.button("Explain this practice", icon=":material/help:", type="tertiary", on_click=_say, args=("explain",))
            st.button("Skip this practice", icon=":material/redo:", type="tertiary", on_click=_say, args=("skip",))
            st.button("Back", icon=":material/undo:", type="tertiary", on_click=_say, args=("back",))
        if pending.kind in ("practice", "review"):
            st.button("Finish now", icon=":material/done_all:", type="tertiary", on_click=_say, args=("done",))
elif iv.finished:
    st.success("The interview is finished. See the results on the Dashboard.", icon=":material/check_circle:")
    st.page_link("app_pages/dashboard.py", label="Open the dashboard", icon=":material/dashboard:")

st.chat_input(
    "Your answer (or a command such as 'explain H1.2 level 3', 'skip', 'status', 'done')",
    key="iv-chat",
    on_submit=_send_chat,
)

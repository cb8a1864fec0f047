"""Pieces of the interview screen: progress, transcript, proposal cards with their review controls.

Each function draws what the :class:`~assistant.interview.Interview` already holds; every button
calls the Interview API through :func:`ui.session.act`, so each decision is saved immediately, in the name of
the person deciding (``reviewer=``, see :mod:`ui.identity`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import streamlit as st

from assistant.catalog import Catalog
from assistant.interview import Interview
from assistant.interview.messages import indicator_lines, next_level_lines
from assistant.proposals import Proposal, Turn
from ui import session

STATUS_ICONS: dict[str, str] = {
    "pending": ":material/radio_button_unchecked:",
    "asking": ":material/forum:",
    "proposed": ":material/rate_review:",
    "confirmed": ":material/check_circle:",
    "not_applicable": ":material/block:",
    "skipped": ":material/redo:",
}
STATUS_WORDS: dict[str, str] = {
    "pending": "not started",
    "asking": "in discussion",
    "proposed": "awaiting your review",
    "confirmed": "confirmed",
    "not_applicable": "not applicable",
    "skipped": "skipped for now",
}
PHASE_WORDS: dict[str, str] = {
    "context": "describing the system",
    "profile": "confirming the industry",
    "objectives": "business objectives",
    "targets": "targets",
    "practices": "practice questions",
    "review": "reviewing a proposal",
    "done": "finished",
}


# ------------------------------------------------------------------------------------------ wording

# Whole phrases first, where a word-for-word swap would read badly; then any command that is left.
_WEB_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"Export the assessment and a report with `smm report`, or open the dashboard\.", re.I),
        "Open the Dashboard page to see the results and download the assessment and every report.",
    ),
    (
        re.compile(r"Use `smm report` or the dashboard to see the results\.", re.I),
        "See the results and download every report on the Dashboard page.",
    ),
    (re.compile(r"with `smm team review [^`]*`", re.I), "on the Team page"),
    (re.compile(r"list them with `smm sessions`", re.I), "see the saved assessments on the Interview page"),
    (re.compile(r"export an assessment with `smm export` or the app", re.I), "download one from the Dashboard page"),
    # A document over a limit: whoever runs the app sets the limits, not the person uploading.
    (re.compile(r"\braise (SMM_DOC_MAX_[A-Z]+)\b"), r"ask whoever runs this app to raise the limit (\1)"),
]
WEB_PLACES: dict[str, str] = {
    "report": "the Dashboard page's download buttons",
    "export": 'the Dashboard page\'s "Assessment JSON" download button',
    "score": "the Dashboard page",
    "compare": "the comparison on the Dashboard page",
    "strategies": "the roll-up strategy box on the Dashboard page",
    "catalog": "the Catalog page",
    "explain": "the Catalog page",
    "search": "the Catalog page",
    "index": "the Settings page",
    "sessions": "the saved assessments on the Interview page",
    "interview": "the Interview page",
    "demo": "the Interview page",
    "ui": "this app",
    "team": "the Team page",
}
"""Where in the app each ``smm`` command's job is done."""
_COMMAND = re.compile(
    r"`smm(?:\s+(?P<cmd>[a-z-]+))?(?P<rest>[^`]*)`"
    r"|\bsmm\s+(?P<bare>" + "|".join(WEB_PLACES) + r"|eval)\b(?:\s+(?:list|show|validate|schema|build|status|run|retrieval)\b)?"
)


def _place(match: re.Match[str]) -> str:
    cmd = match.group("cmd") or match.group("bare") or ""
    if cmd == "interview" and "--resume" in (match.group("rest") or ""):
        return "the Resume button on the Interview page"
    return WEB_PLACES.get(cmd, "the app's pages")


def web_wording(text: str) -> str:
    """Text written for the terminal, reworded for the app: ``smm ...`` commands become the page or button that does it.

    The interview and the error messages are shared with the command line, which names its commands; in
    the app nobody can run them, so each is replaced by where the app does the same job.
    """
    for pattern, words in _WEB_PHRASES:
        text = pattern.sub(words, text)
    return _COMMAND.sub(_place, text)


def table(key: str, data: Any, **options: Any) -> None:
    """A read-only table in a container with ``key``, so tests and the browser can find it (``.st-key-<key>``)."""
    options.setdefault("hide_index", True)
    options.setdefault("placeholder", "—")
    with st.container(key=key):
        st.dataframe(data, **options)


def level_label(catalog: Catalog, level: int) -> str:
    """``2 – Ad hoc``: a level with its official name."""
    return f"{level} – {catalog.level_name(level)}"


# ------------------------------------------------------------------------------------------ progress


def progress_panel(iv: Interview) -> None:
    """Progress bar, counts and the status of every practice in the interview (drawn in the sidebar)."""
    pr = iv.progress()
    st.markdown(f"**{iv.state.system_name}**")
    st.progress(pr.confirmed / pr.total if pr.total else 0.0, text=f"Confirmed {pr.confirmed} of {pr.total} practices")
    bits = [f"Now: {PHASE_WORDS.get(pr.phase, pr.phase)}"]
    if pr.awaiting_review:
        bits.append(f"{pr.awaiting_review} awaiting review")
    if pr.skipped:
        bits.append(f"{pr.skipped} skipped")
    st.caption(" · ".join(bits))
    lines = []
    current = iv.state.assessment.current
    for pid in iv.state.order:
        pp = iv.state.practices[pid]
        name = iv.catalog.practices[pid].name
        value = current.get(pid)
        shown = f" = **{value.value.label()}**" if value is not None and value.status == "confirmed" else ""
        here = " ← now" if pid == pr.current else ""
        lines.append(f"{STATUS_ICONS.get(pp.status, '')} {pid} {name}{shown}{here}")
    with st.expander("Practices", expanded=len(lines) <= 6):
        st.markdown("  \n".join(lines), help="; ".join(f"{k}: {v}" for k, v in STATUS_WORDS.items()))


# ---------------------------------------------------------------------------------------- transcript


def _reviewer_text(turn: Turn) -> str:
    """A reviewer input (stored as JSON) in words."""
    try:
        data: dict[str, Any] = json.loads(turn.text)
    except (json.JSONDecodeError, TypeError):
        return turn.text
    if turn.kind == "target":
        value = "not applicable" if data.get("not_applicable") else f"level {data.get('level')} ({data.get('scope')})"
        text = f"Target for **{data.get('target')}**: {value}"
    elif turn.kind == "targets-accepted":
        text = "Accepted the drafted targets" + (f" ({data['reviewer']})" if data.get("reviewer") else "")
    elif turn.kind == "profile-set":
        text = f"Target profile: **{data.get('profile') or 'none'}**"
    else:
        words = {
            "accept": "Accepted",
            "modify": "Changed",
            "reject": "Rejected (ask again)",
            "not_applicable": "Marked not applicable",
            "defer": "Decide later",
        }
        text = f"{words.get(str(data.get('decision')), str(data.get('decision')))}: **{data.get('practice')}**"
        if data.get("decision") == "modify":
            text += f" → level {data.get('level')}" + (f" ({data['scope']})" if data.get("scope") else "")
    if data.get("reason"):
        text += f" — because {data['reason']}"
    return text


def transcript(iv: Interview) -> None:
    """The conversation so far; the proposal awaiting review is drawn as a card with decision buttons."""
    pending = iv.pending
    active = pending.practice if pending is not None and pending.kind == "review" else None
    last_card = max((i for i, t in enumerate(iv.transcript) if t.kind == "proposal" and t.practice == active), default=-1)
    for i, turn in enumerate(iv.transcript):
        if turn.role == "stakeholder":
            with st.chat_message("user"):
                st.markdown(turn.text)
        elif turn.role == "reviewer":
            with st.chat_message("reviewer", avatar=":material/fact_check:"):
                st.markdown(_reviewer_text(turn))
        else:
            with st.chat_message("assistant"):
                _assistant_turn(iv, turn, interactive=i == last_card)


def _assistant_turn(iv: Interview, turn: Turn, *, interactive: bool) -> None:
    if turn.kind == "proposal":
        proposal = iv.state.practices[turn.practice].proposal if turn.practice in iv.state.practices else None
        if interactive and proposal is not None:
            proposal_card(iv, proposal, interactive=True)
        else:
            title = turn.text.splitlines()[0].lstrip("# ").strip() if turn.text else "Proposal"
            with st.expander(f"Proposal: {title}", icon=":material/description:"):
                st.markdown(web_wording(turn.text))
    elif turn.kind == "notice":
        st.warning(web_wording(turn.text), icon=":material/warning:")
    elif turn.kind == "error":
        st.error(web_wording(turn.text), icon=":material/error:")
    else:
        st.markdown(web_wording(turn.text))


# -------------------------------------------------------------------------------------- proposal card


def _quote(text: str) -> str:
    return "> \u201c" + text.strip().replace("\n", "\n> ") + "\u201d"


def proposal_card(iv: Interview, p: Proposal, *, interactive: bool) -> None:
    """A proposal as a bordered card: the level and scope, why, the cited catalog text, the stakeholder's words."""
    cat = iv.catalog
    practice = cat.practices[p.practice]
    with st.container(border=True, key=f"card-{p.id}"):
        st.markdown(f"#### {p.practice} {practice.name}")
        if p.not_applicable:
            st.markdown("Proposal: **not applicable** to this system")
        elif p.level is None:
            st.markdown("Proposal: **not enough information yet** to propose a level")
        else:
            st.markdown(
                f"Proposal: **level {level_label(cat, p.level)}**, scope **{cat.scope_name(p.scope)}**",
                help=next(x.meaning for x in cat.model.levels if x.level == p.level),
            )
        who = f"the {p.engine} engine" + (f" ({p.model})" if p.model else "")
        st.caption(f"Confidence {p.confidence:.0%} · proposed by {who}")
        if p.fallback:
            st.warning(
                f"The language model's draft could not be used ({p.fallback}); this proposal comes from the guided engine."
            )
        st.markdown(web_wording(p.rationale))
        if p.quotes:
            st.markdown("**Your words**")
            st.markdown("\n\n".join(f"{_quote(q.text)} *({q.where()})*" for q in p.quotes))
        if p.indicators:
            st.markdown("**What the catalog says** (the indicators this relies on, and what you said that meets each)")
            st.markdown("\n".join(f"- {line}" for line in indicator_lines(p, "`{id}`")))
        if p.next_level_needs:
            st.markdown(f"**What level {(p.level or 0) + 1} would add**")
            st.markdown("\n".join(f"- {line}" for line in next_level_lines(p, "`{id}`")))
        if p.follow_up:
            st.markdown(f"**A question that would settle it:** {p.follow_up}")
        for note in p.notes:
            st.info(web_wording(note), icon=":material/info:")
        if interactive:
            _review_controls(iv, p)


def _review(practice: str, decision: str) -> None:
    names = {"accept": "Accepted", "reject": "Rejected; the assistant will ask again", "defer": "Left for later"}
    session.act(
        lambda iv, who: iv.review(decision, practice=practice, reviewer=who),  # type: ignore[arg-type]
        success=f"{names[decision]}: {practice}.",
    )


def _modify(practice: str, pid: str) -> None:
    level = st.session_state.get(f"mod-level-{pid}")
    scope = st.session_state.get(f"mod-scope-{pid}")
    reason = st.session_state.get(f"mod-reason-{pid}") or None
    session.act(
        lambda iv, who: iv.review("modify", practice=practice, level=level, scope=scope, reason=reason, reviewer=who),
        success=f"Changed {practice} to level {level}.",
    )


def _not_applicable(practice: str, pid: str) -> None:
    reason = st.session_state.get(f"na-reason-{pid}") or None
    session.act(
        lambda iv, who: iv.review("not_applicable", practice=practice, reason=reason, reviewer=who),
        success=f"{practice} marked not applicable.",
    )


def _review_controls(iv: Interview, p: Proposal) -> None:
    cat = iv.catalog
    scopes = [s.id for s in cat.model.scopes]
    with st.container(horizontal=True, key=f"decide-{p.id}"):
        st.button(
            "Accept",
            key=f"accept-{p.id}",
            type="primary",
            icon=":material/check:",
            on_click=_review,
            args=(p.practice, "accept"),
            disabled=p.insufficient,
            help="There is no level to accept yet: answer the question, or choose Change." if p.insufficient else None,
        )
        with st.popover("Change…", icon=":material/edit:", key=f"change-{p.id}"):
            with st.form(f"modify-{p.id}", border=False):
                st.selectbox(
                    "Level",
                    list(range(5)),
                    index=p.level if p.level is not None else 0,
                    format_func=lambda n: level_label(cat, n),
                    key=f"mod-level-{p.id}",
                )
                st.selectbox(
                    "Scope",
                    scopes,
                    index=scopes.index(p.scope) if p.scope in scopes else 0,
                    format_func=cat.scope_name,
                    key=f"mod-scope-{p.id}",
                    help=" ".join(f"{s.name}: {s.meaning}" for s in cat.model.scopes),
                )
                st.text_area("Why? (required)", key=f"mod-reason-{p.id}", placeholder="Only the main production line is covered")
                st.form_submit_button("Save the change", type="primary", on_click=_modify, args=(p.practice, p.id))
        st.button(
            "Reject",
            key=f"reject-{p.id}",
            icon=":material/close:",
            on_click=_review,
            args=(p.practice, "reject"),
            help="The proposal is wrong: the assistant asks about this practice again.",
        )
        with st.popover("Not applicable…", icon=":material/block:", key=f"na-{p.id}"):
            with st.form(f"notapp-{p.id}", border=False):
                st.text_area(
                    "Why does this practice not apply? (required)",
                    key=f"na-reason-{p.id}",
                    placeholder="The devices never leave our locked server room",
                )
                st.form_submit_button("Mark not applicable", type="primary", on_click=_not_applicable, args=(p.practice, p.id))
        st.button(
            "Later",
            key=f"defer-{p.id}",
            type="tertiary",
            icon=":material/schedule:",
            on_click=_review,
            args=(p.practice, "defer"),
            help="Keep the proposal waiting; it is not scored until you decide.",
        )

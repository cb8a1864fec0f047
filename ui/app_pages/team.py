"""Team page: one assessment heard from several people, the lead's review of the merged evidence, sign-off and versions.

Each participant's interview is an ordinary interview (opened on the Interview page); this page creates the team,
adds people with their roles and practices, shows every practice merged across them with who said what and where
they disagree, records the lead's decisions with the reviewer's identity, signs versions and compares them.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from assistant.assessment import Assessment
from assistant.audit import audit_trail
from assistant.errors import InputError
from assistant.scoring import compare
from assistant.team.render import STATUS_WORDS, merged_markdown
from assistant.team.service import Team, new_team, open_team, team_parts
from ui import session, tables, views
from ui.identity import reviewer_for_action, show_identity
from ui.services import get_services

TEAM_ID = "smm_team_id"  # session-state key of the team assessment shown (a comment: a string here would be drawn)

sv = get_services()
cat = sv.catalog
teams_store, roles = team_parts(sv)

_ICONS = {"waiting": "⏳", "to-review": "🟦", "conflict": "⚠️", "settled": "✅", "reopened": "🔁"}


def _team() -> Team | None:
    tid = st.session_state.get(TEAM_ID)
    if not tid:
        return None
    try:
        return open_team(sv, tid)
    except InputError as exc:
        st.session_state.pop(TEAM_ID, None)
        session.flash_error(str(exc))
        return None


def _do(action: str, run: object) -> None:
    """Run a team action from a widget callback; an InputError becomes a message on the next render."""
    try:
        result = run() if callable(run) else None
    except InputError as exc:
        session.flash_error(str(exc))
        return
    if isinstance(result, str):
        session.flash_note(result)
    elif action:
        session.flash_note(action)


def _create() -> None:
    def run() -> str:
        lead = reviewer_for_action(st.session_state.get("team-lead", ""))
        team = new_team(
            sv,
            system_name=st.session_state.get("team-system", ""),
            lead=lead,
            industry=st.session_state.get("team-industry") or None,
        )
        st.session_state[TEAM_ID] = team.id
        return f"Team assessment created; you ({team.state.lead}) lead it. Add the people to interview below."

    _do("", run)


def _add(team_id: str) -> None:
    def run() -> str:
        team = open_team(sv, team_id)
        role = st.session_state.get("team-role") or ""
        chosen = st.session_state.get(f"team-practices-{role}") or None
        p = team.add_participant(
            st.session_state.get("team-name", ""),
            role,
            actor=reviewer_for_action(st.session_state.get("team-me", "")),
            practices=chosen,
            display=st.session_state.get("team-display") or None,
        )
        return f"Added {p.name}: asked about {', '.join(p.practices)}."

    _do("", run)


def _open_interview(team_id: str, name: str) -> None:
    def run() -> None:
        iv = open_team(sv, team_id).interview(name)
        st.session_state[session.SESSION_ID] = iv.session_id

    _do(f"{name}'s interview is open on the Interview page.", run)


def _settle(team_id: str, pid: str) -> None:
    decision = st.session_state.get(f"team-decision-{pid}", "accept")
    level = st.session_state.get(f"team-level-{pid}")
    reason = st.session_state.get(f"team-reason-{pid}") or None

    def run() -> str:
        s = open_team(sv, team_id).settle(
            pid,
            decision,
            level=int(level) if decision == "modify" and level is not None else None,
            reason=reason,
            reviewer=reviewer_for_action(st.session_state.get("team-me", "")),
        )
        return f"{pid}: {s.decision.replace('_', ' ')} {s.value.label()}, recorded for {s.reviewer}."

    _do("", run)


def _sign(team_id: str) -> None:
    def run() -> str:
        info = open_team(sv, team_id).sign_off(
            reviewer_for_action(st.session_state.get("team-me", "")), st.session_state.get("team-note", "")
        )
        return f"Signed version {info.version} ({info.rated} practice(s) rated)."

    _do("", run)


session.show_messages()
st.title("Team")
st.markdown(
    "Hear several people about one system: each answers about the practices they know, in their own interview. "
    "The lead sees every practice merged, settles where people disagree, and signs off a version."
)
show_identity("team-me")

team = _team()
if team is None:
    listed = teams_store.teams()
    new, old = st.columns([3, 2], gap="large")
    with new, st.form("team-new"):
        st.subheader("New team assessment")
        st.text_input("Name of the system", key="team-system", placeholder="Packing line 3")
        st.text_input("Lead's short name (settles disagreements and signs off)", key="team-lead", placeholder="lena")
        st.text_input("Industry (optional)", key="team-industry", placeholder="manufacturing")
        st.form_submit_button("Create", type="primary", on_click=_create)
    with old:
        st.subheader("Open a team assessment")
        if not listed:
            st.caption("None yet.")
        for t in listed:
            signed = f"version {t.signed} signed" if t.signed else "not signed"
            st.button(
                f"{t.system_name}: lead {t.lead}, {t.participants} people, {signed}",
                key=f"team-open-{t.id}",
                on_click=lambda tid=t.id: st.session_state.__setitem__(TEAM_ID, tid),
            )
    st.stop()

s = team.state
signed = f"version {s.signed} signed" + (", changed since" if s.changed_since_signed else "") if s.signed else "not signed yet"
st.subheader(s.system_name)
st.markdown(f"Lead **{s.lead}** · {signed} · ID `{s.id}`")
st.button("Close", key="team-close", on_click=lambda: st.session_state.pop(TEAM_ID, None))

st.markdown("#### People")
if s.participants:
    views.table(
        "team-people",
        pd.DataFrame(
            [
                {
                    "Name": p.name,
                    "Full name": p.display or "",
                    "Role": roles.get(p.role).name,
                    "Practices": ", ".join(p.practices),
                    "Objectives": "yes" if p.owns_objectives else "",
                    "Interview": "started" if p.session_id else "not started",
                }
                for p in s.participants
            ]
        ),
        height="content",
    )
    with st.container(horizontal=True, key="team-interviews"):
        for p in s.participants:
            st.button(f"Interview {p.name}", key=f"team-iv-{p.name}", on_click=_open_interview, args=(s.id, p.name))
else:
    st.caption("Nobody yet: add the people who know the system.")

with st.expander("Add a person", expanded=not s.participants):
    role_ids = [r.id for r in roles.roles]
    role = st.selectbox(
        "Role",
        role_ids,
        format_func=lambda r: f"{roles.get(r).name}: {roles.get(r).description}",
        key="team-role",
    )
    st.multiselect(
        "Practices to ask them about (suggested from the role; change as you like)",
        list(cat.practices),
        default=roles.get(role).practices,
        format_func=lambda p: f"{p} {cat.practices[p].name}",
        key=f"team-practices-{role}",
    )
    st.text_input("Short name (lowercase, e.g. ana)", key="team-name")
    st.text_input("Full name (optional)", key="team-display")
    st.button("Add", type="primary", key="team-add", on_click=_add, args=(s.id,))

merged = team.merge()
st.markdown("#### Practices across the team")
if merged.unassigned:
    st.caption(f"Nobody is asked about {', '.join(merged.unassigned)}; they are left out of this assessment.")
counts = {k: sum(m.status == k for m in merged.practices.values()) for k in STATUS_WORDS}
st.markdown(" · ".join(f"{_ICONS[k]} {STATUS_WORDS[k]}: **{v}**" for k, v in counts.items() if v))
for pid, m in merged.practices.items():
    label = f"{_ICONS[m.status]} {pid} {cat.practices[pid].name}: {STATUS_WORDS[m.status]}"
    with st.expander(label, expanded=m.status in ("conflict", "reopened")):
        st.markdown(merged_markdown(m, cat))
        if m.status == "settled":
            continue
        with st.form(f"team-settle-{pid}"):
            st.radio(
                "Decision",
                ["accept", "modify", "not_applicable"],
                format_func=lambda d: {
                    "accept": "Accept the proposal",
                    "modify": "Set another level",
                    "not_applicable": "Not applicable",
                }[d],
                horizontal=True,
                key=f"team-decision-{pid}",
            )
            st.selectbox("Level (to set another level)", [0, 1, 2, 3, 4], key=f"team-level-{pid}")
            need = "required: participants disagree" if m.conflicts else "required to set another level or mark not applicable"
            st.text_input(f"Reason ({need})", key=f"team-reason-{pid}")
            st.form_submit_button("Decide", on_click=_settle, args=(s.id, pid))

st.markdown("#### Sign-off and versions")
with st.form("team-signoff"):
    st.text_input("Note (what you sign for)", key="team-note")
    st.form_submit_button(f"Sign off as the lead ({s.lead})", type="primary", on_click=_sign, args=(s.id,))
versions = team.versions()
if versions:
    views.table(
        "team-versions",
        pd.DataFrame(
            [
                {
                    "Version": v.version,
                    "Signed by": v.signed_by,
                    "Signed at (UTC)": f"{v.signed_at:%Y-%m-%d %H:%M}",
                    "Rated": v.rated,
                    "Note": v.note,
                    "SHA-256": v.sha256[:16],
                }
                for v in versions
            ]
        ),
        height="content",
    )
    choices = [str(v.version) for v in versions] + ["draft"]
    left, right = st.columns(2)
    before_v = left.selectbox("Compare version", choices, index=max(0, len(choices) - 3), key="team-cmp-a")
    after_v = right.selectbox("with", choices, index=len(choices) - 1, key="team-cmp-b")

    def _load(shown: Team, ref: str) -> Assessment:
        return shown.assessment() if ref == "draft" else shown.version(int(ref))

    try:
        cmp = compare(_load(team, before_v), _load(team, after_v), cat)
    except InputError as exc:
        st.error(views.web_wording(str(exc)), icon=":material/error:")
    else:
        st.markdown(f"**{cmp.changed}** practice(s) changed: **{cmp.raised}** raised, **{cmp.lowered}** lowered.")
        views.table("team-comparison", tables.comparison_frame(cmp, changed_only=True), height="content")
else:
    st.caption("No version signed yet.")

draft = team.assessment()
with st.container(horizontal=True, key="team-downloads"):
    st.download_button(
        "Assessment JSON (draft)",
        draft.model_dump_json(indent=2),
        file_name=f"{s.id}-draft.json",
        mime="application/json",
        key="team-dl-draft",
        on_click="ignore",
        icon=":material/download:",
    )
    st.download_button(
        "Audit trail JSON",
        json.dumps(audit_trail(draft).model_dump(mode="json"), indent=2),
        file_name=f"{s.id}-audit.json",
        mime="application/json",
        key="team-dl-audit",
        on_click="ignore",
        icon=":material/download:",
    )

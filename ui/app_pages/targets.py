"""Targets page: the level each practice should reach, set per practice, subdomain or domain, or from a profile."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.assessment import effective_targets, profile_default_reason
from assistant.interview import Interview
from assistant.session_export import session_assessment
from ui import session, views
from ui.services import get_services

sv = get_services()
cat = sv.catalog

# Everything a target can be set on, most general first: domain (H), subdomain (H1), practice (H1.2).
CHOICES: dict[str, str] = {}
for d in cat.model.domains:
    CHOICES[d.id] = f"{d.id} {d.name} (whole domain)"
    for s in d.subdomains:
        CHOICES[s.id] = f"{s.id} {s.name} (subdomain)"
        for p in s.practices:
            CHOICES[p.id] = f"{p.id} {p.name}"


def _set_target() -> None:
    target = st.session_state.get("tg-target")
    na = bool(st.session_state.get("tg-na"))
    level = None if na else st.session_state.get("tg-level")
    scope = st.session_state.get("tg-scope")
    reason = st.session_state.get("tg-reason") or None
    session.act(
        lambda iv, who: iv.set_target(str(target), level, scope, reason=reason, not_applicable=na, reviewer=who),
        success=f"Target for {target} saved.",
    )


def _copy_profile() -> None:
    # Read the widgets' current values here rather than binding them as arguments when the button was drawn.
    prof = cat.profiles[str(st.session_state.get("tg-profile"))]
    only_missing = bool(st.session_state.get("tg-only-missing", True))

    def apply(iv: Interview, who: str) -> None:
        have = effective_targets(iv.assessment(), cat) if only_missing else {}
        # Each template entry becomes an ordinary practice target, saved like any other. The profile's own reasons
        # were written for its example system, so the target says only where it came from (and is a default).
        for pid, tt in prof.targets.items():
            if pid in have:
                continue
            iv.set_target(pid, tt.level, tt.scope, reason=profile_default_reason(prof.title), reviewer=who)

    session.act(apply, success=f"Targets copied from the profile '{prof.title}'.")


def _use_profile() -> None:
    prof = cat.profiles[str(st.session_state.get("tg-profile"))]
    session.act(
        lambda iv, who: iv.set_profile(prof.id, reviewer=who),
        success=f"The profile '{prof.title}' now gives the target of every practice without one of its own.",
    )


def _drop_profile() -> None:
    session.act(
        lambda iv, who: iv.set_profile(None, reviewer=who), success="No profile template now: only the targets set here apply."
    )


st.title("Targets")
session.show_messages()
st.markdown(
    "A target is the level a practice **should** reach for this system, chosen from what the business needs and how "
    "much risk it accepts. Higher is not always better: a level above what the business needs may be wasted effort. "
    "A target set on a domain or subdomain applies to all its practices unless a practice has its own."
)

iv = session.interview()
if iv is None:
    st.info("Open an assessment first: start or resume one on the Interview page.", icon=":material/info:")
    st.page_link("app_pages/interview.py", label="Go to the interview", icon=":material/forum:")
    st.stop()

setter, profile_box = st.columns([3, 2], gap="large")
with setter, st.form("set-target"):
    st.subheader("Set a target")
    st.selectbox("For", list(CHOICES), format_func=CHOICES.__getitem__, key="tg-target")
    st.select_slider(
        "Level",
        options=list(range(5)),
        value=2,
        format_func=lambda n: views.level_label(cat, n),
        key="tg-level",
        help="\n\n".join(f"{lv.level} {lv.name}: {lv.meaning}" for lv in cat.model.levels),
    )
    st.radio(
        "Scope",
        [s.id for s in cat.model.scopes],
        format_func=cat.scope_name,
        horizontal=True,
        key="tg-scope",
        help="\n\n".join(f"{s.name}: {s.meaning}" for s in cat.model.scopes),
    )
    st.checkbox("Not applicable to this system", key="tg-na")
    st.text_area("Why this target? (required when not applicable)", key="tg-reason")
    st.form_submit_button("Save the target", type="primary", on_click=_set_target)

with profile_box:
    st.subheader("From a profile")
    in_use = iv.state.assessment.targets.profile
    if in_use:
        st.caption(
            f"This assessment uses the profile **{cat.profiles[in_use].title}**: its targets fill every practice "
            "without a target of its own."
        )
        st.button("Stop using it", on_click=_drop_profile, icon=":material/link_off:")
    prof_id = st.selectbox(
        "Profile",
        sorted(cat.profiles),
        format_func=lambda p: cat.profiles[p].title,
        key="tg-profile",
    )
    prof = cat.profiles[prof_id]
    st.caption(prof.label)
    views.table(
        "tg-profile-targets",
        pd.DataFrame(
            [
                {"ID": pid, "Target": f"{t.level} ({t.scope})", "Why": t.reason, "Practice": cat.practices[pid].name}
                for pid, t in prof.targets.items()
            ]
        ),
        height=250,
    )
    st.button(
        "Use as the template",
        on_click=_use_profile,
        icon=":material/link:",
        help="The profile's targets apply to every practice without a target set here, domain or subdomain included; "
        "targets you set always win.",
    )
    st.checkbox("Only for practices without a target", value=True, key="tg-only-missing")
    st.button(
        "Copy these targets",
        on_click=_copy_profile,
        icon=":material/content_copy:",
        help="Each of the profile's targets becomes a target of its own practice, which you can then change one by one.",
    )

st.subheader("Targets in effect")
st.caption(
    "The target each practice inherits after practice, subdomain, domain and profile settings are combined. "
    "A *default* is a target nobody chose one by one (a profile's, or drafted targets accepted in one step): "
    "check it fits this system."
)
eff = effective_targets(session_assessment(iv), cat)
views.table(
    "tg-effective",
    pd.DataFrame(
        [
            {
                "ID": pid,
                "Practice": p.name,
                "Target": eff[pid].value.label() if pid in eff else "—",
                "Set on": eff[pid].source if pid in eff else "not set",
                "Default": "default" if pid in eff and eff[pid].default else "",
                "Why": (eff[pid].reason or "") if pid in eff else "",
            }
            for pid, p in cat.practices.items()
        ]
    ),
    height="content",
)

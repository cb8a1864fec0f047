"""Catalog page: browse domains, practices and levels; ask what a level of a practice requires."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.errors import InputError
from assistant.explain import explain_level, explain_practice, parse_level_question
from ui.services import get_services
from ui.views import web_wording

sv = get_services()
cat = sv.catalog

st.title("Catalog")
st.caption(
    f"IoT Security Maturity Model practice catalog, version {cat.version}. "
    "The wording is this project's own; names and structure follow the IIC IoT SMM."
)

st.subheader("Ask the catalog")
question = st.text_input(
    "Ask what a level of a practice requires",
    placeholder="What does level 3 of patch management require?",
    key="cat-question",
)
if question.strip():
    name, level = parse_level_question(question)
    try:
        if level == 0:
            st.info("Level 0 means the practice is not done at all. Ask about levels 1 to 4.", icon=":material/info:")
        else:
            answer = (
                explain_practice(cat, name or question)
                if level is None
                else explain_level(cat, name or question, level).to_markdown()
            )
            with st.container(border=True, key="cat-answer"):
                st.markdown(answer)
    except InputError as exc:
        st.error(web_wording(str(exc)), icon=":material/error:")

st.subheader("Browse")
with st.expander("What the levels and scopes mean"):
    st.table(
        pd.DataFrame([{"Level": lv.level, "Name": lv.name, "Meaning": lv.meaning} for lv in cat.model.levels]), hide_index=True
    )
    st.table(pd.DataFrame([{"Scope": s.name, "Meaning": s.meaning} for s in cat.model.scopes]), hide_index=True)

tabs = st.tabs([f"{d.id} {d.name}" for d in cat.model.domains])
for tab, dom in zip(tabs, cat.model.domains, strict=True):
    with tab:
        st.markdown(dom.description)
        for sub in dom.subdomains:
            st.markdown(f"##### {sub.id} {sub.name}")
            st.caption(sub.description)
            for ref in sub.practices:
                p = cat.practices[ref.id]
                with st.expander(f"{p.id} {p.name}"):
                    st.markdown(f"**Objective.** {p.objective}")
                    st.markdown(f"**What it is.** {p.explanation.what}")
                    st.markdown(f"**Why it matters for IoT.** {p.explanation.why_iot}")
                    st.markdown(f"**Example.** {p.explanation.example}")
                    for lv in p.levels:
                        st.markdown(f"**Level {lv.level} – {cat.level_name(lv.level)}.** {lv.summary}")
                        st.markdown("\n".join(f"- `{i.id}` {i.text}" for i in lv.indicators))
                    st.markdown(f"**Industry scope.** {p.scope.industry.summary}")
                    st.markdown(f"**System scope.** {p.scope.system.summary}")

st.subheader("Profiles")
st.caption("Example profiles: industry- and system-specific considerations, and a template of targets.")
for prof in cat.profiles.values():
    with st.expander(f"{prof.title} ({prof.industry})"):
        st.caption(prof.label)
        st.markdown(prof.description)
